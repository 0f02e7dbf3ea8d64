"""The evaluate job: accuracy on test_out and representation metrics of one run, into one JSON."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from disrec.matrices import interaction_matrix
from disrec.metrics.accuracy import evaluate_ranking
from disrec.metrics import ACCURACY_METRICS, REPRESENTATION_METRICS
from disrec.metrics.representation import representation_metrics, undefined
from disrec.steps.train import load_trained_model
from disrec.storage import read_json, read_parquet, write_json

log = logging.getLogger(__name__)


def accuracy_names(ks: list[int]) -> list[str]:
    return [f"{metric}@{k}" for k in sorted(ks) for metric in ACCURACY_METRICS]


def beta_note(beta: float | None, reached: float | None) -> str | None:
    """A note when the final fit's KL weight stopped short of the configured beta (annealing too long)."""
    if beta is None or reached is None or reached >= beta * (1 - 1e-9):
        return None
    return f"KL weight reached {reached:.4g}, below beta {beta:g}: annealing was longer than the final fit"


def evaluate_run(dataset: str, model_name: str, evaluation: dict[str, Any], seed: int, threads: int, *,
                 user_ids: str, item_ids: str, train_split: str, test_out: str, weights: str, training_report: str,
                 codes_train: str, codes_valid_in: str, factors_train: str, factors_valid_in: str,
                 report: str) -> None:
    """The model is rebuilt from the settings and beta its training report records (tuned ones included)."""
    training = read_json(training_report)
    settings, beta = training["settings"], training["beta"]
    n_users, n_items = len(read_parquet(user_ids)), len(read_parquet(item_ids))
    seconds: dict[str, float] = {}
    missing: dict[str, str] = {}

    if training["status"] == "failed":
        reason = f"training failed: {training['reason']}"
        metrics = {name: float("nan") for name in [*accuracy_names(evaluation["ks"]), *REPRESENTATION_METRICS]}
        missing = {name: reason for name in metrics}
        status, representation = "failed", undefined(reason)
    else:
        started = time.perf_counter()
        model = load_trained_model(model_name, settings, beta, n_items, weights)
        accuracy = evaluate_ranking(model.scores, interaction_matrix(read_parquet(train_split), n_users, n_items),
                                    interaction_matrix(read_parquet(test_out), n_users, n_items),
                                    evaluation["ks"])
        seconds["accuracy"] = time.perf_counter() - started
        log.info("accuracy: %s", {k: round(v, 4) for k, v in accuracy.items()})
        if training["code_size"] is None:
            representation = undefined(f"{model_name} has no user representation")
        else:
            train_codes, valid_codes = read_parquet(codes_train), read_parquet(codes_valid_in)
            train_factors, valid_factors = read_parquet(factors_train), read_parquet(factors_valid_in)
            names = [c for c in train_factors.columns if c != "user"]
            representation = representation_metrics(
                train_codes.drop(columns="user").to_numpy(), valid_codes.drop(columns="user").to_numpy(),
                train_factors[names].to_numpy(), valid_factors[names].to_numpy(), names, evaluation, seed,
                n_jobs=threads)
        metrics = {name: accuracy[name] for name in accuracy_names(evaluation["ks"])}
        metrics.update(representation["metrics"])
        seconds.update(representation["seconds"])
        if representation["reason"]:
            missing = {name: representation["reason"] for name in REPRESENTATION_METRICS}
        missing.update(representation.get("missing", {}))
        missing.update({name: "not finite" for name, value in metrics.items()
                        if (value is None or np.isnan(value)) and name not in missing})
        status = "representation-undefined" if representation["reason"] else "ok"

    write_json({
        "dataset": dataset, "model": model_name, "beta": beta, "beta_tuned": training["beta_tuned"], "seed": seed,
        "beta_reached": training["beta_reached"], "code_size": training["code_size"],
        "tuned": training["tuned"], "status": status, "reason": next(iter(missing.values()), None),
        "metrics": {name: (None if value is None or np.isnan(value) else value) for name, value in metrics.items()},
        "missing": missing,
        "training_status": training["status"], "training_reason": training["reason"],
        "training_note": beta_note(beta, training["beta_reached"]),
        "train_seconds": training["train_seconds"], "device": training["device"],
        "evaluation_seconds": seconds,
        "classifiers": representation.get("classifiers"), "importance": representation.get("importance"),
        "notes": representation.get("notes", []),
        "evaluation": evaluation,
    }, report)
