"""MIG, SAP, modularity and DCI-ES explicitness against known answers."""

import numpy as np
import pytest
from planted_codes import known_codes
from sklearn.metrics import mutual_info_score

from disrec.metrics.explicitness import explicitness, explicitness_from_curve, loss_capacity_curve
from disrec.metrics.mig import mig, mig_from_information
from disrec.metrics.modularity import modularity, modularity_from_information
from disrec.metrics.mutual_information import discretise, mutual_information_matrix
from disrec.metrics.sap import best_thresholds, sap, sap_from_scores, threshold_scores

KINDS = ("factors", "rotated", "independent")


@pytest.fixture(scope="module")
def scores():
    out = {}
    for kind in KINDS:
        z_train, y_train = known_codes(kind)
        z_valid, y_valid = known_codes(kind, seed=1)
        out[kind] = {"mig": mig(z_train, y_train), "sap": sap(z_train, y_train, z_valid, y_valid),
                     "modularity": modularity(z_train, y_train),
                     "explicitness": explicitness(z_train, y_train, z_valid, y_valid)[0]}
    return out


def test_discretise_bins_every_value_once():
    codes = np.array([[0.0, 5.0], [1.0, 5.5], [2.0, 6.0], [3.0, 9.0]])
    assert discretise(codes, 3).tolist() == [[0, 0], [1, 0], [2, 0], [2, 2]]
    assert discretise(codes, 2, "quantile")[:, 0].tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="binning 'log'"):
        discretise(codes, 3, "log")


def test_mutual_information_matrix_is_sklearns():
    z, y = known_codes("factors", n=200)
    discrete = discretise(z, 5)
    information = mutual_information_matrix(discrete, y)
    assert information.shape == (8, 4)
    assert information[2, 1] == mutual_info_score(y[:, 1], discrete[:, 2])


def test_mig_by_hand():
    information = np.array([[0.6, 0.1], [0.2, 0.1], [0.0, 0.4]])
    assert mig_from_information(information, np.array([0.8, 0.5])) == pytest.approx(((0.6 - 0.2) / 0.8 + 0.3 / 0.5) / 2)
    assert np.isnan(mig_from_information(information[:1], np.array([0.8, 0.5])))


def test_modularity_by_hand():
    # Dimension 0 carries one factor only (1), dimension 1 two equally (1 - 1/(k-1) = 0.5 with k = 3).
    information = np.array([[0.5, 0.0, 0.0], [0.3, 0.3, 0.0], [0.0, 0.0, 0.0]])
    assert modularity_from_information(information) == pytest.approx((1.0 + 0.5) / 2)


def test_sap_thresholds_and_gap_by_hand():
    z = np.array([[0.0, 3.0], [1.0, 2.0], [2.0, 1.0], [3.0, 0.0]])
    y = np.array([[0], [0], [1], [1]])
    thresholds, above = best_thresholds(z, y)
    assert thresholds[:, 0].tolist() == [1.5, 1.5] and above[:, 0].tolist() == [True, False]
    scores = threshold_scores(z, y, thresholds, above)
    assert scores[:, 0].tolist() == [1.0, 1.0]
    assert sap_from_scores(np.array([[1.0, 0.2], [0.25, 0.9], [0.0, 0.1]])) == pytest.approx((0.75 + 0.7) / 2)


def test_sap_thresholds_maximise_balanced_accuracy_exhaustively():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(60, 3))
    y = (z[:, :2] + rng.normal(size=(60, 2)) > 0.8).astype(int)
    thresholds, above = best_thresholds(z, y)
    for i in range(3):
        for j in range(2):
            values = np.sort(z[:, i])
            best = 0.0
            for t in (values[:-1] + values[1:]) / 2:
                predicted = z[:, i] > t
                b = 0.5 * (predicted[y[:, j] == 1].mean() + (~predicted[y[:, j] == 0]).mean())
                best = max(best, b, 1 - b)
            found = threshold_scores(z[:, [i]], y[:, [j]], thresholds[[i]][:, [j]], above[[i]][:, [j]])[0, 0]
            assert (found + 1) / 2 == pytest.approx(best, abs=1e-12)


def test_explicitness_curve_area():
    assert explicitness_from_curve(np.array([0.5, 0.0, 0.0])) == pytest.approx(0.75)
    assert explicitness_from_curve(np.array([0.5, 0.5, 0.7])) == pytest.approx(0.0)
    z, y = known_codes("factors", n=300)
    curve = loss_capacity_curve(z, y[:, 0], z, y[:, 0], stages=5, learning_rate=0.1, max_depth=2, seed=0)
    assert curve[0] == 0.5 and len(curve) == 6 and curve[-1] == 0.0


def test_factors_plus_noise_score_near_the_top(scores):
    top = scores["factors"]
    assert top["mig"] > 0.9 and top["sap"] > 0.9 and top["explicitness"] > 0.95


def test_independent_codes_score_near_zero(scores):
    bottom = scores["independent"]
    assert abs(bottom["mig"]) < 0.05 and abs(bottom["sap"]) < 0.05 and abs(bottom["explicitness"]) < 0.05


def test_rotation_drops_mig_sap_and_modularity_but_not_explicitness(scores):
    # A 45-degree rotation spreads every factor over two dimensions: the gap of MIG and SAP closes
    # (Chen et al., Kumar et al.) and those dimensions carry two factors each, so modularity falls
    # (Ridgeway and Mozer). Explicitness measures how easily the factor is read, not where: it stays.
    for metric in ("mig", "sap"):
        assert scores["rotated"][metric] < 0.1 < 0.9 < scores["factors"][metric]
    assert scores["rotated"]["modularity"] < scores["factors"]["modularity"] - 0.1
    assert scores["rotated"]["explicitness"] > 0.95


def test_modularity_counts_informative_dimensions_as_modular_and_is_not_zero_on_noise(scores):
    z, y = known_codes("factors")
    information = mutual_information_matrix(discretise(z, 20), y)
    assert modularity_from_information(information[:4]) > 0.99  # the dimensions that carry the factors
    # Ridgeway and Mozer's modularity ignores how much a dimension knows: noise dimensions are half modular.
    # This is what the permutation null is for (tests/test_chance.py).
    assert 0.3 < scores["independent"]["modularity"] < 0.7


def test_scores_need_two_dimensions_and_defined_factors():
    z, y = known_codes("factors", n=200)
    assert np.isnan(mig(z[:, :1], y)) and np.isnan(sap(z[:, :1], y, z[:, :1], y))
    one_class = y.copy()
    one_class[:, 0] = 0
    value, per_factor = explicitness(z, one_class, z, one_class, stages=5)
    assert np.isnan(per_factor[0]) and value == pytest.approx(np.mean(per_factor[1:]))


def test_explicitness_reads_its_probes_from_classifiers_whose_first_stages_are_them():
    from sklearn.ensemble import GradientBoostingClassifier

    from disrec.metrics.explicitness import holds_probe, probe

    z_train, y_train = known_codes("rotated", n=300)
    z_valid, y_valid = known_codes("rotated", n=300, seed=1)

    def classifiers(labels, **params):
        return [GradientBoostingClassifier(random_state=3, learning_rate=0.1, **params).fit(z_train, labels[:, j])
                for j in range(labels.shape[1])]

    fresh = explicitness(z_train, y_train, z_valid, y_valid, stages=20, seed=3)
    longer = classifiers(y_train, n_estimators=40, max_depth=2)  # the probe's parameters, more stages
    assert explicitness(z_train, y_train, z_valid, y_valid, stages=20, seed=3, fitted=longer) == fresh
    deeper = classifiers(y_train, n_estimators=40, max_depth=3)
    assert explicitness(z_train, y_train, z_valid, y_valid, stages=20, seed=3, fitted=deeper) == fresh
    assert holds_probe(longer[0], probe(20, 0.1, 2, 3))
    assert not holds_probe(deeper[0], probe(20, 0.1, 2, 3)) and not holds_probe(longer[0], probe(20, 0.1, 2, 4))
    assert not holds_probe(classifiers(y_train, n_estimators=10, max_depth=2)[0], probe(20, 0.1, 2, 3))
    # a holding classifier is read, not refit: one fit on other labels gives another curve
    other = classifiers(y_train[:, ::-1], n_estimators=40, max_depth=2)
    assert explicitness(z_train, y_train, z_valid, y_valid, stages=20, seed=3, fitted=other) != fresh


def test_explicitness_on_several_processes_is_the_same_per_factor():
    z_train, y_train = known_codes("rotated", n=300)
    z_valid, y_valid = known_codes("rotated", n=300, seed=1)
    y_train[:, 0] = 1  # one class only: NaN, left out of the mean, in either case
    one = explicitness(z_train, y_train, z_valid, y_valid, stages=10, seed=3)
    two = explicitness(z_train, y_train, z_valid, y_valid, stages=10, seed=3, n_jobs=2)
    assert np.isnan(one[1][0]) and np.isnan(two[1][0])
    assert one[0] == two[0] and one[1][1:] == two[1][1:]
