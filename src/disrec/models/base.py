"""What every recommender offers the pipeline: scores for users, and (most) a user code."""

from __future__ import annotations

from typing import Any

import scipy.sparse as sp
import torch
from torch import nn


class Recommender(nn.Module):
    """A recommender as a torch module, so its state saves and loads the same way for every model.

    Inputs are dense rows of a user x item matrix, (batch, n_items) float32;
    ``scores`` returns (batch, n_items), ``codes`` (batch, code_size).
    Closed-form models implement ``fit``; gradient-trained ones implement
    ``loss`` and are trained by ``disrec.training``.
    """

    has_code = True
    closed_form = False

    def fit(self, matrix: sp.csr_matrix, seed: int) -> None:
        raise NotImplementedError

    def loss(self, x: torch.Tensor, kl_weight: float) -> tuple[torch.Tensor, dict[str, float]]:
        raise NotImplementedError

    def kl_weight(self, step: int, steps_per_epoch: int) -> float:
        """Weight of the KL term at optimisation step ``step`` (0 for models without one); ``steps_per_epoch``
        lets an annealing length given in epochs scale with the data."""
        return 0.0

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decoder_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the decoder reads for dense rows ``x``: the code itself unless the model says otherwise."""
        return self.codes(x)

    def decode_shifted(self, latent: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
        """Item scores (b, n_items) decoded from ``latent`` (``decoder_input`` of some rows) with code dimension
        ``dim`` shifted by ``delta``; with ``delta`` 0 they are ``scores`` of those rows in evaluation mode.
        Every model with a code decodes from it (controllability, docs/methods.md §14.1)."""
        raise NotImplementedError

    def l2_penalty(self, l2_reg: float) -> torch.Tensor:
        """``l2_reg`` times the sum of squared entries of every weight matrix and embedding (biases excluded).

        A zero ``l2_reg`` gives a zero without the sum: its gradient would add zeros to every weight's."""
        weights = [p for p in self.parameters() if p.dim() >= 2]
        if l2_reg == 0:
            return weights[0].new_zeros(())
        return l2_reg * sum(w.pow(2).sum() for w in weights)


def kl_schedule(step: int, beta: float, anneal: dict[str, Any] | None, steps_per_epoch: int) -> float:
    """min(beta, step / annealing length); a fixed ``beta`` when ``anneal`` is None.

    ``anneal`` is ``{"length": n, "unit": "steps"}`` (a fixed number of optimisation steps, as the study's
    MultiVAE: 200,000) or ``{"length": e, "unit": "epochs"}`` (e epochs' worth of batches, as the study's
    MacridVAE: 5), which reaches beta after the same share of training whatever the number of users.
    """
    if anneal is None:
        return beta
    length = anneal["length"] * (steps_per_epoch if anneal["unit"] == "epochs" else 1)
    return min(beta, step / length)


def shift_column(codes: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
    """A copy of ``codes`` (b, d) with column ``dim`` shifted by ``delta``."""
    shifted = codes.clone()
    shifted[:, dim] += delta
    return shifted
