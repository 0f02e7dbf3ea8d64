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
from disrec.models.dropout import keep_scale

# tf.nn.l2_normalize's floor on the squared norm, which the study's code uses.
NORM_EPSILON = 1e-12


class ConceptLayout:
    """Where the K values of each nonzero (r, c) of a user batch go in the (b * K, n_items) matrix whose row
    r * K + k is user r's input to concept k, in compressed-row order (row, then column), and in its
    transpose's (column, then row). ``rows`` and ``cols`` are x.nonzero() (sorted by row, then column); values
    are given as (nnz, K) in that order."""

    def __init__(self, rows: torch.Tensor, cols: torch.Tensor, n_users: int, n_items: int, k: int):
        device = rows.device
        self.shape = (n_users * k, n_items)
        counts = torch.bincount(rows, minlength=n_users)
        starts = torch.cumsum(counts, 0) - counts
        within = torch.arange(len(rows), device=device) - starts[rows]
        # entry (e, k) sits at starts[r] * K + k * counts[r] + (e - starts[r]) in row-major order
        position = (starts[rows] * k + within).unsqueeze(1) + torch.arange(k, device=device) * counts[rows].unsqueeze(1)
        self.row_order = torch.empty(len(rows) * k, dtype=torch.long, device=device)
        self.row_order[position.flatten()] = torch.arange(len(rows) * k, device=device)
        self.crow = torch.cat([counts.new_zeros(1), torch.cumsum(counts.repeat_interleave(k), 0)])
        self.col = cols.repeat_interleave(k)[self.row_order]
        # The transpose: x's nonzeros by column with users ascending (a stable sort of nnz, not of nnz * K
        # entries as converting the matrix would), each expanded to its K rows r * K + k in order.
        by_item = torch.sort(cols, stable=True).indices
        concepts = torch.arange(k, device=device)
        self.t_crow = torch.cat([counts.new_zeros(1), torch.cumsum(torch.bincount(cols, minlength=n_items) * k, 0)])
        self.t_col = (rows[by_item].unsqueeze(1) * k + concepts).flatten()
        self.t_order = (by_item.unsqueeze(1) * k + concepts).flatten()

    def rows(self, values: torch.Tensor) -> torch.Tensor:
        return torch.sparse_csr_tensor(self.crow, self.col, values[self.row_order], self.shape, check_invariants=False)

    def columns(self, values: torch.Tensor) -> torch.Tensor:
        """The transpose of ``rows(values)``, (n_items, b * K) in compressed-row form."""
        return torch.sparse_csr_tensor(self.t_crow, self.t_col, values[self.t_order], self.shape[::-1],
                                       check_invariants=False)


class ConceptRowsTimesDense(torch.autograd.Function):
    """The K masked input rows of each user (one sparse (b * K, n_items) matrix in CSR form) times a dense
    (n_items, h) matrix, with both gradients. Compressed rows let the sparse kernels (MKL on CPU, cuSPARSE
    on CUDA) do the work: the product and the dense gradient (through the transposed matrix, also built
    compressed) take time in proportion to the nonzeros, and the values' gradient is the dense product
    grad @ dense.T sampled at the nonzeros only (``sampled_addmm``), never the whole (b * K, n_items) matrix."""

    @staticmethod
    def forward(ctx, layout: ConceptLayout, values: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        matrix = layout.rows(values)
        ctx.layout, ctx.matrix = layout, matrix  # an intermediate, kept on ctx for the backward pass
        ctx.save_for_backward(values, dense)
        return matrix @ dense

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        layout: ConceptLayout = ctx.layout
        values, dense = ctx.saved_tensors
        grad_values = grad_dense = None
        if ctx.needs_input_grad[1]:
            sampled = torch.sparse.sampled_addmm(ctx.matrix, grad, dense.T, beta=0.0).values()
            grad_values = torch.empty_like(values)
            grad_values[layout.row_order] = sampled
        if ctx.needs_input_grad[2]:
            grad_dense = layout.columns(values) @ grad
        return None, grad_values, grad_dense


# About a core's share of cache (bytes): ConceptMixture works through the (b, K, n_items) tensors in blocks of
# users this size, so the steps after each matrix product find their block still in cache (CPU only).
CACHE_BLOCK_BYTES = 2 << 20


def user_blocks(z: torch.Tensor, n_items: int) -> list[slice]:
    """Consecutive users whose (K, n_items) slices take about CACHE_BLOCK_BYTES; one block of all on a GPU,
    where launching many small kernels would cost more than it saves."""
    n_users, k = z.shape[:2]
    step = n_users if z.is_cuda else max(1, CACHE_BLOCK_BYTES // (k * n_items * z.element_size()))
    return [slice(start, start + step) for start in range(0, n_users, step)]


class ConceptMixture(torch.autograd.Function):
    """Item logits log(sum_k a_ik exp(cos(z_k, item_i) / tau)) of unit-norm concept means z (b, K, d_fac),
    unit-norm item embeddings (n_items, d_fac) and the soft assignment a (n_items, K).

    The forward pass is the plain formula's, the same operations in the same order, block of users by block
    (``user_blocks``); the backward pass reuses the one saved (b, K, n_items) tensor rather than letting
    autograd keep and allocate one per operation, which is most of MacridVAE's time outside its matrix
    products. Blocks give the numbers of one whole-batch pass where the BLAS computes a block of rows of a
    product exactly as those rows of the whole product (MKL does at ML-100K's and ML1M's shapes on an AVX-512
    CPU: trainings with and without blocks end with equal weights), otherwise the same up to rounding."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, items: torch.Tensor, assignment: torch.Tensor, tau: float) -> torch.Tensor:
        per_concept = z.new_empty(*z.shape[:2], len(items))  # exp(z . item / tau), (b, K, n_items)
        mixture = z.new_empty(len(z), len(items))
        weights = assignment.T.unsqueeze(0)
        for block in user_blocks(z, len(items)):
            exps = torch.matmul(z[block], items.T, out=per_concept[block]).div_(tau).exp_()
            torch.sum(exps * weights, dim=1, out=mixture[block])
        ctx.save_for_backward(z, items, assignment, per_concept, mixture)
        ctx.tau = tau
        return torch.log(mixture)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        z, items, assignment, per_concept, mixture = ctx.saved_tensors
        # d logits_bi / d per_concept_bki = a_ik / mixture_bi; d per_concept / d (z . item) = per_concept / tau
        blocks = user_blocks(z, len(items))
        scale = (grad / mixture).unsqueeze(1)
        weighted = torch.empty_like(per_concept)
        for block in blocks:
            torch.mul(per_concept[block], scale[block], out=weighted[block])
        grad_assignment = weighted.sum(dim=0).T  # over all users at once: a sum's order depends on its length
        weights = assignment.T.unsqueeze(0)
        grad_z = torch.empty_like(z)
        for block in blocks:
            torch.matmul(weighted[block].mul_(weights).div_(ctx.tau), items, out=grad_z[block])
        grad_items = weighted.flatten(end_dim=1).T @ z.flatten(end_dim=1)
        return grad_z, grad_items, grad_assignment, None


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
            dropout_scale = keep_scale(values, self.keep_prob)
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
        layout = ConceptLayout(rows, cols, len(x), x.shape[1], self.n_concepts)
        first = self.encoder.layers[0]
        h = ConceptRowsTimesDense.apply(layout, values.flatten(), first.weight.T)
        h = (h + first.bias).reshape(len(x), self.n_concepts, -1)
        h = self.encoder(h, start=1)
        return F.normalize(h[..., : self.d_fac], dim=2), -h[..., self.d_fac:]

    def _logits(self, mu: torch.Tensor, logvar: torch.Tensor, assignment: torch.Tensor) -> torch.Tensor:
        if self.training:
            mu = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) * self.prior_std
        return ConceptMixture.apply(F.normalize(mu, dim=2), F.normalize(self.items, dim=1), assignment, self.tau)

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
        penalty = self.l2_penalty(self.l2_reg)
        return nll + kl_weight * kl + penalty, {"nll": nll.item(), "kl": kl.item(), "l2": penalty.item()}
