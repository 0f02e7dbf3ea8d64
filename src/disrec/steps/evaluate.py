"""The evaluate job: accuracy on test_out and representation metrics of one run, into one JSON."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from disrec.matrices import interaction_matrix
from disrec.metrics import accuracy_names
from disrec.metrics.accuracy import evaluate_ranking
from disrec.metrics.controllability import Traverser
from disrec.metrics.representation import Traverse, metric_names, representation_metrics, undefined
from disrec.models import Recommender, load_trained_model
from disrec.storage import read_json, read_parquet, write_json

log = logging.getLogger(__name__)


def beta_note(beta: float | None, reached: float | None) -> str | None:
    """A note when the final fit's KL weight stopped short of the configured beta (annealing too long)."""
    if beta is None or reached is None or reached >= beta * (1 - 1e-9):
        return None
    return f"KL weight reached {reached:.4g}, below beta {beta:g}: annealing was longer than the final fit"


def traversal_of(model: Recommender, train: sp.csr_matrix, item_concepts: np.ndarray, codes: np.ndarray,
                 settings: dict[str, Any]) -> Traverse:
    """Controllability of ``model`` for an importance matrix and train factors (kept concepts in ``item_concepts``);
    one traverser for the run, so the null's traversals reuse the real one's decoded shifts."""
    return Traverser(model, train, item_concepts, codes, settings["steps"], settings["k"])


def evaluate_run(dataset: str, model_name: str, evaluation: dict[str, Any], seed: int, threads: int, *,
                 user_ids: str, item_ids: str, train_split: str, test_out: str, weights: str, training_report: str,
                 codes_train: str, codes_valid_in: str, factors_train: str, factors_valid_in: str,
                 item_concepts: str, report: str) -> None:
    """The model is rebuilt from the settings and beta its training report records (tuned ones included)."""
    training = read_json(training_report)
    settings, beta = training["settings"], training["beta"]
    n_users, n_items = len(read_parquet(user_ids)), len(read_parquet(item_ids))
    seconds: dict[str, float] = {}
    missing: dict[str, str] = {}

    if training["status"] == "failed":
        reason = f"training failed: {training['reason']}"
        metrics = {name: float("nan") for name in [*accuracy_names(evaluation["ks"]), *metric_names()]}
        missing = {name: reason for name in metrics}
        status, representation = "failed", undefined(reason)
    else:
        started = time.perf_counter()
        model = load_trained_model(model_name, settings, beta, n_items, weights)
        train = interaction_matrix(read_parquet(train_split), n_users, n_items)
        accuracy = evaluate_ranking(model.scores, train, interaction_matrix(read_parquet(test_out), n_users, n_items),
                                    evaluation["ks"])
        seconds["accuracy"] = time.perf_counter() - started
        log.info("accuracy: %s", {k: round(v, 4) for k, v in accuracy.items()})
        if training["code_size"] is None:
            representation = undefined(f"{model_name} has no user representation")
        else:
            train_codes, valid_codes = read_parquet(codes_train), read_parquet(codes_valid_in)
            train_factors, valid_factors = read_parquet(factors_train), read_parquet(factors_valid_in)
            names = [c for c in train_factors.columns if c != "user"]
            codes = train_codes.drop(columns="user").to_numpy()
            concepts = read_parquet(item_concepts).sort_values("item")[names].to_numpy().astype(bool)
            representation = representation_metrics(
                codes, valid_codes.drop(columns="user").to_numpy(), train_factors[names].to_numpy(),
                valid_factors[names].to_numpy(), names, evaluation, seed, n_jobs=threads,
                traverse=traversal_of(model, train, concepts, codes, evaluation["controllability"]))
        metrics = {name: accuracy[name] for name in accuracy_names(evaluation["ks"])}
        metrics.update(representation["metrics"])
        seconds.update(representation["seconds"])
        missing.update(representation["missing"])
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
        "lime_underdetermined": representation.get("lime_underdetermined"),
        "controllability": representation.get("controllability"), "chance": representation.get("chance"),
        "evaluation": evaluation,
    }, report)
