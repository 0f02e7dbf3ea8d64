"""MacridVAE (Ma et al., NeurIPS 2019): one normalised Gaussian encoder per latent concept.

K = ``code_dim`` concept prototypes and items embedded in ``d_fac`` dimensions;
each item is softly assigned to concepts by the cosine similarity to the
prototypes / tau (Gumbel-softmax samples while training, softmax at
evaluation). For concept k the user's row, masked by the items' assignment to
k, is L2-normalised, then dropped out with a mask of its own (as the study's
``q_graph_k`` and Ma et al.'s code: normalising first keeps dropout's 1/keep
rescaling, so training and evaluation inputs have the same scale), and encoded
to a unit-norm mean mu_k; item logits are a mixture over concepts of
exp(cos(z_k, item) / tau). The KL weight is annealed to beta as in MultiVAE.
The KL term follows the original code: with mu_k on the unit sphere, it keeps
only the variance part. Weights, item and prototype embeddings start
glorot-uniform, as the study's.

User code: mu (K x d_fac) averaged over d_fac (K numbers, as the study did), or
flattened (``code: full``, K * d_fac numbers, concept-major order).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from disrec.models.autoencoders import TanhMLP, multinomial_nll
from disrec.models.base import Recommender, kl_schedule

# tf.nn.l2_normalize's floor on the squared norm, which the study's code uses.
NORM_EPSILON = 1e-12


class SparseRowsTimesDense(torch.autograd.Function):
    """torch.sparse.mm(sparse COO (index, values, shape), dense) with the same output and gradients, computed
    without torch's sparse_mask of the values' gradient: that coalesces (sorts) the sparse matrix on every
    step; here the entries are distinct by construction, so their gradients are gathered from the same
    dense product (grad_output @ dense.T) directly."""

    @staticmethod
    def forward(ctx, index: torch.Tensor, values: torch.Tensor, shape: tuple[int, int],
                dense: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(index, values, dense)
        ctx.shape = shape
        return torch.sparse.mm(torch.sparse_coo_tensor(index, values, shape, check_invariants=False), dense)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        index, values, dense = ctx.saved_tensors
        grad_values = grad_dense = None
        if ctx.needs_input_grad[1]:
            grad_values = grad.mm(dense.t())[index[0], index[1]]
        if ctx.needs_input_grad[3]:
            sparse = torch.sparse_coo_tensor(index, values, ctx.shape, check_invariants=False)
            grad_dense = torch.sparse.mm(sparse.t(), grad)
        return None, grad_values, None, grad_dense


class MacridVAE(Recommender):
    def __init__(self, n_items: int, code_dim: int, d_fac: int, hidden: list[int], keep_prob: float,
                 l2_reg: float, tau: float, prior_std: float, beta: float, kl_anneal: dict | None,
                 code: str = "mean"):
        super().__init__()
        self.n_concepts, self.d_fac = code_dim, d_fac
        self.keep_prob, self.l2_reg, self.tau, self.prior_std = keep_prob, l2_reg, tau, prior_std
        self.beta, self.kl_anneal, self.code = beta, kl_anneal, code
        self.items = nn.Parameter(torch.empty(n_items, d_fac))
        self.prototypes = nn.Parameter(torch.empty(code_dim, d_fac))
        nn.init.xavier_uniform_(self.items)
        nn.init.xavier_uniform_(self.prototypes)
        self.encoder = TanhMLP([n_items, *hidden, 2 * d_fac])

    def kl_weight(self, step: int, steps_per_epoch: int) -> float:
        return kl_schedule(step, self.beta, self.kl_anneal, steps_per_epoch)

    def concept_assignment(self) -> torch.Tensor:
        """(n_items, K) soft assignment of items to concepts; each row sums to 1."""
        logits = F.normalize(self.items, dim=1) @ F.normalize(self.prototypes, dim=1).T / self.tau
        if self.training:
            return F.gumbel_softmax(logits, tau=1.0, hard=False, dim=1)
        return torch.softmax(logits, dim=1)

    def concept_inputs(self, x: torch.Tensor, assignment: torch.Tensor,
                       dropout_scale: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The K encoder inputs at the nonzeros of ``x``: (rows, cols, values (nnz, K)).

        values[e, k] = x[r, c] * a[c, k] / ||x[r] * a[:, k]|| times the dropout scale of (r, c, k): 0 or
        1 / keep_prob, drawn independently per concept while training. ``dropout_scale`` (nnz, K) replaces
        the draw (to compare with a dense computation under the same masks).
        """
        rows, cols = x.nonzero(as_tuple=True)
        values = x[rows, cols].unsqueeze(1) * assignment[cols]
        squared = torch.zeros(len(x), self.n_concepts, dtype=x.dtype, device=x.device).index_add_(
            0, rows, values * values)
        values = values * squared.clamp_min(NORM_EPSILON).rsqrt()[rows]
        if dropout_scale is None and self.training:
            dropout_scale = torch.bernoulli(torch.full_like(values, self.keep_prob)) / self.keep_prob
        if dropout_scale is not None:
            values = values * dropout_scale
        return rows, cols, values

    def _posterior(self, x: torch.Tensor, assignment: torch.Tensor,
                   dropout_scale: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """mu (b, K, d_fac) on the unit sphere and log-variance (b, K, d_fac).

        The first (linear) layer sees only the nonzeros of the K masked rows: they form one sparse
        (b * K, n_items) matrix, so its cost grows with the interactions, not with b * K * n_items
        (equal to the dense computation under the same masks: tested).
        """
        rows, cols, values = self.concept_inputs(x, assignment, dropout_scale)
        k = self.n_concepts
        index = torch.stack([(rows.unsqueeze(1) * k + torch.arange(k, device=x.device)).flatten(),
                             cols.repeat_interleave(k)])
        first = self.encoder.layers[0]
        h = SparseRowsTimesDense.apply(index, values.flatten(), (len(x) * k, x.shape[1]), first.weight.T)
        h = (h + first.bias).reshape(len(x), k, -1)
        h = self.encoder(h, start=1)
        return F.normalize(h[..., : self.d_fac], dim=2), -h[..., self.d_fac:]

    def _logits(self, mu: torch.Tensor, logvar: torch.Tensor, assignment: torch.Tensor) -> torch.Tensor:
        if self.training:
            mu = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) * self.prior_std
        z = F.normalize(mu, dim=2)
        per_concept = torch.exp(z @ F.normalize(self.items, dim=1).T / self.tau)  # (b, K, n_items)
        return torch.log((per_concept * assignment.T.unsqueeze(0)).sum(dim=1))

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        assignment = self.concept_assignment()
        return self._logits(*self._posterior(x, assignment), assignment)

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        mu, _ = self._posterior(x, self.concept_assignment())
        return mu.mean(dim=2) if self.code == "mean" else mu.flatten(start_dim=1)

    def decoder_input(self, x: torch.Tensor) -> torch.Tensor:
        """mu (b, K, d_fac): the decoder needs every concept's full mean, not the code summarising it."""
        return self._posterior(x, self.concept_assignment())[0]

    def decode_shifted(self, latent: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
        """Scores with code dimension ``dim`` shifted by ``delta``.

        The mean code of concept k is the mean of mu_k over d_fac: it is shifted by
        adding ``delta`` to every entry of mu_k, which moves that mean by exactly
        ``delta`` and leaves the other concepts alone; the full code shifts one
        entry. The decoder then normalises mu_k as always, so a shift turns the
        concept's direction toward (or away from) the all-ones direction whose
        projection the mean code measures.
        """
        mu = latent.clone()
        if self.code == "mean":
            mu[:, dim, :] += delta
        else:
            mu.view(len(mu), -1)[:, dim] += delta
        return self._logits(mu, torch.zeros_like(mu), self.concept_assignment())

    def loss(self, x: torch.Tensor, kl_weight: float) -> tuple[torch.Tensor, dict[str, float]]:
        assignment = self.concept_assignment()
        mu, logvar = self._posterior(x, assignment)
        nll = multinomial_nll(self._logits(mu, logvar, assignment), x)
        kl = (0.5 * (-logvar + logvar.exp() - 1)).sum(dim=(1, 2)).mean()
        penalty = self.l2_reg * self.weight_penalty()
        return nll + kl_weight * kl + penalty, {"nll": nll.item(), "kl": kl.item(), "l2": penalty.item()}
