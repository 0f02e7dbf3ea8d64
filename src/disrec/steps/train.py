"""The train job: fit one (dataset, model, beta, seed) and write weights, user codes and a report.

Gradient-trained models are fit twice (docs/methods.md §5): first on ``valid_in``
with early stopping on NDCG@K of ``valid_out`` (restoring the best weights),
then afresh on ``train`` for the epoch count that fit chose
(``training.final_epochs``). Closed-form models are fit once on ``train``.
The KL weight of the final fit's last step is the run's beta reached. A failed fit (non-finite loss), codes
that are non-finite or constant, and a tuned beta that no search trial survived to choose are recorded as
the run's status, not raised, so the rest of the study goes on.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch

from disrec.codes import code_health, codes_table, user_codes
from disrec.device import describe_device, resolve_device
from disrec.grid import KL_MODELS
from disrec.matrices import read_matrices
from disrec.models import Recommender, build_model
from disrec.storage import atomic_path, read_json, write_json, write_parquet
from disrec.training import TrainingLog, final_fit_epochs, selection_fit, train

log = logging.getLogger(__name__)


def _curve(record: TrainingLog) -> list[dict[str, float]]:
    scores = {e["epoch"]: e["score"] for e in record.evaluations}
    return [{**entry, **({"valid_score": scores[entry["epoch"]]} if entry["epoch"] in scores else {})}
            for entry in record.losses]


def _summary(record: TrainingLog | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"epochs": record.epochs, "best_epoch": record.best_epoch, "best_valid_score": record.best_score,
            "stopped_early": record.stopped_early, "kl_weight_reached": record.kl_weight_reached,
            "status": record.status, "reason": record.reason, "seconds": record.seconds, "curve": _curve(record)}


def train_run(dataset: str, model_name: str, settings: dict[str, Any], training: dict[str, Any] | None,
              beta: float | None, seed: int, threads: int, *, user_ids: str, item_ids: str, train_split: str,
              valid_in: str, valid_out: str, weights: str, codes_train: str, codes_valid_in: str,
              report: str, tuned: str | None = None) -> None:
    """``training`` (device, early stopping) is given for gradient-trained models only; ``tuned``, the
    search's best.json, overrides ``settings`` (and beta, when the search chose it)."""
    started = time.perf_counter()
    beta_tuned = False
    if tuned:
        best = read_json(tuned)
        settings = {**settings, **best["settings"]}
        beta_tuned = best["beta"] is not None
        beta = best["beta"] if beta_tuned else beta
        log.info("tuned settings from %s: %s", tuned, best["settings"])
    device = resolve_device(training["device"]) if training else torch.device("cpu")
    n_users, n_items, matrices = read_matrices(user_ids, item_ids,
                                      {"train": train_split, "valid_in": valid_in, "valid_out": valid_out})

    def fresh_model() -> Recommender:
        torch.manual_seed(seed)
        return build_model(model_name, n_items, settings, beta).to(device)

    model, selection, final, unfit = None, None, None, None
    if beta is None and model_name in KL_MODELS:  # a tuned beta (config allows no other) the search never chose
        unfit = f"the search ({tuned}) chose no beta: all {best['trials']} of its trials failed (see trials.parquet)"
    elif (model := fresh_model()).closed_form:
        model.fit(matrices["train"], seed)
    else:
        selection = selection_fit(model, settings, training, seed, matrices, device)
        if selection.status == "ok":
            epochs = final_fit_epochs(selection, training["final_epochs"], training["eval_every"],
                                      training["patience"], settings["max_epochs"])
            log.info("final fit on train for %d epochs", epochs)
            model = fresh_model()
            final = train(model, matrices["train"], max_epochs=epochs, lr=settings["lr"],
                          batch_size=settings["batch_size"], seed=seed, device=device)

    failed = next((r for r in (selection, final) if r is not None and r.status != "ok"), None)
    codes = {name: user_codes(model, matrices[name], device) if model is not None and model.has_code else None
             for name in ("train", "valid_in")}
    if unfit is not None:
        status, reason, constant = "failed", unfit, []
    elif failed is not None:
        status, reason, constant = "failed", failed.reason, []
    elif codes["train"] is not None:
        status, reason, constant = code_health(codes["train"])
    else:
        status, reason, constant = "ok", None, []
    if reason:
        log.warning("%s", reason)

    with atomic_path(weights) as tmp:
        torch.save({} if model is None else model.state_dict(), tmp)
    write_parquet(codes_table(codes["train"], n_users), codes_train)
    write_parquet(codes_table(codes["valid_in"], n_users), codes_valid_in)
    write_json({
        "dataset": dataset, "model": model_name, "beta": beta, "seed": seed,
        "beta_reached": final.kl_weight_reached if final is not None and beta is not None else None,
        "status": status, "reason": reason, "constant_code_dims": constant,
        "code_size": None if codes["train"] is None else int(codes["train"].shape[1]),
        "device": str(device), "device_name": describe_device(device), "threads": threads,
        "train_seconds": time.perf_counter() - started,
        "selection": _summary(selection), "final": _summary(final),
        "settings": settings, "training": training, "tuned": bool(tuned), "beta_tuned": beta_tuned,
    }, report)
