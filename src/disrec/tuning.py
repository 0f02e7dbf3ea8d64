"""Hyperparameter search for one run: TPE (optuna) over the study's search spaces, resumable and seeded.

Each trial fits on ``valid_in`` and scores NDCG@k on ``valid_out`` (the selection fit of training). Trial n
is asked from a fresh TPE sampler seeded with (seed, n) and told every earlier trial, so the trial sequence
is a function of the seed alone: a search resumed from its stored trials continues exactly as an
uninterrupted one would.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import optuna

from disrec.config import model_spaces
from disrec.storage import atomic_path

log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)

HIDDEN_UNIT = 128  # hidden layer i (from the code outwards) has 128 * 2^i units, as in the study


@dataclass(frozen=True)
class Dimension:
    """One searched setting: its optuna distribution and the factor applied to the sampled value."""

    distribution: optuna.distributions.BaseDistribution
    scale: float = 1.0


def dimension(spec: dict[str, Any]) -> Dimension:
    """``{choice: [...]}``, ``{log_uniform: [a, b]}`` (natural-log bounds: e^a..e^b) or ``{int: [lo, hi]}``,
    each with an optional ``scale`` multiplying the sampled value."""
    scale = spec.get("scale", 1.0)
    if "choice" in spec:
        return Dimension(optuna.distributions.CategoricalDistribution(spec["choice"]), scale)
    if "log_uniform" in spec:
        low, high = spec["log_uniform"]
        return Dimension(optuna.distributions.FloatDistribution(math.exp(low), math.exp(high), log=True), scale)
    low, high = spec["int"]  # the schema admits exactly one of the three kinds
    return Dimension(optuna.distributions.IntDistribution(low, high), scale)


def search_space(spaces: dict[str, Any], model: str, tune_beta: bool) -> dict[str, Dimension]:
    """The model's dimensions (``common`` ones first for the gradient models); beta only when it is tuned."""
    specs = {name: spec for part in model_spaces(spaces, model).values() for name, spec in part.items()}
    return {name: dimension(spec) for name, spec in specs.items() if name != "beta" or tune_beta}


def apply(params: dict[str, Any], space: dict[str, Dimension]) -> tuple[dict[str, Any], float | None]:
    """Sampled values -> (model settings to override, beta or None). ``hidden_layers`` n becomes the
    ``hidden`` sizes [128 * 2^(n-1), ..., 128]."""
    settings: dict[str, Any] = {}
    for name, value in params.items():
        value = value * space[name].scale if space[name].scale != 1.0 else value
        if name == "hidden_layers":
            settings["hidden"] = [HIDDEN_UNIT * 2 ** i for i in reversed(range(int(value)))]
        else:
            settings[name] = value
    beta = settings.pop("beta", None)
    return settings, beta


def _trial_seed(seed: int, number: int) -> int:
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def load_progress(path: Path) -> list[dict[str, Any]]:
    """Trials recorded so far, up to the first line that does not parse: a last line cut short by a kill is
    dropped quietly; a bad line with trials after it is reported, and those trials are run again (each trial
    depends on the ones before it)."""
    if not path.exists():
        return []
    records = []
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number < len(lines):
                log.warning("%s: line %d is not a JSON trial record; it and the %d trials after it are run "
                            "again", path, number, len(lines) - number)
            break
    return records


def _append(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def run_search(objective: Callable[[dict[str, Any], float | None], dict[str, Any]], space: dict[str, Dimension],
               n_trials: int, startup_trials: int, seed: int, progress: Path) -> list[dict[str, Any]]:
    """Run trials until ``n_trials`` are recorded in ``progress`` (JSON lines), resuming from it.

    ``objective(settings, beta)`` returns at least ``score`` (None when the trial failed).
    """
    distributions = {name: d.distribution for name, d in space.items()}
    records = load_progress(progress)
    if records:
        log.info("resuming the search from %d recorded trials in %s", len(records), progress)
    progress.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(progress) as tmp:  # drops a last line cut short by a kill before appending again
        tmp.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    for number in range(len(records), n_trials):
        sampler = optuna.samplers.TPESampler(seed=_trial_seed(seed, number), n_startup_trials=startup_trials)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        for record in records:
            failed = record["score"] is None
            study.add_trial(optuna.trial.create_trial(
                params=record["params"], distributions=distributions, value=None if failed else record["score"],
                state=optuna.trial.TrialState.FAIL if failed else optuna.trial.TrialState.COMPLETE))
        params = study.ask(distributions).params
        settings, beta = apply(params, space)
        outcome = objective(settings, beta)
        record = {"number": number, "params": params, "settings": settings, "beta": beta, **outcome}
        log.info("trial %d: score %s with %s%s", number, outcome["score"], settings,
                 "" if beta is None else f", beta {beta:g}")
        _append(progress, record)
        records.append(record)
    return records


def best_trial(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The trial with the highest score (the earliest among equals); None when every trial failed."""
    scored = [r for r in records if r["score"] is not None]
    return max(scored, key=lambda r: (r["score"], -r["number"])) if scored else None
