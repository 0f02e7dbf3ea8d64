"""DCI: disentanglement, completeness, informativeness (Eastwood & Williams, ICLR 2018; docs/methods.md §9).

From an importance matrix R (d code dimensions x k factors):
  D_i = 1 - H_k(R_i. / sum_j R_ij), weighted by rho_i = sum_j R_ij / sum R;
  C_j = 1 - H_d(R_.j / sum_i R_ij), weighted by sum_i R_ij / sum R;
entropies in log base k (for D) and d (for C). Informativeness: the mean over
factors of the classifier's balanced accuracy on held-out codes.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import balanced_accuracy_score

from disrec.metrics.classifiers import FactorClassifiers


def _normalised_entropy(p: np.ndarray, base: int) -> np.ndarray:
    """Entropy of each row of p (rows sum to 1) in log base ``base``; 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(p > 0, np.log(p), 0.0)
    return -(p * logs).sum(axis=1) / np.log(base)


def disentanglement(importance: np.ndarray) -> float:
    """Weighted mean over code dimensions of 1 - H_k(P_i.)."""
    totals = importance.sum(axis=1)
    used = totals > 0
    if not used.any() or importance.shape[1] < 2:
        return float("nan")
    p = importance[used] / totals[used, None]
    per_code = 1.0 - _normalised_entropy(p, importance.shape[1])
    return float((per_code * totals[used] / totals.sum()).sum())


def completeness(importance: np.ndarray) -> float:
    """Weighted mean over factors of 1 - H_d(Q_.j)."""
    return disentanglement(importance.T)


def informativeness(classifiers: FactorClassifiers, codes: np.ndarray, factors: np.ndarray) -> float:
    """Mean over factors of balanced accuracy on (codes, factors) not used for fitting."""
    scores = [balanced_accuracy_score(factors[:, j], model.predict(codes))
              for j, model in enumerate(classifiers.models)]
    return float(np.mean(scores))
