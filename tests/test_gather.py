"""The gather stage on hand-made evaluation files: runs table, summary, rm_corr, reference, figures."""

import json

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from PIL import Image

from disrec.analysis.runs_table import CORRELATED
from disrec.steps.gather import (build_correlations, build_reference_comparison, build_runs_table,
                                 draw_beta_tradeoff, draw_correlation_figures, draw_metrics_by_model)

MODELS = [("toppop", None), ("puresvd", None), ("multivae", 0.2), ("multivae", 1.0), ("betavae", 2.0)]
ALL_MODELS = ["toppop", "puresvd", "multivae", "betavae"]


def fake_evaluation(folder, dataset, model, beta, seed, rng, status="ok"):
    metrics = {f"{m}@{k}": float(rng.random()) for k in (10, 50) for m in ("ndcg", "recall", "mrr", "coverage")}
    metrics.update({m: float(rng.random()) for m in ("disentanglement", "completeness", "informativeness", "lime",
                                                      "shap")})
    missing = {}
    if model == "toppop":
        missing = {m: "toppop has no user representation" for m in ("disentanglement", "completeness",
                                                                      "informativeness", "lime", "shap")}
        status = "representation-undefined"
    if status == "failed":
        missing = {m: "training failed: non-finite loss at epoch 3" for m in metrics}
    for name in missing:
        metrics[name] = None
    path = folder / f"{dataset}_{model}_{beta}_{seed}.json"
    path.write_text(json.dumps({
        "dataset": dataset, "model": model, "beta": beta, "beta_tuned": False, "tuned": False, "seed": seed,
        "beta_reached": None if beta is None else beta * (0.5 if model == "multivae" and beta == 1.0 else 1.0),
        "code_size": None if model == "toppop" else 4, "training_note": None,
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
    build_correlations(out["runs.parquet"], ALL_MODELS, by_dataset=out["by_dataset.csv"],
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


def test_figures_are_real_images(gathered):
    out, folder = gathered
    names = {key: str(folder / f"{key}.{ext}") for key in ("ds", "model", "beta", "metrics") for ext in ("pdf",)}
    pngs = {key: str(folder / f"{key}.png") for key in ("ds", "model", "beta", "metrics")}
    draw_correlation_figures(out["by_dataset.csv"], out["by_model.csv"], ALL_MODELS, dataset_pdf=names["ds"],
                             dataset_png=pngs["ds"], model_pdf=names["model"], model_png=pngs["model"])
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
    build_correlations(out["runs.parquet"], ["multivae", "betavae", "puresvd"], by_dataset=str(by_dataset),
                       by_model=str(by_model))
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
