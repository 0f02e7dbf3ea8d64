"""Codes with known answers for the disentanglement scores, and planted synthetic data scored end to end."""

from __future__ import annotations

import numpy as np


def known_codes(kind: str, n: int = 1000, k: int = 4, noise_dims: int = 4, seed: int = 0):
    """(codes (n, k + noise_dims), factors (n, k)) for kind 'factors', 'rotated' or 'independent'.

    'factors': dimension j is factor j plus small noise, then independent noise
    dimensions. 'rotated': the same code rotated by 45 degrees in the planes of
    dimensions (0, 1) and (2, 3), so every factor is spread over two dimensions
    and every one of those dimensions carries two factors. 'independent': noise only.
    """
    rng = np.random.default_rng(seed)
    factors = (rng.random((n, k)) < 0.4).astype(int)
    codes = rng.normal(size=(n, k + noise_dims))
    if kind in ("factors", "rotated"):
        codes[:, :k] = factors + 0.1 * codes[:, :k]
    if kind == "rotated":
        rotation = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2)
        for start in range(0, k - 1, 2):
            codes[:, start:start + 2] = codes[:, start:start + 2] @ rotation
    return codes, factors


def planted_puresvd(seed: int = 0, code_dim: int = 8):
    """PureSVD fit on planted synthetic data.

    Returns (model, train matrix, item concepts, [codes of train, valid_in], [factors of train, valid_in]).

    Users and items as the generator numbers them; the factors are the 50% rule (docs/methods.md §3.2) on each set.
    """
    import pandas as pd
    import torch

    from disrec.datasets.synthetic import generate_planted
    from disrec.factors import user_factors
    from disrec.matrices import interaction_matrix
    from disrec.models.puresvd import PureSVD
    from disrec.splits import split_weak_generalisation

    data = generate_planted(n_users=500, n_items=240, n_concepts=5, item_concept_probability=0.3,
                            min_concepts_per_user=1, max_concepts_per_user=2, min_interactions_per_user=15,
                            max_interactions_per_user=30, noise=0.1, popularity_exponent=0.5, seed=seed)
    pairs = pd.DataFrame({"user": data.interactions["user_id"], "item": data.interactions["item_id"]})
    splits = split_weak_generalisation(pairs, test_fraction=0.2, validation_fraction=0.2, seed=seed)
    n_users, n_items = data.user_concepts.shape[0], data.item_concepts.shape[0]
    train = interaction_matrix(splits.train, n_users, n_items)
    valid = interaction_matrix(splits.valid_in, n_users, n_items)
    model = PureSVD(n_items, code_dim)
    model.fit(train, seed)
    with torch.no_grad():
        codes = [model.codes(torch.from_numpy(m.toarray())).numpy().astype(np.float64) for m in (train, valid)]
    factors = [user_factors(s, data.item_concepts, n_users).astype(int) for s in (splits.train, splits.valid_in)]
    return model, train, data.item_concepts, codes, factors
