"""Multinomial autoencoders of Liang et al. (WWW 2018) and beta-VAE (Higgins et al., ICLR 2017).

All take a user's item row, L2-normalise it, apply dropout (keep probability
``keep_prob``), encode it through ``hidden`` layers to ``code_dim`` with tanh
between layers, decode through the mirrored layers to item logits, and
minimise the multinomial negative log-likelihood plus ``l2_reg`` times the sum
of squared weights. The VAEs encode a Gaussian (mu, logvar), add beta * KL, and
use mu as the user code.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from disrec.models.base import Recommender, kl_schedule, shift_column
from disrec.models.dropout import dropout

# torch marks its compressed sparse layouts as beta; the products used here are tested against dense ones.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


class TanhMLP(nn.Module):
    """Linear layers of the given sizes with tanh between them (none after the last).

    Weights start glorot-uniform and biases from a normal of sd 0.001 truncated at two sd, as the study's
    (and Liang et al.'s) TensorFlow initialisers.
    """

    def __init__(self, sizes: list[int]):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        for layer in self.layers:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.trunc_normal_(layer.bias, std=0.001, a=-0.002, b=0.002)

    def forward(self, h: torch.Tensor, start: int = 0) -> torch.Tensor:
        """Apply the layers from ``start`` on; with start > 0, ``h`` is the output of layer start - 1."""
        for i in range(start, len(self.layers)):
            if i > 0:
                h = torch.tanh(h)
            h = self.layers[i](h)
        return h

    def sparse_input(self, x: torch.Tensor) -> torch.Tensor:
        """``forward(x)`` for a mostly-zero ``x`` (a batch of item rows): the first layer reads its nonzeros only."""
        first = self.layers[0]
        return self(SparseRowsTimesWeight.apply(x.to_sparse_csr(), first.weight) + first.bias, start=1)


class SparseRowsTimesWeight(torch.autograd.Function):
    """rows @ weight.T for sparse CSR ``rows`` (b, n) and a dense weight (h, n), with the weight's gradient.

    A user's row holds a few percent of the items, so products in compressed-row form (MKL on CPU, cuSPARSE on
    CUDA) take time in proportion to the interactions rather than to b * n: dense, the first layer's forward
    product and its weight gradient are two of an autoencoder's five large matrix products. The same sums as
    the dense product, in another order (tested against it)."""

    @staticmethod
    def forward(ctx, rows: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        ctx.rows = rows  # no gradient flows to the input; kept on ctx for the weight's gradient
        return rows @ weight.T

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, (transposed(ctx.rows) @ grad).T


def transposed(rows: torch.Tensor) -> torch.Tensor:
    """The transpose of a CSR matrix, itself in CSR form (its compressed-column form read the other way)."""
    by_column = rows.to_sparse_csc()
    return torch.sparse_csr_tensor(by_column.ccol_indices(), by_column.row_indices(), by_column.values(),
                                   by_column.shape[::-1], check_invariants=False)


def multinomial_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean over users of -sum_i x_i log softmax(logits)_i."""
    return -(F.log_softmax(logits, dim=1) * x).sum(dim=1).mean()


class MultiDAE(Recommender):
    def __init__(self, n_items: int, code_dim: int, hidden: list[int], keep_prob: float, l2_reg: float):
        super().__init__()
        self.keep_prob, self.l2_reg = keep_prob, l2_reg
        self.encoder = TanhMLP([n_items, *hidden, code_dim])
        self.decoder = TanhMLP([code_dim, *hidden[::-1], n_items])

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        h = dropout(F.normalize(x, dim=1), 1 - self.keep_prob, self.training)
        return torch.tanh(self.encoder.sparse_input(h))  # tanh between encoder and decoder too

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self._encode(x))

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        return self._encode(x)

    def decode_shifted(self, latent: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
        return self.decoder(shift_column(latent, dim, delta))

    def loss(self, x: torch.Tensor, kl_weight: float) -> tuple[torch.Tensor, dict[str, float]]:
        nll = multinomial_nll(self.scores(x), x)
        penalty = self.l2_penalty(self.l2_reg)
        return nll + penalty, {"nll": nll.item(), "l2": penalty.item()}


class MultiVAE(Recommender):
    """KL weight annealed to beta over ``kl_anneal`` (see ``kl_schedule``); ``kl_anneal=None`` fixes it at beta."""

    def __init__(self, n_items: int, code_dim: int, hidden: list[int], keep_prob: float, l2_reg: float,
                 beta: float, kl_anneal: dict | None):
        super().__init__()
        self.keep_prob, self.l2_reg = keep_prob, l2_reg
        self.beta, self.kl_anneal = beta, kl_anneal
        self.code_dim = code_dim
        self.encoder = TanhMLP([n_items, *hidden, 2 * code_dim])
        self.decoder = TanhMLP([code_dim, *hidden[::-1], n_items])

    def kl_weight(self, step: int, steps_per_epoch: int) -> float:
        return kl_schedule(step, self.beta, self.kl_anneal, steps_per_epoch)

    def _posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = dropout(F.normalize(x, dim=1), 1 - self.keep_prob, self.training)
        h = self.encoder.sparse_input(h)
        return h[:, : self.code_dim], h[:, self.code_dim:]

    def _decode(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return self.decoder(z)

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        return self._decode(*self._posterior(x))

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        return self._posterior(x)[0]

    def decode_shifted(self, latent: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
        """The decoder of the (shifted) mean, as ``scores`` decodes mu in evaluation mode."""
        return self.decoder(shift_column(latent, dim, delta))

    def loss(self, x: torch.Tensor, kl_weight: float) -> tuple[torch.Tensor, dict[str, float]]:
        mu, logvar = self._posterior(x)
        nll = multinomial_nll(self._decode(mu, logvar), x)
        kl = (0.5 * (-logvar + logvar.exp() + mu.pow(2) - 1)).sum(dim=1).mean()
        penalty = self.l2_penalty(self.l2_reg)
        return nll + kl_weight * kl + penalty, {"nll": nll.item(), "kl": kl.item(), "l2": penalty.item()}


class BetaVAE(MultiVAE):
    """MultiVAE with the KL weight fixed at beta from the first step."""

    def __init__(self, n_items: int, code_dim: int, hidden: list[int], keep_prob: float, l2_reg: float,
                 beta: float):
        super().__init__(n_items, code_dim, hidden, keep_prob, l2_reg, beta, kl_anneal=None)
