"""Each evaluation stage on one ML-100K run: the literal recipe against ours, in the same process.

    .venv/bin/python benchmarks/evaluation_speed.py [--run results/runs/ml-100k/multivae/beta_0.2/seed41]

Stages: accuracy (a plain per-user loop vs the batched implementation),
classifiers (GridSearchCV per factor vs the staged search for boosted trees), DCI,
LIME-global (one lime explain_instance per user and factor vs the batched
estimator; both are run with 4 seeds to show the sampling noise), SHAP-global
(shap.TreeExplainer with every train row as background vs the linear-time tree SHAP).
Prints seconds, the speed ratio and the largest difference in the numbers; then the cost
of the metrics beyond the study (MIG, SAP and modularity; DCI-ES explicitness;
controllability; the permutation null of every representation metric) as a share of the
study's metrics on the same run.
Needs the run's outputs (snakemake --cores 2 <run>/evaluation.json).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import shap
import torch
import yaml
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from disrec.config import model_settings, validate_config
from disrec.grid import parse_beta
from disrec.jobs import reuse_freed_memory
from disrec.matrices import interaction_matrix
from disrec.metrics.accuracy import accuracy_literal, evaluate_ranking
from disrec.metrics.attribution import attribution_score
from disrec.metrics.classifiers import fit_factor_classifiers, importance_matrix, standardise
from disrec.metrics.dci import completeness, disentanglement, informativeness
from disrec.metrics.lime_global import lime_global, lime_global_literal
from disrec.metrics.representation import representation_metrics
from disrec.metrics.shap_global import full_background, shap_global
from disrec.models import load_trained_model
from disrec.steps.evaluate import traversal_of
from disrec.storage import read_parquet

REPO = Path(__file__).resolve().parents[1]


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def row(stage, literal_s, ours_s, difference):
    ratio = literal_s / ours_s if ours_s > 0 else float("inf")
    print(f"{stage:<12} {literal_s:>10.2f} {ours_s:>8.2f} {ratio:>8.1f}x  {difference}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=str(REPO / "results/runs/ml-100k/multivae/beta_0.2/seed41"))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    reuse_freed_memory()  # as every pipeline job does
    run = Path(args.run)
    dataset, model_name, beta, seed = (run.parts[-4], run.parts[-3], parse_beta(run.parts[-2].removeprefix("beta_")),
                                       int(run.parts[-1].removeprefix("seed")))
    config = validate_config(yaml.safe_load((REPO / "config.yaml").read_text()), check_folders=False)
    evaluation = config["evaluation"]
    data = REPO / config["results_dir"] / "data" / dataset
    n_users, n_items = len(read_parquet(data / "user_ids.parquet")), len(read_parquet(data / "item_ids.parquet"))
    train = interaction_matrix(read_parquet(data / f"seed{seed}" / "train.parquet"), n_users, n_items)
    test = interaction_matrix(read_parquet(data / f"seed{seed}" / "test_out.parquet"), n_users, n_items)
    model = load_trained_model(model_name, model_settings(config, dataset, model_name), beta, n_items,
                               str(run / "weights.pt"))
    print(f"{dataset} {model_name} beta={beta} seed={seed}: {n_users} users, {n_items} items, "
          f"{args.threads} threads\n")
    print(f"{'stage':<12} {'literal s':>10} {'ours s':>8} {'ratio':>9}  largest difference")

    ks = evaluation["ks"]
    ours, ours_s = timed(evaluate_ranking, model.scores, train, test, ks)
    with torch.no_grad():
        dense_scores = model.scores(torch.from_numpy(train.toarray())).double().numpy()
    literal, accuracy_literal_s = timed(accuracy_literal, dense_scores, train.toarray() > 0, test.toarray() > 0, ks)
    row("accuracy", accuracy_literal_s, ours_s, f"{max(abs(ours[k] - literal[k]) for k in literal):.1e}")

    codes = {name: read_parquet(run / f"codes_{name}.parquet").drop(columns="user").to_numpy()
             for name in ("train", "valid_in")}
    factors = {name: read_parquet(data / f"seed{seed}" / f"factors_{name}.parquet").drop(columns="user").to_numpy()
               for name in ("train", "valid_in")}
    z_train, z_valid = standardise(codes["train"]), standardise(codes["valid_in"])
    kind = evaluation["classifier"]
    classifiers, fit_s = timed(fit_factor_classifiers, z_train, factors["train"], z_valid, factors["valid_in"],
                               kind=kind, grid=evaluation["grids"][kind], seed=seed,
                               scoring=evaluation["grid_scoring"], n_jobs=args.threads)

    def literal_classifiers():
        """GridSearchCV per factor on valid_in, then the chosen model fit on train; on as many processes as
        our search (``n_jobs``), so the two compare like for like."""
        folds = StratifiedKFold(2, shuffle=True, random_state=seed)
        chosen = []
        for j in range(factors["train"].shape[1]):
            search = GridSearchCV(GradientBoostingClassifier(random_state=seed), evaluation["grids"]["gbt"],
                                  scoring=evaluation["grid_scoring"], cv=folds, refit=False, n_jobs=args.threads)
            search.fit(z_valid, factors["valid_in"][:, j])
            GradientBoostingClassifier(random_state=seed, **search.best_params_).fit(z_train, factors["train"][:, j])
            chosen.append(search.best_params_)
        return chosen

    literal_params, literal_fit_s = timed(literal_classifiers)
    same = literal_params == classifiers.best_params
    row("classifiers", literal_fit_s, fit_s,
        f"{'identical' if same else 'DIFFERENT'} chosen hyperparameters for {len(literal_params)} factors")

    def dci():
        importance = importance_matrix(classifiers)
        return (disentanglement(importance), completeness(importance),
                informativeness(classifiers, z_valid, factors["valid_in"]))

    dci_values, dci_s = timed(dci)
    row("dci", dci_s, dci_s, f"0 (D={dci_values[0]:.4f}, C={dci_values[1]:.4f}, I={dci_values[2]:.4f})")

    batched, batched_s = timed(lime_global, classifiers, z_train, seed)
    batched_scores = [attribution_score(batched)] + [attribution_score(lime_global(classifiers, z_train, s))
                                                     for s in range(seed + 1, seed + 4)]
    literal_scores, literal_s = [], None
    for lime_seed in range(seed, seed + 4):
        attributions, seconds = timed(lime_global_literal, classifiers, z_train, lime_seed)
        literal_scores.append(attribution_score(attributions))
        literal_s = literal_s or seconds
    row("lime", literal_s, batched_s,
        f"score over 4 seeds: batched {min(batched_scores):.4f}-{max(batched_scores):.4f} "
        f"(mean {np.mean(batched_scores):.4f}), literal {min(literal_scores):.4f}-{max(literal_scores):.4f} "
        f"(mean {np.mean(literal_scores):.4f}); |difference of means| "
        f"{abs(np.mean(batched_scores) - np.mean(literal_scores)):.4f}")

    attributions, shap_s = timed(shap_global, classifiers, z_train)

    def literal_shap():
        """shap.TreeExplainer per factor with every train row as background."""
        return np.stack([np.abs(shap.TreeExplainer(m, full_background(z_train), feature_perturbation="interventional")
                                .shap_values(z_train)).mean(axis=0) for m in classifiers.models], axis=1)

    literal_attributions, literal_shap_s = timed(literal_shap)
    row("shap", literal_shap_s, shap_s,
        f"{np.abs(attributions - literal_attributions).max():.1e} in A (shap is float32 inside); score "
        f"{attribution_score(attributions):.6f} vs {attribution_score(literal_attributions):.6f}")
    total_ours = ours_s + fit_s + dci_s + batched_s + shap_s
    total_literal = accuracy_literal_s + literal_fit_s + dci_s + literal_s + literal_shap_s
    print(f"\none run, all metrics: literal recipe {total_literal:.1f} s, ours {total_ours:.1f} s")

    # The metrics beyond the study, each timed inside one full representation_metrics call (which refits the
    # classifiers) and set against the study's metrics (ours) of that same call plus accuracy above.
    names = [c for c in read_parquet(data / f"seed{seed}" / "factors_train.parquet").columns if c != "user"]
    concepts = read_parquet(data / f"seed{seed}" / "item_concepts.parquet").sort_values("item")[names]
    traverse = traversal_of(model, train, concepts.to_numpy().astype(bool), codes["train"],
                            evaluation["controllability"])
    full = representation_metrics(codes["train"], codes["valid_in"], factors["train"], factors["valid_in"], names,
                                  evaluation, seed, n_jobs=args.threads, traverse=traverse)["seconds"]
    study = ours_s + sum(full[stage] for stage in ("classifiers", "dci", "lime", "shap"))
    print(f"\nbeyond the study (same run; the study's metrics, ours: {study:.1f} s)")
    print(f"{'stage':<20} {'seconds':>8} {'share of the study':>19}")
    for stage in ("mig_sap_modularity", "explicitness", "controllability", "chance"):
        print(f"{stage:<20} {full[stage]:>8.2f} {full[stage] / study:>18.2f}x")
    print(f"{'chance':<20} is {evaluation['chance']['permutations']} permutations of every representation metric, "
          "classifiers refit with the searched hyperparameters")


if __name__ == "__main__":
    main()
