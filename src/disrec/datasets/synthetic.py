"""Synthetic data with planted concepts: the truth is known, so metrics can be checked (docs/methods.md §12).

Items carry each of k concepts independently with probability p (at least
one). Each user is given a set S of concepts and draws most interactions from
the items that carry every concept in S, popular ones more often, plus a
``noise`` share drawn uniformly from all items. Under the 50% rule of the
factor definition, the user's factors are then S (for small noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from disrec.datasets.base import ItemConcepts, RawDataset, concepts_from_binary_features


@dataclass
class PlantedData:
    """interactions: (user_id, item_id, rating); item_concepts (n_items, k) and user_concepts (n_users, k), bool."""

    interactions: pd.DataFrame
    item_concepts: np.ndarray
    user_concepts: np.ndarray


def concept_names(k: int) -> list[str]:
    width = len(str(k - 1))
    return [f"c{j:0{width}d}" for j in range(k)]


def generate_planted(*, n_users: int, n_items: int, n_concepts: int, item_concept_probability: float,
                     min_concepts_per_user: int, max_concepts_per_user: int, min_interactions_per_user: int,
                     max_interactions_per_user: int, noise: float, popularity_exponent: float,
                     seed: int) -> PlantedData:
    rng = np.random.default_rng(seed)
    item_concepts = rng.random((n_items, n_concepts)) < item_concept_probability
    bare = ~item_concepts.any(axis=1)
    item_concepts[bare.nonzero()[0], rng.integers(0, n_concepts, bare.sum())] = True
    popularity = rng.permutation(n_items).astype(float) + 1.0
    weight = popularity ** -popularity_exponent

    user_concepts = np.zeros((n_users, n_concepts), dtype=bool)
    users, items = [], []
    for user in range(n_users):
        size = rng.integers(min_concepts_per_user, max_concepts_per_user + 1)
        concepts = rng.choice(n_concepts, size=size, replace=False)
        user_concepts[user, concepts] = True
        overlap = item_concepts[:, concepts].sum(axis=1)
        pool = np.flatnonzero(overlap == overlap.max())  # items with all of S when any exist
        n = rng.integers(min_interactions_per_user, max_interactions_per_user + 1)
        n_noise = rng.binomial(n, noise)
        n_pool = min(n - n_noise, len(pool))
        chosen = rng.choice(pool, size=n_pool, replace=False, p=weight[pool] / weight[pool].sum())
        noisy = rng.choice(n_items, size=n_noise, replace=False)
        picked = np.union1d(chosen, noisy)
        users.append(np.full(len(picked), user))
        items.append(picked)
    interactions = pd.DataFrame({"user_id": np.concatenate(users), "item_id": np.concatenate(items),
                                 "rating": 1.0})
    return PlantedData(interactions=interactions, item_concepts=item_concepts, user_concepts=user_concepts)


class Synthetic:
    def missing_files(self, name: str, settings: dict[str, Any], cache_dir: str) -> list[str]:
        return []  # generated, nothing to fetch

    def load(self, name: str, settings: dict[str, Any], cache_dir: Path) -> RawDataset:
        generator = settings["generator"]
        data = generate_planted(**generator)
        item, concept = np.nonzero(data.item_concepts)
        names = np.array(concept_names(data.item_concepts.shape[1]))
        features = pd.DataFrame({"item_id": item, "feature": names[concept], "value": 1.0})
        return RawDataset(interactions=data.interactions, item_features=features,
                          provenance={"source": "generator", "origin": "synthetic planted-concept generator",
                                      "parameters": dict(generator)})

    def item_concepts(self, item_features: pd.DataFrame, n_items: int, seed: int,
                      settings: dict[str, Any]) -> ItemConcepts:
        return concepts_from_binary_features(item_features, n_items)
