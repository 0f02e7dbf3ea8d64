"""One tidy table of all runs (docs/methods.md §13), built from the runs' evaluation JSON files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from disrec.grid import MODEL_NAMES
from disrec.metrics import (
    ACCURACY_METRICS,
    CHANCE_FORMS,
    REPRESENTATION_METRICS,
    TRAVERSAL_SUMMARIES,
    split_chance_name,
)
from disrec.storage import read_json

# Short labels of the representation metrics in the correlation heatmaps.
SHORT_LABELS = {"disentanglement": "D", "completeness": "C", "informativeness": "I", "lime": "LIME", "shap": "SHAP",
                "mig": "MIG", "sap": "SAP", "modularity": "Mod", "explicitness": "E", "controllability": "Ctrl"}
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
            "lime_underdetermined": result["lime_underdetermined"],
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
    """Accuracy by K, then NDCG, Recall, MRR, Coverage; then the representation metrics (controllability's
    summaries after it); then every metric's null, its distance above it, and its normalised form."""
    if "@" in name:
        metric, k = name.split("@")
        return (0, int(k), ACCURACY_METRICS.index(metric))
    if name in TRAVERSAL_SUMMARIES:
        return (1, REPRESENTATION_METRICS.index("controllability"), 1 + TRAVERSAL_SUMMARIES.index(name))
    metric, form = split_chance_name(name)
    if form:
        return (2 + CHANCE_FORMS.index(form), REPRESENTATION_METRICS.index(metric), 0)
    return (1, REPRESENTATION_METRICS.index(name), 0)


def metric_label(name: str) -> str:
    """'NDCG@10', 'D', 'D norm.', 'SHAP null', ...: the label of a runs-table metric in figures."""
    if "@" in name:
        metric, k = name.split("@")
        return {"ndcg": "NDCG", "mrr": "MRR"}.get(metric, metric.capitalize()) + f"@{k}"
    if name in TRAVERSAL_SUMMARIES:
        return {"controllability_users_changed": "Ctrl users", "controllability_monotone": "Ctrl monotone"}[name]
    metric, form = split_chance_name(name)
    suffix = {None: "", "null": " null", "above_chance": " - null", "normalised": " norm."}[form]
    return SHORT_LABELS[metric] + suffix


def metric_columns(runs: pd.DataFrame) -> list[str]:
    """Every metric column of the runs table, accuracy first."""
    fixed = set(KEY_COLUMNS) | {"beta_reached", "status", "reason", "note", "code_size", "lime_underdetermined",
                                "training_status", "train_seconds", "evaluation_seconds", "device", "tuned",
                                "beta_tuned"}
    return sorted((c for c in runs.columns if c not in fixed), key=metric_order)


def summarise_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and count over seeds of every metric, per dataset x model variant (beta and code size: the mean
    of a tuned variant's)."""
    metrics = metric_columns(runs)
    grouped = runs.groupby(["dataset", "model", "variant"], dropna=False, sort=False)
    stats = grouped[metrics + ["train_seconds", "evaluation_seconds"]].agg(["mean", "std", "count"])
    stats.columns = [f"{metric}_{'sd' if stat == 'std' else stat}" for metric, stat in stats.columns]
    counts = pd.DataFrame({"beta": grouped["beta"].mean(), "beta_reached_mean": grouped["beta_reached"].mean(),
                           "beta_reached_min": grouped["beta_reached"].min(),
                           "code_size": grouped["code_size"].mean(), "runs": grouped.size(),
                           "runs_ok": grouped["status"].agg(lambda s: int((s == "ok").sum()))})
    return pd.concat([counts, stats], axis=1).copy().reset_index()  # copy: one block per dtype, not per column
