"""The train job: fit one (dataset, model, beta, seed) and write weights, user codes and a report.

Gradient-trained models are fit twice (docs/methods.md §5): first on ``valid_in``
with early stopping on NDCG@K of ``valid_out`` (restoring the best weights),
then afresh on ``train`` for the epoch count that fit chose
(``training.final_epochs``). Closed-form models are fit once on ``train``.
The KL weight of the final fit's last step is the run's beta reached. A failed fit (non-finite loss) or codes that are
non-finite or constant are recorded as the run's status, not raised, so the
rest of the study goes on.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from disrec.device import dense_rows, describe_device, resolve_device
from disrec.matrices import interaction_matrix, row_batches
from disrec.metrics.accuracy import evaluate_ranking
from disrec.metrics.classifiers import bad_code_columns
from disrec.models import Recommender, build_model
from disrec.storage import atomic_path, read_json, read_parquet, write_json, write_parquet
from disrec.training import TrainingLog, final_fit_epochs, train

log = logging.getLogger(__name__)


def user_codes(model: Recommender, matrix: sp.csr_matrix, device: torch.device, batch_size: int = 1024) -> np.ndarray:
    """(n_users, code_size) codes of every row of ``matrix``, in evaluation mode."""
    model.eval()
    with torch.no_grad():
        parts = [model.codes(dense_rows(matrix, rows, device)).cpu().numpy()
                 for rows in row_batches(matrix.shape[0], batch_size)]
    return np.concatenate(parts).astype(np.float32)


def codes_table(codes: np.ndarray | None, n_users: int) -> pd.DataFrame:
    """``user`` then ``z0..z{d-1}``; just ``user`` for a model without a code."""
    table = pd.DataFrame({"user": np.arange(n_users, dtype=np.int32)})
    if codes is not None:
        table = pd.concat([table, pd.DataFrame(codes, columns=[f"z{j}" for j in range(codes.shape[1])])], axis=1)
    return table


def code_health(codes: np.ndarray) -> tuple[str, str | None, list[int]]:
    """('ok' | 'failed' | 'collapsed', reason, constant columns) for train codes."""
    non_finite, constant = bad_code_columns(codes)
    if non_finite:
        return "failed", "user codes contain NaN or infinite values", []
    if constant:
        return "collapsed", f"code dimensions {constant} are constant over users (posterior collapse)", constant
    return "ok", None, []


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


def read_matrices(user_ids: str, item_ids: str,
                  splits: dict[str, str]) -> tuple[int, int, dict[str, sp.csr_matrix]]:
    """(n_users, n_items, {split name: users x items matrix}) for the named split files."""
    n_users, n_items = len(read_parquet(user_ids)), len(read_parquet(item_ids))
    return n_users, n_items, {name: interaction_matrix(read_parquet(path), n_users, n_items)
                              for name, path in splits.items()}


def validation_score(model: Recommender, matrices: dict[str, sp.csr_matrix], k: int, device: torch.device) -> float:
    """NDCG@k on valid_out of the model's rankings from valid_in: what selection and tuning maximise."""
    return evaluate_ranking(model.scores, matrices["valid_in"], matrices["valid_out"], [k], device)[f"ndcg@{k}"]


def selection_fit(model: Recommender, settings: dict[str, Any], training: dict[str, Any], seed: int,
                  matrices: dict[str, sp.csr_matrix], device: torch.device) -> TrainingLog:
    """Fit on valid_in with early stopping on valid_out NDCG@k: chooses the epoch count, scores a trial."""
    k = training["validation_k"]
    log.info("selection fit on valid_in, early stopping on valid_out NDCG@%d", k)
    return train(model, matrices["valid_in"], max_epochs=settings["max_epochs"],
                 validate=lambda candidate: validation_score(candidate, matrices, k, device),
                 eval_every=training["eval_every"], patience=training["patience"], seed=seed, device=device,
                 lr=settings["lr"], batch_size=settings["batch_size"])


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

    model, selection, final = fresh_model(), None, None
    if model.closed_form:
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
    codes = {name: user_codes(model, matrices[name], device) if model.has_code else None
             for name in ("train", "valid_in")}
    if failed is not None:
        status, reason, constant = "failed", failed.reason, []
    elif codes["train"] is not None:
        status, reason, constant = code_health(codes["train"])
    else:
        status, reason, constant = "ok", None, []
    if reason:
        log.warning("%s", reason)

    with atomic_path(weights) as tmp:
        torch.save(model.state_dict(), tmp)
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


def load_trained_model(model_name: str, settings: dict[str, Any], beta: float | None, n_items: int,
                       weights: str, device: torch.device | str = "cpu") -> Recommender:
    """Rebuild a model from its config and the weights written by ``train_run`` (read with weights_only)."""
    model = build_model(model_name, n_items, settings, beta)
    model.load_state_dict(torch.load(weights, map_location=device, weights_only=True))
    return model.to(device).eval()
