"""One classifier per ground-truth factor, predicting it from the user code (docs/methods.md §8).

Hyperparameters are chosen per factor by a 2-fold grid search on the
``valid_in`` codes and factors, then the classifier is refit on the ``train``
codes and factors. The fitted classifiers are shared by DCI, LIME and SHAP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, get_scorer_names
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold
from sklearn.utils.parallel import Parallel, delayed  # they carry scikit-learn's config into workers

from disrec.metrics.presorted_kernel import FEATURE_THRESHOLD
from disrec.metrics.presorted_trees import presorted_boosting

log = logging.getLogger(__name__)

CLASSIFIERS = {
    "gbt": lambda seed: GradientBoostingClassifier(random_state=seed),
    "random_forest": lambda seed: RandomForestClassifier(random_state=seed, n_jobs=1),
    "logistic": lambda seed: LogisticRegression(max_iter=1000),
}


def standardise(codes: np.ndarray) -> np.ndarray:
    """Each column to mean 0 and standard deviation 1 (population sd), within this set of users."""
    codes = np.asarray(codes, dtype=np.float64)
    return (codes - codes.mean(axis=0)) / codes.std(axis=0)


# Scorers computed from predicted labels, for which a staged grid search can score boosting stages.
LABEL_SCORERS = {"accuracy": accuracy_score, "balanced_accuracy": balanced_accuracy_score, "f1": f1_score}


def search_problems(grids: dict[str, dict[str, list]], scoring: str) -> list[str]:
    """Grid parameters that a classifier does not take, values it rejects and a scorer scikit-learn does not
    know, as config problems (found before any evaluate job rather than inside one)."""
    problems = []
    for kind, grid in grids.items():
        estimator = CLASSIFIERS[kind](0)
        known = estimator.get_params()
        for name in sorted(set(grid) - set(known)):
            problems.append(f"key 'evaluation.grids.{kind}': unknown parameter {name!r} (expected parameters of "
                            f"{type(estimator).__name__}: {', '.join(sorted(known))})")
        for name in sorted(set(grid) & set(known)):
            for value in grid[name]:
                try:  # the check scikit-learn runs at fit, on this one value
                    clone(estimator).set_params(**{name: value})._validate_params()
                except (TypeError, ValueError) as error:  # InvalidParameterError is both
                    problems.append(f"key 'evaluation.grids.{kind}': {error}")
    if scoring not in get_scorer_names():
        problems.append(f"key 'evaluation.grid_scoring': unknown scorer {scoring!r} (expected a scikit-learn "
                        f"scorer name, e.g. {', '.join(sorted(LABEL_SCORERS))}, roc_auc)")
    return problems


def split_sizes(params: dict[str, Any]) -> tuple[int, int] | None:
    """(min_samples_leaf, effective min_samples_split = max(min_samples_split, 2 min_samples_leaf)) as
    scikit-learn's trees use them; None for fractional sizes (they depend on the number of rows)."""
    split, leaf = params.get("min_samples_split", 2), params.get("min_samples_leaf", 1)
    if isinstance(split, (int, np.integer)) and isinstance(leaf, (int, np.integer)):
        return int(leaf), max(int(split), 2 * int(leaf))
    return None


def tie_run(codes: np.ndarray) -> int:
    """The most rows of one column in a run of values that trees take as equal (sorted, float32, each within
    1e-7 of the one before, added in float32 as the trees add it); 1 when no two rows share a value."""
    ordered = np.sort(codes.astype(np.float32), axis=0)
    longest = 0  # the most consecutive ties in a column
    for tied in (ordered[1:] <= ordered[:-1] + FEATURE_THRESHOLD).T:
        edges = np.diff(np.concatenate([[0], tied.astype(np.int8), [0]]))
        longest = max(longest, int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max(initial=0)))
    return longest + 1


def _node_depths(tree) -> np.ndarray:
    depths = np.zeros(tree.node_count, dtype=int)
    for node in range(tree.node_count):  # parents are numbered before their children
        for child in (tree.children_left[node], tree.children_right[node]):
            if child != -1:
                depths[child] = depths[node] + 1
    return depths


def shared_stages(model: GradientBoostingClassifier, sizes: tuple[int, int], other_sizes: tuple[int, int],
                  ties: int) -> int:
    """How many leading stages a boosting fit with ``other_sizes`` (min_samples_leaf, effective
    min_samples_split; all else, data and random_state equal) shares with this fit, which used ``sizes``:
    the stages before the first tree that could grow otherwise. ``ties``: the training rows' ``tie_run``.

    scikit-learn's tree builder consults min_samples_split only to stop at a node with fewer samples: a
    node below max_depth and impure is stopped under one size and split under the other exactly when its
    sample count lies between them. A larger min_samples_leaf only removes candidate splits, those with
    fewer rows on a side; when this fit's chosen split of a node leaves at least that many on each side, it
    is still the first best if every candidate keeps its sums. The splitter adds rows to the left sum from
    the node's first row on, candidate after candidate, unless a jump to the next candidate covers more rows
    than remain after it (then it sums from the last row back). Candidates lie at most ``ties`` rows apart,
    and the larger leaf's first one at most other_leaf + ties - 1 rows in, so in a node of at least
    max(2 (other_leaf + ties - 1), other_leaf + 2 ties - 1) rows both fits sum forward up to there and alike
    after it. A tree whose every node is decided alike is grown by the same decisions and random draws, so
    the next stage sees the same residuals.
    """
    (leaf, size), (other_leaf, other_size) = sizes, other_sizes
    if other_leaf < leaf:
        return 0
    low, high = sorted((size, other_size))
    fewest_split = max(2 * (other_leaf + ties - 1), other_leaf + 2 * ties - 1) if other_leaf > leaf else 0
    max_depth = np.inf if model.max_depth is None else model.max_depth
    for stage, trees in enumerate(model.estimators_):
        for estimator in trees:
            tree = estimator.tree_
            samples = tree.n_node_samples
            open_nodes = (_node_depths(tree) < max_depth) & (tree.impurity > np.finfo(np.float64).eps)
            split = tree.children_left != -1
            smaller_child = np.minimum(samples[tree.children_left[split]], samples[tree.children_right[split]])
            if (np.any(open_nodes & (samples >= low) & (samples < high)) or np.any(smaller_child < other_leaf)
                    or np.any(samples[split] < fewest_split)):
                return stage
    return len(model.estimators_)


@dataclass
class StagedFit:
    """A boosting fit of the search and the random state its trees left after each stage."""

    model: GradientBoostingClassifier
    states: list[tuple]


def staged_fit(model: GradientBoostingClassifier, codes: np.ndarray, labels: np.ndarray,
               states: list[tuple] | None = None) -> StagedFit:
    """``model.fit`` recording the random state after each stage (scikit-learn's monitor sees the fit's
    locals, its random state among them); ``states`` holds those of the stages a warm start begins after."""
    states = list(states or [])

    def record(stage: int, estimator: GradientBoostingClassifier, fit_locals: dict[str, Any]) -> bool:
        states.append(fit_locals["random_state"].get_state())
        return False  # never stop early

    return StagedFit(model.fit(codes, labels, monitor=record), states)


def continued_fit(parent: StagedFit, stages: int, params: dict[str, Any], codes: np.ndarray,
                  labels: np.ndarray) -> StagedFit:
    """The fit with ``params`` whose first ``stages`` stages are ``parent``'s (``shared_stages``): those stages
    taken over, and scikit-learn's warm start fitting the rest from the random state ``parent`` had after
    them, which is where a fit of its own would be (every tree draws one number, whatever its sizes)."""
    model = clone(parent.model).set_params(**params, warm_start=True)
    model.estimators_ = parent.model.estimators_[:stages].copy()
    model.train_score_ = parent.model.train_score_[:stages].copy()
    model.init_ = parent.model.init_
    model._rng = np.random.RandomState()
    model._rng.set_state(parent.states[stages - 1])
    return staged_fit(model, codes, labels, parent.states[:stages])


def staged_grid_search(base: GradientBoostingClassifier, grid: dict[str, list], codes: np.ndarray,
                       labels: np.ndarray, cv: StratifiedKFold, scoring: str) -> tuple[dict[str, Any], float]:
    """GridSearchCV's choice for boosted trees, with one fit per fold for all ``n_estimators`` values.

    With the same random_state, the first m stages of a boosting fit with M > m
    stages are the fit with m stages, so ``staged_predict`` scores every
    ``n_estimators`` of the grid from the largest fit. Grid points that differ
    only in min_samples_split / min_samples_leaf share the stages scikit-learn
    would grow alike (``shared_stages``): all of them, or a first part that a
    warm start continues (``continued_fit``). Returns the best parameters
    (the first best in ParameterGrid order, as GridSearchCV) and their mean
    score over the folds.
    """
    score = LABEL_SCORERS[scoring]
    n_estimators = sorted(set(grid["n_estimators"]))
    others = {k: v for k, v in grid.items() if k != "n_estimators"}
    fold_scores: dict[tuple, list[float]] = {}
    for train_index, test_index in cv.split(codes, labels):
        x, y = codes[train_index], labels[train_index]
        ties = tie_run(x)
        # this fold's fits: (parameters other than the sizes, sizes, score per stage, fit)
        fitted: list[tuple[dict, tuple[int, int] | None, dict[int, float], StagedFit]] = []
        for params in ParameterGrid(others):
            rest = {k: v for k, v in params.items() if k not in ("min_samples_split", "min_samples_leaf")}
            sizes = split_sizes(params)
            shared = [(n_estimators[-1] if f_sizes == sizes else shared_stages(fit.model, f_sizes, sizes, ties),
                       scores, fit) for f_rest, f_sizes, scores, fit in fitted
                      if f_rest == rest and sizes is not None and f_sizes is not None]
            stages, stage_scores, parent = max(shared, key=lambda entry: entry[0], default=(0, None, None))
            if stages < n_estimators[-1]:
                fit = continued_fit(parent, stages, params, x, y) if stages else \
                    staged_fit(clone(base).set_params(**params, n_estimators=n_estimators[-1]), x, y)
                stage_scores = {stage: score(labels[test_index], predicted) for stage, predicted
                                in enumerate(fit.model.staged_predict(codes[test_index]), start=1)
                                if stage in n_estimators}
                fitted.append((rest, sizes, stage_scores, fit))
            for stage, value in stage_scores.items():
                key = tuple(sorted({**params, "n_estimators": stage}.items()))
                fold_scores.setdefault(key, []).append(value)
    candidates = list(ParameterGrid(grid))
    means = [float(np.mean(fold_scores[tuple(sorted(c.items()))])) for c in candidates]
    best = int(np.argmax(means))
    return candidates[best], means[best]


@dataclass
class FactorClassifiers:
    """Classifier j predicts factor j from the standardised train codes."""

    models: list[ClassifierMixin]
    best_params: list[dict[str, Any]]
    cv_scores: list[float]
    notes: list[str] = field(default_factory=list)


def fit_factor_classifiers(codes_train: np.ndarray, factors_train: np.ndarray, codes_valid: np.ndarray,
                           factors_valid: np.ndarray, *, kind: str, grid: dict[str, list], seed: int,
                           scoring: str = "balanced_accuracy", n_folds: int = 2, shuffle: bool = True,
                           n_jobs: int = 1) -> FactorClassifiers:
    """Grid-search each factor's hyperparameters on valid (``n_folds`` stratified folds, users shuffled by
    ``seed`` or, as the study's GridSearchCV(cv=2), in their order), refit on train.

    Boosted trees with several ``n_estimators`` use the staged search (same
    result as GridSearchCV, tested); other cases use GridSearchCV itself.
    Codes are taken as given (standardise them first). A factor with fewer than
    two members of a class in valid cannot be searched: it gets the first grid
    point, and a note says so. ``n_jobs`` processes search the factors in parallel.
    """
    folds = StratifiedKFold(n_folds, shuffle=shuffle, random_state=seed if shuffle else None)
    # factors are independent: with n_jobs > 1 they are searched in parallel processes, with the same results
    fitted = Parallel(n_jobs=n_jobs)(
        delayed(_search_and_fit)(CLASSIFIERS[kind](seed), kind, grid, folds, scoring, codes_valid, factors_valid[:, j],
                                 codes_train, factors_train[:, j])
        for j in range(factors_train.shape[1]))
    result = FactorClassifiers(models=[], best_params=[], cv_scores=[])
    for j, (model, params, score, note) in enumerate(fitted):
        result.models.append(model)
        result.best_params.append(params)
        result.cv_scores.append(score)
        if note:
            result.notes.append(f"factor {j}: {note}")
    return result


@presorted_boosting()
def _search_and_fit(base: ClassifierMixin, kind: str, grid: dict[str, list], folds: StratifiedKFold, scoring: str,
                    codes_valid: np.ndarray, y_valid: np.ndarray, codes_train: np.ndarray,
                    y_train: np.ndarray) -> tuple[ClassifierMixin, dict[str, Any], float, str | None]:
    """One factor: (classifier fit on train, chosen parameters, their search score, note or None)."""
    candidates = list(ParameterGrid(grid))
    note = None
    if np.bincount(y_valid.astype(int), minlength=2).min() < 2:
        params, score = candidates[0], float("nan")
        note = f"fewer than 2 users of a class in valid_in; used {params}"
    elif len(candidates) == 1:
        params, score = candidates[0], float("nan")
    elif kind == "gbt" and len(grid.get("n_estimators", [])) > 1 and scoring in LABEL_SCORERS:
        params, score = staged_grid_search(base, grid, codes_valid, y_valid, folds, scoring)
    else:
        search = GridSearchCV(clone(base), grid, scoring=scoring, cv=folds, refit=False)
        search.fit(codes_valid, y_valid)
        params, score = search.best_params_, float(search.best_score_)
    return clone(base).set_params(**params).fit(codes_train, y_train), params, score, note


def importance_matrix(classifiers: FactorClassifiers) -> np.ndarray:
    """R (d, k): |feature_importances_| of trees, |coef| of logistic regression."""
    columns = []
    for model in classifiers.models:
        weights = model.feature_importances_ if hasattr(model, "feature_importances_") else model.coef_[0]
        columns.append(np.abs(np.asarray(weights, dtype=np.float64)))
    return np.stack(columns, axis=1)
