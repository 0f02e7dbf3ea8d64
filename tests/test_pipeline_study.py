"""The whole study through Snakemake on a tiny config: outputs, numbers, report, and partial reruns."""

import copy
import re
import shutil

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from PIL import Image

from conftest import SMALL_SYNTHETIC, base_config, snakemake_runner

pytestmark = pytest.mark.slow

FAST = {"hidden": [32], "max_epochs": 10, "batch_size": 100}
GATHER = {"runs_table", "correlations", "reference_comparison", "correlation_figures", "beta_tradeoff_figure",
          "metrics_figure", "more_correlations", "more_correlation_figures", "controllability_figure", "all"}


def tiny_config(tmp_path):
    config = base_config(tmp_path, {"synthetic": SMALL_SYNTHETIC}, ["synthetic"], seeds=(41, 53),
                         models=("puresvd", "multivae"))
    config["models"] = {"multivae": {**FAST, "betas": [0.1, 0.5]}}
    config["evaluation"] = {"grids": {"gbt": {"n_estimators": [20], "max_depth": [2]}}}
    return config


@pytest.fixture(scope="module")
def study(tmp_path_factory, run_snakemake_module):
    tmp_path = tmp_path_factory.mktemp("study")
    config = tiny_config(tmp_path)
    run_snakemake_module(tmp_path / "run", config)
    return tmp_path, config


@pytest.fixture(scope="module")
def run_snakemake_module():
    return snakemake_runner


def planned_jobs(result) -> list[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run lists."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout):
        match = re.match(r"(?:local)?rule (\w+):", block.strip())
        if match:
            wildcards = re.search(r"wildcards: (.*)", block)
            jobs.append((match.group(1), wildcards.group(1) if wildcards else ""))
    return sorted(jobs)


def test_every_output_exists_and_parses(study):
    tmp_path, _ = study
    results = tmp_path / "results"
    runs = pd.read_parquet(results / "tables" / "runs.parquet")
    assert len(runs) == 3 * 2  # puresvd + multivae at 2 betas, 2 seeds
    assert sorted(runs["variant"].unique()) == ["multivae β=0.1", "multivae β=0.5", "puresvd"]
    assert set(runs["status"]) <= {"ok", "representation-undefined", "failed"}
    assert runs["ndcg@10"].notna().all()
    assert pd.read_csv(results / "tables" / "runs.csv").shape == runs.shape
    summary = pd.read_csv(results / "tables" / "summary.csv")
    assert len(summary) == 3 and (summary["runs"] == 2).all()
    for table in ("extended", "chance", "partial"):
        assert pd.read_csv(results / "tables" / f"rmcorr_{table}_by_dataset.csv")["x"].notna().all()
    assert runs["controllability"].notna().all() and runs["shap_null"].notna().all()
    for name in ("rmcorr_by_dataset", "rmcorr_by_model", "beta_tradeoff", "metrics_synthetic", "controllability",
                 "rmcorr_extended_by_dataset", "rmcorr_chance_by_dataset", "rmcorr_partial_by_dataset"):
        with Image.open(results / "figures" / f"{name}.png") as image:
            assert image.width > 400 and len(np.unique(np.asarray(image.convert("L")))) > 10
        assert (results / "figures" / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
    assert pd.read_csv(results / "tables" / "reference_comparison.csv").empty  # no published dataset here


def test_rm_corr_table_equals_pingouin_on_the_runs_table(study):
    tmp_path, _ = study
    runs = pd.read_parquet(tmp_path / "results" / "tables" / "runs.parquet")
    table = pd.read_csv(tmp_path / "results" / "tables" / "rmcorr_by_dataset.csv")
    assert len(table) == 28 and table["r"].notna().any()
    for row in table.dropna(subset=["r"]).itertuples():
        data = runs[[row.x, row.y, "variant"]].dropna()
        expected = pg.rm_corr(data=data, x=row.x, y=row.y, subject="variant").iloc[0]
        assert row.r == pytest.approx(expected["r"], abs=1e-12) and row.dof == expected["dof"]


def test_report_is_self_contained_html(study, run_snakemake_module):
    tmp_path, config = study
    report = tmp_path / "results" / "report.html"
    run_snakemake_module(tmp_path / "run", config, "--report", str(report))
    text = report.read_text()
    assert "<html" in text.lower() and "beta_tradeoff.png" in text and "rmcorr_by_dataset.csv" in text


@pytest.mark.parametrize("change, expected", [
    ("lr", {("train", m) for m in ("0.1", "0.5")} | {("evaluate", m) for m in ("0.1", "0.5")}),
    ("filter", {"prepare_dataset", "split", "user_factors", "dataset_summary", "train", "train_closed_form",
                "evaluate"}),
    ("betas", {("train", "1.0"), ("evaluate", "1.0")}),
    ("seeds", {"split", "user_factors", "dataset_summary", "train", "train_closed_form", "evaluate"}),
])
def test_a_config_change_reruns_only_what_depends_on_it(study, run_snakemake_module, change, expected):
    tmp_path, config = study
    edited = copy.deepcopy(config)
    workdir = tmp_path / f"edit-{change}"
    shutil.copytree(tmp_path / "run" / ".snakemake", workdir / ".snakemake")  # the provenance records
    if change == "lr":
        edited["models"]["multivae"]["lr"] = 0.01
    elif change == "filter":
        edited["datasets"]["synthetic"]["min_item_interactions"] = 3
    elif change == "betas":
        edited["models"]["multivae"]["betas"] = [0.1, 0.5, 1.0]
    else:
        edited["study"]["seeds"] = [41, 53, 61]
    jobs = planned_jobs(run_snakemake_module(workdir, edited, "--dry-run"))
    rules = {rule for rule, _ in jobs}
    assert GATHER <= rules
    non_gather = [(rule, wildcards) for rule, wildcards in jobs if rule not in GATHER]
    if change in ("lr", "betas"):
        assert {(rule, re.search(r"beta=([^,]+)", w).group(1)) for rule, w in non_gather} == expected
        assert all("model=multivae" in w for _, w in non_gather)
        assert len(non_gather) == 2 * len(expected)  # both seeds
    elif change == "filter":
        assert {rule for rule, _ in non_gather} == expected
    else:
        assert {rule for rule, _ in non_gather} == expected
        assert all("seed=61" in w for rule, w in non_gather if rule != "dataset_summary")
