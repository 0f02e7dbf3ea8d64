# Paths and config lookups shared by every rule file; paths are built here only.
import re

from disrec.config import canonical

RESULTS = config["results_dir"]
DATA = f"{RESULTS}/data"
LOGS = f"{RESULTS}/logs"
DATASETS = config["study"]["datasets"]
SEEDS = config["study"]["seeds"]


wildcard_constraints:
    dataset="|".join(re.escape(name) for name in config["datasets"]),
    seed=r"\d+",


def dataset_path(name):
    """A per-dataset file under results/data/{dataset}/."""
    return f"{DATA}/{{dataset}}/{name}"


def seed_path(name):
    """A per-(dataset, seed) file under results/data/{dataset}/seed{seed}/."""
    return f"{DATA}/{{dataset}}/seed{{seed}}/{name}"


def log_path(rule_name, *wildcard_names):
    return f"{LOGS}/{rule_name}/" + "_".join(f"{{{w}}}" for w in wildcard_names) + ".log"


def dataset_settings(wildcards):
    return canonical(config["datasets"][wildcards.dataset])
