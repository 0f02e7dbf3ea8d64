"""From raw ratings to implicit, filtered, densely indexed interactions (docs/methods.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from disrec.errors import EmptyDatasetError


@dataclass
class PreparedInteractions:
    """interactions: ``user``, ``item`` dense ids (int32), sorted by (user, item), one row per positive pair.
    users / items: dense id -> ``original_id`` mappings, in dense-id order."""

    interactions: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame


def binarise(ratings: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Positive (user_id, item_id) pairs: any rating >= threshold; duplicate pairs collapse."""
    positive = ratings.loc[ratings["rating"] >= threshold, ["user_id", "item_id"]]
    return positive.drop_duplicates().reset_index(drop=True)


def k_core(pairs: pd.DataFrame, min_user: int, min_item: int) -> pd.DataFrame:
    """Repeatedly drop users with < min_user and items with < min_item pairs until none is dropped."""
    users, items = pairs["user_id"].to_numpy(), pairs["item_id"].to_numpy()
    user_codes, user_index = pd.factorize(users)
    item_codes, item_index = pd.factorize(items)
    keep = np.ones(len(pairs), dtype=bool)
    while True:
        user_counts = np.bincount(user_codes[keep], minlength=len(user_index))
        item_counts = np.bincount(item_codes[keep], minlength=len(item_index))
        still = keep & (user_counts[user_codes] >= min_user) & (item_counts[item_codes] >= min_item)
        if still.sum() == keep.sum():
            return pairs[keep].reset_index(drop=True)
        keep = still


def reindex(pairs: pd.DataFrame) -> PreparedInteractions:
    """Dense ids 0..n-1 in sorted order of the original ids; rows sorted by (user, item)."""
    user_ids = np.sort(pairs["user_id"].unique())
    item_ids = np.sort(pairs["item_id"].unique())
    user = np.searchsorted(user_ids, pairs["user_id"].to_numpy()).astype(np.int32)
    item = np.searchsorted(item_ids, pairs["item_id"].to_numpy()).astype(np.int32)
    order = np.lexsort((item, user))
    interactions = pd.DataFrame({"user": user[order], "item": item[order]})
    return PreparedInteractions(
        interactions=interactions,
        users=pd.DataFrame({"user": np.arange(len(user_ids), dtype=np.int32), "original_id": user_ids}),
        items=pd.DataFrame({"item": np.arange(len(item_ids), dtype=np.int32), "original_id": item_ids}),
    )


def prepare_interactions(ratings: pd.DataFrame, *, threshold: float, min_user: int, min_item: int,
                         dataset: str) -> PreparedInteractions:
    """Binarise, k-core filter and re-index; raise EmptyDatasetError naming the settings if nothing is left."""
    pairs = k_core(binarise(ratings, threshold), min_user, min_item)
    if pairs.empty:
        raise EmptyDatasetError(
            f"dataset '{dataset}': no interactions left after binarising at rating >= {threshold} and the "
            f"k-core filter (min_user_interactions={min_user}, min_item_interactions={min_item}); "
            f"lower these settings under datasets.{dataset}"
        )
    return reindex(pairs)
