"""scikit-learn's regression trees for gradient boosting, grown from features sorted once per fit.

A boosting fit grows every stage's tree on the same rows, and scikit-learn's
best splitter sorts each feature's values again at every node of every tree:
most of the classifier search's time (docs/methods.md §8).
``PresortedTreeRegressor`` sorts each feature once per set of rows, keeps each
node's rows in that order by stable partitions, and otherwise takes the
splitter's steps one by one (``disrec.metrics.presorted_kernel``): the same
random feature order (its xorshift draws from the one seed a tree takes from
the fit's random state), the same features found constant, the same sums in
the same order and so the same rounding, the same first best split, threshold
and final partition of the node's rows. Where a node holds equal values of a
feature, the order they are summed in is the one scikit-learn's sort leaves
them in, so when that order matters the node's rows are sorted by the same
introsort, from the same order: when a run of equal values could sum to
another float in another order (rows with different targets, more than two
of them or two whose sums round apart), or when a later step starts from
that order (the next sorted feature's sort, the final partition). Its trees
equal scikit-learn's node for node, bit for bit (tested on continuous, tied,
paired and constant features).

Only boosting's settings take this path (squared error, best splits over all
features, depth-first growth, integer leaf and split sizes, unit sample
weights, validated float32 rows); any other fit is scikit-learn's own.
"""

from __future__ import annotations

import platform
import threading
from contextlib import contextmanager

import numpy as np
import sklearn
from sklearn.ensemble import _gb
from sklearn.tree import DecisionTreeRegressor
from sklearn.tree._tree import Tree
from sklearn.utils import check_random_state

from disrec.metrics.leaf_updates import LIBRARY_UPDATE, update_terminal_regions
from disrec.metrics.presorted_kernel import RAND_R_MAX, build

SCIKIT_LEARN_FOLLOWED = "1.9.1"  # the release whose sklearn/tree and utils/_sorting code the builder repeats
NODE_DTYPE = Tree(1, np.array([1], dtype=np.intp), 1).__getstate__()["nodes"].dtype


def follows_scikit_learn() -> bool:
    """Whether this project's compiled boosting code gives the numbers of the scikit-learn it runs with: the
    release it follows, on x86-64. scikit-learn's x86-64 wheels target the baseline instruction set, which
    has no fused multiply-add, so each of its products is rounded before it is added, as in the compiled
    code; on ARM the C compiler fuses a * b + c into one rounding, so there scikit-learn's own code runs."""
    return sklearn.__version__ == SCIKIT_LEARN_FOLLOWED and platform.machine().lower() in ("x86_64", "amd64")


class _Presorted(threading.local):
    """Per thread, inside presorted_boosting: the last fit's rows and each feature's row order (a boosting fit
    passes its own validated array, unchanged, to every stage's tree). Outside, nothing is kept: an array
    could change between fits."""

    depth = 0  # presorted_boosting contexts open in this thread
    rows: np.ndarray | None = None
    order: np.ndarray | None = None

    def of(self, X: np.ndarray) -> np.ndarray:
        if self.rows is X:
            return self.order
        order = np.ascontiguousarray(np.argsort(X, axis=0, kind="stable").T, dtype=np.int64)
        if self.depth:
            self.rows, self.order = X, order
        return order


_presorted = _Presorted()


class PresortedTreeRegressor(DecisionTreeRegressor):
    """DecisionTreeRegressor whose fit, in boosting's settings, grows the tree from features sorted once per
    set of rows (module docstring); in any other, scikit-learn's own fit."""

    def _presortable(self, X, y, sample_weight, check_input) -> bool:
        return (follows_scikit_learn() and not check_input and isinstance(X, np.ndarray)
                and X.dtype == np.float32 and X.ndim == 2 and np.ndim(y) == 1
                and self.criterion == "squared_error" and self.splitter == "best" and self.max_features is None
                and self.max_leaf_nodes is None and self.monotonic_cst is None and self.ccp_alpha == 0.0
                and self.min_weight_fraction_leaf == 0.0
                and isinstance(self.min_samples_split, (int, np.integer))
                and isinstance(self.min_samples_leaf, (int, np.integer))
                and (sample_weight is None or bool(np.all(np.asarray(sample_weight) == 1.0))))

    def fit(self, X, y, sample_weight=None, check_input=True):
        """As DecisionTreeRegressor.fit; boosting calls it with check_input=False on validated float32 rows."""
        if not self._presortable(X, y, sample_weight, check_input):
            return super().fit(X, y, sample_weight, check_input)
        random_state = check_random_state(self.random_state)
        seed = random_state.randint(0, RAND_R_MAX)  # the splitter's one draw (sklearn/tree/_splitter.pyx)
        max_depth = np.iinfo(np.int32).max if self.max_depth is None else self.max_depth
        grown = build(X, np.ascontiguousarray(y, dtype=np.float64), _presorted.of(X), seed, max_depth,
                          max(self.min_samples_split, 2 * self.min_samples_leaf), self.min_samples_leaf,
                          float(self.min_impurity_decrease))
        self.tree_ = _as_tree(X.shape[1], *grown)
        self.n_features_in_, self.n_outputs_, self.max_features_ = X.shape[1], 1, X.shape[1]
        return self


def _as_tree(n_features: int, node_count: int, left, right, feature, threshold, impurity, count, value,
             missing_left, deepest) -> Tree:
    tree = Tree(n_features, np.array([1], dtype=np.intp), 1)
    nodes = np.zeros(node_count, dtype=NODE_DTYPE)
    nodes["left_child"], nodes["right_child"] = left[:node_count], right[:node_count]
    nodes["feature"], nodes["threshold"] = feature[:node_count], threshold[:node_count]
    nodes["impurity"], nodes["n_node_samples"] = impurity[:node_count], count[:node_count]
    nodes["weighted_n_node_samples"] = count[:node_count]
    nodes["missing_go_to_left"] = missing_left[:node_count]
    tree.__setstate__({"max_depth": int(deepest), "node_count": int(node_count), "nodes": nodes,
                       "values": value[:node_count].reshape(-1, 1, 1).copy()})
    return tree


_swap_lock = threading.Lock()
_swaps = 0  # presorted_boosting contexts open, in any thread


@contextmanager
def presorted_boosting():
    """Gradient boosting fits inside grow their trees with ``PresortedTreeRegressor`` and set their leaves
    with ``disrec.metrics.leaf_updates`` where these give scikit-learn's numbers (``follows_scikit_learn``),
    otherwise with scikit-learn's own. Nested and concurrent contexts keep them until the last one ends."""
    global _swaps
    if not follows_scikit_learn():
        yield
        return
    with _swap_lock:
        _swaps += 1
        _gb.DecisionTreeRegressor = PresortedTreeRegressor
        _gb._update_terminal_regions = update_terminal_regions
    _presorted.depth += 1
    try:
        yield
    finally:
        _presorted.depth -= 1
        if not _presorted.depth:
            _presorted.rows = _presorted.order = None
        with _swap_lock:
            _swaps -= 1
            if not _swaps:
                _gb.DecisionTreeRegressor = DecisionTreeRegressor
                _gb._update_terminal_regions = LIBRARY_UPDATE
