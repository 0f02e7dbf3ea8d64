"""Class-1 probabilities of a binary ``GradientBoostingClassifier`` from its own trees, in compiled code:
the same numbers as its ``predict_proba``, bit for bit.

LIME-global asks every factor's classifier for the probabilities of many
perturbations per user (docs/methods.md §10.1), and scikit-learn's
``predict_stages`` walks each tree row by row with branches the CPU cannot
predict (about 9 ns per row and tree of depth 3). Here each tree is laid out
as a complete binary tree of the ensemble's depth (a leaf above the bottom
level repeats its value in every position below it), so a block of rows finds
its leaves with comparisons and masks the compiler vectorises, no branches
(about 1.0-1.2 ns per row and tree; ``benchmarks/tree_speed.py``). Each row's raw
score starts from scikit-learn's init estimator (computed once where it gives
every row the same number, as the default, the class prior, does) and adds
learning_rate * leaf value stage by stage, the float64 sums ``predict_stages``
makes in the same order; scikit-learn's loss turns the raw scores into
probabilities.

Any other classifier, or a scikit-learn whose arithmetic this code does not
repeat (``disrec.metrics.presorted_trees.follows_scikit_learn``), is asked
through its own ``predict_proba``.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.utils import check_array

from disrec.metrics.presorted_trees import follows_scikit_learn

MAX_LAID_OUT_DEPTH = 8  # leaf positions fit in a byte; deeper ensembles keep scikit-learn's walk
ROW_BLOCK = 256  # rows whose codes and raw scores stay in cache while every tree visits them


def laid_out(tree, depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fitted scikit-learn tree as a complete binary tree of ``depth`` levels: split features and
    thresholds of the 2^depth - 1 inner positions (children of position p at 2p + 1 and 2p + 2), and
    the values of the 2^depth leaf positions."""
    features = np.zeros(2**depth - 1, dtype=np.intp)
    thresholds = np.zeros(2**depth - 1, dtype=np.float32)
    leaves = np.empty(2**depth)
    pending = [(0, 0, 0)]  # (scikit-learn node, position, level)
    while pending:
        node, position, level = pending.pop()
        left = tree.children_left[node]
        if left == -1:  # a leaf: its value fills the leaf positions under it; the splits above them are moot
            below = 2 ** (depth - level)
            first = (position + 1) * below - 2**depth  # its leftmost descendant on the last level, as a leaf index
            leaves[first:first + below] = tree.value[node, 0, 0]
            continue
        features[position], thresholds[position] = tree.feature[node], float32_at_most(tree.threshold[node])
        pending += [(left, 2 * position + 1, level + 1), (tree.children_right[node], 2 * position + 2, level + 1)]
    return features, thresholds, leaves


def float32_at_most(threshold: float) -> np.float32:
    """The largest float32 at most ``threshold``: a float32 value x is <= the float64 threshold (scikit-learn's
    comparison, x widened) exactly when x <= this, so the trees compare float32 with float32, twice the values
    per vector instruction."""
    threshold = np.float64(threshold)  # compared as float64 below, not cast to the float32's type
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, then the largest float32 below
        nearest = np.float32(threshold)
    return np.nextafter(nearest, np.float32(-np.inf)) if nearest > threshold else nearest


@njit(cache=True, nogil=True)
def add_stages(rows, features, thresholds, leaves, scale, raw):
    """raw[i] += scale * (leaf of row i in tree s), for s in order, as sklearn's predict_stages.

    Per block of rows, each tree first compares the block's values with every inner position's threshold
    (float32 values with ``float32_at_most`` thresholds: scikit-learn's float64 comparisons), then descends
    level by level choosing each row's comparison with masks rather than branches; every loop over the
    block's rows is one the compiler vectorises."""
    n_stages, n_leaves = leaves.shape
    n_inner = n_leaves - 1
    depth = int(np.log2(n_leaves))
    columns = np.empty((rows.shape[1], ROW_BLOCK), dtype=np.float32)
    goes_right = np.empty((n_inner, ROW_BLOCK), dtype=np.uint8)
    position = np.empty(ROW_BLOCK, dtype=np.uint8)  # within the level; at the end, the leaf
    bit = np.empty(ROW_BLOCK, dtype=np.uint8)
    for start in range(0, rows.shape[0], ROW_BLOCK):
        size = min(ROW_BLOCK, rows.shape[0] - start)
        for j in range(size):
            for feature in range(rows.shape[1]):
                columns[feature, j] = rows[start + j, feature]
        for stage in range(n_stages):
            for node in range(n_inner):
                feature, threshold = features[stage, node], thresholds[stage, node]
                for j in range(size):
                    goes_right[node, j] = columns[feature, j] > threshold
            position[:size] = 0
            first = 0  # the level's first inner position
            for level in range(depth):
                bit[:size] = 0
                for k in range(1 << level):
                    for j in range(size):
                        bit[j] |= goes_right[first + k, j] & (position[j] == k)
                for j in range(size):
                    position[j] = 2 * position[j] + bit[j]
                first += 1 << level
            for j in range(size):
                raw[start + j] += scale * leaves[stage, position[j]]


class BoostedProbabilities:
    """``model``'s probability of class 1 for any rows, from the model's trees laid out once."""

    dtype = np.dtype(np.float32)  # the rows scikit-learn's trees compare: callers may convert them once for many

    def __init__(self, model: GradientBoostingClassifier, depth: int):
        self.model = model
        trees = [laid_out(estimator.tree_, depth) for estimator in model.estimators_[:, 0]]
        self.features, self.thresholds, self.leaves = (np.stack(parts) for parts in zip(*trees))
        self.same_init = same_init(model)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        rows = check_array(rows, dtype=np.float32, order="C")  # what predict_proba validates them to
        if rows.shape[1] != self.model.n_features_in_:
            raise ValueError(f"rows have {rows.shape[1]} features; the classifier was fit on "
                             f"{self.model.n_features_in_}")
        if self.same_init is None:
            raw = self.model._raw_predict_init(rows)[:, 0].copy()
        else:
            raw = np.full(len(rows), self.same_init)
        add_stages(rows, self.features, self.thresholds, self.leaves, float(self.model.learning_rate), raw)
        return self.model._loss.predict_proba(raw)[:, 1]


def same_init(model: GradientBoostingClassifier) -> float | None:
    """The raw score the init estimator gives every row, where it is one number: with "zero", or the default
    init, the class prior (scikit-learn computes the same log-odds row by row). None otherwise."""
    if isinstance(model.init_, str):
        return 0.0
    if type(model.init_) is DummyClassifier and model.init_.strategy == "prior":
        return float(model._raw_predict_init(np.zeros((1, model.n_features_in_), dtype=np.float32))[0, 0])
    return None


class LibraryProbabilities:
    dtype = np.dtype(np.float64)  # rows as given: the model converts them as its predict_proba does

    def __init__(self, model):
        self.model = model

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(rows)[:, 1]


def class1_probabilities(model) -> BoostedProbabilities | LibraryProbabilities:
    """A function of rows giving ``model``'s probability of class 1: compiled for a fitted binary
    gradient-boosting classifier where that gives scikit-learn's numbers, the model's own otherwise."""
    if (type(model) is GradientBoostingClassifier and follows_scikit_learn()
            and getattr(model, "n_trees_per_iteration_", None) == 1):
        depth = max(estimator.tree_.max_depth for estimator in model.estimators_[:, 0])
        if depth <= MAX_LAID_OUT_DEPTH:
            return BoostedProbabilities(model, depth)
    return LibraryProbabilities(model)
