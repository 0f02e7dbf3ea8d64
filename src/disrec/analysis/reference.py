"""Our representation metrics next to the study's released per-run numbers, for datasets both have.

The released accuracy numbers are unusable (see reference/README.md), so only
disentanglement, completeness, LIME and SHAP are compared.
"""

from __future__ import annotations

import pandas as pd

COMPARED = {"disentanglement": "disentanglement", "completeness": "completeness", "lime": "lime", "shap": "shap"}
COLUMNS = ["dataset", "reference_dataset", "model", "beta", "metric", "ours_mean", "ours_sd", "ours_n",
           "theirs_mean", "theirs_sd", "theirs_n"]


def compare_with_reference(runs: pd.DataFrame, reference: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``names`` maps our dataset names to the reference's (datasets without a name are skipped)."""
    rows = []
    for (dataset, model, beta), ours in runs.groupby(["dataset", "model", "beta"], dropna=False, sort=False):
        theirs = reference[(reference["dataset"] == names.get(dataset)) & (reference["model"] == model)]
        if theirs.empty:
            continue
        for metric, their_column in COMPARED.items():
            rows.append({
                "dataset": dataset, "reference_dataset": names[dataset], "model": model, "beta": beta,
                "metric": metric, "ours_mean": ours[metric].mean(), "ours_sd": ours[metric].std(),
                "ours_n": int(ours[metric].notna().sum()), "theirs_mean": theirs[their_column].mean(),
                "theirs_sd": theirs[their_column].std(), "theirs_n": int(theirs[their_column].notna().sum()),
            })
    return pd.DataFrame(rows, columns=COLUMNS)
