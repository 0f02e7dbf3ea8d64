"""Accuracy metrics: hand-computed cases and agreement with a plain per-user implementation."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from disrec.metrics.accuracy import RankingAccumulator, accuracy_literal, evaluate_ranking


def one_user(scores, train, test, ks):
    n = len(scores)
    acc = RankingAccumulator(ks, n)
    exclude = torch.zeros(1, n, dtype=torch.bool)
    exclude[0, list(train)] = True
    target = torch.zeros(1, n, dtype=torch.bool)
    target[0, list(test)] = True
    acc.add(torch.tensor([scores], dtype=torch.float64), exclude, target)
    return acc.result()


def test_hand_computed_with_ties_and_exclusion():
    # item 1 is a train item; items 0, 2, 4 tie at 0.5 -> ranked by index: 0, 2, 4, then 3.
    result = one_user([0.5, 0.9, 0.5, 0.1, 0.5], train={1}, test={2, 3}, ks=[2])
    assert result["ndcg@2"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)), abs=1e-15)
    assert result["recall@2"] == 0.5
    assert result["mrr@2"] == 0.5
    assert result["coverage@2"] == 2 / 5


def test_fewer_test_items_than_k():
    result = one_user([0.5, 0.9, 0.5, 0.1, 0.5], train={1}, test={4}, ks=[3])
    assert result["ndcg@3"] == pytest.approx(0.5, abs=1e-15)  # hit at rank 3: 1/log2(4), ideal 1
    assert result["recall@3"] == 1.0
    assert result["mrr@3"] == pytest.approx(1 / 3)


def test_miss_gives_zero_and_users_without_test_items_are_skipped():
    n = 4
    acc = RankingAccumulator([1], n)
    scores = torch.tensor([[4.0, 3.0, 2.0, 1.0], [4.0, 3.0, 2.0, 1.0]])
    exclude = torch.zeros(2, n, dtype=torch.bool)
    target = torch.tensor([[False, False, False, True], [False, False, False, False]])
    acc.add(scores, exclude, target)
    result = acc.result()
    assert result["users"] == 1
    assert result["ndcg@1"] == result["recall@1"] == result["mrr@1"] == 0.0
    assert result["coverage@1"] == 1 / 4  # only the evaluated user's list counts


def test_agrees_with_plain_implementation_on_random_data():
    rng = np.random.default_rng(0)
    n_users, n_items, ks = 60, 40, [1, 5, 10, 50]
    interactions = rng.random((n_users, n_items)) < 0.3
    test = interactions & (rng.random((n_users, n_items)) < 0.3)
    train = interactions & ~test
    # An integer-valued linear scorer: exact in float64, and full of ties.
    weights = rng.integers(-2, 3, size=(n_items, n_items)).astype(np.float64)
    bias = rng.integers(0, 3, size=n_items).astype(np.float64)
    scores = train.astype(np.float64) @ weights + bias
    score = lambda x: x.double() @ torch.from_numpy(weights) + torch.from_numpy(bias)
    fast = evaluate_ranking(score, sp.csr_matrix(train.astype(np.float32)), sp.csr_matrix(test.astype(np.float32)),
                            ks, batch_size=7)
    plain = accuracy_literal(scores, train, test, ks)
    assert fast["users"] == int(test.any(axis=1).sum())
    for name, value in plain.items():
        assert fast[name] == pytest.approx(value, abs=1e-12), name


def test_top_k_is_the_head_of_a_stable_sort_of_all_items():
    """Heavy ties, excluded items and rows with fewer than k candidates: the same indices as sorting every item."""
    from disrec.metrics.accuracy import rank_top_k

    rng = np.random.default_rng(3)
    for n_items, k in ((50, 10), (200, 100), (30, 30)):
        scores = torch.from_numpy(rng.integers(0, 4, size=(40, n_items)).astype(np.float32))
        scores[0, 5] = float("nan")
        exclude = torch.from_numpy(rng.random((40, n_items)) < 0.3)
        exclude[1, : n_items - 3] = True  # only 3 candidates
        masked = torch.nan_to_num(scores, nan=-torch.inf).masked_fill(exclude, -torch.inf)
        expected = torch.sort(masked, dim=1, descending=True, stable=True).indices[:, :k]
        top, valid = rank_top_k(scores, exclude, k)
        assert torch.equal(top, expected)
        assert torch.equal(valid, ~torch.gather(exclude, 1, expected))
