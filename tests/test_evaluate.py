"""The evaluate job: one JSON per run, with every metric or the reason it is missing."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from disrec.datasets.synthetic import generate_planted
from disrec.factors import factor_table, select_factors, user_factors
from disrec.metrics.representation import metric_names
from disrec.models.autoencoders import MultiDAE
from disrec.steps.evaluate import evaluate_run
from disrec.storage import write_parquet
from test_models import model_config, run_model

EVALUATION = {"ks": [10, 50], "classifier": "gbt", "grid_scoring": "balanced_accuracy", "grid_folds": 2,
              "grid_shuffle": True, "lime": "batched", "grids": {"gbt": {"n_estimators": [20], "max_depth": [2]}},
              "mutual_information": {"bins": 10, "binning": "uniform"},
              "explicitness": {"stages": 10, "learning_rate": 0.1, "max_depth": 2},
              "controllability": {"steps": [1.0, 2.0], "k": 10}, "chance": {"permutations": 1}}


@pytest.fixture(scope="module")
def factor_files(dataset, tmp_path_factory):
    """User factors of the module's synthetic dataset from the items' planted concepts."""
    folder = tmp_path_factory.mktemp("factors")
    data = generate_planted(n_users=400, n_items=200, n_concepts=5, item_concept_probability=0.3,
                            min_concepts_per_user=1, max_concepts_per_user=2, min_interactions_per_user=15,
                            max_interactions_per_user=30, noise=0.05, popularity_exponent=0.5, seed=2)
    items = pd.read_parquet(dataset["paths"]["item_ids"])["original_id"].to_numpy()
    concepts = data.item_concepts[items]
    names = [f"c{j}" for j in range(concepts.shape[1])]
    splits = dataset["splits"]
    on_train = user_factors(splits.train, concepts, dataset["n_users"])
    on_valid = user_factors(splits.valid_in, concepts, dataset["n_users"])
    kept = select_factors(on_train, 0.01, 0.99).kept
    paths = {"factors_train": folder / "train.parquet", "factors_valid_in": folder / "valid.parquet",
             "item_concepts": folder / "item_concepts.parquet"}
    table = pd.DataFrame(concepts.astype(np.uint8), columns=names)
    table.insert(0, "item", np.arange(len(concepts), dtype=np.int32))
    write_parquet(table, paths["item_concepts"])
    write_parquet(factor_table(on_train, kept, names), paths["factors_train"])
    write_parquet(factor_table(on_valid, kept, names), paths["factors_valid_in"])
    return paths


def evaluate(dataset, factor_files, folder, name, outputs):
    paths = dataset["paths"]
    report = folder / "evaluation.json"
    evaluate_run("s", name, EVALUATION, 41, 2, user_ids=str(paths["user_ids"]),
                 item_ids=str(paths["item_ids"]), train_split=str(paths["train"]), test_out=str(paths["test_out"]),
                 weights=outputs["weights"], training_report=outputs["report"], codes_train=outputs["codes_train"],
                 codes_valid_in=outputs["codes_valid_in"], factors_train=str(factor_files["factors_train"]),
                 factors_valid_in=str(factor_files["factors_valid_in"]),
                 item_concepts=str(factor_files["item_concepts"]), report=str(report))
    return json.loads(report.read_text())


def test_a_trained_model_gets_every_metric(dataset, factor_files, tmp_path):
    _, outputs = run_model(dataset, tmp_path, "multivae", model_config(max_epochs=20))
    result = evaluate(dataset, factor_files, tmp_path, "multivae", outputs)
    assert result["status"] == "ok" and result["missing"] == {}
    expected = {f"{m}@{k}" for k in (10, 50) for m in ("ndcg", "recall", "mrr", "coverage")} | set(metric_names())
    assert set(result["metrics"]) == expected
    assert all(isinstance(v, float) and np.isfinite(v) for v in result["metrics"].values())
    assert set(result["evaluation_seconds"]) == {"accuracy", "classifiers", "dci", "lime", "shap",
                                                 "mig_sap_modularity", "explicitness", "controllability", "chance"}
    traversal = result["controllability"]
    factors = list(traversal["per_factor"])
    assert factors == list(pd.read_parquet(factor_files["factors_train"]).columns[1:])
    assert result["metrics"]["controllability"] == pytest.approx(np.mean(list(traversal["per_factor"].values())))
    assert traversal["steps"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert set(traversal["shares"][factors[0]]) == set(factors)
    null = result["chance"]["null"]
    assert result["chance"]["permutations"] == 1 and null["disentanglement"]["n"] == 1
    metrics = result["metrics"]
    assert metrics["shap_null"] == null["shap"]["mean"]
    assert metrics["shap_above_chance"] == pytest.approx(metrics["shap"] - metrics["shap_null"])
    assert metrics["shap_normalised"] == pytest.approx(metrics["shap_above_chance"] / (1 - metrics["shap_null"]))
    assert result["lime_underdetermined"] is False


def test_toppop_has_accuracy_and_a_reason_for_the_rest(dataset, factor_files, tmp_path):
    _, outputs = run_model(dataset, tmp_path, "toppop")
    result = evaluate(dataset, factor_files, tmp_path, "toppop", outputs)
    assert result["status"] == "representation-undefined"
    assert result["metrics"]["ndcg@10"] > 0 and result["metrics"]["shap"] is None
    assert result["missing"]["disentanglement"] == "toppop has no user representation"
    assert result["missing"]["controllability_normalised"] == "toppop has no user representation"


def test_a_failed_training_is_a_failed_evaluation(dataset, factor_files, tmp_path, monkeypatch):
    monkeypatch.setattr(MultiDAE, "loss", lambda self, x, w: (torch.tensor(float("nan")), {}))
    _, outputs = run_model(dataset, tmp_path, "multidae")
    result = evaluate(dataset, factor_files, tmp_path, "multidae", outputs)
    assert result["status"] == "failed" and result["reason"].startswith("training failed: non-finite loss")
    assert all(v is None for v in result["metrics"].values())


def test_constant_codes_make_representation_metrics_undefined(dataset, factor_files, tmp_path):
    _, outputs = run_model(dataset, tmp_path, "puresvd")
    codes = pd.read_parquet(outputs["codes_train"])
    codes["z3"] = np.float32(0.5)
    write_parquet(codes, outputs["codes_train"])
    result = evaluate(dataset, factor_files, tmp_path, "puresvd", outputs)
    assert result["status"] == "representation-undefined"
    assert result["missing"]["lime"] == "train codes are constant in columns [3]"
    assert result["metrics"]["ndcg@10"] is not None


@pytest.mark.parametrize("name", ["macridvae", "betavae"])
def test_planted_factors_score_no_worse_than_permuted_ones(dataset, factor_files, tmp_path, name):
    _, outputs = run_model(dataset, tmp_path, name, model_config(max_epochs=20))
    result = evaluate(dataset, factor_files, tmp_path, name, outputs)
    metrics = result["metrics"]
    for metric in ("disentanglement", "completeness", "informativeness", "lime", "shap", "mig", "sap",
                   "explicitness"):
        assert metrics[metric] >= metrics[f"{metric}_null"] - 0.02, (metric, metrics[metric],
                                                                     metrics[f"{metric}_null"])
    assert metrics["informativeness"] > metrics["informativeness_null"] + 0.05
