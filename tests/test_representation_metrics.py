"""DCI, the JS attribution score, LIME-global and SHAP-global against known answers."""

import itertools
import math

import numpy as np
import pytest
import shap
from lime.lime_base import LimeBase
from sklearn.linear_model import Ridge

from disrec.codes import undefined_code_reason
from disrec.metrics import CODE_METRICS
from disrec.metrics.attribution import attribution_score
from disrec.metrics.classifiers import fit_factor_classifiers, importance_matrix, standardise
from disrec.metrics.dci import completeness, disentanglement
from disrec.metrics.lime_global import (
    LimeGlobal,
    explain_sets,
    lime_global,
    lime_global_literal,
    lime_neighbourhoods,
    make_explainer,
    weighted_ridge,
)
from disrec.metrics.representation import representation_metrics
from disrec.metrics.shap_global import shap_global

SETTINGS = {"classifier": "gbt", "grids": {"gbt": {"n_estimators": [50], "max_depth": [2, 3]}},
            "grid_scoring": "balanced_accuracy", "grid_folds": 2, "grid_shuffle": True, "lime": "batched",
            "mutual_information": {"bins": 20, "binning": "uniform"},
            "explicitness": {"stages": 20, "learning_rate": 0.1, "max_depth": 2}, "chance": {"permutations": 1}}


def planted_codes(kind, n=600, d=8, k=4, seed=0):
    """Factors Y (n, k) and codes Z (n, d): one dimension per factor, every dimension a mix, or unrelated."""
    rng = np.random.default_rng(seed)
    factors = (rng.random((n, k)) < 0.4).astype(int)
    noise = rng.normal(size=(n, d))
    if kind == "disentangled":
        codes = noise * 0.1
        codes[:, :k] += factors * 2.0
    elif kind == "entangled":
        codes = factors @ rng.normal(size=(k, d)) + 0.1 * noise
    else:
        codes = noise
    return codes, factors


def test_identity_and_uniform_importance():
    assert disentanglement(np.eye(4)) == pytest.approx(1.0)
    assert completeness(np.eye(4)) == pytest.approx(1.0)
    assert disentanglement(np.ones((5, 3))) == pytest.approx(0.0, abs=1e-12)
    assert completeness(np.ones((5, 3))) == pytest.approx(0.0, abs=1e-12)


def test_dci_is_invariant_to_permuting_code_dimensions():
    importance = np.random.default_rng(1).random((6, 4))
    permuted = importance[[3, 0, 5, 1, 4, 2]]
    assert disentanglement(permuted) == pytest.approx(disentanglement(importance), abs=1e-12)
    assert completeness(permuted) == pytest.approx(completeness(importance), abs=1e-12)


def test_unused_code_dimensions_do_not_count():
    importance = np.vstack([np.eye(3), np.zeros((2, 3))])
    assert disentanglement(importance) == pytest.approx(1.0)


def test_js_score_bounds():
    assert attribution_score(np.ones((4, 3))) == pytest.approx(0.0, abs=1e-12)
    assert attribution_score(np.eye(3)) == pytest.approx(1.0)
    assert np.isnan(attribution_score(np.ones((4, 1))))


def test_undefined_codes_are_named():
    assert "non-finite values in columns [1]" in undefined_code_reason(np.array([[0, np.nan], [1, 2.0]]), "train")
    assert "constant in columns [0]" in undefined_code_reason(np.array([[3.0, 1], [3.0, 2]]), "train")
    assert undefined_code_reason(np.array([[0.0, 1], [1, 2]]), "train") is None


@pytest.fixture(scope="module")
def scored():
    out = {}
    for kind in ("disentangled", "entangled", "unrelated"):
        codes, factors = planted_codes(kind)
        valid_codes, valid_factors = planted_codes(kind, seed=1)
        out[kind] = representation_metrics(codes, valid_codes, factors, valid_factors, list("ABCD"), SETTINGS,
                                           seed=0)["metrics"]
    return out


def test_planted_factors_score_near_one_and_random_codes_near_zero(scored):
    good, bad = scored["disentangled"], scored["unrelated"]
    assert good["disentanglement"] > 0.9 and good["completeness"] > 0.9
    assert good["informativeness"] > 0.95
    assert bad["disentanglement"] < 0.2 and bad["completeness"] < 0.2
    assert bad["informativeness"] < 0.6


def test_attribution_scores_order_disentangled_entangled_unrelated(scored):
    for metric in ("lime", "shap", "disentanglement", "completeness"):
        values = [scored[kind][metric] for kind in ("disentangled", "entangled", "unrelated")]
        assert values[0] > values[1] > values[2], (metric, values)


def test_metrics_need_two_factors_and_valid_codes():
    codes, factors = planted_codes("disentangled")
    one = representation_metrics(codes, codes, factors[:, :1], factors[:, :1], ["A"], SETTINGS, seed=0)
    assert "at least 2" in one["reason"] and np.isnan(one["metrics"]["shap"])
    constant = codes.copy()
    constant[:, 2] = 5.0
    result = representation_metrics(constant, codes, factors, factors, list("ABCD"), SETTINGS, seed=0)
    assert "train codes are constant in columns [2]" == result["reason"]
    assert all(np.isnan(v) for v in result["metrics"].values())


def test_weighted_ridge_equals_sklearn():
    rng = np.random.default_rng(3)
    design = (rng.random((5, 40, 6)) < 0.5).astype(float)
    targets = rng.random((5, 40, 2))
    weights = rng.random((5, 40))
    ours = weighted_ridge(design, targets, weights)
    for b in range(5):
        for t in range(2):
            ridge = Ridge(alpha=1.0, fit_intercept=True).fit(design[b], targets[b, :, t], sample_weight=weights[b])
            np.testing.assert_allclose(ours[b, :, t], ridge.coef_, rtol=0, atol=1e-10)


def test_batched_lime_fits_what_lime_fits_on_the_same_neighbourhood():
    codes, factors = planted_codes("entangled", n=300, d=5, k=2)
    z = standardise(codes)
    classifiers = fit_factor_classifiers(z, factors, z, factors, kind="gbt", grid={"n_estimators": [30]}, seed=0)
    explainer = make_explainer(z, seed=0)
    binary, inverse = lime_neighbourhoods(explainer, z[:3], 30, np.random.RandomState(0))
    kernel = explainer.base.kernel_fn
    for row in range(3):
        y = classifiers.models[0].predict_proba(inverse[row])
        distances = np.sqrt(((binary[row] - 1) ** 2).sum(axis=1))
        base = LimeBase(kernel, random_state=0)
        _, weights, _, _ = base.explain_instance_with_data(binary[row], y, distances, 1, 5, feature_selection="auto")
        expected = np.zeros(5)
        for feature, weight in weights:
            expected[feature] = weight
        ours = weighted_ridge(binary[row:row + 1], y[None, :, 1:], kernel(distances)[None])[0, :, 0]
        np.testing.assert_allclose(ours, expected, atol=1e-9)


@pytest.mark.slow
def test_batched_lime_agrees_with_the_literal_recipe_within_sampling_noise():
    """Literal LIME-global with 3 seeds gives the noise; the batched estimate must sit inside it."""
    codes, factors = planted_codes("entangled", n=150, d=4, k=3)
    z = standardise(codes)
    classifiers = fit_factor_classifiers(z, factors, z, factors, kind="gbt", grid={"n_estimators": [30]}, seed=0)
    literal = np.stack([lime_global_literal(classifiers, z, seed) for seed in range(3)])
    batched = np.stack([lime_global(classifiers, z, seed) for seed in range(3)])
    noise = literal.std(axis=0, ddof=1).max()
    assert np.abs(batched.mean(axis=0) - literal.mean(axis=0)).max() < 4 * noise
    scores_literal = [attribution_score(a) for a in literal]
    scores_batched = [attribution_score(a) for a in batched]
    spread = max(scores_literal) - min(scores_literal)
    assert abs(np.mean(scores_batched) - np.mean(scores_literal)) < 2 * spread + 1e-3


def test_one_lime_pass_explains_several_classifier_sets_as_fresh_estimators_would():
    """The null's refit classifiers are explained with the run's own in one pass over LIME's neighbourhoods:
    each set gets what a fresh estimator (of the same batch size) gives it alone, by either recipe."""
    codes, factors = planted_codes("entangled", n=200, d=5, k=3)
    z = standardise(codes)
    sets = [fit_factor_classifiers(z, labels, z, labels, kind="gbt", grid={"n_estimators": [20]}, seed=0)
            for labels in (factors, factors[::-1], factors[np.random.default_rng(1).permutation(200)])]
    fresh = [lime_global(classifiers, z, seed=3, max_batch_values=2_000) for classifiers in sets]
    explain = LimeGlobal(z, seed=3, max_batch_values=2_000)
    for together, expected in zip(explain(sets), fresh):
        np.testing.assert_array_equal(together, expected)
    assert len(explain.seconds) == 3 and all(s > 0 for s in explain.seconds)
    matrices, seconds = explain_sets(sets, z, seed=3)
    np.testing.assert_array_equal(matrices[2], lime_global(sets[2], z, seed=3))
    assert not np.allclose(fresh[0], fresh[1])  # the sets differ, so equal answers are not a coincidence
    literal, literal_seconds = explain_sets(sets[:2], z[:20], seed=3, recipe="literal", num_samples=50)
    np.testing.assert_array_equal(literal[1], lime_global_literal(sets[1], z[:20], seed=3, num_samples=50))
    assert len(literal_seconds) == 2


def brute_force_shap(model, rows, background):
    """Interventional Shapley values by enumerating every subset of features (float64, exact)."""
    d = rows.shape[1]
    values = np.zeros(rows.shape)
    for r, x in enumerate(rows):
        def v(subset, x=x):
            hybrid = background.copy()
            hybrid[:, list(subset)] = x[list(subset)]
            return model.decision_function(hybrid).mean()

        for i in range(d):
            others = [j for j in range(d) if j != i]
            for size in range(d):
                for subset in itertools.combinations(others, size):
                    weight = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
                    values[r, i] += weight * (v(subset + (i,)) - v(subset))
    return values


def test_linear_time_tree_shap_is_exact():
    from sklearn.ensemble import GradientBoostingClassifier

    from disrec.metrics.tree_shap import gbt_shap_values

    codes, factors = planted_codes("entangled", n=80, d=4, k=1, seed=5)
    model = GradientBoostingClassifier(n_estimators=6, max_depth=3, random_state=0).fit(codes, factors[:, 0])
    rows, background = codes[:5].astype(np.float32).astype(float), codes[5:12].astype(np.float32).astype(float)
    np.testing.assert_allclose(gbt_shap_values(model, rows, background), brute_force_shap(model, rows, background),
                               rtol=0, atol=1e-12)


def test_shap_global_matches_shap_with_the_whole_background():
    codes, factors = planted_codes("entangled", n=240, d=4, k=2)
    z = standardise(codes)
    classifiers = fit_factor_classifiers(z, factors, z, factors, kind="gbt", grid={"n_estimators": [30]}, seed=0)
    explainer = shap.TreeExplainer(classifiers.models[1], shap.maskers.Independent(z, max_samples=len(z)),
                                   feature_perturbation="interventional")
    assert explainer.data.shape[0] == 240  # not shap's default sample of 100
    values = explainer.shap_values(z)
    # shap computes in float32 internally; ours in float64.
    np.testing.assert_allclose(shap_global(classifiers, z)[:, 1], np.abs(values).mean(axis=0), atol=1e-6)


@pytest.mark.parametrize("kind", ["random_forest", "logistic"])
def test_other_classifiers_separate_planted_from_unrelated_codes(kind):
    settings = {**SETTINGS, "classifier": kind,
                "grids": {"random_forest": {"n_estimators": [20], "max_depth": [3]}, "logistic": {"C": [0.1, 1.0]}}}
    scores = {}
    for codes_kind in ("disentangled", "unrelated"):
        codes, factors = planted_codes(codes_kind, n=200)
        scores[codes_kind] = representation_metrics(codes, codes, factors, factors, list("ABCD"), settings,
                                                    seed=0)["metrics"]
    for metric in CODE_METRICS:
        assert scores["disentangled"][metric] > scores["unrelated"][metric] + 0.15, metric


@pytest.mark.parametrize("grid", [{"n_estimators": [10, 30, 60], "max_depth": [2, 3]},
                                  {"n_estimators": [5, 40], "learning_rate": [0.05, 0.3], "max_depth": [1]}])
@pytest.mark.parametrize("scoring", ["balanced_accuracy", "accuracy"])
def test_staged_grid_search_equals_gridsearchcv(grid, scoring):
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from disrec.metrics.classifiers import staged_grid_search

    codes, factors = planted_codes("entangled", n=160, d=5, k=2, seed=4)
    labels = factors[:, 0]
    folds = StratifiedKFold(2, shuffle=True, random_state=7)
    base = GradientBoostingClassifier(random_state=7)
    params, score = staged_grid_search(base, grid, codes, labels, folds, scoring)
    search = GridSearchCV(base, grid, scoring=scoring, cv=folds, refit=False).fit(codes, labels)
    assert params == search.best_params_
    assert score == search.best_score_


def test_tree_shap_compares_in_float64_like_scikit_learn():
    """A split between two adjacent float32 values: both rows go the way scikit-learn sends them, so the
    SHAP values add up to each row's margin minus the background's mean margin."""
    from sklearn.ensemble import GradientBoostingClassifier

    from disrec.metrics.tree_shap import gbt_shap_values

    # adjacent float32 values ~1e-6 apart (trees take values 1e-7 apart as equal); low's last mantissa bit is
    # odd, so the float64 midpoint rounds to high in float32
    low = np.nextafter(np.float32(10.0), np.float32(np.inf))
    high = np.nextafter(low, np.float32(np.inf))
    codes = np.array([[low, 0.0], [high, 0.0]] * 10, dtype=np.float64)
    labels = np.array([0, 1] * 10)
    model = GradientBoostingClassifier(n_estimators=3, max_depth=1, random_state=0).fit(codes, labels)
    threshold = model.estimators_[0, 0].tree_.threshold[0]
    assert low < threshold < high and np.float32(threshold) == high  # only float64 separates them
    margins = model.decision_function(codes)
    values = gbt_shap_values(model, codes, codes)
    np.testing.assert_allclose(values.sum(axis=1), margins - margins.mean(), atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("decimals", [None, 1])
def test_staged_search_on_the_study_grid_equals_gridsearchcv_with_cv2(decimals):
    """The study's CLS_SEARCH_SPACE['gbt'] (108 points), accuracy, GridSearchCV(cv=2) unshuffled: same choice,
    ties included (learning rate 0.001 with few trees often ties on accuracy); codes with and without long runs
    of tied values (stages shared across min_samples_leaf only in large enough nodes)."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import GridSearchCV

    from disrec.study import STUDY_SETTINGS

    grid = next(s.value for s in STUDY_SETTINGS if s.key == "evaluation.grids.gbt")
    codes, factors = planted_codes("entangled", n=120, d=4, k=2, seed=8)
    z = standardise(codes) if decimals is None else np.round(standardise(codes), decimals)
    ours = fit_factor_classifiers(z, factors, z, factors, kind="gbt", grid=grid, seed=3, scoring="accuracy",
                                  n_folds=2, shuffle=False)
    for j in range(factors.shape[1]):
        search = GridSearchCV(GradientBoostingClassifier(random_state=3), grid, cv=2, refit=False)
        search.fit(z, factors[:, j])
        assert ours.best_params[j] == search.best_params_
        assert ours.cv_scores[j] == search.best_score_


def test_all_zero_attributions_give_nan_with_a_reason():
    from disrec.metrics.attribution import attribution_problem

    attributions = np.array([[0.5, 0.0, 0.2], [0.5, 0.0, 0.1]])
    assert np.isnan(attribution_score(attributions))
    assert "factors [1]" in attribution_problem(attributions)
    assert attribution_problem(np.eye(3)) is None


def test_chance_forms_controllability_and_the_lime_flag_report_why_they_are_missing():
    codes, factors = planted_codes("disentangled", n=60)
    settings = {**SETTINGS, "chance": {"permutations": 0}}
    result = representation_metrics(codes, codes, factors, factors, list("ABCD"), settings, seed=0)
    assert result["missing"]["shap_null"] == "evaluation.chance.permutations is 0"
    assert result["missing"]["controllability"] == "the model does not decode from its code"
    assert np.isnan(result["metrics"]["controllability_normalised"])
    # 10% of 60 users = 6 LIME samples for 8 code dimensions: flagged.
    assert result["lime_underdetermined"] and any("underdetermined" in note for note in result["notes"])


def test_the_null_refits_the_searched_classifiers_on_permuted_factors():
    codes, factors = planted_codes("disentangled", n=300)
    valid_codes, valid_factors = planted_codes("disentangled", n=300, seed=1)
    settings = {**SETTINGS, "chance": {"permutations": 2}}
    result = representation_metrics(codes, valid_codes, factors, valid_factors, list("ABCD"), settings, seed=0)
    metrics, null = result["metrics"], result["chance"]["null"]
    assert null["informativeness"]["n"] == 2 and null["informativeness"]["mean"] < 0.6
    for metric in ("disentanglement", "mig", "sap", "explicitness"):
        assert metrics[f"{metric}_normalised"] > 0.8, metric
    again = representation_metrics(codes, valid_codes, factors, valid_factors, list("ABCD"), settings,
                                   seed=0, n_jobs=2)["metrics"]
    # seeded permutations: the same null every time, and in parallel processes (search, LIME, SHAP, the null's
    # refits) the same numbers as in one (NaN == NaN)
    np.testing.assert_equal(again, metrics)


def test_scikit_learns_checks_are_skipped_only_inside_and_change_no_number():
    """representation_metrics turns off scikit-learn's input and parameter checks for its own fits: the
    classifiers and scores are those fit with the checks on, and the caller's configuration is left as it was."""
    import sklearn

    codes, factors = planted_codes("entangled", n=200)
    valid_codes, valid_factors = planted_codes("entangled", n=200, seed=1)
    settings = {**SETTINGS, "chance": {"permutations": 0}}
    result = representation_metrics(codes, valid_codes, factors, valid_factors, list("ABCD"), settings, seed=0)
    assert not sklearn.get_config()["skip_parameter_validation"] and not sklearn.get_config()["assume_finite"]
    z = standardise(codes)
    checked = fit_factor_classifiers(z, factors, standardise(valid_codes), valid_factors, kind="gbt",
                                     grid=settings["grids"]["gbt"], seed=0, scoring=settings["grid_scoring"],
                                     n_folds=settings["grid_folds"], shuffle=settings["grid_shuffle"])
    np.testing.assert_array_equal(result["importance"], importance_matrix(checked))
    assert result["metrics"]["shap"] == attribution_score(shap_global(checked, z))


def test_nearly_identical_attribution_columns_score_zero_not_nan():
    """Complementary factors (B = not A) are explained alike: scipy's distance of columns equal up to rounding
    is the square root of a divergence that can come out at -1e-17."""
    rng = np.random.default_rng(0)
    column = rng.random(7)
    twins = np.stack([column, column * (1 + rng.normal(size=7) * 1e-15)], axis=1)
    assert attribution_score(twins) == pytest.approx(0.0, abs=1e-7)


def same_trees(trees, others) -> bool:
    """Whether two sequences of fitted trees split and predict alike, node by node."""
    return len(trees) == len(others) and all(
        np.array_equal(getattr(a.tree_, name), getattr(b.tree_, name))
        for a, b in zip(trees, others) for name in ("feature", "threshold", "value", "n_node_samples"))


def test_shared_stages_are_equal_trees():
    """shared_stages says how many leading stages a fit with other split sizes shares with this one: every
    tree up to there equal."""
    from sklearn.ensemble import GradientBoostingClassifier

    from disrec.metrics.classifiers import shared_stages, split_sizes, tie_run

    verdicts = []
    for seed in range(10):
        if seed < 6:
            codes, factors = planted_codes("entangled", n=60 + 40 * seed, d=4, k=2, seed=seed)
            labels, depth = factors[:, 0], 3
            if seed % 2:
                codes = np.round(codes, 1)  # long runs of tied values: a larger min_samples_leaf is rarely alike
        else:  # continuous codes and shallow trees: large leaves, so larger min_samples_leaf grow alike too
            rng = np.random.default_rng(seed)
            codes = rng.normal(size=(600, 3))
            labels, depth = (codes[:, 0] + codes[:, 1] + 0.5 * rng.normal(size=600) > 0).astype(int), 2
            if seed >= 8:  # a few rows repeated: runs of 2 and 3 tied values, as in float32 codes of many users
                codes[1::40], codes[2::80] = codes[::40], codes[::80]
                assert tie_run(codes) == 3
        ties = tie_run(codes)
        grid = [{"min_samples_leaf": leaf, "min_samples_split": split}
                for leaf, split in ((1, 2), (1, 10), (1, 40), (2, 2), (4, 3), (12, 2))]
        fits = [GradientBoostingClassifier(n_estimators=20, max_depth=depth, random_state=seed, **params)
                .fit(codes, labels) for params in grid]
        for params, fit in zip(grid[1:], fits[1:]):
            shared = shared_stages(fits[0], split_sizes(grid[0]), split_sizes(params), ties)
            verdicts.append((params["min_samples_leaf"], shared == 20, 0 < shared < 20, ties > 1))
            assert same_trees(fits[0].estimators_[:shared, 0], fit.estimators_[:shared, 0]), (seed, params)
            if params["min_samples_leaf"] == 1:  # the stopping condition does not depend on direction
                assert shared_stages(fit, split_sizes(params), split_sizes(grid[0]), ties) == shared
    # whole, partial and no sharing occur, for a larger min_samples_leaf too and with tied values, so the test
    # checks something
    assert {(1, True, False), (1, False, True), (2, True, False), (2, False, False)} <= {v[:3] for v in verdicts}
    assert any(leaf > 1 and partial for leaf, _, partial, _ in verdicts)
    assert any(leaf > 1 and (whole or partial) and tied for leaf, whole, partial, tied in verdicts)


def test_a_continued_fit_is_the_fit_of_its_own():
    """continued_fit takes over the stages that two split sizes share and warm-starts the rest, also from a
    fit that was itself continued: the same trees, stage by stage, as fitting those sizes from scratch."""
    from sklearn.ensemble import GradientBoostingClassifier

    from disrec.metrics.classifiers import continued_fit, shared_stages, split_sizes, staged_fit, tie_run

    def boosting(seed, **params):
        return GradientBoostingClassifier(n_estimators=40, max_depth=3, learning_rate=0.3, random_state=seed,
                                          **params)

    continued = chained = tied = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        codes = rng.normal(size=(300, 4))
        if seed % 2:
            codes[1::30] = codes[::30]  # pairs of tied values
        labels = (codes[:, 0] + codes[:, 1] ** 2 + rng.normal(size=300) > 1).astype(int)
        ties = tie_run(codes)
        params = {"min_samples_leaf": 1, "min_samples_split": 2}
        parent = staged_fit(boosting(seed, **params), codes, labels)
        is_continued = False
        for other in ({"min_samples_leaf": 1, "min_samples_split": 12},
                      {"min_samples_leaf": 3, "min_samples_split": 12},
                      {"min_samples_leaf": 6, "min_samples_split": 12}):
            stages = shared_stages(parent.model, split_sizes(params), split_sizes(other), ties)
            if not 0 < stages < 40:
                continue
            continued, chained, tied = continued + 1, chained + is_continued, tied + (ties > 1)
            ours = continued_fit(parent, stages, other, codes, labels)
            fresh = boosting(seed, **other).fit(codes, labels)
            assert same_trees(ours.model.estimators_[:, 0], fresh.estimators_[:, 0]), (seed, other)
            np.testing.assert_array_equal(ours.model.decision_function(codes), fresh.decision_function(codes))
            np.testing.assert_array_equal(ours.model.train_score_, fresh.train_score_)
            assert ours.model._rng.get_state()[1].tolist() == fresh._rng.get_state()[1].tolist()
            parent, params, is_continued = ours, other, True
    assert continued >= 4 and chained >= 1 and tied >= 1  # the cases occur, so the test checks something


def test_factors_searched_in_parallel_give_the_same_classifiers():
    codes, factors = planted_codes("entangled", n=120, d=4, k=3, seed=5)
    factors[:, 2] = 0
    factors[0, 2] = 1  # one member of a class: not searched, noted
    z = standardise(codes)
    grid = {"n_estimators": [5, 10], "max_depth": [1, 2], "min_samples_leaf": [1, 3]}
    one, two = (fit_factor_classifiers(z, factors, z, factors, kind="gbt", grid=grid, seed=2, n_jobs=n_jobs)
                for n_jobs in (1, 2))
    assert one.best_params == two.best_params
    assert one.cv_scores[:2] == two.cv_scores[:2] and np.isnan(two.cv_scores[2])
    assert one.notes == two.notes and one.notes[0].startswith("factor 2:")
    for a, b in zip(one.models, two.models):
        assert np.array_equal(a.predict_proba(z), b.predict_proba(z))
