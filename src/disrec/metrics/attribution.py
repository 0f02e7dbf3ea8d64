"""The score of a global attribution matrix A (d code dimensions x k factors), used for LIME and SHAP.

Each column is normalised to sum to 1; the score is the mean over factor pairs
j < l of the Jensen-Shannon distance (base 2) between columns j and l: 1 when
every factor is explained by its own code dimensions, 0 when all factors are
explained alike.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.spatial.distance import jensenshannon


def attribution_score(attributions: np.ndarray) -> float:
    totals = attributions.sum(axis=0)
    if attributions.shape[1] < 2 or not np.isfinite(attributions).all() or (totals <= 0).any():
        return float("nan")
    columns = attributions / totals
    distances = [jensenshannon(columns[:, j], columns[:, l], base=2)
                 for j, l in combinations(range(columns.shape[1]), 2)]
    return float(np.mean(distances))
