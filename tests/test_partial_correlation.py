"""Repeated-measures partial correlation: rm_corr when the covariate is held fixed by the subjects, and a real
adjustment when the covariate varies within subjects."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from disrec.analysis.correlation import rm_corr_pair, rm_partial_corr


def runs(seed=0, subjects=4, seeds=5, size_within=False):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(subjects):
        for _ in range(seeds):
            size = float(rng.integers(2, 20)) if size_within else float(10 + 5 * s)
            confound = 0.1 * size
            rows.append({"variant": f"m{s}", "code_size": size, "a": s + confound + rng.normal(scale=0.3),
                         "b": -s + confound + rng.normal(scale=0.3)})
    return pd.DataFrame(rows)


def test_without_within_subject_variation_it_is_rm_corr():
    frame = runs()
    ours = rm_partial_corr(frame, "a", "b", "variant", "code_size")
    reference = pg.rm_corr(data=frame, x="a", y="b", subject="variant").iloc[0]
    assert ours["r"] == pytest.approx(reference["r"], abs=1e-10)
    assert ours["p"] == pytest.approx(reference["pval"], rel=1e-8)
    assert ours["dof"] == reference["dof"] and "constant within every subject" in ours["note"]
    # the same interval as rm_corr's (Fisher z from dof + 2 observations), at full precision
    plain = rm_corr_pair(frame, "a", "b", "variant")
    assert (ours["ci95_low"], ours["ci95_high"]) == pytest.approx((plain["ci95_low"], plain["ci95_high"]), abs=1e-12)
    assert ours["ci95_low"] != round(ours["ci95_low"], 2)


def test_a_covariate_that_drives_both_metrics_within_subjects_is_held_fixed():
    frame = runs(size_within=True)
    plain = pg.rm_corr(data=frame, x="a", y="b", subject="variant").iloc[0]
    adjusted = rm_partial_corr(frame, "a", "b", "variant", "code_size")
    assert plain["r"] > 0.5  # the shared code size makes a and b move together across seeds
    assert abs(adjusted["r"]) < 0.4 and adjusted["note"] is None
    assert adjusted["dof"] == plain["dof"] - 1
    # Residualising both metrics on the subjects and the covariate and correlating gives the same r.
    design = np.column_stack([pd.get_dummies(frame["variant"], dtype=float).to_numpy(), frame["code_size"]])
    residual = {m: frame[m] - design @ np.linalg.lstsq(design, frame[m], rcond=None)[0] for m in ("a", "b")}
    assert adjusted["r"] == pytest.approx(np.corrcoef(residual["a"], residual["b"])[0, 1], abs=1e-10)


def test_too_few_subjects_is_a_reason():
    result = rm_partial_corr(runs(subjects=2), "a", "b", "variant", "code_size")
    assert np.isnan(result["r"]) and "at least 3 subjects" in result["reason"]
