"""The gather stage on hand-made evaluation files: runs table, summary, rm_corr, reference, figures."""

import json

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from PIL import Image

from disrec.analysis.correlation import correlation_metrics
from disrec.analysis.figures import pick_traversals
from disrec.config import validate_config
from disrec.metrics import CODE_METRICS, REPRESENTATION_METRICS, chance_names
from disrec.steps.gather import (
    build_correlations,
    build_reference_comparison,
    build_runs_table,
    draw_beta_tradeoff,
    draw_controllability,
    draw_correlation_figures,
    draw_metrics_by_model,
)

ANALYSIS = validate_config({"study": {"datasets": ["s"]}, "datasets": {"s": {"loader": "synthetic"}}},
                           check_folders=False)["analysis"]
CORRELATED = correlation_metrics(ANALYSIS, "study")

MODELS = [("toppop", None), ("puresvd", None), ("multivae", 0.2), ("multivae", 1.0), ("betavae", 2.0)]
ALL_MODELS = ["toppop", "puresvd", "multivae", "betavae"]


def fake_evaluation(folder, dataset, model, beta, seed, rng, status="ok"):
    metrics = {f"{m}@{k}": float(rng.random()) for k in (10, 50) for m in ("ndcg", "recall", "mrr", "coverage")}
    metrics.update({m: float(rng.random()) for m in REPRESENTATION_METRICS})
    for m in REPRESENTATION_METRICS:
        null = 0.5 * float(rng.random())
        metrics.update(zip(chance_names(m), (null, metrics[m] - null, (metrics[m] - null) / (1 - null))))
    # The code size varies over seeds for puresvd, as when it is tuned; it is fixed for the other models.
    code_size = None if model == "toppop" else (4 if model != "puresvd" else {41: 2, 53: 6, 61: 12}[seed])
    factors = ["c0", "c1", "c2"]
    traversal = {"per_factor": {f: float(rng.random()) for f in factors}, "steps": [-1.0, 0.0, 1.0],
                 "shares": {f: {c: [0.3, 0.3 + 0.1 * (c == f), 0.3 + 0.2 * (c == f)] for c in factors}
                            for f in factors}}
    missing = {}
    if model == "toppop":
        missing = {m: "toppop has no user representation" for m in metrics if "@" not in m}
        status = "representation-undefined"
        traversal = None
    if status == "failed":
        missing = {m: "training failed: non-finite loss at epoch 3" for m in metrics}
    for name in missing:
        metrics[name] = None
    path = folder / f"{dataset}_{model}_{beta}_{seed}.json"
    path.write_text(json.dumps({
        "dataset": dataset, "model": model, "beta": beta, "beta_tuned": False, "tuned": False, "seed": seed,
        "beta_reached": None if beta is None else beta * (0.5 if model == "multivae" and beta == 1.0 else 1.0),
        "code_size": code_size, "training_note": None, "lime_underdetermined": False,
        "controllability": traversal, "evaluation": {"controllability": {"k": 10}},
        "status": status,
        "reason": next(iter(missing.values()), None), "metrics": metrics, "missing": missing,
        "training_status": "failed" if status == "failed" else "ok", "train_seconds": 1.5, "device": "cpu",
        "evaluation_seconds": {"accuracy": 0.1, "shap": 0.2},
    }))
    return str(path)


@pytest.fixture(scope="module")
def gathered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gather")
    rng = np.random.default_rng(0)
    paths = [fake_evaluation(folder, dataset, model, beta, seed, rng,
                             status="failed" if (dataset, model, seed) == ("b", "betavae", 53) else "ok")
             for dataset in ("a", "b", "c") for model, beta in MODELS for seed in (41, 53, 61)]
    out = {name: str(folder / name) for name in ("runs.parquet", "runs.csv", "summary.csv", "by_dataset.csv",
                                                 "by_model.csv", "reference.csv")}
    build_runs_table(paths, runs_parquet=out["runs.parquet"], runs_csv=out["runs.csv"],
                     summary_csv=out["summary.csv"])
    build_correlations(out["runs.parquet"], ALL_MODELS, CORRELATED, by_dataset=out["by_dataset.csv"],
                       by_model=out["by_model.csv"])
    reference = folder / "reference_runs.csv"
    pd.DataFrame({"dataset": ["ML1M"] * 3, "model": ["puresvd"] * 3, "seed": [1, 2, 3],
                  "disentanglement": [0.1, 0.2, 0.3], "completeness": [0.2] * 3, "lime": [0.3] * 3,
                  "shap": [0.4] * 3}).to_csv(reference, index=False)
    build_reference_comparison(out["runs.parquet"], str(reference), {"a": "ML1M"}, output=out["reference.csv"])
    return out, folder


def test_runs_table_has_every_run_with_status(gathered):
    out, _ = gathered
    runs = pd.read_parquet(out["runs.parquet"])
    assert len(runs) == 3 * len(MODELS) * 3
    assert list(runs.columns[:5]) == ["dataset", "model", "beta", "variant", "seed"]
    assert runs["model"].tolist()[:3] == ["toppop"] * 3  # study order, not alphabetical
    failed = runs[runs["status"] == "failed"]
    assert len(failed) == 1 and failed["reason"].iloc[0].startswith("training failed")
    assert failed["ndcg@10"].isna().all()
    assert runs.loc[runs["model"] == "toppop", "shap"].isna().all()
    assert set(runs["variant"]) == {"toppop", "puresvd", "multivae β=0.2", "multivae β=1", "betavae β=2"}
    assert pd.read_csv(out["runs.csv"]).shape == runs.shape


def test_summary_means_and_sds_over_seeds(gathered):
    out, _ = gathered
    runs, summary = pd.read_parquet(out["runs.parquet"]), pd.read_csv(out["summary.csv"])
    row = summary[(summary["dataset"] == "b") & (summary["variant"] == "betavae β=2")].iloc[0]
    values = runs[(runs["dataset"] == "b") & (runs["variant"] == "betavae β=2")]["ndcg@10"]
    assert row["ndcg@10_mean"] == pytest.approx(values.mean()) and row["ndcg@10_sd"] == pytest.approx(values.std())
    assert row["ndcg@10_count"] == 2 and row["runs"] == 3 and row["runs_ok"] == 2


@pytest.mark.parametrize("table, group_by, subject", [("by_dataset.csv", "dataset", "variant"),
                                                      ("by_model.csv", "variant", "dataset")])
def test_rm_corr_equals_pingouin_on_the_runs_table(gathered, table, group_by, subject):
    out, _ = gathered
    runs, result = pd.read_parquet(out["runs.parquet"]), pd.read_csv(out[table])
    pairs = len(CORRELATED) * (len(CORRELATED) - 1) // 2
    assert len(result) == runs[group_by].nunique() * pairs
    for row in result.dropna(subset=["r"]).itertuples():
        data = runs[runs[group_by] == getattr(row, group_by)][[row.x, row.y, subject]].dropna()
        expected = pg.rm_corr(data=data, x=row.x, y=row.y, subject=subject).iloc[0]
        assert row.r == pytest.approx(expected["r"], abs=1e-12)
        assert row.p == pytest.approx(expected["pval"], abs=1e-12)
        assert row.dof == expected["dof"] and row.n == len(data)
        # pingouin rounds its interval to two decimals; ours is the same interval at full precision
        assert [row.ci95_low, row.ci95_high] == pytest.approx(list(expected["CI95"]), abs=0.005 + 1e-12)
    assert result["r"].notna().sum() > 0


def test_too_few_subjects_give_a_reason_not_a_number(gathered):
    out, _ = gathered
    result = pd.read_csv(out["by_model.csv"])
    toppop = result[(result["variant"] == "toppop") & (result["y"] == "shap")]
    assert toppop["r"].isna().all()
    assert toppop["reason"].str.contains("at least 3 subjects").all()


def test_reference_comparison(gathered):
    out, _ = gathered
    comparison = pd.read_csv(out["reference.csv"])
    assert set(comparison["dataset"]) == {"a"} and set(comparison["model"]) == {"puresvd"}
    row = comparison[comparison["metric"] == "disentanglement"].iloc[0]
    assert row["theirs_mean"] == pytest.approx(0.2) and row["theirs_n"] == 3 and row["ours_n"] == 3


@pytest.mark.slow
def test_figures_are_real_images(gathered):
    out, folder = gathered
    names = {key: str(folder / f"{key}.{ext}") for key in ("ds", "model", "beta", "metrics") for ext in ("pdf",)}
    pngs = {key: str(folder / f"{key}.png") for key in ("ds", "model", "beta", "metrics")}
    draw_correlation_figures(out["by_dataset.csv"], out["by_model.csv"], ALL_MODELS, CORRELATED,
                             dataset_pdf=names["ds"], dataset_png=pngs["ds"], model_pdf=names["model"],
                             model_png=pngs["model"])
    draw_beta_tradeoff(out["runs.parquet"], pdf=names["beta"], png=pngs["beta"])
    draw_metrics_by_model(out["runs.parquet"], "a", pdf=names["metrics"], png=pngs["metrics"])
    for key, png in pngs.items():
        with Image.open(png) as image:
            assert image.width > 600 and image.height > 300, key
            assert len(np.unique(np.asarray(image.convert("L")))) > 20, key  # more than a blank canvas
        assert open(names[key], "rb").read(4) == b"%PDF"


def test_rm_corr_from_its_definition():
    """Within-subject centring, one common slope: r = sum(xc yc) / sqrt(sum xc^2 sum yc^2), dof = N - S - 1,
    p from t = r sqrt(dof / (1 - r^2)), CI = Fisher's z interval with n = dof + 2."""
    from scipy import stats

    from disrec.analysis.correlation import rm_corr_pair

    rng = np.random.default_rng(4)
    subjects = np.repeat(np.arange(5), 6)
    x = rng.normal(size=30) + subjects
    y = 0.6 * x + rng.normal(size=30) - 2 * subjects
    frame = pd.DataFrame({"x": x, "y": y, "s": subjects})
    xc = x - frame.groupby("s")["x"].transform("mean").to_numpy()
    yc = y - frame.groupby("s")["y"].transform("mean").to_numpy()
    r = (xc * yc).sum() / np.sqrt((xc ** 2).sum() * (yc ** 2).sum())
    dof = 30 - 5 - 1
    p = 2 * stats.t.sf(abs(r) * np.sqrt(dof / (1 - r ** 2)), dof)
    z, half = np.arctanh(r), stats.norm.ppf(0.975) / np.sqrt(dof + 2 - 3)
    row = rm_corr_pair(frame, "x", "y", "s")
    assert row["r"] == pytest.approx(r, abs=1e-12) and row["dof"] == dof and row["p"] == pytest.approx(p, rel=1e-9)
    assert row["ci95_low"] == pytest.approx(np.tanh(z - half), abs=1e-12)
    assert row["ci95_high"] == pytest.approx(np.tanh(z + half), abs=1e-12)


def test_correlations_take_only_the_configured_models(gathered, tmp_path):
    out, _ = gathered
    by_dataset, by_model = tmp_path / "d.csv", tmp_path / "m.csv"
    build_correlations(out["runs.parquet"], ["multivae", "betavae", "puresvd"], CORRELATED,
                       by_dataset=str(by_dataset), by_model=str(by_model))
    rows = pd.read_csv(by_dataset).dropna(subset=["r"])
    assert (rows["subjects"] == 4).all()  # puresvd, multivae β=0.2 and β=1, betavae β=2; not toppop
    assert "toppop" not in set(pd.read_csv(by_model)["variant"])


def test_runs_table_carries_the_beta_reached_and_code_size(gathered):
    out, _ = gathered
    runs = pd.read_parquet(out["runs.parquet"])
    short = runs[runs["variant"] == "multivae β=1"]
    assert (short["beta_reached"] == 0.5).all() and (short["beta"] == 1.0).all()
    assert runs.loc[runs["model"] == "toppop", "code_size"].isna().all()
    summary = pd.read_csv(out["summary.csv"])
    assert summary.loc[summary["variant"] == "multivae β=1", "beta_reached_mean"].iloc[0] == 0.5


def test_chance_and_extended_tables_take_their_metrics(gathered, tmp_path):
    out, _ = gathered
    chance = correlation_metrics(ANALYSIS, "chance")
    assert chance[:4] == CORRELATED[:4] and chance[4:] == [f"{m}_normalised" for m in CORRELATED[4:]]
    assert set(correlation_metrics(ANALYSIS, "extended")) >= set(CODE_METRICS[5:]) | {"controllability"}
    by_dataset, by_model = tmp_path / "d.csv", tmp_path / "m.csv"
    build_correlations(out["runs.parquet"], ALL_MODELS, chance, by_dataset=str(by_dataset), by_model=str(by_model))
    table = pd.read_csv(by_dataset)
    assert set(table["x"]) | set(table["y"]) == set(chance) and table["r"].notna().any()


def test_partial_correlations_add_the_code_size_where_it_varies_within_subjects(gathered, tmp_path):
    out, _ = gathered
    by_dataset, by_model = tmp_path / "d.csv", tmp_path / "m.csv"
    build_correlations(out["runs.parquet"], ["puresvd", "multivae", "betavae"], ["shap", "ndcg@10"], "code_size",
                       by_dataset=str(by_dataset), by_model=str(by_model))
    partial, plain = pd.read_csv(by_dataset), pd.read_csv(out["by_dataset.csv"])
    plain = plain[(plain["x"] == "ndcg@10") & (plain["y"] == "shap")].set_index("dataset")
    for row in partial.itertuples():  # puresvd's code size varies over seeds: one covariate more, one dof less
        assert pd.isna(row.note) and row.dof == plain.loc[row.dataset, "dof"] - 1
    models = pd.read_csv(by_model)  # within a model variant the subjects are datasets; the code size is fixed
    fixed = models[models["variant"] == "multivae β=0.2"]
    assert fixed["note"].str.contains("constant within every subject").all()


def test_controllability_figure_picks_the_median_seed_and_factor(gathered):
    out, folder = gathered
    evaluations = [json.loads(path.read_text()) for path in sorted(folder.glob("*_*_*_*.json"))]
    picked = pick_traversals(evaluations)
    assert {(p["dataset"], p["variant"]) for p in picked} == {
        (d, v) for d in ("a", "b", "c") for v in ("puresvd", "multivae β=0.2", "multivae β=1", "betavae β=2")}
    for p in picked:
        runs = [e for e in evaluations if e["dataset"] == p["dataset"] and e["model"] == p["model"]
                and e["metrics"]["controllability"] is not None and
                (p["model"] != "multivae" or f"β={e['beta']:g}" in p["variant"])]
        values = sorted(e["metrics"]["controllability"] for e in runs)
        chosen = next(e for e in runs if e["seed"] == p["seed"])
        assert chosen["metrics"]["controllability"] == values[(len(values) - 1) // 2]
        per_factor = sorted(chosen["controllability"]["per_factor"].values())
        assert p["value"] == per_factor[(len(per_factor) - 1) // 2]
    paths = [str(path) for path in sorted(folder.glob("*_*_*_*.json"))]
    draw_controllability(paths, pdf=str(folder / "ctrl.pdf"), png=str(folder / "ctrl.png"))
    with Image.open(folder / "ctrl.png") as image:
        assert image.width > 600 and len(np.unique(np.asarray(image.convert("L")))) > 20


def test_a_subject_seen_once_is_left_out_not_a_crash():
    from disrec.analysis.correlation import rm_corr_pair

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.random(13), "y": rng.random(13), "s": [0] * 4 + [1] * 4 + [2] * 4 + [3]})
    row = rm_corr_pair(frame, "x", "y", "s")
    assert row["subjects"] == 3 and row["n"] == 12 and row["dof"] == 12 - 3 - 1 and np.isfinite(row["r"])
