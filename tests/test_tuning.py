"""The hyperparameter search: spaces, seeded and resumable trial sequences, and the tune step on data."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch

from disrec.matrices import read_matrices
from disrec.models import build_model
from disrec.steps.tune import tune_run
from disrec.training import selection_fit
from disrec.tuning import apply, best_trial, load_progress, run_search, search_space
from test_models import model_config

SPACES = model_config()["tuning"]["spaces"]


def toy_objective(settings, beta):
    """Peaks at lr = e^-5 and the widest hidden layers; instant, so searches are cheap to repeat."""
    return {"score": -(math.log(settings["lr"]) + 5) ** 2 + len(settings["hidden"]), "epochs": None,
            "status": "ok", "reason": None, "seconds": 0.0}


def params_of(records):
    return [r["params"] for r in records]


def test_study_spaces_and_their_mapping():
    space = search_space(SPACES, "multivae", tune_beta=True)
    assert set(space) == {"batch_size", "lr", "code_dim", "l2_reg", "hidden_layers", "beta"}
    assert space["lr"].distribution.low == pytest.approx(math.exp(-10))
    assert "beta" not in search_space(SPACES, "multivae", tune_beta=False)  # a grid beta stays fixed
    assert set(search_space(SPACES, "puresvd", tune_beta=False)) == {"code_dim"}  # the rank only
    assert set(search_space(SPACES, "macridvae", tune_beta=False)) == {"batch_size", "lr", "code_dim", "l2_reg",
                                                                     "keep_prob", "prior_std"}
    settings, beta = apply({"hidden_layers": 3, "beta": 37, "lr": 0.01}, search_space(SPACES, "multivae", True))
    assert settings == {"hidden": [512, 256, 128], "lr": 0.01} and beta == pytest.approx(0.37)
    assert apply({"hidden_layers": 0}, search_space(SPACES, "multidae", False))[0] == {"hidden": []}


def test_same_seed_same_trials_and_another_seed_other_trials(tmp_path):
    space = search_space(SPACES, "multidae", tune_beta=False)
    first = run_search(toy_objective, space, 12, 4, seed=7, progress=tmp_path / "a.jsonl")
    again = run_search(toy_objective, space, 12, 4, seed=7, progress=tmp_path / "b.jsonl")
    other = run_search(toy_objective, space, 12, 4, seed=8, progress=tmp_path / "c.jsonl")
    assert params_of(first) == params_of(again)
    assert params_of(first) != params_of(other)
    # after the random start, TPE moves towards the optimum of the toy objective
    assert best_trial(first)["score"] > max(r["score"] for r in first[:4])


def test_a_killed_search_resumes_with_its_earlier_trials(tmp_path):
    space = search_space(SPACES, "betavae", tune_beta=True)
    uninterrupted = run_search(toy_objective, space, 10, 3, seed=5, progress=tmp_path / "whole.jsonl")
    calls = []

    def killed_after_four(settings, beta):
        if len(calls) == 4:
            raise KeyboardInterrupt  # the job is killed during its fifth trial
        calls.append(1)
        return toy_objective(settings, beta)

    progress = tmp_path / "resumed.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_search(killed_after_four, space, 10, 3, seed=5, progress=progress)
    with open(progress, "a") as handle:
        handle.write('{"number": 4, "par')  # a line cut short by the kill
    assert len(load_progress(progress)) == 4
    resumed_calls = []

    def counting(settings, beta):
        resumed_calls.append(1)
        return toy_objective(settings, beta)

    resumed = run_search(counting, space, 10, 3, seed=5, progress=progress)
    assert len(resumed_calls) == 6  # only the missing trials ran
    assert params_of(resumed) == params_of(uninterrupted)


def test_a_corrupt_progress_line_is_reported_and_the_trials_after_it_rerun(tmp_path, caplog):
    space = search_space(SPACES, "multidae", tune_beta=False)
    whole = run_search(toy_objective, space, 6, 2, seed=5, progress=tmp_path / "whole.jsonl")
    progress = tmp_path / "damaged.jsonl"
    lines = (tmp_path / "whole.jsonl").read_text().splitlines()
    progress.write_text("\n".join([*lines[:3], "{not json", *lines[4:]]) + "\n")
    calls = []

    def counting(settings, beta):
        calls.append(1)
        return toy_objective(settings, beta)

    with caplog.at_level("WARNING", logger="disrec.tuning"):
        resumed = run_search(counting, space, 6, 2, seed=5, progress=progress)
    assert f"{progress}: line 4 is not a JSON trial record; it and the 2 trials after it are run again" in caplog.text
    assert len(calls) == 3 and params_of(resumed) == params_of(whole)


def test_failed_trials_are_recorded_and_never_chosen(tmp_path):
    space = search_space(SPACES, "multidae", tune_beta=False)

    def half_fail(settings, beta):
        outcome = toy_objective(settings, beta)
        return {**outcome, "score": None, "status": "failed"} if settings["batch_size"] == 128 else outcome

    records = run_search(half_fail, space, 8, 2, seed=3, progress=tmp_path / "p.jsonl")
    assert any(r["score"] is None for r in records)
    assert best_trial(records)["score"] is not None
    assert best_trial([{**r, "score": None} for r in records]) is None


def test_a_tuned_beta_that_no_trial_chose_is_a_failed_run_with_its_reason(dataset, tmp_path, monkeypatch):
    import disrec.steps.tune
    from disrec.steps.train import train_run
    from disrec.training import TrainingLog

    failing = TrainingLog(status="nan_loss", reason="non-finite loss at epoch 1")
    monkeypatch.setattr(disrec.steps.tune, "selection_fit", lambda *args: failing)
    config = model_config()
    settings = {k: v for k, v in config["models"]["multivae"].items() if k != "betas"}
    training = {**config["training"], "device": "cpu"}
    paths = {k: str(v) for k, v in dataset["paths"].items()}
    best = str(tmp_path / "best.json")
    tune_run("s", "multivae", settings, training, {**config["tuning"], "trials": 3, "startup_trials": 2}, None,
             41, 1, user_ids=paths["user_ids"], item_ids=paths["item_ids"], valid_in=paths["valid_in"],
             valid_out=paths["valid_out"], trials=str(tmp_path / "trials.parquet"), best=best)
    assert json.loads(open(best).read())["beta"] is None
    outputs = {key: str(tmp_path / f"{key}{suffix}") for key, suffix in
               (("weights", ".pt"), ("codes_train", ".parquet"), ("codes_valid_in", ".parquet"), ("report", ".json"))}
    train_run("s", "multivae", settings, training, None, 41, 1, user_ids=paths["user_ids"],
              item_ids=paths["item_ids"], train_split=paths["train"], valid_in=paths["valid_in"],
              valid_out=paths["valid_out"], tuned=best, **outputs)
    report = json.loads(open(outputs["report"]).read())
    assert report["status"] == "failed" and report["code_size"] is None
    assert report["reason"] == f"the search ({best}) chose no beta: all 3 of its trials failed (see trials.parquet)"
    assert list(pd.read_parquet(outputs["codes_train"]).columns) == ["user"]


@pytest.mark.slow
def test_tune_step_records_the_best_trial_as_a_refit_scores_it(dataset, tmp_path):
    config = model_config(max_epochs=30)
    settings = {k: v for k, v in config["models"]["multidae"].items() if k != "betas"}
    training = {**config["training"], "device": "cpu"}
    tuning = {**config["tuning"], "trials": 6, "startup_trials": 3}
    paths = {k: str(v) for k, v in dataset["paths"].items()}
    outputs = {"trials": str(tmp_path / "trials.parquet"), "best": str(tmp_path / "best.json")}
    tune_run("s", "multidae", settings, training, tuning, None, 41, 2, user_ids=paths["user_ids"],
             item_ids=paths["item_ids"], valid_in=paths["valid_in"], valid_out=paths["valid_out"], **outputs)
    best = json.loads((tmp_path / "best.json").read_text())
    trials = pd.read_parquet(tmp_path / "trials.parquet")
    assert len(trials) == 6 and best["trials"] == 6 and best["score"] == trials["score"].max()
    running = []
    for score in trials.sort_values("number")["score"]:  # the best score of the trials up to each one
        running.append(score if not running or score > running[-1] else running[-1])
    assert trials.sort_values("number")["best_so_far"].tolist() == running and running[-1] == best["score"]
    assert not list(tmp_path.glob("progress-*.jsonl"))  # removed once the outputs are written

    _, n_items, matrices = read_matrices(paths["user_ids"], paths["item_ids"],
                                         {"valid_in": paths["valid_in"], "valid_out": paths["valid_out"]})
    # the recorded best score is what a fresh selection fit with the chosen settings scores
    chosen = {**settings, **best["settings"]}
    torch.manual_seed(41)
    refit = selection_fit(build_model("multidae", n_items, chosen), chosen, training, 41, matrices,
                          torch.device("cpu"))
    assert refit.best_score == best["score"]


@pytest.mark.slow
def test_tuned_runs_through_snakemake_train_with_the_best_settings(tmp_path, run_snakemake):
    from conftest import SMALL_SYNTHETIC, base_config

    config = base_config(tmp_path, {"synthetic": SMALL_SYNTHETIC}, ["synthetic"], seeds=(41, 53),
                         models=("puresvd", "multivae", "betavae"))
    config["models"] = {"multivae": {"hidden": [32], "max_epochs": 10, "batch_size": 100, "betas": [0.2]},
                        "betavae": {"hidden": [32], "max_epochs": 10, "batch_size": 100, "betas": "tuned"}}
    config["tuning"] = {"datasets": ["synthetic"], "models": ["puresvd", "betavae"], "trials": 3,
                        "startup_trials": 2}
    config["evaluation"] = {"grids": {"gbt": {"n_estimators": [20], "max_depth": [2]}}}
    run_snakemake(tmp_path / "run", config)
    results = tmp_path / "results"
    for seed in (41, 53):
        best = json.loads((results / f"tuning/synthetic/betavae/beta_tuned/seed{seed}/best.json").read_text())
        training = json.loads((results / f"runs/synthetic/betavae/beta_tuned/seed{seed}/training.json").read_text())
        assert best["beta"] is not None and training["beta"] == best["beta"] and training["beta_tuned"]
        assert {k: training["settings"][k] for k in best["settings"]} == best["settings"]
        assert training["code_size"] == best["settings"]["code_dim"]
    assert not (results / "tuning/synthetic/multivae").exists()  # multivae is not in tuning.models
    runs = pd.read_parquet(results / "tables/runs.parquet")
    assert set(runs["variant"]) == {"puresvd", "multivae β=0.2", "betavae β tuned"}
    assert runs.groupby("variant")["tuned"].all().to_dict() == {"puresvd": True, "multivae β=0.2": False,
                                                                "betavae β tuned": True}
    assert (results / "figures/tuning_curves.png").stat().st_size > 0
