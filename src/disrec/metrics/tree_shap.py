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
per (row pattern, background pattern) and gathered per row, in compiled code
(numba; the tree walk that finds the leaves' paths stays in Python).
Same numbers as ``shap.TreeExplainer(model, data=background)`` (tested).
"""

from __future__ import annotations

from functools import lru_cache
from math import factorial

import numpy as np
from numba import njit
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


@njit(cache=True, nogil=True)
def add_tree_values(rows, background, leaf_values, leaf_features, leaf_lows, leaf_highs, leaf_lengths,
                    pattern_weights, values):
    """values += one tree's (n, d) SHAP values, leaf by leaf (leaves with a path of L features).

    A row's pattern has bit i set when it satisfies the leaf's condition on its i-th path feature (ascending
    feature order). Each (row pattern, background pattern) entry is (leaf value x the background pattern's
    share) x its Shapley weight, and a row's entries are added background pattern by background pattern in
    ascending order, the order of a sum over background rows grouped by pattern."""
    n_background = background.shape[0]
    for leaf in range(len(leaf_values)):
        length = leaf_lengths[leaf]
        if length == 0:
            continue
        features, lows, highs = leaf_features[leaf], leaf_lows[leaf], leaf_highs[leaf]
        n_patterns = 1 << length
        counts = np.zeros(n_patterns, dtype=np.int64)
        for b in range(n_background):
            counts[_pattern(background[b], features, lows, highs, length)] += 1
        table = np.zeros((n_patterns, n_patterns, length))
        for z in range(n_patterns):
            if counts[z]:
                scaled = leaf_values[leaf] * (counts[z] / n_background)
                for x in range(n_patterns):
                    for i in range(length):
                        table[x, z, i] = scaled * pattern_weights[length, x, z, i]
        for r in range(rows.shape[0]):
            x = _pattern(rows[r], features, lows, highs, length)
            for z in range(n_patterns):
                if counts[z]:
                    for i in range(length):
                        values[r, features[i]] += table[x, z, i]


@njit(cache=True, nogil=True, inline="always")
def _pattern(row, features, lows, highs, length):
    pattern = 0
    for i in range(length):
        value = row[features[i]]
        if lows[i] < value <= highs[i]:
            pattern |= 1 << i
    return pattern


def _padded_paths(tree) -> tuple[np.ndarray, ...]:
    """The leaves' values, path features (ascending), bounds and path lengths as arrays padded to the longest."""
    paths = _leaf_paths(tree)
    longest = max(len(bounds) for _, bounds in paths)
    features = np.zeros((len(paths), max(longest, 1)), dtype=np.int64)
    lows, highs = np.zeros(features.shape), np.zeros(features.shape)
    for leaf, (_, bounds) in enumerate(paths):
        for i, feature in enumerate(sorted(bounds)):
            features[leaf, i], (lows[leaf, i], highs[leaf, i]) = feature, bounds[feature]
    return (np.array([value for value, _ in paths]), features, lows, highs,
            np.array([len(bounds) for _, bounds in paths], dtype=np.int64))


def _weights_up_to(length: int) -> np.ndarray:
    """(length + 1, 2^length, 2^length, length): ``_pattern_weights(L)`` at [L, :2^L, :2^L, :L]."""
    weights = np.zeros((length + 1, 1 << length, 1 << length, max(length, 1)))
    for size in range(1, length + 1):
        weights[size, :1 << size, :1 << size, :size] = _pattern_weights(size)
    return weights


def gbt_shap_values(model: GradientBoostingClassifier, rows: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(n, d) SHAP values of a binary GradientBoostingClassifier's log-odds (learning rate x sum of trees)."""
    # scikit-learn's trees round inputs to float32, then compare them with float64 thresholds: compared in
    # float32, a threshold between two adjacent float32 values would round onto one of them.
    rows, background = (a.astype(np.float32).astype(np.float64) for a in (rows, background))
    paths = [_padded_paths(estimator.tree_) for estimator in model.estimators_[:, 0]]
    weights = _weights_up_to(max(int(lengths.max()) for *_, lengths in paths))
    total = np.zeros(rows.shape)
    for path in paths:  # each tree's values summed on their own, then added to the total, tree by tree
        values = np.zeros(rows.shape)
        add_tree_values(rows, background, *path, weights, values)
        total += values
    return model.learning_rate * total
