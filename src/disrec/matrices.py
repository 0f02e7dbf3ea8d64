"""Sparse user x item matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from disrec.storage import read_parquet


def interaction_matrix(pairs: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary user x item matrix (float32) of (user, item) rows."""
    data = np.ones(len(pairs), dtype=np.float32)
    return sp.csr_matrix((data, (pairs["user"].to_numpy(), pairs["item"].to_numpy())), shape=(n_users, n_items))


def row_batches(n_rows: int, batch_size: int):
    """Consecutive index ranges covering 0..n_rows-1."""
    for start in range(0, n_rows, batch_size):
        yield np.arange(start, min(start + batch_size, n_rows))


def read_matrices(user_ids: str, item_ids: str,
                  splits: dict[str, str]) -> tuple[int, int, dict[str, sp.csr_matrix]]:
    """(n_users, n_items, {split name: users x items matrix}) for the named split files."""
    n_users, n_items = len(read_parquet(user_ids)), len(read_parquet(item_ids))
    return n_users, n_items, {name: interaction_matrix(read_parquet(path), n_users, n_items)
                              for name, path in splits.items()}
