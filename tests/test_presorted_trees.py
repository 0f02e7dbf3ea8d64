"""Trees grown from presorted features are scikit-learn's, node for node and bit for bit."""

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, _gb
from sklearn.tree import DecisionTreeRegressor

from disrec.metrics.leaf_updates import LIBRARY_UPDATE, update_terminal_regions
from disrec.metrics.presorted_trees import PresortedTreeRegressor, _presorted, presorted_boosting

NODE_FIELDS = ("left_child", "right_child", "feature", "threshold", "impurity", "n_node_samples",
               "weighted_n_node_samples")


def assert_same_tree(ours, theirs) -> None:
    """Every field of every node (the missing-values side of internal nodes; scikit-learn leaves it unset in
    leaves), the node values and the depth."""
    a, b = ours.tree_.__getstate__(), theirs.tree_.__getstate__()
    assert (a["node_count"], a["max_depth"]) == (b["node_count"], b["max_depth"])
    for name in NODE_FIELDS:
        np.testing.assert_array_equal(a["nodes"][name], b["nodes"][name], err_msg=name)
    internal = b["nodes"]["left_child"] != -1
    np.testing.assert_array_equal(a["nodes"]["missing_go_to_left"][internal],
                                  b["nodes"]["missing_go_to_left"][internal])
    np.testing.assert_array_equal(a["values"], b["values"])
    assert (ours.n_features_in_, ours.n_outputs_, ours.max_features_) == \
        (theirs.n_features_in_, theirs.n_outputs_, theirs.max_features_)


def problems(kind: str, count: int, seed: int):
    """(X float32, y, tree settings): continuous features (near-ties within 1e-7 occur at a few thousand
    rows), features of few distinct values (long runs of equal values, nodes where a feature is constant)
    and a feature constant everywhere, or continuous features with a few equal pairs and triples each (as
    float32 codes of thousands of users have; targets continuous, or of a few values so that equal rows
    often share them: the builder then need not sort)."""
    rng = np.random.default_rng(seed)
    for trial in range(count):
        n, d = int(rng.integers(2, 2500)), int(rng.integers(1, 9))
        X = rng.normal(size=(n, d))
        if kind == "tied":
            X = np.round(X * rng.choice([3, 30, 3e6])) / rng.choice([3, 30, 3e6, 3e7])
            if trial % 3 == 0:
                X[:, 0] = X[0, 0]
        if kind == "paired":
            for column in range(d):
                copies = rng.integers(0, n, size=(int(rng.integers(0, 6)), 3))
                X[copies[:, 1], column] = X[copies[:, 0], column]
                X[copies[::2, 2], column] = X[copies[::2, 0], column]
        y = rng.normal(size=n) if trial % 2 else rng.integers(0, 2, n) - rng.random()
        if kind == "paired" and trial % 3 == 0:
            y = rng.integers(0, 3, n) * 0.3
        settings = {"max_depth": None if trial % 7 == 0 else int(rng.choice([1, 2, 3, 5, 8])),
                    "min_samples_split": int(rng.choice([2, 3, 5, 10])),
                    "min_samples_leaf": int(rng.choice([1, 2, 4, 7])), "random_state": int(rng.integers(2**31 - 1))}
        yield X.astype(np.float32), y, settings


@pytest.mark.parametrize("kind", ["continuous", "tied", "paired"])
def test_trees_are_scikit_learns(kind):
    """The fit boosting makes (validated float32 rows, unit weights): the same tree as scikit-learn's
    builder, and the random state left where scikit-learn's fit leaves it."""
    for X, y, settings in problems(kind, 150, seed=len(kind)):
        ours = PresortedTreeRegressor(**{**settings, "random_state": np.random.RandomState(settings["random_state"])})
        theirs = DecisionTreeRegressor(**{**settings, "random_state": np.random.RandomState(settings["random_state"])})
        ours.fit(X, y, sample_weight=np.ones(len(y)), check_input=False)
        theirs.fit(X, y, sample_weight=np.ones(len(y)), check_input=False)
        assert_same_tree(ours, theirs)
        assert ours.random_state.randint(2**31) == theirs.random_state.randint(2**31)


@pytest.mark.compiled
def test_the_presorted_builder_grows_them(monkeypatch):
    """The trees above come from the presorted builder, not from scikit-learn's fit behind it; other
    settings do go to scikit-learn's."""
    X, y, settings = next(problems("tied", 1, seed=0))
    monkeypatch.setattr(DecisionTreeRegressor, "fit", lambda *args, **kwargs: pytest.fail("scikit-learn's fit"))
    PresortedTreeRegressor(**settings).fit(X, y, check_input=False)
    with pytest.raises(pytest.fail.Exception):
        PresortedTreeRegressor(**settings, max_features=1).fit(X, y, check_input=False)
    with pytest.raises(pytest.fail.Exception):
        PresortedTreeRegressor(**settings).fit(X, y, sample_weight=np.full(len(y), 2.0), check_input=False)


@pytest.mark.compiled
@pytest.mark.parametrize("subsample", [1.0, 0.7])
def test_boosting_with_presorted_trees_is_boosting(subsample):
    """A gradient boosting fit inside presorted_boosting: the same trees, scores and predictions as outside
    it (subsampling weights rows by 0 and 1: scikit-learn's own trees then); the tree class is restored."""
    rng = np.random.default_rng(3)
    codes = rng.normal(size=(700, 6))
    codes[::50, 1] = codes[1::50, 1]  # a few equal values
    labels = (codes[:, 0] + codes[:, 1] * codes[:, 2] + rng.normal(size=700) > 0).astype(int)
    settings = {"n_estimators": 30, "learning_rate": 0.3, "min_samples_leaf": 2, "subsample": subsample,
                "random_state": 5}
    with presorted_boosting():
        ours = GradientBoostingClassifier(**settings).fit(codes, labels)
    assert _gb.DecisionTreeRegressor is DecisionTreeRegressor
    theirs = GradientBoostingClassifier(**settings).fit(codes, labels)
    assert all(isinstance(tree, PresortedTreeRegressor) for tree in ours.estimators_[:, 0])
    for a, b in zip(ours.estimators_[:, 0], theirs.estimators_[:, 0]):
        assert_same_tree(a, b)
    np.testing.assert_array_equal(ours.train_score_, theirs.train_score_)
    np.testing.assert_array_equal(ours.feature_importances_, theirs.feature_importances_)
    other = rng.normal(size=(300, 6))
    np.testing.assert_array_equal(ours.predict_proba(other), theirs.predict_proba(other))


def test_the_tree_class_and_leaf_update_are_restored_after_an_error():
    with pytest.raises(ValueError), presorted_boosting():
        GradientBoostingClassifier().fit(np.zeros((4, 2)), [0, 1, 2])
    assert _gb.DecisionTreeRegressor is DecisionTreeRegressor and _gb._update_terminal_regions is LIBRARY_UPDATE


def test_ties_are_taken_as_scikit_learn_takes_them():
    """Values within 1e-7 are tied in float32 arithmetic, as scikit-learn's splitter adds them: one float32
    step above 1 (1.2e-7) is a tie, one step above 2 (2.4e-7) is not."""
    from disrec.metrics.classifiers import tie_run

    for base, tied in ((1.0, True), (2.0, False)):
        low = np.float32(base)
        rows = np.array([[low], [np.nextafter(low, np.float32(3))]], dtype=np.float32)
        assert tie_run(rows) == (2 if tied else 1)
        assert DecisionTreeRegressor().fit(rows, [0.0, 1.0]).tree_.node_count == (1 if tied else 3)


@pytest.mark.compiled
def test_nested_contexts_keep_the_swap():
    with presorted_boosting():
        with presorted_boosting():
            assert _gb.DecisionTreeRegressor is PresortedTreeRegressor
        assert _gb.DecisionTreeRegressor is PresortedTreeRegressor  # the outer context still holds it
        assert _gb._update_terminal_regions is update_terminal_regions
    assert _gb.DecisionTreeRegressor is DecisionTreeRegressor and _presorted.rows is None
    assert _gb._update_terminal_regions is LIBRARY_UPDATE


@pytest.mark.parametrize("version, machine", [("1.10.0", "x86_64"), ("1.9.1", "arm64"), ("1.9.1", "aarch64")])
def test_another_scikit_learn_or_processor_gets_scikit_learns_own_fit(monkeypatch, version, machine):
    """A release whose code the builder does not follow, or a processor where scikit-learn's C code fuses
    multiply-adds: scikit-learn's own trees and leaf updates, inside the context and out."""
    import platform

    import sklearn

    monkeypatch.setattr(sklearn, "__version__", version)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    with presorted_boosting():
        assert _gb.DecisionTreeRegressor is DecisionTreeRegressor and _gb._update_terminal_regions is LIBRARY_UPDATE
    X, y, settings = next(problems("tied", 1, seed=0))
    monkeypatch.setattr(DecisionTreeRegressor, "fit", lambda *args, **kwargs: "scikit-learn's fit")
    assert PresortedTreeRegressor(**settings).fit(X, y, check_input=False) == "scikit-learn's fit"


def test_rows_changed_between_fits_are_sorted_again():
    """Outside presorted_boosting no order is kept: a fit on an array changed in place sees the change."""
    X, y, settings = next(problems("continuous", 1, seed=4))
    first = PresortedTreeRegressor(**settings).fit(X, y, check_input=False)
    X[:, :] = X[::-1]
    ours = PresortedTreeRegressor(**settings).fit(X, y, check_input=False)
    assert_same_tree(ours, DecisionTreeRegressor(**settings).fit(X, y, check_input=False))
    assert first.tree_.node_count > 1
