"""Modularity (Ridgeway and Mozer, "Learning Deep Disentangled Embeddings With the F-Statistic Loss",
NeurIPS 2018).

A code dimension is modular when it carries information about at most one
factor. With m_ij the mutual information of dimension i and factor j (the
plug-in estimate on discretised codes shared with MIG), theta_i = max_j m_ij
and the ideal template t_i.  that keeps theta_i at the argmax and is 0
elsewhere,
    delta_i = sum_j (m_ij - t_ij)^2 / (theta_i^2 (k - 1)),   modularity_i = 1 - delta_i,
and the score is the mean of modularity_i over dimensions (dimensions with
theta_i = 0 carry nothing and are left out, as in disentanglement_lib).

Modularity, as Ridgeway and Mozer define it, does not ask whether a dimension
is informative: a dimension of pure noise whose (small, sampling-noise)
information happens to peak at one factor is counted as modular. Codes
independent of the factors therefore score well above 0; compare a run with
its permutation null (``disrec.metrics.chance``) to read it.
"""

from __future__ import annotations

import numpy as np

from disrec.metrics.mutual_information import discretise, mutual_information_matrix


def modularity_from_information(information: np.ndarray) -> float:
    """Modularity from the (d, k) mutual information matrix (k >= 2 factors)."""
    d, k = information.shape
    if k < 2:
        return float("nan")
    theta = information.max(axis=1)
    used = theta > 0
    if not used.any():
        return float("nan")
    m, theta = information[used], theta[used]
    template = np.zeros_like(m)
    template[np.arange(len(m)), m.argmax(axis=1)] = theta
    delta = ((m - template) ** 2).sum(axis=1) / (theta ** 2 * (k - 1))
    return float((1.0 - delta).mean())


def modularity(codes: np.ndarray, factors: np.ndarray, bins: int = 20, binning: str = "uniform") -> float:
    """Modularity of codes (n users, d dimensions) for binary factors (n users, k factors)."""
    return modularity_from_information(mutual_information_matrix(discretise(codes, bins, binning), factors))
