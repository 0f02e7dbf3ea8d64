"""The permutation null: chance levels of the representation metrics and the scores above them."""

import numpy as np
import pytest
from planted_codes import known_codes, planted_puresvd

from disrec.metrics.chance import (
    above_chance,
    normalised_above_chance,
    null_summary,
    permuted_factors,
    refit_classifiers,
    user_permutations,
)
from disrec.metrics.classifiers import fit_factor_classifiers, importance_matrix, standardise
from disrec.metrics.dci import disentanglement
from disrec.metrics.explicitness import explicitness
from disrec.metrics.mig import mig
from disrec.metrics.modularity import modularity
from disrec.metrics.sap import sap

GRID = {"n_estimators": [20], "max_depth": [2]}


def test_permutations_are_seeded_and_distinct():
    first, again = user_permutations(50, 3, seed=4), user_permutations(50, 3, seed=4)
    assert all((a == b).all() for a, b in zip(first, again))
    assert not (first[0] == first[1]).all() and sorted(first[2]) == list(range(50))
    assert not (user_permutations(50, 1, seed=5)[0] == first[0]).all()


def permutation_null(score, factors_train, factors_valid, n_permutations, seed):
    return null_summary([score(train, valid) for train, valid in
                         permuted_factors(factors_train, factors_valid, n_permutations, seed)])


def test_the_same_permutation_moves_train_and_valid_rows():
    train = np.arange(20).reshape(10, 2)
    permuted = permuted_factors(train, train + 100, n_permutations=2, seed=0)
    for (y_train, y_valid), order in zip(permuted, user_permutations(10, 2, seed=0)):
        np.testing.assert_array_equal(y_train, train[order])
        np.testing.assert_array_equal(y_valid, y_train + 100)
    with pytest.raises(ValueError, match="same users"):
        permuted_factors(train, train[:5], n_permutations=1, seed=0)
    assert permuted_factors(train, train[:5], n_permutations=0, seed=0) == []


def test_the_null_summarises_each_metric_over_its_finite_permutations():
    null = null_summary([{"x": 0.2, "y": float("nan")}, {"x": 0.4, "y": 1.0}, {"x": 0.9, "y": float("nan")}])
    assert null["x"] == {"mean": pytest.approx(0.5), "sd": pytest.approx(np.std([0.2, 0.4, 0.9], ddof=1)), "n": 3}
    assert null["y"]["mean"] == 1.0 and np.isnan(null["y"]["sd"]) and null["y"]["n"] == 1
    assert null_summary([]) == {}


def test_normalised_score():
    assert above_chance(0.8, 0.6) == pytest.approx(0.2)
    assert normalised_above_chance(0.8, 0.6) == pytest.approx(0.5)
    assert normalised_above_chance(0.5, 0.6) == pytest.approx(-0.25)
    assert np.isnan(normalised_above_chance(0.9, 1.0)) and np.isnan(normalised_above_chance(0.9, float("nan")))


def test_refit_keeps_the_searched_hyperparameters():
    z, y = known_codes("factors", n=300)
    classifiers = fit_factor_classifiers(z, y, z, y, kind="gbt", grid={"n_estimators": [10, 20], "max_depth": [2]},
                                         seed=0)
    refit = refit_classifiers(classifiers, z, y[::-1])
    for before, after in zip(classifiers.models, refit.models):
        assert before.get_params() == after.get_params() and before is not after
    assert refit.best_params == classifiers.best_params


def disentanglement_null(codes, factors, n_permutations=3):
    z = standardise(codes)
    classifiers = fit_factor_classifiers(z, factors, z, factors, kind="gbt", grid=GRID, seed=0)
    return permutation_null(
        lambda y_train, y_valid: {"d": disentanglement(importance_matrix(refit_classifiers(classifiers, z, y_train)))},
        factors, factors, n_permutations, seed=0)["d"]["mean"]


def test_the_chance_level_of_disentanglement_grows_with_the_code_size():
    small, factors = known_codes("independent", n=400, noise_dims=0)
    large, _ = known_codes("independent", n=400, noise_dims=36)
    assert disentanglement_null(large, factors) > disentanglement_null(small, factors) + 0.15


def test_modularity_is_at_chance_on_independent_codes_and_above_it_on_the_factors():
    normalised = {}
    for kind in ("factors", "independent"):
        z, y = known_codes(kind)
        null = permutation_null(lambda y_train, _, z=z: {"m": modularity(z, y_train)}, y, y, 3, seed=0)["m"]["mean"]
        normalised[kind] = normalised_above_chance(modularity(z, y), null)
    assert abs(normalised["independent"]) < 0.1
    assert normalised["factors"] > 0.3


def test_puresvd_on_planted_data_scores_above_its_permutation_null():
    _, _, _, (z_train, z_valid), (y_train, y_valid) = planted_puresvd()
    kept = [j for j in range(y_train.shape[1]) if 0.01 <= y_train[:, j].mean() < 0.99]
    y_train, y_valid = y_train[:, kept], y_valid[:, kept]

    def score(f_train, f_valid):
        return {"mig": mig(z_train, f_train), "sap": sap(z_train, f_train, z_valid, f_valid),
                "modularity": modularity(z_train, f_train),
                "explicitness": explicitness(z_train, f_train, z_valid, f_valid, stages=20)[0]}

    real = score(y_train, y_valid)
    null = permutation_null(score, y_train, y_valid, n_permutations=2, seed=0)
    for metric, value in real.items():
        assert value > null[metric]["mean"] + 0.05, (metric, value, null[metric])
    assert null["mig"]["mean"] < 0.05 and null["sap"]["mean"] < 0.05
    # valid_in codes resemble the same users' train codes, so a probe that memorises permuted train labels
    # is slightly right on valid_in too: explicitness' chance level is small but not 0.
    assert null["explicitness"]["mean"] < 0.15
