"""What every recommender offers the pipeline: scores for users, and (most) a user code."""

from __future__ import annotations

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

    def kl_weight(self, step: int) -> float:
        """Weight of the KL term at optimisation step ``step`` (0 for models without one)."""
        return 0.0

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def weight_penalty(self) -> torch.Tensor:
        """Sum of squared entries of every weight matrix and embedding (biases excluded)."""
        return sum(p.pow(2).sum() for p in self.parameters() if p.dim() >= 2)


def kl_schedule(step: int, beta: float, total_anneal_steps: int | None) -> float:
    """min(beta, step / total_anneal_steps); a fixed ``beta`` when ``total_anneal_steps`` is None."""
    if total_anneal_steps is None:
        return beta
    return min(beta, step / total_anneal_steps)
