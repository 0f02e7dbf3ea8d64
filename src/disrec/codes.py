"""User codes, the representation every disentanglement and interpretability metric reads: computed in
evaluation mode, stored as a table, and checked before they are scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from disrec.device import dense_rows
from disrec.matrices import row_batches
from disrec.models import Recommender


def user_codes(model: Recommender, matrix: sp.csr_matrix, device: torch.device, batch_size: int = 1024) -> np.ndarray:
    """(n_users, code_size) codes of every row of ``matrix``, in evaluation mode."""
    model.eval()
    with torch.no_grad():
        parts = [model.codes(dense_rows(matrix, rows, device)).cpu().numpy()
                 for rows in row_batches(matrix.shape[0], batch_size)]
    return np.concatenate(parts).astype(np.float32)


def codes_table(codes: np.ndarray | None, n_users: int) -> pd.DataFrame:
    """``user`` then ``z0..z{d-1}``; just ``user`` for a model without a code."""
    table = pd.DataFrame({"user": np.arange(n_users, dtype=np.int32)})
    if codes is not None:
        table = pd.concat([table, pd.DataFrame(codes, columns=[f"z{j}" for j in range(codes.shape[1])])], axis=1)
    return table


def bad_code_columns(codes: np.ndarray) -> tuple[list[int], list[int]]:
    """(columns with non-finite values, constant columns among the others)."""
    finite = np.isfinite(codes).all(axis=0)
    constant = finite & (np.ptp(np.where(np.isfinite(codes), codes, 0), axis=0) == 0)
    return np.flatnonzero(~finite).tolist(), np.flatnonzero(constant).tolist()


def undefined_code_reason(codes: np.ndarray, name: str) -> str | None:
    """Why these codes cannot be scored (non-finite or constant columns), or None."""
    if codes.shape[1] == 0:
        return f"{name} codes have no columns"
    non_finite, constant = bad_code_columns(codes)
    if non_finite:
        return f"{name} codes have non-finite values in columns {non_finite}"
    if constant:
        return f"{name} codes are constant in columns {constant}"
    return None


def code_health(codes: np.ndarray) -> tuple[str, str | None, list[int]]:
    """('ok' | 'failed' | 'collapsed', reason, constant columns) for train codes."""
    non_finite, constant = bad_code_columns(codes)
    if non_finite:
        return "failed", "user codes contain NaN or infinite values", []
    if constant:
        return "collapsed", f"code dimensions {constant} are constant over users (posterior collapse)", constant
    return "ok", None, []
