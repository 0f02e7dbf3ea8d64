"""Compiled leaf values of boosting stages are scikit-learn's, bit for bit."""

import numpy as np
import pytest
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.ensemble import GradientBoostingClassifier

from disrec.metrics import leaf_updates
from disrec.metrics.presorted_trees import presorted_boosting


def test_pairwise_sum_is_numpys():
    rng = np.random.default_rng(0)
    lengths = [*range(1, 300), 1023, 1024, 1025, 4099, 50_000]
    for count in lengths:
        values = rng.normal(size=count) * rng.choice([1.0, 1e-3, 1e8]) + rng.choice([0.0, 1.0, 1e5])
        start = int(rng.integers(0, 5))
        padded = np.concatenate([rng.normal(size=start), values])
        assert 0.0 + leaf_updates.pairwise_sum(padded, start, count) == np.sum(values), count
    negative_zeros = np.full(10, -0.0)
    assert np.signbit(np.sum(negative_zeros)) == np.signbit(0.0 + leaf_updates.pairwise_sum(negative_zeros, 0, 10))


@pytest.mark.compiled
@pytest.mark.parametrize("seed", range(12))
def test_boosting_stages_are_scikit_learns(seed, monkeypatch):
    """Fits inside presorted_boosting (log loss, no subsampling, unit weights) set every leaf in compiled
    code (scikit-learn's update made to fail) and equal scikit-learn's fits: leaf values, train scores,
    decision function."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(30, 3000)), int(rng.integers(1, 8))
    codes = rng.normal(size=(n, d))
    if seed % 3 == 0:
        codes = np.round(codes, 1)
    labels = (codes[:, 0] + rng.normal(size=n) * rng.choice([0.1, 1.0]) > rng.normal()).astype(int)
    settings = {"n_estimators": int(rng.integers(1, 60)), "max_depth": int(rng.choice([1, 2, 3, 5])),
                "learning_rate": float(rng.choice([0.1, 0.5, 1.0])), "min_samples_leaf": int(rng.choice([1, 3, 20])),
                "random_state": seed}
    theirs = GradientBoostingClassifier(**settings).fit(codes, labels)
    monkeypatch.setattr(leaf_updates, "LIBRARY_UPDATE", lambda *args, **kwargs: pytest.fail("scikit-learn's update"))
    with presorted_boosting():
        ours = GradientBoostingClassifier(**settings).fit(codes, labels)
    for a, b in zip(ours.estimators_[:, 0], theirs.estimators_[:, 0]):
        np.testing.assert_array_equal(a.tree_.value, b.tree_.value)
    np.testing.assert_array_equal(ours.train_score_, theirs.train_score_)
    np.testing.assert_array_equal(ours.decision_function(codes), theirs.decision_function(codes))


@pytest.mark.compiled
def test_other_settings_take_scikit_learns_update(monkeypatch):
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(400, 3))
    labels = (codes[:, 0] > 0).astype(int)
    calls, original = [], leaf_updates.LIBRARY_UPDATE

    def library(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(leaf_updates, "LIBRARY_UPDATE", library)
    for settings, weights in [({"loss": "exponential"}, None), ({"subsample": 0.6}, None), ({}, rng.random(400))]:
        calls.clear()
        with presorted_boosting():
            ours = GradientBoostingClassifier(n_estimators=5, random_state=0, **settings).fit(
                codes, labels, sample_weight=weights)
        theirs = GradientBoostingClassifier(n_estimators=5, random_state=0, **settings).fit(
            codes, labels, sample_weight=weights)
        assert len(calls) == 5, settings
        np.testing.assert_array_equal(ours.decision_function(codes), theirs.decision_function(codes))


def fitted_tree(codes: np.ndarray):
    model = GradientBoostingClassifier(n_estimators=1, random_state=0).fit(codes, codes[:, 0] > 0)
    return model.estimators_[0, 0].tree_


def test_extreme_gradients_give_scikit_learns_leaves():
    """Called directly on a fitted tree with gradients far outside boosting's range (Newton steps that are
    tiny, zero below scikit-learn's 1e-150 floor on the hessian, infinite or NaN): scikit-learn's leaves."""
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(300, 2)).astype(np.float32)
    every_row = (np.ones(300), np.ones(300, dtype=bool))
    for scale in (1.0, 1e-80, 1e-160, 1e155, 1e300):
        y = (rng.random(300) > 0.5).astype(np.float64)
        gradients = rng.normal(size=300) * scale
        raw_ours = rng.normal(size=(300, 1))
        raw_theirs = raw_ours.copy()
        ours, theirs = fitted_tree(codes), fitted_tree(codes)
        with np.errstate(all="ignore"):
            leaf_updates.update_terminal_regions(HalfBinomialLoss(), ours, codes, y, gradients, raw_ours, *every_row)
            leaf_updates.LIBRARY_UPDATE(HalfBinomialLoss(), theirs, codes, y, gradients, raw_theirs, *every_row)
        np.testing.assert_array_equal(ours.value, theirs.value)
        np.testing.assert_array_equal(raw_ours, raw_theirs)
