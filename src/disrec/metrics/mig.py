"""Mutual information gap, MIG (Chen, Li, Grosse and Duvenaud, "Isolating Sources of Disentanglement in
Variational Autoencoders", NeurIPS 2018).

For factor j, the mutual information I(z_i; v_j) of every code dimension i
with it is sorted; the gap between the largest and the second largest,
divided by the factor's entropy H(v_j), is 1 when one dimension carries all of
the factor and no other carries any, and 0 when the best two carry the same.
MIG is the mean of the gaps over factors.

Chen et al. estimate I(z_i; v_j) from the encoder's posterior; with only the
codes (posterior means) available we use the plug-in estimate on codes
discretised into bins (``disrec.metrics.mutual_information``), as
disentanglement_lib does. The number of bins and the binning are settings: a
finer grid raises the plug-in bias of every I(z_i; v_j), which mostly cancels
in the gap.
"""

from __future__ import annotations

import numpy as np

from disrec.metrics.mutual_information import discretise, factor_entropies, mutual_information_matrix


def mig_from_information(information: np.ndarray, entropies: np.ndarray) -> float:
    """MIG from the (d, k) mutual information matrix and the (k,) factor entropies (same unit)."""
    if information.shape[0] < 2 or information.shape[1] == 0:
        return float("nan")  # a gap needs two code dimensions
    top_two = -np.sort(-information, axis=0)[:2]
    defined = entropies > 0
    if not defined.any():
        return float("nan")
    gaps = (top_two[0] - top_two[1])[defined] / entropies[defined]
    return float(gaps.mean())


def mig(codes: np.ndarray, factors: np.ndarray, bins: int = 20, binning: str = "uniform") -> float:
    """MIG of codes (n users, d dimensions) for binary factors (n users, k factors)."""
    information = mutual_information_matrix(discretise(codes, bins, binning), factors)
    return mig_from_information(information, factor_entropies(factors))
