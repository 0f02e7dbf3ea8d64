"""One classifier per ground-truth factor, predicting it from the user code (SPEC section 6).

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
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold

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


def staged_grid_search(base: GradientBoostingClassifier, grid: dict[str, list], codes: np.ndarray,
                       labels: np.ndarray, cv: StratifiedKFold, scoring: str) -> tuple[dict[str, Any], float]:
    """GridSearchCV's choice for boosted trees, with one fit per fold for all ``n_estimators`` values.

    With the same random_state, the first m stages of a boosting fit with M > m
    stages are the fit with m stages, so ``staged_predict`` scores every
    ``n_estimators`` of the grid from the largest fit. Returns the best
    parameters (the first best in ParameterGrid order, as GridSearchCV) and
    their mean score over the folds.
    """
    score = LABEL_SCORERS[scoring]
    sizes = sorted(set(grid["n_estimators"]))
    others = {k: v for k, v in grid.items() if k != "n_estimators"}
    fold_scores: dict[tuple, list[float]] = {}
    for train_index, test_index in cv.split(codes, labels):
        for params in ParameterGrid(others):
            model = clone(base).set_params(**params, n_estimators=sizes[-1])
            model.fit(codes[train_index], labels[train_index])
            for stage, predicted in enumerate(model.staged_predict(codes[test_index]), start=1):
                if stage in sizes:
                    key = tuple(sorted({**params, "n_estimators": stage}.items()))
                    fold_scores.setdefault(key, []).append(score(labels[test_index], predicted))
    candidates = list(ParameterGrid(grid))
    means = [float(np.mean(fold_scores[tuple(sorted(c.items()))])) for c in candidates]
    best = int(np.argmax(means))
    return candidates[best], means[best]


def bad_code_columns(codes: np.ndarray) -> tuple[list[int], list[int]]:
    """(columns with non-finite values, constant columns among the others)."""
    finite = np.isfinite(codes).all(axis=0)
    constant = finite & (np.ptp(np.where(np.isfinite(codes), codes, 0), axis=0) == 0)
    return np.flatnonzero(~finite).tolist(), np.flatnonzero(constant).tolist()


def undefined_code_reason(codes: np.ndarray, name: str) -> str | None:
    """Why these codes cannot be scored (non-finite or constant columns), or None."""
    if codes.shape[1] == 0:
        return f"{name} codes have no columns"
    non_finite, constant = bad_code_columns(codes)
    if non_finite:
        return f"{name} codes have non-finite values in columns {non_finite}"
    if constant:
        return f"{name} codes are constant in columns {constant}"
    return None


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
    point, and a note says so.
    """
    base = CLASSIFIERS[kind](seed)
    candidates = list(ParameterGrid(grid))
    folds = StratifiedKFold(n_folds, shuffle=shuffle, random_state=seed if shuffle else None)
    result = FactorClassifiers(models=[], best_params=[], cv_scores=[])
    for j in range(factors_train.shape[1]):
        y_valid = factors_valid[:, j]
        if np.bincount(y_valid.astype(int), minlength=2).min() < 2:
            params, score = candidates[0], float("nan")
            result.notes.append(f"factor {j}: fewer than 2 users of a class in valid_in; used {params}")
        elif len(candidates) == 1:
            params, score = candidates[0], float("nan")
        elif kind == "gbt" and len(grid.get("n_estimators", [])) > 1 and scoring in LABEL_SCORERS:
            params, score = staged_grid_search(base, grid, codes_valid, y_valid, folds, scoring)
        else:
            search = GridSearchCV(clone(base), grid, scoring=scoring, cv=folds, n_jobs=n_jobs, refit=False)
            search.fit(codes_valid, y_valid)
            params, score = search.best_params_, float(search.best_score_)
        model = clone(base).set_params(**params).fit(codes_train, factors_train[:, j])
        result.models.append(model)
        result.best_params.append(params)
        result.cv_scores.append(score)
    return result


def importance_matrix(classifiers: FactorClassifiers) -> np.ndarray:
    """R (d, k): |feature_importances_| of trees, |coef| of logistic regression."""
    columns = []
    for model in classifiers.models:
        weights = model.feature_importances_ if hasattr(model, "feature_importances_") else model.coef_[0]
        columns.append(np.abs(np.asarray(weights, dtype=np.float64)))
    return np.stack(columns, axis=1)
