# Paths and config lookups shared by every rule file; paths are built here only.
import re

from disrec.cluster import Request
from disrec.config import canonical, evaluation_settings, loader_settings, model_settings, tuning_settings
from disrec.grid import CLOSED_FORM_MODELS, GRADIENT_MODELS, MODEL_NAMES, NO_BETA, TUNED_BETA, is_tuned, study_runs

RESULTS = config["results_dir"]
DATA = f"{RESULTS}/data"
LOGS = f"{RESULTS}/logs"
REFERENCE_CSV = config["reference_csv"] or f"{workflow.basedir}/reference/dervishaj2025_released_runs.csv"
DATASETS = config["study"]["datasets"]
SEEDS = config["study"]["seeds"]


wildcard_constraints:
    dataset="|".join(re.escape(name) for name in config["datasets"]),
    seed=r"\d+",
    model="|".join(MODEL_NAMES),
    beta=rf"{NO_BETA}|{TUNED_BETA}|[0-9][0-9.e+-]*",


def dataset_path(name):
    """A per-dataset file under results/data/{dataset}/."""
    return f"{DATA}/{{dataset}}/{name}"


def seed_path(name):
    """A per-(dataset, seed) file under results/data/{dataset}/seed{seed}/."""
    return f"{DATA}/{{dataset}}/seed{{seed}}/{name}"


def run_path(name):
    """A per-run file under results/runs/{dataset}/{model}/beta_{beta}/seed{seed}/."""
    return f"{RESULTS}/runs/{{dataset}}/{{model}}/beta_{{beta}}/seed{{seed}}/{name}"


def tune_path(name):
    """A per-search file under results/tuning/{dataset}/{model}/beta_{beta}/seed{seed}/."""
    return f"{RESULTS}/tuning/{{dataset}}/{{model}}/beta_{{beta}}/seed{{seed}}/{name}"


def tuned_settings(wildcards):
    """The search's best settings for a tuned run; nothing for the others."""
    return tune_path("best.json").format(**wildcards) if is_tuned(config, wildcards.dataset, wildcards.model) else []


def tuned_runs():
    return [run for run in study_runs(config) if is_tuned(config, run.dataset, run.model)]


def run_targets(pattern):
    """``pattern`` (a run_path) filled in for every run of the study grid."""
    return [pattern.format(**vars(run)) for run in study_runs(config)]


def table_path(name):
    """A study-wide table under results/tables/."""
    return f"{RESULTS}/tables/{name}"


def figure_path(name):
    """A study-wide figure under results/figures/."""
    return f"{RESULTS}/figures/{name}"


def log_path(rule_name, *wildcard_names):
    """results/logs/{rule}.log for a rule that runs once, else results/logs/{rule}/{wildcards}.log."""
    if not wildcard_names:
        return f"{LOGS}/{rule_name}.log"
    return f"{LOGS}/{rule_name}/" + "_".join(f"{{{w}}}" for w in wildcard_names) + ".log"


def prepared_marker(dataset):
    """The file whose presence says a dataset was prepared (its raw files are no longer needed)."""
    return dataset_path("provenance.json").format(dataset=dataset)


def dataset_settings(wildcards):
    return loader_settings(config, wildcards.dataset)


def cluster_requests():
    """What the jobs of each rule sent to the cluster ask of it, from the profile's threads and resources."""
    settings = workflow.resource_settings
    defaults = settings.default_resources or {}

    def value(rule, name, fallback):
        for source in (settings.overwrite_resources.get(rule, {}), defaults):
            resource = source.get(name)
            if resource is not None and resource.value is not None:
                return resource.value
        return fallback

    def threads(rule):
        chosen = settings.overwrite_threads.get(rule)
        return chosen.value if chosen is not None and chosen.value is not None else 1

    used = [r.name for r in workflow.rules if not workflow.is_local(r) and (r.name != "tune" or tuned_runs())]
    return [
        Request(
            name, threads(name), value(name, "mem_mb", 0), value(name, "gpu", 0), value(name, "slurm_partition", None)
        )
        for name in used
    ]
