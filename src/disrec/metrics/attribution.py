"""The score of a global attribution matrix A (d code dimensions x k factors), used for LIME and SHAP.

The Jensen-Shannon score of the study (Dervishaj et al., ECIR 2025; docs/methods.md §11).

Each column is normalised to sum to 1; the score is the mean over factor pairs
j < l of the Jensen-Shannon distance (base 2) between columns j and l: 1 when
every factor is explained by its own code dimensions, 0 when all factors are
explained alike.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.spatial.distance import jensenshannon


def attribution_problem(attributions: np.ndarray) -> str | None:
    """Why the score of ``attributions`` is undefined, or None."""
    if attributions.shape[1] < 2:
        return f"{attributions.shape[1]} factor(s); the score compares pairs of factors"
    if not np.isfinite(attributions).all():
        return "attributions contain non-finite values"
    silent = np.flatnonzero(attributions.sum(axis=0) <= 0).tolist()
    if silent:
        return f"factors {silent} have all-zero attributions (their classifiers use no code dimension)"
    return None


def attribution_score(attributions: np.ndarray) -> float:
    """NaN where ``attribution_problem`` names a reason."""
    if attribution_problem(attributions):
        return float("nan")
    columns = attributions / attributions.sum(axis=0)
    # scipy takes the square root of a divergence that rounding can leave at -1e-17 for identical columns
    # (complementary factors explained alike): that distance is 0, not NaN.
    distances = [np.nan_to_num(jensenshannon(columns[:, a], columns[:, b], base=2), nan=0.0)
                 for a, b in combinations(range(columns.shape[1]), 2)]
    return float(np.mean(distances))
