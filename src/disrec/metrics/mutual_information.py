"""Mutual information between discretised code dimensions and binary factors, shared by MIG and modularity.

Codes are continuous, so each code dimension is discretised into ``bins``
bins before a plug-in (histogram) estimate of mutual information, as
disentanglement_lib does for MIG and modularity: ``uniform`` bins have equal
width between the dimension's minimum and maximum, ``quantile`` bins hold
(about) equal numbers of users. Values are in nats (scikit-learn's
``mutual_info_score``); every score built on them is a ratio, so the unit
cancels.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mutual_info_score

BINNINGS = ("uniform", "quantile")


def discretise(codes: np.ndarray, bins: int, binning: str = "uniform") -> np.ndarray:
    """(n, d) integer bin index in [0, bins) of every entry of ``codes`` (n users, d dimensions)."""
    if binning not in BINNINGS:
        raise ValueError(f"binning {binning!r}: expected one of {', '.join(BINNINGS)}")
    if bins < 2:
        raise ValueError(f"bins {bins}: expected at least 2")
    codes = np.asarray(codes, dtype=np.float64)
    out = np.empty(codes.shape, dtype=np.int64)
    for i in range(codes.shape[1]):
        column = codes[:, i]
        if binning == "uniform":
            edges = np.linspace(column.min(), column.max(), bins + 1)
        else:
            edges = np.quantile(column, np.linspace(0, 1, bins + 1))
        # Inner edges only: values at the maximum fall in the last bin, not in an extra one.
        out[:, i] = np.searchsorted(edges[1:-1], column, side="right")
    return out


def mutual_information_matrix(discrete_codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """(d, k) plug-in mutual information (nats) between code dimension i and factor j."""
    d, k = discrete_codes.shape[1], factors.shape[1]
    return np.array([[mutual_info_score(factors[:, j], discrete_codes[:, i]) for j in range(k)]
                     for i in range(d)])


def factor_entropies(factors: np.ndarray) -> np.ndarray:
    """(k,) entropy (nats) of each factor: its mutual information with itself."""
    return np.array([mutual_info_score(factors[:, j], factors[:, j]) for j in range(factors.shape[1])])
