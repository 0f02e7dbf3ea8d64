"""The tune job: the hyperparameter search of one (dataset, model, beta, seed), resumable.

Trials are appended to a progress file next to the outputs (named by a digest of everything that defines
the search), so a killed job resumes where it stopped; the declared outputs (every trial as Parquet, the
best settings as JSON) are written once the search is complete, and the progress file is then removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from disrec.device import resolve_device
from disrec.grid import KL_MODELS
from disrec.matrices import read_matrices
from disrec.models import build_model
from disrec.storage import write_json, write_parquet
from disrec.training import selection_fit, validation_score
from disrec.tuning import best_trial, run_search, search_space

log = logging.getLogger(__name__)


def tune_run(dataset: str, model_name: str, settings: dict[str, Any], training: dict[str, Any],
             tuning: dict[str, Any], beta: float | None, seed: int, threads: int, *, user_ids: str, item_ids: str,
             valid_in: str, valid_out: str, trials: str, best: str) -> None:
    """``beta`` None on a KL model means the search chooses it too."""
    tune_beta = beta is None and model_name in KL_MODELS
    space = search_space(tuning["spaces"], model_name, tune_beta)
    device = resolve_device(training["device"])
    _, n_items, matrices = read_matrices(user_ids, item_ids, {"valid_in": valid_in, "valid_out": valid_out})
    k = training["validation_k"]

    def objective(overrides: dict[str, Any], trial_beta: float | None) -> dict[str, Any]:
        started = time.perf_counter()
        candidate = {**settings, **overrides}
        torch.manual_seed(seed)
        model = build_model(model_name, n_items, candidate, trial_beta if tune_beta else beta).to(device)
        if model.closed_form:
            model.fit(matrices["valid_in"], seed)
            outcome = {"score": validation_score(model, matrices, k, device), "epochs": None, "status": "ok",
                       "reason": None}
        else:
            fit = selection_fit(model, candidate, training, seed, matrices, device)
            ok = fit.status == "ok" and fit.best_score is not None and math.isfinite(fit.best_score)
            outcome = {"score": fit.best_score if ok else None, "epochs": fit.best_epoch, "status": fit.status,
                       "reason": fit.reason}
        return {**outcome, "seconds": time.perf_counter() - started}

    data = [hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in (valid_in, valid_out)]
    definition = json.dumps([dataset, model_name, settings, training, tuning, beta, seed, data], sort_keys=True)
    progress = Path(best).with_name(f"progress-{hashlib.sha256(definition.encode()).hexdigest()[:16]}.jsonl")
    records = run_search(objective, space, tuning["trials"], tuning["startup_trials"], seed, progress)
    chosen = best_trial(records)
    if chosen is None:
        log.warning("every trial failed; training uses the configured settings%s",
                    ", and with no beta chosen the run is recorded as failed" if tune_beta else "")
    table = pd.DataFrame([{"number": r["number"], "score": r["score"], "status": r["status"], "epochs": r["epochs"],
                           "seconds": r["seconds"], "beta": r["beta"],
                           "params": json.dumps(r["params"], sort_keys=True),
                           "settings": json.dumps(r["settings"], sort_keys=True)} for r in records])
    table["best_so_far"] = table["score"].cummax().ffill()
    write_parquet(table, trials)
    write_json({
        "dataset": dataset, "model": model_name, "seed": seed, "validation": f"ndcg@{k}",
        "trials": len(records), "failed_trials": int(table["score"].isna().sum()),
        "best_trial": None if chosen is None else chosen["number"],
        "score": None if chosen is None else chosen["score"],
        "settings": {} if chosen is None else chosen["settings"],
        "beta": None if chosen is None else chosen["beta"],
    }, best)
    progress.unlink()
