"""Compiled class-1 probabilities of boosted trees are scikit-learn's predict_proba, bit for bit."""

import platform

import numpy as np
import pytest
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from disrec.metrics import boosted_predictions as bp


def fitted(seed: int):
    """A binary boosting fit (depth, stages, subsampling, loss and learning rate drawn) on float32 codes with
    ties, and rows to predict: new float64 rows, the training rows, rows exactly at the trees' thresholds and
    at the float32 values next to them."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(20, 1500)), int(rng.integers(1, 12))
    X = rng.normal(size=(n, d)).astype(np.float32)
    if seed % 2:
        X[:, 0] = np.round(X[:, 0] * 2) / 2
    y = (X[:, 0] + rng.normal(size=n) > rng.normal()).astype(int)
    model = GradientBoostingClassifier(
        n_estimators=int(rng.integers(1, 80)), max_depth=int(rng.choice([1, 2, 3, 4, 6])),
        learning_rate=float(rng.choice([0.1, 0.05, 0.3])), subsample=float(rng.choice([1.0, 0.7])),
        loss=str(rng.choice(["log_loss", "exponential"])), min_samples_leaf=int(rng.choice([1, 5, 50])),
        random_state=seed).fit(X, y)
    new = rng.normal(size=(int(rng.integers(1, 3000)), d)) * 1.5
    at_thresholds, around_thresholds = [], []  # every split's threshold, and the float32 values either side of it
    for estimator in model.estimators_[:, 0]:
        tree = estimator.tree_
        for node in np.flatnonzero(tree.children_left != -1):
            below = bp.float32_at_most(tree.threshold[node])
            for rows, value in ((at_thresholds, tree.threshold[node]), (around_thresholds, below),
                                (around_thresholds, np.nextafter(below, np.float32(np.inf)))):
                rows.append(new[0].copy())
                rows[-1][tree.feature[node]] = value
    return model, [new, X, X.astype(np.float64) + 1e-9,
                   *(np.array(rows) for rows in (at_thresholds, around_thresholds) if rows)]


@pytest.mark.compiled
@pytest.mark.parametrize("seed", range(40))
def test_probabilities_are_predict_probas(seed):
    model, row_sets = fitted(seed)
    probabilities = bp.class1_probabilities(model)
    assert isinstance(probabilities, bp.BoostedProbabilities)
    for rows in row_sets:
        np.testing.assert_array_equal(probabilities(rows), model.predict_proba(rows)[:, 1])


def test_float32_thresholds_split_float32_values_as_the_float64_ones():
    rng = np.random.default_rng(3)
    thresholds = [*rng.normal(size=500), *rng.normal(size=500).astype(np.float32), 0.0, -0.0, 1e300, -1e300,
                  float(np.finfo(np.float32).max), 1.5 + 2.0**-24, 1.5 - 2.0**-25]
    for threshold in map(np.float64, thresholds):  # a Python float would be compared as a float32
        below = bp.float32_at_most(threshold)
        assert below.dtype == np.float32
        with np.errstate(over="ignore"):  # past the largest float32: inf
            above = np.nextafter(below, np.float32(np.inf))
        assert below <= threshold < above


@pytest.mark.compiled
@pytest.mark.parametrize("init, one_number", [("zero", True), (DummyClassifier(strategy="prior"), True),
                                              (DummyClassifier(strategy="most_frequent"), False),
                                              (LogisticRegression(), False)])
def test_every_init_gives_predict_probas(init, one_number):
    """The class prior's raw score is computed once for all rows; other inits' row by row."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=400) > 0.5).astype(int)
    model = GradientBoostingClassifier(n_estimators=20, init=init, random_state=0).fit(X, y)
    assert (bp.same_init(model) is not None) == one_number
    rows = rng.normal(size=(3000, 4)) * 2
    np.testing.assert_array_equal(bp.class1_probabilities(model)(rows), model.predict_proba(rows)[:, 1])


@pytest.mark.compiled
def test_shallow_leaves_fill_the_positions_below_them():
    """A tree whose root's left child is a leaf, laid out three levels deep: that leaf's value in the four
    left leaf positions, and any comparison made in the padded positions above them leaves it there."""
    X = np.array([[0.0], [0.0], [0.0], [1.0], [2.0], [3.0], [4.0], [5.0]], dtype=np.float32)
    y = np.array([0, 0, 0, 1, 0, 1, 1, 0])
    model = GradientBoostingClassifier(n_estimators=3, max_depth=3, min_samples_split=4, random_state=0).fit(X, y)
    probabilities = bp.class1_probabilities(model)
    first_left_leaf = model.estimators_[0, 0].tree_.children_left[0]
    assert model.estimators_[0, 0].tree_.children_left[first_left_leaf] == -1
    np.testing.assert_array_equal(probabilities.leaves[0, :4],
                                  model.estimators_[0, 0].tree_.value[first_left_leaf, 0, 0])
    rows = np.linspace(-1, 6, 57)[:, None]
    np.testing.assert_array_equal(probabilities(rows), model.predict_proba(rows)[:, 1])


def test_other_models_are_asked_themselves(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    three_classes = rng.integers(0, 3, 200)
    deep = GradientBoostingClassifier(n_estimators=2, max_depth=None, max_leaf_nodes=None, random_state=0)
    models = [RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y), LogisticRegression().fit(X, y),
              GradientBoostingClassifier(n_estimators=3, random_state=0).fit(X, three_classes),
              deep.fit(X + rng.normal(size=(200, 3)) * 1e-3, rng.integers(0, 2, 200))]
    assert max(e.tree_.max_depth for e in models[3].estimators_[:, 0]) > bp.MAX_LAID_OUT_DEPTH
    for model in models:
        probabilities = bp.class1_probabilities(model)
        assert isinstance(probabilities, bp.LibraryProbabilities)
        np.testing.assert_array_equal(probabilities(X), model.predict_proba(X)[:, 1])
    boosted = GradientBoostingClassifier(n_estimators=3, random_state=0).fit(X, y)
    monkeypatch.setattr(platform, "machine", lambda: "arm64")
    assert isinstance(bp.class1_probabilities(boosted), bp.LibraryProbabilities)
    monkeypatch.undo()
    monkeypatch.setattr(sklearn, "__version__", "0.0")
    assert isinstance(bp.class1_probabilities(boosted), bp.LibraryProbabilities)


def test_bad_rows_are_refused_as_scikit_learn_refuses_them():
    model, _ = fitted(1)
    rows = np.zeros((3, model.n_features_in_))
    rows[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(rows)
    with pytest.raises(ValueError, match="NaN"):
        bp.class1_probabilities(model)(rows)
    with pytest.raises(ValueError, match="features"):
        bp.class1_probabilities(model)(np.zeros((3, model.n_features_in_ + 1)))
