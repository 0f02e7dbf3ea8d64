"""Repeated-measures correlation (Bakdash & Marusich 2017) between every pair of metrics, by pingouin.

Definition and choices: docs/methods.md §13.

Within each dataset the subjects are the model variants (model, beta) and the
seeds are the repeated measures; within each model variant the subjects are
the datasets. pingouin needs at least 3 subjects: with fewer, the row is kept
with NaN values and the reason. The 95% confidence interval is Fisher's z
interval on r with n = dof + 2, as pingouin's, at full precision (pingouin
rounds it to two decimals).

Partial correlation at a fixed covariate (the code size): rm_corr is the correlation of x and y after each is
adjusted for the subject: the partial correlation of x and y given one
indicator column per subject (an ANCOVA with a common slope), with N - S - 1
degrees of freedom for N observations of S subjects. Adding the covariate to
those indicators gives the correlation of x and y within subjects AND at a
fixed covariate, with one degree of freedom fewer; pingouin's
``partial_corr`` computes it (the same r and p as ``rm_corr`` without the
covariate, tested).

Because rm_corr already uses only the variation within subjects, a covariate
that is constant within every subject (the code size of an untuned model
variant, fixed over seeds) is held fixed by rm_corr itself: the partial
correlation then equals rm_corr, and the row says so. The covariate matters
where it varies within subjects, as the code size does when it is tuned per
seed (the study's setup).
"""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pingouin as pg
from scipy.stats import norm

from disrec.metrics import REPRESENTATION_METRICS

COLUMNS = ["group", "x", "y", "r", "p", "dof", "ci95_low", "ci95_high", "n", "subjects", "reason"]
# The tables beside the study's (analysis.correlated): rmcorr_{table}_by_dataset.csv and _by_model.csv.
EXTRA_TABLES = ("extended", "chance", "partial")
PARTIAL_COVARIATE = "code_size"


def correlation_metrics(analysis: dict, table: str) -> list[str]:
    """The runs-table columns a correlation table pairs: ``study`` = analysis.correlated, ``extended`` and
    ``partial`` = analysis.extended, ``chance`` = analysis.correlated with every representation metric
    replaced by its normalised form (m - null) / (1 - null)."""
    if table == "study":
        return list(analysis["correlated"])
    if table == "chance":
        return [f"{name}_normalised" if name in REPRESENTATION_METRICS else name for name in analysis["correlated"]]
    if table in ("extended", "partial"):
        return list(analysis["extended"])
    raise ValueError(f"unknown correlation table {table!r}; expected study or one of {', '.join(EXTRA_TABLES)}")


def repeated(frame: pd.DataFrame, columns: list[str], subject: str) -> pd.DataFrame:
    """The rows with every column present, of subjects seen twice or more: a subject seen once has no
    within-subject variation to contribute (and stops pingouin's ANCOVA)."""
    data = frame[[*columns, subject]].dropna()
    return data[data.groupby(subject)[subject].transform("size") >= 2]


def rm_corr_pair(frame: pd.DataFrame, x: str, y: str, subject: str) -> dict:
    data = repeated(frame, [x, y], subject)
    subjects = int(data[subject].nunique())
    row = {"x": x, "y": y, "r": np.nan, "p": np.nan, "dof": np.nan, "ci95_low": np.nan, "ci95_high": np.nan,
           "n": len(data), "subjects": subjects, "reason": None}
    if subjects < 3:
        row["reason"] = (f"rm_corr needs at least 3 subjects ({subject}) with both metrics in 2 or more runs; "
                         f"found {subjects}")
        return row
    if data.groupby(subject)[x].nunique().max() < 2 or data.groupby(subject)[y].nunique().max() < 2:
        row["reason"] = "a metric does not vary within any subject"
        return row
    result = pg.rm_corr(data=data, x=x, y=y, subject=subject).iloc[0]
    low, high = fisher_interval(float(result["r"]), int(result["dof"]) + 2)
    row.update(r=float(result["r"]), p=float(result["pval"]), dof=int(result["dof"]), ci95_low=low, ci95_high=high)
    return row


def fisher_interval(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of a correlation r from n observations: tanh(atanh(r) -+ z / sqrt(n - 3))."""
    half_width = norm.ppf((1 + confidence) / 2) / np.sqrt(n - 3)
    centre = np.arctanh(np.clip(r, -1.0, 1.0))
    return float(np.tanh(centre - half_width)), float(np.tanh(centre + half_width))


def rm_corr_table(runs: pd.DataFrame, group_by: str, subject: str, metrics: list[str],
                  covariate: str | None = None) -> pd.DataFrame:
    """One row per (group, metric pair): r, p, dof, 95% CI, observations n and subjects; with ``covariate``,
    the repeated-measures partial correlation at a fixed covariate (``rm_partial_corr``) and a note column."""
    rows = []
    for group, frame in runs.groupby(group_by, sort=False):
        for x, y in combinations(metrics, 2):
            row = rm_corr_pair(frame, x, y, subject) if covariate is None else rm_partial_corr(
                frame, x, y, subject, covariate)
            rows.append({"group": group, **row})
    table = pd.DataFrame(rows, columns=COLUMNS if covariate is None else [*COLUMNS, "note"])
    return table.rename(columns={"group": group_by})


def rm_partial_corr(frame: pd.DataFrame, x: str, y: str, subject: str, covariate: str) -> dict:
    """{'r', 'p', 'dof', 'ci95_low', 'ci95_high', 'n', 'subjects', 'reason', 'note'} for x and y within subjects
    at a fixed ``covariate``. NaN values with the reason when it is undefined."""
    data = repeated(frame, [x, y, covariate], subject)
    subjects = int(data[subject].nunique())
    row = {"x": x, "y": y, "r": np.nan, "p": np.nan, "dof": np.nan, "ci95_low": np.nan, "ci95_high": np.nan,
           "n": len(data), "subjects": subjects, "reason": None, "note": None}
    if subjects < 3:
        row["reason"] = (f"needs at least 3 subjects ({subject}) with both metrics and {covariate} in 2 or more runs; "
                         f"found {subjects}")
        return row
    within = data.groupby(subject)
    if within[x].nunique().max() < 2 or within[y].nunique().max() < 2:
        row["reason"] = "a metric does not vary within any subject"
        return row
    indicators = pd.get_dummies(data[subject], prefix="subject", drop_first=True, dtype=float)
    covariates = list(indicators.columns)
    if within[covariate].nunique().max() >= 2:
        covariates.append(covariate)
    else:
        row["note"] = f"{covariate} is constant within every subject: the same as rm_corr, which holds it fixed"
    columns = pd.concat([data[[x, y]].astype(float), data[[covariate]].astype(float), indicators], axis=1)
    if len(columns) - len(covariates) - 2 < 1:
        row["reason"] = f"too few observations ({len(columns)}) for {len(covariates)} covariates"
        return row
    design = columns[covariates].to_numpy()
    if np.linalg.matrix_rank(np.column_stack([np.ones(len(design)), design])) < len(covariates) + 1:
        row["reason"] = f"{covariate} is collinear with the subjects"
        return row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rank checked above, with the names of the columns
        result = pg.partial_corr(data=columns, x=x, y=y, covar=covariates).iloc[0]
    dof = len(columns) - len(covariates) - 2
    low, high = fisher_interval(float(result["r"]), dof + 2)  # pingouin's CI95 comes rounded to 2 decimals
    row.update(r=float(result["r"]), p=float(result["p_val"]), dof=dof, ci95_low=low, ci95_high=high)
    return row
