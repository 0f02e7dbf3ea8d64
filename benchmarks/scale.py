"""What one run of every model costs at the sizes of the study's datasets, stage by stage.

    .venv/bin/python benchmarks/scale.py [--sizes ml100k,ml1m,25k,100k] [--study-times DIR] [--json FILE]

Planted-concept synthetic data (``disrec.datasets.synthetic``, 20 concepts) at
the shapes of the study's datasets after filtering, from ML-100K's to a
Yelp/GoodReads-like 100,000 users x 50,000 items. Per size: the data stage
(generate, filter, split, user factors: the pipeline's own step functions,
writing parquet), then per model training (the paper config's settings, beta
fixed; see below) and each evaluation stage with the paper config's
evaluation settings (the study's 108-point classifier grid, accuracy scorer,
2 unshuffled folds).

Stages that would run for hours are measured on a part and scaled, and the
table says so: representation stages on ``--factors`` of the factors (scaled
by the factor count: each factor is searched, fit and explained alone; the
classifier search and SHAP run on ``--threads`` processes as an evaluate job with
that many threads does, and are scaled by their rounds of factors per process),
LIME on ``--lime-users`` users for every factor (the measured factors'
classifiers stand in for the others, predicting on ``--threads`` processes;
scaled by the user count, with the number of perturbations of the full size: a
user's perturbations are shared by the factors; ``lime+null`` is the same for the run's classifiers and
the permutation null's, as a whole job explains them, in one pass over the neighbourhoods, and the summary
sets it against explaining each set on its own), accuracy on at most ``--accuracy-users``
users, classifiers, DCI and SHAP on at most ``--classifier-users`` users
(scaled linearly: a lower bound, tree fits grow a little faster). Gradient-trained models are
timed per epoch (one epoch on up to
``--train-sample-users`` users, scaled, after an untimed epoch of a copy that takes the process's
one-time start-up costs) unless the size has at most
``--full-train-users`` users: then the train job's function runs whole
(selection fit with early stopping, final fit). Peak RSS is sampled every
20 ms during each stage; a stage whose estimated memory exceeds
``--memory-gib`` is reported as skipped before it starts.

On ``--whole-job-sizes`` the evaluate job's representation metrics also run whole, as the pipeline
runs them (``representation_metrics`` on every factor and user with ``--threads`` processes): the
study's metrics and what the pipeline computes beyond them (MIG, SAP, modularity, DCI-ES explicitness,
controllability, and the null of ``evaluation.chance.permutations`` factor permutations). The summary
then takes the study's metrics from that run rather than from the scaled stages.

On ``--literal-sizes`` the same stages run once more with the literal library
recipe (GridSearchCV, one ``lime`` explain_instance per user and factor,
``shap.TreeExplainer`` with the whole background, a per-user accuracy loop), on
samples where they would take hours, and the ratio is printed. With
``--study-times`` (the study's ``experiments/evaluations`` folder) each
model's ML1M run is set against the study's recorded time (median over seeds).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch
import yaml

from disrec.codes import user_codes
from disrec.config import evaluation_settings, model_settings, validate_config
from disrec.jobs import reuse_freed_memory
from disrec.matrices import interaction_matrix
from disrec.metrics.accuracy import accuracy_literal, evaluate_ranking
from disrec.metrics.classifiers import fit_factor_classifiers, importance_matrix, standardise
from disrec.metrics.dci import completeness, disentanglement, informativeness
from disrec.metrics.lime_global import explain_sets, lime_global, lime_global_literal, lime_samples
from disrec.metrics.representation import representation_metrics
from disrec.metrics.shap_global import full_background, shap_global
from disrec.models import build_model
from disrec.steps.data import build_user_factors, prepare_dataset, split_dataset
from disrec.steps.evaluate import traversal_of
from disrec.steps.train import train_run
from disrec.storage import read_parquet
from disrec.training import train

REPO = Path(__file__).resolve().parents[1]
GIB = 2**30

# (users, items, interactions per user min-max): ML-100K's and ML1M's sizes, then steps up to a Yelp /
# GoodReads Children-like shape (both have more than 10^5 users and 5 x 10^4 items in the study).
SIZES = {
    "ml100k": (943, 1_682, (20, 190)),
    "ml1m": (6_040, 3_700, (20, 300)),
    "25k": (25_000, 12_500, (10, 110)),
    "100k": (100_000, 50_000, (10, 90)),
}
MODELS = ("toppop", "puresvd", "multidae", "multivae", "betavae", "macridvae")


def deep_merge(base: dict, override: dict) -> dict:
    """``override`` over ``base`` key by key, as Snakemake merges --configfile over config.yaml."""
    merged = dict(base)
    for key, value in override.items():
        merged[key] = deep_merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) \
            else value
    return merged


def paper_config() -> dict:
    default = yaml.safe_load((REPO / "config.yaml").read_text())
    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    return validate_config(deep_merge(default, paper), source="config.yaml + config/paper.yaml", check_folders=False)


class PeakRss:
    """The process's largest resident set size while the block runs, sampled every 20 ms."""

    def __init__(self) -> None:
        self.peak, self._stop = 0, threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @contextmanager
    def watching(self):
        self.peak, self._stop = self._rss(), threading.Event()
        thread = threading.Thread(target=self._watch, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, self._rss())


class Table:
    """Rows of (size, model, stage, seconds, peak GiB, note), printed as they come and kept for the summary."""

    def __init__(self, memory_gib: float) -> None:
        self.rows: list[dict] = []
        self.memory_gib = memory_gib
        self.rss = PeakRss()
        print(f"{'size':<7} {'model':<10} {'stage':<13} {'seconds':>10} {'peak GiB':>9}  note", flush=True)

    def add(self, size: str, model: str, stage: str, seconds: float | None, peak: float | None, note: str = "") -> None:
        self.rows.append({"size": size, "model": model, "stage": stage, "seconds": seconds, "peak_gib": peak,
                          "note": note})
        shown = ("skipped" if note.startswith("needs") else "") if seconds is None else f"{seconds:10.2f}"
        print(f"{size:<7} {model:<10} {stage:<13} {shown:>10} {'' if peak is None else f'{peak:9.2f}':>9}  {note}",
              flush=True)

    def run(self, size: str, model: str, stage: str, work, *, estimate_gib: float = 0.0, scale: float = 1.0,
            note: str = ""):
        """Time ``work()`` (times ``scale`` when it ran on a part) unless its estimated memory is too large."""
        if estimate_gib > self.memory_gib:
            self.add(size, model, stage, None, None,
                     f"needs about {estimate_gib:.0f} GiB, over the {self.memory_gib:g} GiB limit; not run")
            return None
        with self.rss.watching():
            started = time.perf_counter()
            value = work()
            seconds = (time.perf_counter() - started) * scale
        self.add(size, model, stage, seconds, self.rss.peak / GIB, note)
        return value


def planted_settings(size: str) -> dict:
    users, items, (low, high) = SIZES[size]
    return {"loader": "synthetic", "rating_threshold": 1, "min_user_interactions": 1, "min_item_interactions": 1,
            "generator": {"n_users": users, "n_items": items, "n_concepts": 20, "item_concept_probability": 0.3,
                          "min_concepts_per_user": 1, "max_concepts_per_user": 2,
                          "min_interactions_per_user": low, "max_interactions_per_user": high, "noise": 0.1,
                          "popularity_exponent": 0.5, "seed": 0}}


def data_stage(size: str, folder: Path, config: dict, seed: int) -> dict[str, str]:
    settings = planted_settings(size)
    paths = {name: str(folder / f"{name}.parquet") for name in
             ("interactions", "user_ids", "item_ids", "item_features", "train", "valid_in", "valid_out", "test_out",
              "item_concepts", "factors_train", "factors_valid_in")}
    prepare_dataset(size, settings, str(folder), interactions=paths["interactions"], user_ids=paths["user_ids"],
                    item_ids=paths["item_ids"], item_features=paths["item_features"],
                    provenance=str(folder / "provenance.json"))
    split_dataset(paths["interactions"], test_fraction=config["split"]["test_fraction"],
                  validation_fraction=config["split"]["validation_fraction"], seed=seed,
                  outputs={name: paths[name] for name in ("train", "valid_in", "valid_out", "test_out")})
    build_user_factors(size, "synthetic", {}, config["factors"], seed, item_features=paths["item_features"],
                       user_ids=paths["user_ids"], item_ids=paths["item_ids"], train=paths["train"],
                       valid_in=paths["valid_in"], item_concepts=paths["item_concepts"],
                       factors_train=paths["factors_train"], factors_valid_in=paths["factors_valid_in"],
                       report=str(folder / "factors.json"))
    return paths


def fixed_beta(model: str) -> float | None:
    """The first beta of the default study (the paper config tunes beta; a timing run needs a value)."""
    default = yaml.safe_load((REPO / "config.yaml").read_text())
    betas = default["models"].get(model, {}).get("betas")
    return None if betas is None else float(betas[0])


def train_memory_gib(model: str, settings: dict, n_items: int) -> float:
    """Dense batches and the autograd tensors of one step, with Adam's copies of the weights."""
    batch = settings.get("batch_size", 500)
    width = max([*settings.get("hidden", []), settings.get("code_dim", 10)])
    per_step = batch * n_items * 4 * (settings.get("code_dim", 10) * 6 if model == "macridvae" else 8)
    weights = n_items * (width + settings.get("d_fac", 0)) * 4 * 2 * 4
    return (per_step + weights) / GIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="ml100k,ml1m,25k,100k")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seed", type=int, default=41)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--factors", type=int, default=2, help="factors the representation stages run on")
    parser.add_argument("--lime-users", type=int, default=300)
    parser.add_argument("--accuracy-users", type=int, default=20_000)
    parser.add_argument("--classifier-users", type=int, default=10**9,
                        help="above this many users, classifiers, DCI and SHAP run on a user sample")
    parser.add_argument("--full-train-users", type=int, default=0,
                        help="train gradient models as the train job does (early stopping) up to this many users")
    parser.add_argument("--train-sample-users", type=int, default=6_040)
    parser.add_argument("--max-epochs", type=int, default=None, help="cap on the paper's max_epochs (500)")
    parser.add_argument("--whole-job-sizes", default="", help="sizes whose representation metrics also run whole")
    parser.add_argument("--literal-sizes", default="ml1m")
    parser.add_argument("--literal-model", default="multivae")
    parser.add_argument("--memory-gib", type=float, default=24.0)
    parser.add_argument("--study-times", default=None, help="the study's experiments/evaluations folder")
    parser.add_argument("--json", default=None, help="also write the rows here (JSON lines)")
    parser.add_argument("--summarise", nargs="+", default=None, metavar="JSON",
                        help="measure nothing: print the summary of rows saved by earlier runs (--json)")
    args = parser.parse_args()
    if args.summarise:
        rows = [json.loads(line) for path in args.summarise for line in Path(path).read_text().splitlines()]
        sizes = [size for size in SIZES if any(r["size"] == size for r in rows)]
        models = [model for model in MODELS if any(r["model"] == model for r in rows)]
        summarise(rows, sizes, models, args)
        return
    torch.set_num_threads(args.threads)
    reuse_freed_memory()  # as every pipeline job does
    config = paper_config()
    evaluation = evaluation_settings(config)
    kind = evaluation["classifier"]
    training = {**config["training"], "device": "cpu"}
    table = Table(args.memory_gib)
    print(f"# {args.threads} threads; evaluation: {kind}, {len(list(_grid_points(evaluation['grids'][kind])))}"
          f"-point grid, scorer {evaluation['grid_scoring']}, {evaluation['grid_folds']} folds, "
          f"shuffle {evaluation['grid_shuffle']}; load average {os.getloadavg()[0]:.1f}", flush=True)
    sizes = args.sizes.split(",")
    with tempfile.TemporaryDirectory(prefix="disrec-scale-") as tmp:
        for size in sizes:
            folder = Path(tmp) / size
            folder.mkdir()
            paths = table.run(size, "-", "data",
                              lambda size=size, folder=folder: data_stage(size, folder, config, args.seed))
            n_users, n_items = len(read_parquet(paths["user_ids"])), len(read_parquet(paths["item_ids"]))
            matrices = {name: interaction_matrix(read_parquet(paths[name]), n_users, n_items)
                        for name in ("train", "valid_in", "test_out")}
            factor_tables = {name: read_parquet(paths[f"factors_{name}"]).drop(columns="user")
                             for name in ("train", "valid_in")}
            factors = {name: frame.to_numpy() for name, frame in factor_tables.items()}
            factor_names = list(factor_tables["train"].columns)
            concepts = read_parquet(paths["item_concepts"]).sort_values("item")[factor_names].to_numpy().astype(bool)
            k = factors["train"].shape[1]
            table.add(size, "-", "shape", None, None,  # a line of information, not a stage
                      f"{n_users} users x {n_items} items, {matrices['train'].nnz + matrices['test_out'].nnz} "
                      f"positives, {k} factors kept, LIME {lime_samples(n_users)} samples per user")
            for model_name in args.models.split(","):
                run_model(table, size, model_name, paths, matrices, factors, config, evaluation, training, args,
                          folder, n_users, n_items,
                          literal=size in args.literal_sizes.split(",") and model_name == args.literal_model,
                          whole_job=(factor_names, concepts) if size in args.whole_job_sizes.split(",") else None)
    summarise(table.rows, sizes, args.models.split(","), args)
    if args.json:
        Path(args.json).write_text("".join(json.dumps(row) + "\n" for row in table.rows))


def _grid_points(grid: dict) -> list:
    from sklearn.model_selection import ParameterGrid
    return list(ParameterGrid(grid))


def run_model(table: Table, size: str, model_name: str, paths: dict, matrices: dict, factors: dict, config: dict,
              evaluation: dict, training: dict, args, folder: Path, n_users: int, n_items: int,
              literal: bool, whole_job: tuple[list[str], np.ndarray] | None) -> None:
    settings = model_settings(config, "ml1m", model_name)  # the paper config has no per-dataset models
    if args.max_epochs and "max_epochs" in settings:
        settings = {**settings, "max_epochs": min(settings["max_epochs"], args.max_epochs)}
    beta = fixed_beta(model_name)
    run = folder / model_name
    run.mkdir()
    outputs = {"weights": str(run / "weights.pt"), "codes_train": str(run / "codes_train.parquet"),
               "codes_valid_in": str(run / "codes_valid_in.parquet"), "report": str(run / "training.json")}
    gradient = "max_epochs" in settings
    estimate = train_memory_gib(model_name, settings, n_items)
    if not gradient or n_users <= args.full_train_users:
        done = table.run(size, model_name, "train", lambda: train_run(
            size, model_name, settings, training if gradient else None, beta, args.seed, args.threads,
            user_ids=paths["user_ids"], item_ids=paths["item_ids"], train_split=paths["train"],
            valid_in=paths["valid_in"], valid_out=paths["valid_out"], **outputs) or True, estimate_gib=estimate)
        if done is None:
            return
        report = json.loads(Path(outputs["report"]).read_text())
        epochs = [report[fit]["epochs"] for fit in ("selection", "final") if report.get(fit)]
        if epochs:
            table.rows[-1]["note"] = f"epochs {'+'.join(map(str, epochs))} (selection + final)"
        from disrec.models import load_trained_model
        model = load_trained_model(model_name, report["settings"], beta, n_items, outputs["weights"])
        codes = None if report["code_size"] is None else {
            name: read_parquet(outputs[f"codes_{name}"]).drop(columns="user").to_numpy()
            for name in ("train", "valid_in")}
    else:
        sample = np.sort(np.random.default_rng(args.seed).choice(
            n_users, min(n_users, args.train_sample_users), replace=False))
        torch.manual_seed(args.seed)
        model = build_model(model_name, n_items, settings, beta)
        # the first epoch in a process pays one-time costs (kernel and allocator start-up) that a run pays once
        train(copy.deepcopy(model), matrices["train"][sample], lr=settings["lr"], batch_size=settings["batch_size"],
              max_epochs=1, seed=args.seed, device=torch.device("cpu"))
        done = table.run(size, model_name, "train/epoch",
                         lambda: train(model, matrices["train"][sample], lr=settings["lr"],
                                       batch_size=settings["batch_size"], max_epochs=1, seed=args.seed,
                                       device=torch.device("cpu")),
                         estimate_gib=estimate, scale=n_users / len(sample),
                         note="one epoch" + ("" if len(sample) == n_users else
                                             f" on {len(sample)} users, scaled to {n_users}"))
        if done is None:
            return
        model.eval()
        codes = {name: user_codes(model, matrices[name], torch.device("cpu")).astype(np.float64)
                 for name in ("train", "valid_in")} if model.has_code else None
    evaluate_model(table, size, model_name, model, matrices, factors, codes, evaluation, args, literal)
    if whole_job is not None and codes is not None:
        representation_whole(table, size, model_name, model, matrices["train"], factors, codes, evaluation, args,
                             *whole_job)


def representation_whole(table: Table, size: str, model_name: str, model, train_matrix, factors: dict, codes: dict,
                         evaluation: dict, args, factor_names: list[str], concepts: np.ndarray) -> None:
    """An evaluate job's representation metrics, unsampled: the pipeline's own function on every factor and
    user with the job's processes; the note splits its time as evaluation.json does."""
    traverse = traversal_of(model, train_matrix, concepts, codes["train"], evaluation["controllability"])
    result = table.run(size, model_name, "job metrics", lambda: representation_metrics(
        codes["train"], codes["valid_in"], factors["train"], factors["valid_in"], factor_names, evaluation,
        args.seed, n_jobs=args.threads, traverse=traverse),
        note=f"representation_metrics whole on {args.threads} process(es), "
             f"{evaluation['chance']['permutations']} null permutation(s)")
    table.rows[-1]["parts"] = result["seconds"]
    table.rows[-1]["note"] += ": " + ", ".join(f"{name} {value:.0f}" for name, value in result["seconds"].items())
    print(f"{'':<32} ^ {table.rows[-1]['note']}", flush=True)


def evaluate_model(table: Table, size: str, model_name: str, model, matrices: dict, factors: dict, codes,
                   evaluation: dict, args, literal: bool) -> None:
    n_users, n_items = matrices["train"].shape
    macrid = model_name == "macridvae"
    accuracy_gib = 1024 * n_items * 4 * (getattr(model, "n_concepts", 1) * 4 if macrid else 6) / GIB
    users = np.arange(n_users)
    if n_users > args.accuracy_users:
        users = np.sort(np.random.default_rng(args.seed).choice(n_users, args.accuracy_users, replace=False))
    table.run(size, model_name, "accuracy",
              lambda: evaluate_ranking(model.scores, matrices["train"][users], matrices["test_out"][users],
                                       evaluation["ks"]),
              estimate_gib=accuracy_gib, scale=n_users / len(users),
              note="" if len(users) == n_users else f"{len(users)} users, scaled")
    if literal:
        users = np.flatnonzero(np.diff(matrices["test_out"].indptr) > 0)[:300]
        with torch.no_grad():
            dense = model.scores(torch.from_numpy(matrices["train"][users].toarray())).double().numpy()
        scale = np.count_nonzero(np.diff(matrices["test_out"].indptr)) / len(users)
        table.run(size, model_name, "accuracy/lit",
                  lambda: accuracy_literal(dense, matrices["train"][users].toarray() > 0,
                                           matrices["test_out"][users].toarray() > 0, evaluation["ks"]),
                  scale=scale, note=f"per-user loop on {len(users)} users, scaled")
    if codes is None:
        return
    k = factors["train"].shape[1]
    part = list(range(min(args.factors, k)))
    user_scale, user_note = 1.0, ""
    if n_users > args.classifier_users:  # a user sample, scaled linearly: a lower bound for tree fits
        sample = np.sort(np.random.default_rng(args.seed).choice(n_users, args.classifier_users, replace=False))
        codes = {name: values[sample] for name, values in codes.items()}
        factors = {name: values[sample] for name, values in factors.items()}
        user_scale, user_note = n_users / len(sample), f", {len(sample)} of {n_users} users, scaled linearly"
    factor_scale = k / len(part) * user_scale
    part_note = (f"{len(part)} of {k} factors, scaled" if len(part) < k else "") + user_note
    z_train, z_valid = standardise(codes["train"]), standardise(codes["valid_in"])
    seed, kind = args.seed, evaluation["classifier"]
    # an evaluate job with N threads searches and explains the factors on N processes: scaled by rounds of factors
    processes = min(args.threads, len(part))
    rounds = math.ceil(k / args.threads) / math.ceil(len(part) / processes)
    search_note = f"{len(part)} of {k} factors on {processes} process(es), scaled to {k} on {args.threads}{user_note}"
    start_workers(processes)
    classifiers = table.run(size, model_name, "classifiers", lambda: fit_factor_classifiers(
        z_train, factors["train"][:, part], z_valid, factors["valid_in"][:, part], kind=kind,
        grid=evaluation["grids"][kind], seed=seed, scoring=evaluation["grid_scoring"],
        n_folds=evaluation["grid_folds"], shuffle=evaluation["grid_shuffle"], n_jobs=processes),
        scale=rounds * user_scale, note=search_note)
    table.run(size, model_name, "dci", lambda: (disentanglement(importance_matrix(classifiers)),
                                                completeness(importance_matrix(classifiers)),
                                                informativeness(classifiers, z_valid, factors["valid_in"][:, part])),
              scale=factor_scale, note=part_note)
    lime_users = min(args.lime_users, len(z_train))
    samples = lime_samples(n_users)
    rows = z_train[np.random.default_rng(seed).choice(len(z_train), lime_users, replace=False)]
    lime_gib = 5_000_000 * 8 * 6 / GIB
    # every factor, as a run explains them: one user's perturbations serve all k classifiers, which predict
    # them on --threads processes as in an evaluate job
    every_factor = replace(classifiers, models=[classifiers.models[j % len(part)] for j in range(k)])
    table.run(size, model_name, "lime", lambda: lime_global(every_factor, rows, seed, num_samples=samples,
                                                            n_jobs=args.threads),
              scale=n_users / lime_users, estimate_gib=lime_gib,
              note=f"{lime_users} users x {k} factors ({len(part)} measured factor(s)' classifiers for all), "
                   f"{samples} samples each, scaled")
    permutations = evaluation["chance"]["permutations"]
    if permutations:  # the whole job's LIME: the null's classifiers (the measured ones stand in) in the same pass
        table.run(size, model_name, "lime+null", lambda: explain_sets(
            [every_factor] * (1 + permutations), rows, seed, num_samples=samples, n_jobs=args.threads),
            scale=n_users / lime_users, estimate_gib=lime_gib,
            note=f"as lime, for the run's classifiers and {permutations} null sets in one pass")
        table.rows[-1]["sets"] = 1 + permutations
    table.run(size, model_name, "shap", lambda: shap_global(classifiers, z_train, processes),
              scale=rounds * user_scale, note=search_note)
    if literal:
        literal_stages(table, size, model_name, classifiers, z_train, z_valid, factors, part, evaluation, seed,
                       args.threads, samples)


def start_workers(processes: int) -> None:
    """Start the search's worker processes, scikit-learn imported, before the timed stage: a job starts them
    once, while the scaled stage would count their start once per round of factors."""
    if processes > 1:
        codes, labels = np.arange(8.0)[:, None], np.tile([0, 1], (processes, 4)).T
        fit_factor_classifiers(codes, labels, codes, labels, kind="gbt", grid={"n_estimators": [1, 2]}, seed=0,
                               n_jobs=processes)


def literal_stages(table: Table, size: str, model_name: str, classifiers, z_train, z_valid, factors, part,
                   evaluation, seed, threads, samples) -> None:
    """The library recipe of each representation stage, on one factor and a user sample where it is slow,
    scaled to every factor spread over ``threads`` processes as ours are (one process per factor for the search,
    LIME and SHAP)."""
    import shap
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import GridSearchCV

    n_users, k = len(z_train), factors["train"].shape[1]
    kind, rounds = evaluation["classifier"], math.ceil(k / threads)
    spread = f"scaled to {k} on {threads} process(es)"

    def grid_search():
        search = GridSearchCV(GradientBoostingClassifier(random_state=seed), evaluation["grids"][kind],
                              scoring=evaluation["grid_scoring"], cv=evaluation["grid_folds"], refit=False)
        search.fit(z_valid, factors["valid_in"][:, part[0]])
        GradientBoostingClassifier(random_state=seed, **search.best_params_).fit(z_train, factors["train"][:, part[0]])
        return search.best_params_

    chosen = table.run(size, model_name, "classif./lit", grid_search, scale=rounds,
                       note=f"GridSearchCV on 1 of {k} factors, {spread}")
    same = "same" if chosen == classifiers.best_params[0] else "DIFFERENT"
    table.rows[-1]["note"] += f"; {same} choice as the staged search"
    print(f"{'':<32} ^ {same} hyperparameters as the staged search", flush=True)
    one = type(classifiers)(models=classifiers.models[:1], best_params=classifiers.best_params[:1],
                            cv_scores=classifiers.cv_scores[:1])
    lime_users = 20
    rows = z_train[:lime_users]
    table.run(size, model_name, "lime/lit", lambda: lime_global_literal(one, rows, seed, num_samples=samples),
              scale=rounds * n_users / lime_users,
              note=f"explain_instance for {lime_users} users x 1 factor, {samples} samples, users and {spread}")
    shap_users = 100
    table.run(size, model_name, "shap/lit", lambda: shap.TreeExplainer(
        one.models[0], full_background(z_train), feature_perturbation="interventional").shap_values(
        z_train[:shap_users]), scale=rounds * n_users / shap_users,
        note=f"TreeExplainer, all {n_users} rows as background, {shap_users} users x 1 factor, users and {spread}")


def study_medians(folder: str | None) -> dict[str, float]:
    """Median over seeds of the study's recorded ML1M time per model (its time.txt, h:mm:ss.f)."""
    if not folder:
        return {}
    medians = {}
    for model in MODELS:
        seconds = []
        for path in sorted(Path(folder).glob(f"{model}-ML1M-*-50/time.txt")):
            h, m, s = path.read_text().strip().split(":")
            seconds.append(timedelta(hours=int(h), minutes=int(m), seconds=float(s)).total_seconds())
        if seconds:
            medians[model] = statistics.median(seconds)
    return medians


def summarise(rows: list[dict], sizes: list[str], models: list[str], args) -> None:
    rows = [r for r in rows if r["seconds"] is not None]
    users = {size: SIZES[size][0] for size in sizes}
    evaluation_stages = ("accuracy", "classifiers", "dci", "lime", "shap")
    literal_stages_ = {"accuracy": "accuracy/lit", "classifiers": "classif./lit", "lime": "lime/lit",
                       "shap": "shap/lit"}

    def seconds(size, model, stage):
        return next((r["seconds"] for r in rows if (r["size"], r["model"], r["stage"]) == (size, model, stage)),
                    None)

    print("\n# per run: training and evaluation seconds (train/epoch: one epoch only)")
    print(f"{'model':<10} " + " ".join(f"{s + ' train':>13} {s + ' eval':>12}" for s in sizes))
    for model in models:
        cells = []
        for size in sizes:
            trained = seconds(size, model, "train") or seconds(size, model, "train/epoch")
            evaluated = [v for v in (seconds(size, model, stage) for stage in evaluation_stages) if v is not None]
            cells.append(f"{_fmt(trained):>13} {_fmt(sum(evaluated) if evaluated else None):>12}")
        print(f"{model:<10} " + " ".join(cells))

    def whole_job(size, model):
        return next((r for r in rows if (r["size"], r["model"], r["stage"]) == (size, model, "job metrics")), None)

    def job_seconds(size, model):
        """An evaluate job whole (accuracy + representation metrics), where it ran."""
        job = whole_job(size, model)
        return None if job is None else (seconds(size, model, "accuracy") or 0.0) + job["seconds"]

    def study_metrics(size, model):
        """Seconds of the study's metrics: from the whole job where it ran, else the (scaled) stages."""
        job = whole_job(size, model)
        if job is not None:
            return (seconds(size, model, "accuracy") or 0.0) + sum(job["parts"].get(stage, 0.0) for stage in
                                                                   ("classifiers", "dci", "lime", "shap"))
        return sum(v for v in (seconds(size, model, stage) for stage in evaluation_stages) if v is not None)

    jobs = [(r["size"], r["model"]) for r in rows if r["stage"] == "job metrics"]
    if jobs:
        print("\n# an evaluate job whole: accuracy + representation metrics as the pipeline computes them")
        for size, model in jobs:
            print(f"{size:<7} {model:<10} {job_seconds(size, model):>8.1f} s (the study's metrics alone: "
                  f"{study_metrics(size, model):.1f} s)")

    shared = [r for r in rows if r["stage"] == "lime+null" and seconds(r["size"], r["model"], "lime")]
    if shared:
        print("\n# LIME of a run and its permutation null: one pass over the neighbourhoods against each classifier "
              "set on its own (drawing them again)")
        for r in shared:
            alone = r["sets"] * seconds(r["size"], r["model"], "lime")
            print(f"{r['size']:<7} {r['model']:<10} one pass {r['seconds']:>9.1f} s  each set on its own "
                  f"{alone:>9.1f} s  {alone / r['seconds']:>5.2f}x")

    print("\n# growth exponent in users (least squares of log seconds on log users over the sizes run)")
    stages = ["data", "train", "train/epoch", *evaluation_stages]
    for model in ["-", *models]:
        exponents = []
        for stage in stages:
            points = [(users[s], seconds(s, model, stage)) for s in sizes if seconds(s, model, stage)]
            if len(points) >= 2:
                x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
                exponents.append(f"{stage} {np.polyfit(x, y, 1)[0]:.2f}")
        if exponents:
            print(f"{model:<10} " + ", ".join(exponents))

    for size in args.literal_sizes.split(","):
        model = args.literal_model
        if size not in sizes:
            continue
        print(f"\n# {size}, {model}: our evaluation against the literal library recipe (same sizes, scaled)")
        ours_total = literal_total = 0.0
        for stage in evaluation_stages:
            ours = seconds(size, model, stage)
            literal = seconds(size, model, literal_stages_.get(stage, stage))
            if ours is None or literal is None:
                continue
            ours_total, literal_total = ours_total + ours, literal_total + literal
            print(f"{stage:<12} literal {literal:>10.1f} s  ours {ours:>8.1f} s  {literal / ours:>7.1f}x")
        if ours_total:
            print(f"{'all':<12} literal {literal_total:>10.1f} s  ours {ours_total:>8.1f} s  "
                  f"{literal_total / ours_total:>7.1f}x")

    medians = study_medians(args.study_times)
    if medians and "ml1m" in sizes:
        print("\n# ml1m against the study's recorded time per run (training and evaluation, median of 5 seeds)")
        for model in models:
            if model not in medians:
                continue
            evaluated = study_metrics("ml1m", model)
            trained, per_epoch = seconds("ml1m", model, "train"), seconds("ml1m", model, "train/epoch")
            study = medians[model]
            whole = job_seconds("ml1m", model)
            if trained is not None:
                print(f"{model:<10} study {study:>7.0f} s  ours {trained + evaluated:>7.1f} s (training "
                      f"{trained:.1f}, evaluation {evaluated:.1f}): {(trained + evaluated) / study:.2f} of the study's")
                if whole is not None:
                    print(f"{'':<10} with the evaluate job whole (this pipeline's metrics and nulls) "
                          f"{trained + whole:.1f} s: {(trained + whole) / study:.2f} of the study's")
            elif per_epoch is not None:
                within = (f"under the study's time up to {(study - evaluated) / per_epoch:.0f} epochs (selection "
                          f"and final fit together)" if evaluated < study else "evaluation alone takes longer")
                print(f"{model:<10} study {study:>7.0f} s  ours: evaluation {evaluated:.1f} s + {per_epoch:.1f} s per "
                      f"epoch: {within}")


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 3600 else f"{value / 3600:.1f} h"


if __name__ == "__main__":
    main()
