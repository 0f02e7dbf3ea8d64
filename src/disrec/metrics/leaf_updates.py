"""The leaf values of a binary log-loss boosting stage, in compiled code: scikit-learn's, bit for bit.

After each stage's tree, ``GradientBoostingClassifier`` replaces every leaf's
value with one Newton step, np.average(y - p) / np.average(p (1 - p)) over the
leaf's rows in row order, and adds learning_rate * leaf value to each row's raw
prediction (sklearn/ensemble/_gb.py, ``_update_terminal_regions``). Its Python
loop over the leaves, a mask, two gathers and two averages per leaf, costs as
much as growing the tree at ML-100K's fold size. With unit weights and every
row in the bag (the metrics' fits), each average is numpy's pairwise sum of
the leaf's values divided by the row count; ``pairwise_sum`` is that summation
(numpy/_core/src/umath/loops_utils.h.src: 8 accumulators over blocks of at most
128 values, halves split at multiples of 8), so the leaves and the raw
predictions come out the same (tested against scikit-learn's stages). Any other
loss, weights or subsample take scikit-learn's own update.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.ensemble import _gb

LIBRARY_UPDATE = _gb._update_terminal_regions
PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE
TINY_HESSIAN = 1e-150  # below it scikit-learn's _safe_divide gives 0


@njit(cache=True, nogil=True)
def pairwise_sum(values, start, count):
    """numpy's pairwise summation of values[start:start + count], without the reduction's initial 0."""
    if count < 8:
        total = 0.0
        for i in range(start, start + count):
            total += values[i]
        return total
    if count <= PAIRWISE_BLOCK:
        r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
        r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
        i = start + 8
        unrolled_end = start + count - count % 8
        while i < unrolled_end:
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < start + count:
            total += values[i]
            i += 1
        return total
    half = count // 2
    half -= half % 8
    return pairwise_sum(values, start, half) + pairwise_sum(values, start + half, count - half)


@njit(cache=True, nogil=True)
def newton_leaves(leaf_of_row, is_leaf, y, neg_gradient, values, raw, learning_rate):
    """Set values[leaf] to the Newton step over the leaf's rows (ascending), then raw += learning_rate *
    values[leaf_of_row]."""
    n_rows, n_nodes = len(leaf_of_row), len(is_leaf)
    starts = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(n_rows):
        starts[leaf_of_row[i] + 1] += 1
    starts = np.cumsum(starts)
    filled = starts[:-1].copy()
    gradients, hessians = np.empty(n_rows), np.empty(n_rows)
    for i in range(n_rows):  # rows grouped by leaf, ascending within each: np.nonzero's order
        slot = filled[leaf_of_row[i]]
        filled[leaf_of_row[i]] += 1
        probability = y[i] - neg_gradient[i]
        gradients[slot], hessians[slot] = neg_gradient[i], probability * (1.0 - probability)
    for node in range(n_nodes):
        if not is_leaf[node]:
            continue
        count = starts[node + 1] - starts[node]
        numerator = (0.0 + pairwise_sum(gradients, starts[node], count)) / count
        denominator = (0.0 + pairwise_sum(hessians, starts[node], count)) / count
        values[node] = 0.0 if abs(denominator) < TINY_HESSIAN else numerator / denominator
    for i in range(n_rows):
        raw[i] += learning_rate * values[leaf_of_row[i]]


def update_terminal_regions(loss, tree, X, y, neg_gradient, raw_prediction, sample_weight, sample_mask,
                            learning_rate=0.1, k=0):
    """``sklearn.ensemble._gb._update_terminal_regions``, compiled where the module docstring says."""
    if not (type(loss) is HalfBinomialLoss and isinstance(X, np.ndarray) and bool(np.all(sample_mask))
            and (sample_weight is None or bool(np.all(sample_weight == 1.0)))):
        return LIBRARY_UPDATE(loss, tree, X, y, neg_gradient, raw_prediction, sample_weight, sample_mask,
                              learning_rate=learning_rate, k=k)
    newton_leaves(tree.apply(X), tree.children_left == -1, np.asarray(y, dtype=np.float64), neg_gradient,
                  tree.value[:, 0, 0], raw_prediction[:, k], float(learning_rate))
