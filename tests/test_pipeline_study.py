"""The whole study through Snakemake on a tiny config: outputs, numbers, report, and partial reruns."""

import base64
import copy
import importlib.metadata
import json
import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from packaging.requirements import Requirement
from PIL import Image

from conftest import REPO, SMALL_SYNTHETIC, base_config, snakemake_runner
from headless_chromium import Chromium

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


MORE_CORRELATIONS = [f"rmcorr_{table}_by_{group}" for table in ("extended", "chance", "partial")
                     for group in ("dataset", "model")]
REPORTED = {"tables": ["runs.csv", "summary.csv", "rmcorr_by_dataset.csv", "rmcorr_by_model.csv",
                       "reference_comparison.csv", *(f"{name}.csv" for name in MORE_CORRELATIONS)],
            "figures": ["rmcorr_by_dataset.png", "rmcorr_by_model.png", "beta_tradeoff.png", "metrics_synthetic.png",
                        "controllability.png", *(f"{name}.png" for name in MORE_CORRELATIONS)]}


@pytest.fixture(scope="module")
def report(study, run_snakemake_module):
    tmp_path, config = study
    path = tmp_path / "results" / "report.html"
    run_snakemake_module(tmp_path / "run", config, "--report", str(path))
    return path


def test_the_report_needs_only_the_main_install(report):
    """What `snakemake --report` needs beyond snakemake's own requirements (snakemake's "reports" extra) is a
    main dependency of disrec: `pip install -e .` alone can write the report, not only the test install."""
    main = {Requirement(pin).name.lower() for pin in
            tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    reports_extra = [Requirement(spec) for spec in importlib.metadata.requires("snakemake")]
    needs = {r.name.lower() for r in reports_extra if r.marker and r.marker.evaluate({"extra": "reports"})}
    assert needs and needs <= main, f"snakemake --report needs {sorted(needs - main)}; add them to dependencies"
    text = report.read_text()
    assert "<html" in text.lower() and all(name in text for names in REPORTED.values() for name in names)


@pytest.mark.browser
def test_the_report_shows_every_figure_and_table_in_headless_chromium(report, study, tmp_path):
    _, config = study
    results = report.parent
    with Chromium(tmp_path) as browser:
        page = browser.open(report.as_uri())
        landing = browser.wait_for(page, "document.body.innerText.includes('Which configuration produced it') "
                                         "&& document.body.innerText")
        assert "seeds: 41, 53" in landing and "multivae beta: 0.1, 0.5" in landing
        assert f'"results_dir": "{config["results_dir"]}"' in landing  # the full configuration
        browser.screenshot(page, tmp_path / "report_landing.png")
        listed = browser.evaluate(page, "Object.keys(results)")
        assert sorted(Path(key).name for key in listed) == sorted(REPORTED["tables"] + REPORTED["figures"])
        for key in listed:
            name = Path(key).name
            uri = browser.evaluate(page, f"results[{json.dumps(key)}].data_uri")
            folder = "tables" if name in REPORTED["tables"] else "figures"
            assert base64.b64decode(uri.split(",", 1)[1]) == (results / folder / name).read_bytes(), name
            if name in REPORTED["figures"]:
                browser.evaluate(page, f"app.setView({{content: 'img', resultPath: {json.dumps(key)}, "
                                       f"contentPath: results[{json.dumps(key)}].data_uri}})")
                size = browser.wait_for(page, "(i => i && i.complete && i.naturalWidth && "
                                              "[i.naturalWidth, i.naturalHeight])"
                                              "(document.querySelector('img[src^=\"data:image/png\"]'))")
                with Image.open(results / folder / name) as image:
                    assert tuple(size) == image.size, name
                browser.screenshot(page, tmp_path / f"report_{Path(name).stem}.png")
        for category, names in (("Tables", REPORTED["tables"]), ("Figures", REPORTED["figures"])):
            # back to the menu first, as a reader clicks: the report keeps a listing open across categories
            browser.evaluate(page, "app.setView({navbarMode: 'menu'})")
            browser.evaluate(page, f"app.showCategory({json.dumps(category)})")
            browser.wait_for(page, f"{json.dumps(names)}.every(name => document.body.innerText.includes(name))")
            browser.screenshot(page, tmp_path / f"report_{category.lower()}_menu.png")
        assert browser.script_errors() == []


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
