"""Exact interventional Tree SHAP for scikit-learn's binary GradientBoostingClassifier, linear in users.

Tree SHAP: Lundberg et al., Nature Machine Intelligence 2020; the linear-time counting is this project's
(docs/methods.md §10.2).

For a background row z, the SHAP values of x are the Shapley values of the game
v(S) = f(x_S, z_rest). In one tree, a leaf is reached by the hybrid row when
each feature on the leaf's path satisfies its condition with x (if in S) or z
(if not). With P the path features only x satisfies and N those only z
satisfies, the leaf's game is 1[P in S, N outside S], whose Shapley value is
(p-1)! n! / (p+n)! for each feature in P and -p! (n-1)! / (p+n)! for each in N
(0 when a feature is satisfied by neither: the leaf is never reached). The
background only enters through how many rows share each satisfaction pattern
of a leaf's path, so it is counted once per leaf instead of paired with every
x: O(trees x leaves x 2^depth x users) instead of O(trees x leaves x users^2).
The rows to explain enter the same way: a leaf's contributions are tabulated
per (row pattern, background pattern) and gathered per row.
Same numbers as ``shap.TreeExplainer(model, data=background)`` (tested).
"""

from __future__ import annotations

from functools import lru_cache
from math import factorial

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier


def _leaf_paths(tree) -> list[tuple[float, dict[int, tuple[float, float]]]]:
    """(leaf value, {feature: (low, high)}) for every leaf; the path condition is low < x <= high."""
    paths, stack = [], [(0, {})]
    while stack:
        node, bounds = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == -1:
            paths.append((float(tree.value[node].ravel()[0]), bounds))
            continue
        feature, threshold = int(tree.feature[node]), float(tree.threshold[node])
        low, high = bounds.get(feature, (-np.inf, np.inf))
        stack.append((left, {**bounds, feature: (low, min(high, threshold))}))
        stack.append((right, {**bounds, feature: (max(low, threshold), high)}))
    return paths


def _satisfies(rows: np.ndarray, features: list[int], bounds: dict[int, tuple[float, float]]) -> np.ndarray:
    return np.stack([(rows[:, f] > bounds[f][0]) & (rows[:, f] <= bounds[f][1]) for f in features], axis=1)


@lru_cache(maxsize=None)
def _pattern_weights(length: int) -> np.ndarray:
    """(2^L, 2^L, L) for a path of L features: entry [x pattern, z pattern, feature] is the Shapley weight of
    that feature in the leaf's game (bit i of a pattern: feature i satisfied), 0 where the leaf is not reached."""
    weight_p = np.array([[factorial(p - 1) * factorial(n) / factorial(p + n) if p else 0.0
                          for n in range(length + 1)] for p in range(length + 1)])
    weight_n = np.array([[factorial(p) * factorial(n - 1) / factorial(p + n) if n else 0.0
                          for n in range(length + 1)] for p in range(length + 1)])
    powers = 1 << np.arange(length)
    patterns = np.arange(1 << length)
    x_bits = ((patterns[:, None] & powers) > 0)[:, None, :]
    z_bits = ((patterns[:, None] & powers) > 0)[None, :, :]
    only_x, only_z = x_bits & ~z_bits, ~x_bits & z_bits
    reached = ~(~x_bits & ~z_bits).any(axis=2)
    p, n = only_x.sum(axis=2), only_z.sum(axis=2)
    weights = reached[..., None] * (only_x * weight_p[p, n][..., None] - only_z * weight_n[p, n][..., None])
    weights.flags.writeable = False
    return weights


def tree_shap_values(tree, rows: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(n, d) interventional SHAP values of one regression tree, averaged over ``background``."""
    values = np.zeros(rows.shape)
    for value, bounds in _leaf_paths(tree):
        features = sorted(bounds)
        if not features:
            continue
        by_x = _satisfies(rows, features, bounds)
        by_z = _satisfies(background, features, bounds)
        powers = 1 << np.arange(len(features))
        shares = np.bincount(by_z @ powers, minlength=1 << len(features)) / len(background)
        # A row's contribution depends only on its own pattern and the background's: tabulate every pair, then
        # add each row's entries background pattern by background pattern (one order of addition, as if row by row).
        z_patterns = np.flatnonzero(shares)
        table = (value * shares[z_patterns])[None, :, None] * _pattern_weights(len(features))[:, z_patterns]
        row_patterns = by_x @ powers
        path_values = values[:, features]  # added to in place, then written back: the same additions, in order
        for column in range(len(z_patterns)):
            path_values += table[row_patterns, column]
        values[:, features] = path_values
    return values


def gbt_shap_values(model: GradientBoostingClassifier, rows: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(n, d) SHAP values of a binary GradientBoostingClassifier's log-odds (learning rate x sum of trees)."""
    # scikit-learn's trees round inputs to float32, then compare them with float64 thresholds: compared in
    # float32, a threshold between two adjacent float32 values would round onto one of them.
    rows, background = (a.astype(np.float32).astype(np.float64) for a in (rows, background))
    total = sum(tree_shap_values(estimator.tree_, rows, background) for estimator in model.estimators_[:, 0])
    return model.learning_rate * total
