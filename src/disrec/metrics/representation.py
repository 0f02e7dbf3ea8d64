"""All representation metrics of one run's user codes against the ground-truth factors (docs/methods.md §8-11 and §14).

The factor classifiers are searched and fit once and shared by DCI, LIME-global
and SHAP-global; MIG, SAP, modularity and DCI-ES explicitness read the codes
and factors themselves; controllability traverses, through the model's
decoder, the code dimension that DCI finds most important for each factor.
Codes are standardised within each set (controllability steps in units of
the raw codes' sd, which is the same thing). A metric that cannot be computed
is returned as NaN with the reason, never as 0.

Every metric is scored again against factors permuted across users
(``disrec.metrics.chance``); the classifiers are then refit with the
hyperparameters the real search chose, not searched again.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import numpy as np
import sklearn

from disrec.codes import undefined_code_reason
from disrec.metrics import CODE_METRICS, REPRESENTATION_METRICS, TRAVERSAL_SUMMARIES, chance_names
from disrec.metrics.attribution import attribution_problem, attribution_score
from disrec.metrics.chance import (
    above_chance,
    normalised_above_chance,
    null_summary,
    permuted_factors,
    refit_classifiers,
)
from disrec.metrics.classifiers import FactorClassifiers, fit_factor_classifiers, importance_matrix, standardise
from disrec.metrics.controllability import Traversal
from disrec.metrics.dci import completeness, disentanglement, informativeness
from disrec.metrics.explicitness import explicitness
from disrec.metrics.lime_global import explain_sets, lime_samples
from disrec.metrics.mig import mig_from_information
from disrec.metrics.modularity import modularity_from_information
from disrec.metrics.mutual_information import discretise, factor_entropies, mutual_information_matrix
from disrec.metrics.sap import sap
from disrec.metrics.shap_global import shap_global

log = logging.getLogger(__name__)

# (importance (d, k), train factors (n, k)) -> the traversal of every factor; None for a model without a decoder.
Traverse = Callable[[np.ndarray, np.ndarray], Traversal]


def metric_names() -> list[str]:
    """Every name representation_metrics reports: the metrics, controllability's summaries, the chance forms."""
    return [*REPRESENTATION_METRICS, *TRAVERSAL_SUMMARIES,
            *[name for metric in REPRESENTATION_METRICS for name in chance_names(metric)]]


def undefined(reason: str) -> dict[str, Any]:
    names = metric_names()
    return {"metrics": {name: float("nan") for name in names}, "missing": {name: reason for name in names},
            "reason": reason, "classifiers": None, "seconds": {}}


def score_codes(z_train: np.ndarray, z_valid: np.ndarray, factors_train: np.ndarray, factors_valid: np.ndarray,
                classifiers: FactorClassifiers, lime: np.ndarray, settings: dict[str, Any], seed: int,
                n_jobs: int = 1) -> tuple[dict[str, float], dict[str, str], dict[str, float], np.ndarray]:
    """The code metrics (CODE_METRICS) of standardised codes, why any is NaN, their seconds, and the importance
    matrix, given the classifiers' LIME-global matrix ``lime``; SHAP and the explicitness probes take the
    factors on ``n_jobs`` processes."""
    seconds, missing = {}, {}
    started = time.perf_counter()
    importance = importance_matrix(classifiers)
    metrics = {"disentanglement": disentanglement(importance), "completeness": completeness(importance),
               "informativeness": informativeness(classifiers, z_valid, factors_valid)}
    if np.isnan(metrics["disentanglement"]):
        missing["disentanglement"] = missing["completeness"] = "every importance is 0 (no classifier uses a code)"
    seconds["dci"] = time.perf_counter() - started

    started = time.perf_counter()
    shap = shap_global(classifiers, z_train, n_jobs)
    seconds["shap"] = time.perf_counter() - started
    for name, matrix in (("lime", lime), ("shap", shap)):
        metrics[name] = attribution_score(matrix)
        if attribution_problem(matrix):
            missing[name] = attribution_problem(matrix)

    started = time.perf_counter()
    binning = settings["mutual_information"]
    information = mutual_information_matrix(discretise(z_train, binning["bins"], binning["binning"]), factors_train)
    metrics["mig"] = mig_from_information(information, factor_entropies(factors_train))
    metrics["modularity"] = modularity_from_information(information)
    metrics["sap"] = sap(z_train, factors_train, z_valid, factors_valid)
    seconds["mig_sap_modularity"] = time.perf_counter() - started

    started = time.perf_counter()
    metrics["explicitness"], _ = explicitness(z_train, factors_train, z_valid, factors_valid,
                                              **settings["explicitness"], seed=seed, fitted=classifiers.models,
                                              n_jobs=n_jobs)
    seconds["explicitness"] = time.perf_counter() - started
    return {name: metrics[name] for name in CODE_METRICS}, missing, seconds, importance


def traversal_report(traversal: Traversal, factor_names: list[str]) -> dict[str, Any]:
    """Controllability's per-factor outcome, for evaluation.json."""
    return {
        "dimension": dict(zip(factor_names, traversal.dims.tolist())),
        "sign": dict(zip(factor_names, traversal.signs.tolist())),
        "per_factor": dict(zip(factor_names, traversal.per_factor.tolist())),
        "monotone": dict(zip(factor_names, traversal.monotone.tolist())),
        "users_changed": dict(zip(factor_names, traversal.users_changed.tolist())),
        "steps": traversal.signed_steps.tolist(),
        "shares": {name: {concept: traversal.shares[j, :, c].tolist() for c, concept in enumerate(factor_names)}
                   for j, name in enumerate(factor_names)},
    }


def representation_metrics(codes_train: np.ndarray, codes_valid: np.ndarray, factors_train: np.ndarray,
                           factors_valid: np.ndarray, factor_names: list[str], settings: dict[str, Any],
                           seed: int, n_jobs: int = 1, traverse: Traverse | None = None) -> dict[str, Any]:
    """{'metrics': {name: value}, 'missing': {name: reason}, 'reason': None or why all are undefined, ...}.

    ``traverse`` runs controllability for a model that decodes its code; without it controllability is missing.
    ``n_jobs`` processes search the factors' classifiers, refit the null's, predict LIME's perturbations and
    compute SHAP and the explicitness probes per factor.
    """
    if factors_train.shape[1] < 2:
        return undefined(f"{factors_train.shape[1]} ground-truth factor(s) kept; the metrics need at least 2")
    for codes, name in ((codes_train, "train"), (codes_valid, "valid_in")):
        reason = undefined_code_reason(codes, name)
        if reason:
            return undefined(reason)
    # The codes are finite (checked above) and the grids were checked before any job (config.py), so
    # scikit-learn's own checks, run again for every tree of every boosting stage, are skipped: 5% of an
    # ML-100K evaluate job, the same numbers.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return scored_representation(codes_train, codes_valid, factors_train, factors_valid, factor_names, settings,
                                     seed, n_jobs, traverse)


def scored_representation(codes_train: np.ndarray, codes_valid: np.ndarray, factors_train: np.ndarray,
                          factors_valid: np.ndarray, factor_names: list[str], settings: dict[str, Any], seed: int,
                          n_jobs: int, traverse: Traverse | None) -> dict[str, Any]:
    """representation_metrics on codes it has checked."""
    z_train, z_valid = standardise(codes_train), standardise(codes_valid)
    seconds, notes = {}, []

    started = time.perf_counter()
    kind = settings["classifier"]
    classifiers = fit_factor_classifiers(z_train, factors_train, z_valid, factors_valid, kind=kind,
                                         grid=settings["grids"][kind], seed=seed,
                                         scoring=settings["grid_scoring"], n_folds=settings["grid_folds"],
                                         shuffle=settings["grid_shuffle"], n_jobs=n_jobs)
    seconds["classifiers"] = time.perf_counter() - started
    # The null's classifiers are refit first, so that one LIME pass explains them with the run's own.
    started = time.perf_counter()
    permutations = settings["chance"]["permutations"]
    null_factors = permuted_factors(factors_train, factors_valid, permutations, seed)
    null_classifiers = [refit_classifiers(classifiers, z_train, permuted, n_jobs) for permuted, _ in null_factors]
    null_seconds = time.perf_counter() - started
    lime, lime_seconds = explain_sets([classifiers, *null_classifiers], z_train, seed, settings["lime"],
                                      n_jobs=n_jobs)
    seconds["lime"] = lime_seconds[0]
    null_seconds += sum(lime_seconds[1:])
    metrics, missing, code_seconds, importance = score_codes(z_train, z_valid, factors_train, factors_valid,
                                                             classifiers, lime[0], settings, seed, n_jobs)
    seconds.update(code_seconds)

    samples, dims = lime_samples(len(z_train)), z_train.shape[1]
    lime_underdetermined = samples < dims
    if lime_underdetermined:
        notes.append(f"LIME-global: {samples} samples per local fit for {dims} code dimensions, so each local "
                     f"fit has fewer samples than features (underdetermined)")

    traversal = None
    if traverse is None:
        for name in ("controllability", *TRAVERSAL_SUMMARIES):
            metrics[name] = float("nan")
            missing[name] = "the model does not decode from its code"
    else:
        started = time.perf_counter()
        result = traverse(importance, factors_train)
        seconds["controllability"] = time.perf_counter() - started
        metrics.update(controllability=result.score,
                       controllability_users_changed=float(result.users_changed.mean()),
                       controllability_monotone=float(result.monotone.mean()))
        traversal = traversal_report(result, factor_names)

    started = time.perf_counter()
    null_scores = []
    for (permuted_train, permuted_valid), refit, refit_lime in zip(null_factors, null_classifiers, lime[1:]):
        scores, _, _, null_importance = score_codes(z_train, z_valid, permuted_train, permuted_valid, refit,
                                                    refit_lime, settings, seed, n_jobs)
        if traverse is not None:
            scores["controllability"] = traverse(null_importance, permuted_train).score
        null_scores.append(scores)
    null = null_summary(null_scores)
    for metric in REPRESENTATION_METRICS:
        names = chance_names(metric)
        if metric in null and metric not in missing:
            level = null[metric]["mean"]
            metrics.update(zip(names, (level, above_chance(metrics[metric], level),
                                       normalised_above_chance(metrics[metric], level))))
        else:
            metrics.update({name: float("nan") for name in names})
            reason = missing.get(metric) or "evaluation.chance.permutations is 0"
            missing.update({name: reason for name in names})
    for name, value in metrics.items():
        if name not in missing and not np.isfinite(value):
            missing[name] = "undefined for these codes and factors"
    seconds["chance"] = null_seconds + time.perf_counter() - started  # refits, their LIME and their scores
    log.info("representation metrics %s in %s", {k: round(v, 4) for k, v in metrics.items()},
             {k: round(v, 2) for k, v in seconds.items()})
    return {
        "metrics": metrics, "missing": missing, "reason": None, "seconds": seconds,
        "classifiers": {name: {"params": params, "cv_score": score} for name, params, score in
                        zip(factor_names, classifiers.best_params, classifiers.cv_scores)},
        "importance": importance.tolist(), "notes": classifiers.notes + notes,
        "lime_underdetermined": lime_underdetermined, "controllability": traversal,
        "chance": {"permutations": permutations, "null": null},
    }
