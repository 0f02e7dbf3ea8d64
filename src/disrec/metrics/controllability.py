"""Controllability: can the code dimension that stands for a concept steer the recommendations toward it?

Not in the study, disentanglement_lib or RecBole; defined for this project.
For a model that decodes item scores from its code, and factor j (a kept
concept):
- i*(j) = argmax_i R_ij, the code dimension most important for factor j in
  the DCI importance matrix R (d, k);
- sigma_j = the sign of the Pearson correlation between z_i* and factor j
  over the train users (+1 when it is 0), so that a positive step is the
  direction that should raise concept j;
- for every user u and step s in {-S..-s_1, 0, s_1..S} (``steps`` are the
  positive sizes, in standard deviations), the code dimension i* is shifted
  by sigma_j * s * sd(z_.i*) (sd over the train users), the others kept;
  the shifted code is decoded, the user's train items are excluded, items
  are ranked (ties by item index) and the top K kept;
- share_c(u, s) = the fraction of the user's top K that carries concept c
  (an item may carry several); response_c(s) = mean over users of
  share_c(u, s) - share_c(u, 0);
- specific control at s: response_j(s) minus the mean response of the other
  kept concepts; controllability_j = the mean specific control over the
  positive steps; the run's controllability = the mean over factors;
- monotone_j: the specific control is non-decreasing over the signed steps
  (with 0 at s = 0); users_changed_j: the fraction of users whose top-K set
  differs from the unshifted one at one step at least.

How a shift of code dimension i reaches the decoder is the model's business
(``CodeDecoder``): an autoencoder adds it to the code it decodes; a code that
is a summary of the decoder's input (MacridVAE's mean over d_fac) is shifted
by adding the step to every entry that the summary averages, which moves the
summary by exactly the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
import torch

from disrec.device import dense_rows
from disrec.matrices import row_batches
from disrec.metrics.accuracy import rank_top_k


class CodeDecoder(Protocol):
    """What controllability needs from a model: its decoder input, and scores from it with one code dim shifted."""

    def decoder_input(self, x: torch.Tensor) -> torch.Tensor:
        """The decoder input of dense user rows x (b, n_items)."""

    def decode_shifted(self, latent: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
        """Item scores (b, n_items) with code dimension ``dim`` of every user shifted by ``delta``."""


@dataclass
class Traversal:
    """Per factor j (k of them): the traversed dimension, its sign, and the outcome over the signed steps.

    ``shares[j, s, c]``: mean over users of concept c's share of the top K when
    dimension ``dims[j]`` is shifted by ``signed_steps[s]`` standard deviations in
    the raising direction (``signed_steps`` ascending, 0 included).
    """

    dims: np.ndarray
    signs: np.ndarray
    signed_steps: np.ndarray
    shares: np.ndarray
    per_factor: np.ndarray
    monotone: np.ndarray
    users_changed: np.ndarray

    @property
    def score(self) -> float:
        return float(np.mean(self.per_factor))


def traversal_dimensions(importance: np.ndarray, codes: np.ndarray,
                         factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k,) i*(j) = argmax_i R_ij and (k,) sign of corr(z_i*, factor j) (+1 when 0 or undefined)."""
    dims = np.asarray(importance).argmax(axis=0)
    signs = np.ones(len(dims), dtype=np.int64)
    for j, i in enumerate(dims):
        z, y = codes[:, i], factors[:, j].astype(np.float64)
        if z.std() > 0 and y.std() > 0 and np.corrcoef(z, y)[0, 1] < 0:
            signs[j] = -1
    return dims, signs


def _top_k_shares(scores: torch.Tensor, exclude: torch.Tensor, concepts: torch.Tensor,
                  k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-K items (b, K), sorted for set comparison, and each concept's share of them (b, c)."""
    top, valid = rank_top_k(scores, exclude, k)
    carried = concepts[top].double() * valid.unsqueeze(2)  # (b, K, c); float64 so batches add up exactly
    shares = carried.sum(dim=1) / valid.sum(dim=1, keepdim=True).clamp_min(1)
    return torch.where(valid, top, -1).sort(dim=1).values, shares


@dataclass
class _ShiftOutcome:
    """One decoded shift over every user: each concept's share of the top K summed over users (c,), and which
    users' top K differs from the unshifted one (n_users,)."""

    share_sum: np.ndarray
    moved: np.ndarray


class Traverser:
    """Controllability of one model's code over the users of ``train`` (n_users, n_items; its items are excluded).

    ``item_concepts`` (n_items, k_factors) bool, column j the concept of factor j;
    ``codes`` (n_users, d) the train codes as the model makes them (their sd
    sets the step unit); ``steps`` the positive step sizes in standard
    deviations. Calling it with a (d, k_factors) DCI importance matrix and the
    (n_users, k_factors) train factors (they set the sign) traverses every factor.

    A factor's traversal depends on the factor only through its dimension and
    sign, so each shift (dimension, signed step) is decoded once and its outcome
    kept: factors that share a dimension, and the traversals behind the
    permutation null (same codes, permuted factors), reuse it. The outcome is
    accumulated batch by batch exactly as a fresh traversal would be.
    """

    def __init__(self, decoder: CodeDecoder, train: sp.csr_matrix, item_concepts: np.ndarray, codes: np.ndarray,
                 steps: list[float], k: int, device: torch.device | str = "cpu", batch_size: int = 1024):
        self.decoder, self.train, self.codes = decoder, train, codes
        self.code_sd = np.asarray(codes, dtype=np.float64).std(axis=0)
        self.device = torch.device(device)
        self.concepts = torch.from_numpy(np.asarray(item_concepts, dtype=bool)).to(self.device)
        self.k = min(k, train.shape[1])
        self.batch_size = batch_size
        self.signed = np.array(sorted({0.0, *(float(s) for s in steps), *(-float(s) for s in steps)}))
        self.zero = int(np.flatnonzero(self.signed == 0)[0])
        self.base_share_sum: np.ndarray | None = None
        self.outcomes: dict[tuple[int, float], _ShiftOutcome] = {}

    def _decode(self, shifts: list[tuple[int, float]]) -> None:
        """Decode the unshifted code (first call) and every (dimension, signed step) of ``shifts``."""
        n_users = self.train.shape[0]
        n_factors = self.concepts.shape[1]
        base_sum = np.zeros(n_factors)
        sums = {shift: np.zeros(n_factors) for shift in shifts}
        moved = {shift: np.zeros(n_users, dtype=bool) for shift in shifts}
        with torch.no_grad():
            for rows in row_batches(n_users, self.batch_size):
                x = dense_rows(self.train, rows, self.device)
                exclude = x > 0
                latent = self.decoder.decoder_input(x)
                base_top, base_shares = _top_k_shares(self.decoder.decode_shifted(latent, 0, 0.0), exclude,
                                                      self.concepts, self.k)
                base_sum += base_shares.sum(dim=0).cpu().numpy()
                for dim, signed_step in shifts:
                    delta = float(signed_step * self.code_sd[dim])
                    top, shares = _top_k_shares(self.decoder.decode_shifted(latent, dim, delta), exclude,
                                                self.concepts, self.k)
                    sums[dim, signed_step] += shares.sum(dim=0).cpu().numpy()
                    moved[dim, signed_step][rows] = (top != base_top).any(dim=1).cpu().numpy()
        if self.base_share_sum is None:
            self.base_share_sum = base_sum
        self.outcomes.update({shift: _ShiftOutcome(sums[shift], moved[shift]) for shift in shifts})

    def __call__(self, importance: np.ndarray, factors: np.ndarray) -> Traversal:
        dims, signs = traversal_dimensions(importance, self.codes, factors)
        signed, zero = self.signed, self.zero
        wanted = [[(int(dims[j]), float(step * signs[j])) for s, step in enumerate(signed) if s != zero]
                  for j in range(len(dims))]
        missing = list(dict.fromkeys(shift for shifts in wanted for shift in shifts if shift not in self.outcomes))
        if missing or self.base_share_sum is None:
            self._decode(missing)
        n_users, n_factors = self.train.shape[0], self.concepts.shape[1]
        share_sums = np.zeros((n_factors, len(signed), n_factors))
        share_sums[:, zero] = self.base_share_sum
        changed = np.zeros(n_factors)
        for j, shifts in enumerate(wanted):
            outcomes = [self.outcomes[shift] for shift in shifts]
            share_sums[j, [s for s in range(len(signed)) if s != zero]] = [o.share_sum for o in outcomes]
            changed[j] = np.logical_or.reduce([o.moved for o in outcomes]).sum()
        shares = share_sums / n_users
        response = shares - shares[:, zero:zero + 1]
        own = response[np.arange(n_factors), :, np.arange(n_factors)]  # (k, steps)
        others = (response.sum(axis=2) - own) / max(n_factors - 1, 1)
        specific = own - others
        return Traversal(dims=np.asarray(dims), signs=np.asarray(signs), signed_steps=signed, shares=shares,
                         per_factor=specific[:, zero + 1:].mean(axis=1),
                         monotone=(np.diff(specific, axis=1) >= -1e-12).all(axis=1),
                         users_changed=changed / n_users)

