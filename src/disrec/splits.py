"""Weak-generalisation splits (docs/methods.md §2): every user everywhere, interactions held out.

A user with n >= 2 interactions holds out max(1, round(f * n)) of them, chosen
uniformly at random; a user with fewer holds out none. ``round`` is half-up
(floor(f * n + 0.5)), so it does not depend on banker's rounding. The test
hold-out draws from ``numpy.random.default_rng([seed, 0])`` and the validation
hold-out from ``default_rng([seed, 1])``; both draw one number per interaction
in (user, item) order, so a split depends only on the interactions, the
fractions and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SPLIT_NAMES = ("train", "valid_in", "valid_out", "test_out")


@dataclass
class Splits:
    """Frames of (user, item), each sorted by (user, item). train = valid_in + valid_out = test_in."""

    train: pd.DataFrame
    valid_in: pd.DataFrame
    valid_out: pd.DataFrame
    test_out: pd.DataFrame

    def as_dict(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in SPLIT_NAMES}


def holdout_sizes(counts: np.ndarray, fraction: float) -> np.ndarray:
    """How many interactions each user with ``counts`` interactions holds out."""
    counts = np.asarray(counts)
    sizes = np.maximum(np.floor(fraction * counts + 0.5).astype(np.int64), 1)
    return np.where(counts >= 2, sizes, 0)


def hold_out(interactions: pd.DataFrame, fraction: float,
             rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split (user, item) rows, sorted by (user, item), into (kept, held out)."""
    users = interactions["user"].to_numpy()
    keys = rng.random(len(users))
    order = np.lexsort((keys, users))
    counts = np.bincount(users, minlength=users.max() + 1 if len(users) else 0)
    starts = np.cumsum(counts) - counts
    sorted_users = users[order]
    rank_within_user = np.arange(len(users)) - starts[sorted_users]
    held = np.zeros(len(users), dtype=bool)
    held[order] = rank_within_user < holdout_sizes(counts, fraction)[sorted_users]
    return (interactions[~held].reset_index(drop=True), interactions[held].reset_index(drop=True))


def split_weak_generalisation(interactions: pd.DataFrame, *, test_fraction: float, validation_fraction: float,
                              seed: int) -> Splits:
    """Test hold-out from all interactions, then validation hold-out from train."""
    train, test_out = hold_out(interactions, test_fraction, np.random.default_rng([seed, 0]))
    valid_in, valid_out = hold_out(train, validation_fraction, np.random.default_rng([seed, 1]))
    return Splits(train=train, valid_in=valid_in, valid_out=valid_out, test_out=test_out)
