"""PureSVD (Cremonesi et al., RecSys 2010): truncated SVD X ~ U S V^T of the train matrix.

Scores are X V V^T, which equals U S V^T for the users it was fit on and folds
in any other input row; the code of a row x is x V S^-1 (= its row of U),
and a code u decodes to u S V^T.
The SVD is scikit-learn's seeded randomised SVD.
"""

from __future__ import annotations

import scipy.sparse as sp
import torch

from disrec.errors import ConfigError
from disrec.models.base import Recommender, shift_column


class PureSVD(Recommender):
    closed_form = True

    def __init__(self, n_items: int, code_dim: int):
        super().__init__()
        self.register_buffer("item_factors", torch.zeros(n_items, code_dim))
        self.register_buffer("singular_values", torch.ones(code_dim))

    def fit(self, matrix: sp.csr_matrix, seed: int) -> None:
        rank = self.item_factors.shape[1]
        if rank > min(matrix.shape):
            raise ConfigError(f"PureSVD: code_dim (the rank) is {rank}, above min(users, items) = "
                              f"{min(matrix.shape)} of the matrix it is fit on; expected a smaller code_dim")
        from sklearn.utils.extmath import randomized_svd  # here: the other models' jobs need no scikit-learn

        _, s, vt = randomized_svd(matrix.astype("float64"), n_components=self.item_factors.shape[1],
                                  random_state=seed)
        self.item_factors.copy_(torch.from_numpy(vt.T.copy()))
        self.singular_values.copy_(torch.from_numpy(s.copy()))

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        return (x @ self.item_factors) @ self.item_factors.T

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        return (x @ self.item_factors) / self.singular_values

    def decode_shifted(self, latent: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
        """u S V^T: the scores of code u (= x V V^T for u = x V S^-1)."""
        return (shift_column(latent, dim, delta) * self.singular_values) @ self.item_factors.T
