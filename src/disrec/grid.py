"""The experiment grid: datasets x models x beta (for the KL models) x seeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MODEL_NAMES = ("toppop", "puresvd", "multidae", "multivae", "betavae", "macridvae")
KL_MODELS = ("multivae", "betavae", "macridvae")  # the models with a beta axis
CLOSED_FORM_MODELS = ("toppop", "puresvd")  # fit once on train, on the CPU
GRADIENT_MODELS = tuple(m for m in MODEL_NAMES if m not in CLOSED_FORM_MODELS)  # trained by gradient, GPU-worthy
SEARCHED_MODELS = tuple(m for m in MODEL_NAMES if m != "toppop")  # those with hyperparameters to search
NO_BETA = "none"  # the beta wildcard of models without a KL term
TUNED_BETA = "tuned"  # the beta wildcard of a KL model whose beta the hyperparameter search chooses


def format_beta(beta: float) -> str:
    """The beta as it appears in paths: repr of the float (0.2 -> '0.2', 1 -> '1.0')."""
    return repr(float(beta))


def parse_beta(text: str) -> float | None:
    """The beta of a path; None for models without one and for a beta left to the search."""
    return None if text in (NO_BETA, TUNED_BETA) else float(text)


@dataclass(frozen=True)
class Run:
    dataset: str
    model: str
    beta: str
    seed: int


def model_betas(config: dict[str, Any], dataset: str, model: str) -> list[str]:
    """The beta values (as path strings) one model runs with on one dataset."""
    if model not in KL_MODELS:
        return [NO_BETA]
    betas = config["datasets"][dataset].get("models", {}).get(model, {}).get("betas", config["models"][model]["betas"])
    return [TUNED_BETA] if betas == TUNED_BETA else [format_beta(b) for b in betas]


def is_tuned(config: dict[str, Any], dataset: str, model: str) -> bool:
    """Whether the runs of (dataset, model) take their settings from a hyperparameter search."""
    tuning = config["tuning"]
    return dataset in tuning["datasets"] and model in tuning["models"]


def study_runs(config: dict[str, Any]) -> list[Run]:
    """Every run of the configured study, in a fixed order."""
    study = config["study"]
    return [Run(dataset, model, beta, seed)
            for dataset in study["datasets"] for model in study["models"]
            for beta in model_betas(config, dataset, model) for seed in study["seeds"]]
