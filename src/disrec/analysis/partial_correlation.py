"""Repeated-measures correlation with a covariate held fixed (here: the code size).

rm_corr (Bakdash & Marusich 2017) is the correlation of x and y after each is
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

import numpy as np
import pandas as pd
import pingouin as pg


def rm_partial_corr(frame: pd.DataFrame, x: str, y: str, subject: str, covariate: str) -> dict:
    """{'r', 'p', 'dof', 'ci95_low', 'ci95_high', 'n', 'subjects', 'reason', 'note'} for x and y within subjects
    at a fixed ``covariate``. NaN values with the reason when it is undefined."""
    data = frame[[x, y, subject, covariate]].dropna()
    subjects = int(data[subject].nunique())
    row = {"x": x, "y": y, "r": np.nan, "p": np.nan, "dof": np.nan, "ci95_low": np.nan, "ci95_high": np.nan,
           "n": len(data), "subjects": subjects, "reason": None, "note": None}
    if subjects < 3:
        row["reason"] = f"needs at least 3 subjects ({subject}) with both metrics and {covariate}; found {subjects}"
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
    low, high = result["CI95"]
    row.update(r=float(result["r"]), p=float(result["p_val"]), dof=int(len(columns) - len(covariates) - 2),
               ci95_low=float(low), ci95_high=float(high))
    return row
