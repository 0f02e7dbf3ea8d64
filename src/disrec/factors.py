"""Ground-truth user factors from item concepts (docs/methods.md §3.2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from disrec.matrices import interaction_matrix


def user_factors(pairs: pd.DataFrame, item_concepts: np.ndarray, n_users: int,
                 min_share: float = 0.5) -> np.ndarray:
    """(n_users, k) bool: a user has concept c when >= ``min_share`` of their interactions carry c.

    A user without interactions in ``pairs`` has no factor.
    """
    matrix = interaction_matrix(pairs, n_users, item_concepts.shape[0])
    counts = np.asarray(matrix @ item_concepts.astype(np.float32))
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    # Division (not counts >= share * total) so 3/10 >= 0.3 holds exactly as written.
    share = counts / np.maximum(totals, 1)[:, None]
    return (share >= min_share) & (totals > 0)[:, None]


@dataclass
class FactorSelection:
    """Which factors are kept, decided on train alone and then applied to every set."""

    kept: list[int]
    positive_rates: np.ndarray


def select_factors(train_factors: np.ndarray, min_rate: float, max_rate: float) -> FactorSelection:
    """Keep factors whose share of positive users on train lies in [min_rate, max_rate)."""
    rates = train_factors.mean(axis=0) if len(train_factors) else np.zeros(train_factors.shape[1])
    kept = [j for j, rate in enumerate(rates) if min_rate <= rate < max_rate]
    return FactorSelection(kept=kept, positive_rates=rates)


def factor_table(factors: np.ndarray, kept: list[int], names: list[str]) -> pd.DataFrame:
    """Users x kept factors as a frame: a ``user`` column, then one uint8 column per kept concept."""
    table = pd.DataFrame(factors[:, kept].astype(np.uint8), columns=[names[j] for j in kept])
    table.insert(0, "user", np.arange(len(factors), dtype=np.int32))
    return table
