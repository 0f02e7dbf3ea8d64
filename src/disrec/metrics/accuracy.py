"""Top-K accuracy of rankings (docs/methods.md §7), vectorised over batches of users.

For each user with at least one held-out item: rank every item not in the
user's input (train) by score, ties broken by the lower item index, take the
top K, and compare with the held-out set T.
  NDCG@K   = sum_i hit_i / log2(i+1) / sum_{i<=min(K,|T|)} 1 / log2(i+1)
  Recall@K = sum_i hit_i / min(K, |T|)
  MRR@K    = 1 / rank of the first hit, 0 if none
  Coverage@K = |union of the users' top-K items| / n_items
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

import numpy as np
import scipy.sparse as sp
import torch

from disrec.device import dense_rows
from disrec.matrices import row_batches


def rank_top_k(scores: torch.Tensor, exclude: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (b, k) of the k best items per row, ties by item index, excluded items last.

    Also returns a (b, k) bool mask of the ranked positions that hold a real
    (not excluded) item, for users with fewer than k candidates.

    The first k of a stable descending sort of all items, computed without
    sorting them all: only items scoring at least each row's k-th best score
    (found by topk) can rank in the first k; they are gathered in item order
    and stable-sorted, which puts them in the full sort's order.
    """
    masked = torch.nan_to_num(scores.float(), nan=-torch.inf).masked_fill(exclude, -torch.inf)
    kth_best = torch.topk(masked, k, dim=1).values[:, -1:]
    candidates = masked >= kth_best
    counts = candidates.sum(dim=1)
    width = int(counts.max())
    rows, items = candidates.nonzero(as_tuple=True)  # row-major: each row's candidates in item order
    slots = torch.arange(len(rows), device=rows.device) - (torch.cumsum(counts, 0) - counts)[rows]
    # padding after each row's candidates scores -inf, so the stable sort leaves it behind them
    gathered = torch.full((len(masked), width), -torch.inf, device=masked.device)
    gathered[rows, slots] = masked[rows, items]
    positions = torch.zeros((len(masked), width), dtype=torch.long, device=masked.device)
    positions[rows, slots] = items
    order = torch.sort(gathered, dim=1, descending=True, stable=True).indices[:, :k]
    top = torch.gather(positions, 1, order)
    return top, ~torch.gather(exclude, 1, top)


class RankingAccumulator:
    """Sums per-user metrics over batches; ``result()`` gives the means and coverage."""

    def __init__(self, ks: Iterable[int], n_items: int, device: torch.device | str = "cpu"):
        self.ks = sorted(set(int(k) for k in ks))
        self.n_items = n_items
        self.n_users = 0
        self.sums = {f"{m}@{k}": 0.0 for k in self.ks for m in ("ndcg", "recall", "mrr")}
        self.covered = {k: torch.zeros(n_items, dtype=torch.bool, device=device) for k in self.ks}
        k_max = self.ks[-1]
        self.discount = 1.0 / torch.log2(torch.arange(2, k_max + 2, dtype=torch.float64, device=device))

    def add(self, scores: torch.Tensor, exclude: torch.Tensor, target: torch.Tensor) -> None:
        """scores (b, n); exclude and target (b, n) bool. Users without targets are skipped."""
        has_target = target.any(dim=1)
        scores, exclude, target = scores[has_target], exclude[has_target], target[has_target]
        if not len(scores):
            return
        top, valid = rank_top_k(scores, exclude, min(self.ks[-1], self.n_items))
        hits = torch.gather(target, 1, top).double()
        n_target = target.sum(dim=1)
        positions = torch.arange(1, hits.shape[1] + 1, dtype=torch.float64, device=hits.device)
        first_hit = torch.where(hits > 0, positions, torch.inf).min(dim=1).values
        for k in self.ks:
            hits_k = hits[:, :k]  # fewer than k columns when k > n_items
            denominator = torch.clamp(n_target, max=k)
            ideal = torch.cumsum(self.discount, 0)[denominator - 1]
            self.sums[f"ndcg@{k}"] += float(((hits_k * self.discount[: hits_k.shape[1]]).sum(1) / ideal).sum())
            self.sums[f"recall@{k}"] += float((hits_k.sum(1) / denominator).sum())
            self.sums[f"mrr@{k}"] += float(torch.where(first_hit <= k, 1.0 / first_hit, 0.0).sum())
            self.covered[k][top[:, :k][valid[:, :k]]] = True
        self.n_users += len(scores)

    def result(self) -> dict[str, float]:
        out = {name: (total / self.n_users if self.n_users else float("nan")) for name, total in self.sums.items()}
        for k in self.ks:
            out[f"coverage@{k}"] = float(self.covered[k].sum()) / self.n_items
        out["users"] = self.n_users
        return out


def evaluate_ranking(score: Callable[[torch.Tensor], torch.Tensor], inputs: sp.csr_matrix, targets: sp.csr_matrix,
                     ks: Iterable[int], device: torch.device | str = "cpu", batch_size: int = 1024) -> dict[str, float]:
    """Accuracy of ``score`` (dense input rows -> item scores) with ``inputs`` excluded and ``targets`` held out."""
    device = torch.device(device)
    accumulator = RankingAccumulator(ks, inputs.shape[1], device)
    users = np.flatnonzero(np.diff(targets.indptr) > 0)
    for batch in row_batches(len(users), batch_size):
        rows = users[batch]
        x = dense_rows(inputs, rows, device)
        with torch.no_grad():
            scores = score(x)
        accumulator.add(scores, x > 0, dense_rows(targets, rows, device) > 0)
    return accumulator.result()


def accuracy_literal(scores: np.ndarray, train: np.ndarray, test: np.ndarray, ks: Iterable[int]) -> dict[str, float]:
    """The same metrics one user at a time, straight from the definitions (dense arrays, bool masks).

    Slow; it is the reference the batched implementation is tested and benchmarked against.
    """
    ks = sorted(set(int(k) for k in ks))
    sums = {f"{m}@{k}": 0.0 for k in ks for m in ("ndcg", "recall", "mrr")}
    covered: dict[int, set] = {k: set() for k in ks}
    users = 0
    for u in range(scores.shape[0]):
        truth = set(np.flatnonzero(test[u]).tolist())
        if not truth:
            continue
        users += 1
        candidates = [i for i in range(scores.shape[1]) if not train[u, i]]
        ranked = sorted(candidates, key=lambda i: (-scores[u, i], i))
        for k in ks:
            top = ranked[:k]
            covered[k].update(top)
            hits = [1.0 if i in truth else 0.0 for i in top]
            dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
            ideal = sum(1 / math.log2(r + 2) for r in range(min(k, len(truth))))
            sums[f"ndcg@{k}"] += dcg / ideal
            sums[f"recall@{k}"] += sum(hits) / min(k, len(truth))
            first = next((r + 1 for r, h in enumerate(hits) if h), None)
            sums[f"mrr@{k}"] += 1 / first if first else 0.0
    out = {name: value / users for name, value in sums.items()}
    out.update({f"coverage@{k}": len(covered[k]) / scores.shape[1] for k in ks})
    out["users"] = users
    return out
