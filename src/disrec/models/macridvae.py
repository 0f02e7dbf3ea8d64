"""MacridVAE (Ma et al., NeurIPS 2019): one normalised Gaussian encoder per latent concept.

K = ``code_dim`` concept prototypes and items embedded in ``d_fac`` dimensions;
each item is softly assigned to concepts by the cosine similarity to the
prototypes / tau (Gumbel-softmax samples while training, softmax at
evaluation). For concept k the user's row, masked by the items' assignment to
k, is encoded to a unit-norm mean mu_k; item logits are a mixture over
concepts of exp(cos(z_k, item) / tau). The KL weight is annealed to beta as in
MultiVAE. The KL term follows the original code: with mu_k on the unit sphere,
it keeps only the variance part. Input dropout is drawn once per user row and
shared by the K concept inputs (as in RecBole's implementation).

User code: mu (K x d_fac) averaged over d_fac (K numbers, as the study did), or
flattened (``code: full``, K * d_fac numbers, concept-major order).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from disrec.models.autoencoders import TanhMLP, multinomial_nll
from disrec.models.base import Recommender, kl_schedule


class MacridVAE(Recommender):
    def __init__(self, n_items: int, code_dim: int, d_fac: int, hidden: list[int], keep_prob: float,
                 l2_reg: float, tau: float, prior_std: float, beta: float, total_anneal_steps: int | None,
                 code: str = "mean"):
        super().__init__()
        self.n_concepts, self.d_fac = code_dim, d_fac
        self.keep_prob, self.l2_reg, self.tau, self.prior_std = keep_prob, l2_reg, tau, prior_std
        self.beta, self.total_anneal_steps, self.code = beta, total_anneal_steps, code
        self.items = nn.Parameter(torch.empty(n_items, d_fac))
        self.prototypes = nn.Parameter(torch.empty(code_dim, d_fac))
        nn.init.xavier_normal_(self.items)
        nn.init.xavier_normal_(self.prototypes)
        self.encoder = TanhMLP([n_items, *hidden, 2 * d_fac])

    def kl_weight(self, step: int) -> float:
        return kl_schedule(step, self.beta, self.total_anneal_steps)

    def concept_assignment(self) -> torch.Tensor:
        """(n_items, K) soft assignment of items to concepts; each row sums to 1."""
        logits = F.normalize(self.items, dim=1) @ F.normalize(self.prototypes, dim=1).T / self.tau
        if self.training:
            return F.gumbel_softmax(logits, tau=1.0, hard=False, dim=1)
        return torch.softmax(logits, dim=1)

    def _posterior(self, x: torch.Tensor, assignment: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """mu (b, K, d_fac) on the unit sphere and log-variance (b, K, d_fac).

        Concept k's encoder input is normalise(x * assignment[:, k]). Its first
        (linear) layer is computed as x @ (assignment[:, k] * W) / ||x * assignment[:, k]||
        with x sparse, which is the same number at a fraction of the cost of
        building the (b, K, n_items) masked inputs.
        """
        x = F.dropout(x, p=1 - self.keep_prob, training=self.training)  # once per row, shared by concepts
        first = self.encoder.layers[0]
        n_items, hidden = first.weight.shape[1], first.weight.shape[0]
        per_concept_weight = assignment.unsqueeze(2) * first.weight.T.unsqueeze(1)  # (n_items, K, hidden)
        pre = torch.sparse.mm(x.to_sparse(), per_concept_weight.reshape(n_items, -1))
        norms = ((x * x) @ (assignment * assignment)).clamp_min(1e-24).sqrt()  # (b, K); clamped first: finite grads
        h = pre.reshape(len(x), self.n_concepts, hidden) / norms.unsqueeze(2) + first.bias
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

    def loss(self, x: torch.Tensor, kl_weight: float) -> tuple[torch.Tensor, dict[str, float]]:
        assignment = self.concept_assignment()
        mu, logvar = self._posterior(x, assignment)
        nll = multinomial_nll(self._logits(mu, logvar, assignment), x)
        kl = (0.5 * (-logvar + logvar.exp() - 1)).sum(dim=(1, 2)).mean()
        penalty = self.l2_reg * self.weight_penalty()
        return nll + kl_weight * kl + penalty, {"nll": nll.item(), "kl": kl.item(), "l2": penalty.item()}
