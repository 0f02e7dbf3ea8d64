"""One tidy table of all runs (SPEC section 8), built from the runs' evaluation JSON files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from disrec.grid import MODEL_NAMES
from disrec.metrics import ACCURACY_METRICS, REPRESENTATION_METRICS
from disrec.storage import read_json

# The metrics the study correlates (SPEC section 8), with the labels figures use.
CORRELATED = {"ndcg@10": "NDCG@10", "recall@10": "Recall@10", "mrr@10": "MRR@10", "coverage@10": "Coverage@10",
              "disentanglement": "D", "completeness": "C", "lime": "LIME", "shap": "SHAP"}
KEY_COLUMNS = ["dataset", "model", "beta", "variant", "seed"]


def variant_label(model: str, beta: float | None, beta_tuned: bool = False) -> str:
    """The model as a subject of the analysis: one per (model, beta); one for a beta the search chose."""
    if beta_tuned:
        return f"{model} β tuned"
    return model if beta is None or pd.isna(beta) else f"{model} β={beta:g}"


def collect_runs(evaluation_paths: list[str]) -> pd.DataFrame:
    """Rows sorted by dataset, model (study order), beta, seed; metrics as float columns (NaN = missing)."""
    rows, metrics = [], set()
    for path in evaluation_paths:
        result = read_json(path)
        metrics |= set(result["metrics"])
        rows.append({
            "dataset": result["dataset"], "model": result["model"],
            "beta": np.nan if result["beta"] is None else float(result["beta"]),
            "beta_reached": np.nan if result["beta_reached"] is None else float(result["beta_reached"]),
            "variant": variant_label(result["model"], result["beta"], result["beta_tuned"]),
            "seed": int(result["seed"]),
            **{name: np.nan if value is None else float(value) for name, value in result["metrics"].items()},
            "status": result["status"], "reason": missing_reason(result["missing"]),
            "note": result["training_note"], "code_size": result["code_size"],
            "training_status": result["training_status"],
            "train_seconds": float(result["train_seconds"]),
            "evaluation_seconds": float(sum(result["evaluation_seconds"].values())),
            "device": result["device"], "tuned": bool(result["tuned"]), "beta_tuned": bool(result["beta_tuned"]),
        })
    table = pd.DataFrame(rows)
    ordered = sorted(metrics, key=metric_order)
    table = table[[*KEY_COLUMNS, *ordered, *[c for c in table.columns if c not in KEY_COLUMNS + ordered]]]
    order = {name: i for i, name in enumerate(MODEL_NAMES)}
    table = table.sort_values(["dataset", "model", "beta", "seed"], key=lambda c: c.map(order) if c.name == "model"
                              else c, na_position="first", kind="stable")
    return table.reset_index(drop=True)


def missing_reason(missing: dict[str, str]) -> str | None:
    """One reason when every missing metric shares it, else 'metric: reason' for each."""
    reasons = list(dict.fromkeys(missing.values()))
    if len(reasons) <= 1:
        return next(iter(reasons), None)
    return "; ".join(f"{name}: {reason}" for name, reason in missing.items())


def metric_order(name: str) -> tuple:
    """Accuracy by K, then NDCG, Recall, MRR, Coverage; then the representation metrics."""
    if "@" in name:
        metric, k = name.split("@")
        return (0, int(k), ACCURACY_METRICS.index(metric))
    return (1, REPRESENTATION_METRICS.index(name), 0)


def metric_columns(runs: pd.DataFrame) -> list[str]:
    """Every metric column of the runs table, accuracy first."""
    fixed = set(KEY_COLUMNS) | {"beta_reached", "status", "reason", "note", "code_size", "training_status",
                                "train_seconds", "evaluation_seconds", "device", "tuned", "beta_tuned"}
    return sorted((c for c in runs.columns if c not in fixed), key=metric_order)


def summarise_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and count over seeds of every metric, per dataset x model variant (beta: the mean of a
    tuned variant's betas)."""
    metrics = metric_columns(runs)
    grouped = runs.groupby(["dataset", "model", "variant"], dropna=False, sort=False)
    stats = grouped[metrics + ["train_seconds", "evaluation_seconds"]].agg(["mean", "std", "count"])
    stats.columns = [f"{metric}_{'sd' if stat == 'std' else stat}" for metric, stat in stats.columns]
    stats.insert(0, "beta", grouped["beta"].mean())
    stats.insert(1, "beta_reached_mean", grouped["beta_reached"].mean())
    stats.insert(2, "beta_reached_min", grouped["beta_reached"].min())
    stats.insert(3, "runs", grouped.size())
    stats.insert(4, "runs_ok", grouped["status"].agg(lambda s: int((s == "ok").sum())))
    return stats.reset_index()
