"""Mini-batch training of the gradient-based recommenders, shared by every model.

Adam on shuffled batches of users; optionally, every ``eval_every`` epochs a
validation score (higher is better) is computed, training stops at the
``patience``-th evaluation in a row that does not beat the best (a tie is no
improvement), and the best weights are restored. The study's rule (its
``EarlyStopper(allow_worse=2)`` every 5 epochs) is eval_every 5, patience 3.
A non-finite loss stops training and is reported, never raised.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
import torch

from disrec.device import dense_rows
from disrec.metrics.accuracy import evaluate_ranking
from disrec.models import Recommender

log = logging.getLogger(__name__)


@dataclass
class TrainingLog:
    """What happened in one call of ``train``: per-epoch loss, evaluations, and how it ended."""

    epochs: int = 0
    best_epoch: int | None = None
    best_score: float | None = None
    losses: list[dict[str, float]] = field(default_factory=list)
    evaluations: list[dict[str, float]] = field(default_factory=list)
    kl_weight_reached: float | None = None  # the KL weight of the last optimisation step (None: no step)
    stopped_early: bool = False
    status: str = "ok"
    reason: str | None = None
    seconds: float = 0.0


def train(model: Recommender, matrix: sp.csr_matrix, *, lr: float, batch_size: int, max_epochs: int, seed: int,
          device: torch.device, validate: Callable[[Recommender], float] | None = None, eval_every: int = 5,
          patience: int = 3) -> TrainingLog:
    """Train ``model`` on the rows of ``matrix`` in place; return its TrainingLog."""
    started = time.perf_counter()
    record = TrainingLog()
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    best_state, stale, step = None, 0, 0
    users = np.flatnonzero(np.diff(matrix.indptr) > 0)
    steps_per_epoch = math.ceil(len(users) / batch_size)
    for epoch in range(1, max_epochs + 1):
        model.train()
        total, parts_sum, n_batches = 0.0, {}, 0
        order = rng.permutation(users)
        for start in range(0, len(order), batch_size):
            x = dense_rows(matrix, order[start:start + batch_size], device)
            weight = model.kl_weight(step, steps_per_epoch)
            loss, parts = model.loss(x, weight)
            if not torch.isfinite(loss):
                record.status, record.reason = "nan_loss", f"non-finite loss at epoch {epoch}, step {step}"
                log.warning("%s", record.reason)
                break
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            record.kl_weight_reached = weight
            total += loss.item()
            n_batches += 1
            for name, value in parts.items():
                parts_sum[name] = parts_sum.get(name, 0.0) + value
        if record.status != "ok":
            break
        record.epochs = epoch
        record.losses.append({"epoch": epoch, "loss": total / n_batches, "kl_weight": record.kl_weight_reached,
                              **{name: value / n_batches for name, value in parts_sum.items()}})
        if validate is not None and epoch % eval_every == 0:
            model.eval()
            score = validate(model)
            record.evaluations.append({"epoch": epoch, "score": score})
            log.info("epoch %d: loss %.4f, validation %.5f", epoch, total / n_batches, score)
            if not math.isnan(score) and (record.best_score is None or score > record.best_score):
                record.best_score, record.best_epoch, stale = score, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
                if stale >= patience:
                    record.stopped_early = True
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    elif validate is None and record.status == "ok":
        record.best_epoch = record.epochs
    model.eval()
    record.seconds = time.perf_counter() - started
    return record


def final_fit_epochs(record: TrainingLog, rule: str, eval_every: int, patience: int, max_epochs: int) -> int:
    """Epochs of the final fit on train, from the selection fit's ``record``.

    ``best_epoch``: the epoch with the best validation score. ``study``: what the study's code trains
    (models/*.py: ``epoch - early_stop_allow_worse * early_stop_freq``, or MAX_EPOCHS when training ran to
    the end), i.e. the stopping epoch minus (patience - 1) evaluations: one evaluation past the best.
    """
    if rule == "best_epoch":
        return record.best_epoch or record.epochs
    if not record.stopped_early:
        return max_epochs
    return record.epochs - (patience - 1) * eval_every


def validation_score(model: Recommender, matrices: dict[str, sp.csr_matrix], k: int, device: torch.device) -> float:
    """NDCG@k on valid_out of the model's rankings from valid_in: what selection and tuning maximise."""
    return evaluate_ranking(model.scores, matrices["valid_in"], matrices["valid_out"], [k], device)[f"ndcg@{k}"]


def selection_fit(model: Recommender, settings: dict[str, Any], training: dict[str, Any], seed: int,
                  matrices: dict[str, sp.csr_matrix], device: torch.device) -> TrainingLog:
    """Fit on valid_in with early stopping on valid_out NDCG@k: chooses the epoch count, scores a trial."""
    k = training["validation_k"]
    log.info("selection fit on valid_in, early stopping on valid_out NDCG@%d", k)
    return train(model, matrices["valid_in"], max_epochs=settings["max_epochs"],
                 validate=lambda candidate: validation_score(candidate, matrices, k, device),
                 eval_every=training["eval_every"], patience=training["patience"], seed=seed, device=device,
                 lr=settings["lr"], batch_size=settings["batch_size"])
