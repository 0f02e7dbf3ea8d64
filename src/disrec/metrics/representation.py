"""All representation metrics of one run's user codes against the ground-truth factors (SPEC section 6).

The factor classifiers are searched and fit once and shared by DCI, LIME-global
and SHAP-global. Codes are standardised within each set. A metric that cannot
be computed is returned as NaN with the reason, never as 0.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from disrec.metrics import REPRESENTATION_METRICS
from disrec.metrics.attribution import attribution_problem, attribution_score
from disrec.metrics.classifiers import fit_factor_classifiers, importance_matrix, standardise, undefined_code_reason
from disrec.metrics.dci import completeness, disentanglement, informativeness
from disrec.metrics.lime_global import lime_global, lime_global_literal
from disrec.metrics.shap_global import shap_global

log = logging.getLogger(__name__)


def undefined(reason: str) -> dict[str, Any]:
    return {"metrics": {name: float("nan") for name in REPRESENTATION_METRICS}, "reason": reason,
            "classifiers": None, "seconds": {}}


def representation_metrics(codes_train: np.ndarray, codes_valid: np.ndarray, factors_train: np.ndarray,
                           factors_valid: np.ndarray, factor_names: list[str], settings: dict[str, Any],
                           seed: int, n_jobs: int = 1) -> dict[str, Any]:
    """{'metrics': {name: value}, 'reason': None or why all are undefined, 'missing': {name: why NaN},
    'classifiers': ..., 'seconds': ...}."""
    if factors_train.shape[1] < 2:
        return undefined(f"{factors_train.shape[1]} ground-truth factor(s) kept; the metrics need at least 2")
    for codes, name in ((codes_train, "train"), (codes_valid, "valid_in")):
        reason = undefined_code_reason(codes, name)
        if reason:
            return undefined(reason)
    z_train, z_valid = standardise(codes_train), standardise(codes_valid)
    seconds = {}

    started = time.perf_counter()
    kind = settings["classifier"]
    classifiers = fit_factor_classifiers(z_train, factors_train, z_valid, factors_valid, kind=kind,
                                         grid=settings["grids"][kind], seed=seed,
                                         scoring=settings["grid_scoring"], n_folds=settings["grid_folds"],
                                         shuffle=settings["grid_shuffle"], n_jobs=n_jobs)
    seconds["classifiers"] = time.perf_counter() - started

    started = time.perf_counter()
    importance = importance_matrix(classifiers)
    metrics = {"disentanglement": disentanglement(importance), "completeness": completeness(importance),
               "informativeness": informativeness(classifiers, z_valid, factors_valid)}
    seconds["dci"] = time.perf_counter() - started

    missing = {}
    if np.isnan(metrics["disentanglement"]):
        missing["disentanglement"] = missing["completeness"] = "every importance is 0 (no classifier uses a code)"

    lime = lime_global if settings["lime"] == "batched" else lime_global_literal
    attribution = {"lime": lambda: lime(classifiers, z_train, seed), "shap": lambda: shap_global(classifiers, z_train)}
    for name, attribute in attribution.items():
        started = time.perf_counter()
        matrix = attribute()
        metrics[name] = attribution_score(matrix)
        if attribution_problem(matrix):
            missing[name] = attribution_problem(matrix)
        seconds[name] = time.perf_counter() - started
    log.info("representation metrics %s in %s", {k: round(v, 4) for k, v in metrics.items()},
             {k: round(v, 2) for k, v in seconds.items()})
    return {
        "metrics": metrics, "reason": None, "missing": missing, "seconds": seconds,
        "classifiers": {name: {"params": params, "cv_score": score} for name, params, score in
                        zip(factor_names, classifiers.best_params, classifiers.cv_scores)},
        "importance": importance.tolist(), "notes": classifiers.notes,
    }
