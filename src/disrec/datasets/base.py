"""The interface every dataset implements: raw files in, two tables out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd


@dataclass
class RawDataset:
    """A dataset as read from its official files, before any filtering.

    interactions: columns ``user_id``, ``item_id`` (original ids) and ``rating``.
    item_features: long table ``item_id``, ``feature``, ``value``: the item
        metadata from which ground-truth concepts are built (genres, tag
        relevances, categories, shelves).
    provenance: where the files came from and their checksums.
    """

    interactions: pd.DataFrame
    item_features: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class ItemConcepts:
    """Binary item x concept matrix ``matrix`` (n_items, k) with concept names ``names``."""

    matrix: np.ndarray
    names: list[str]


class DatasetLoader(Protocol):
    def load(self, name: str, settings: dict[str, Any], cache_dir: Path) -> RawDataset:
        """Read (fetching if configured) the raw files of dataset ``name`` (its config key)."""

    def missing_files(self, name: str, settings: dict[str, Any], cache_dir: str) -> list[str]:
        """One message per raw file that is absent and cannot be fetched; checked before any job runs."""

    def item_concepts(self, item_features: pd.DataFrame, n_items: int, seed: int,
                      settings: dict[str, Any]) -> ItemConcepts:
        """Build the item x concept matrix from the dense-id ``item_features`` table.

        ``settings`` is the dataset's ``concepts`` config entry (empty when absent);
        ``seed`` is the run's seed, for constructions that cluster.
        """


def concepts_from_binary_features(item_features: pd.DataFrame, n_items: int) -> ItemConcepts:
    """Each feature is a concept; an item has it when its value is positive."""
    names = sorted(item_features["feature"].unique())
    column = {name: j for j, name in enumerate(names)}
    present = item_features[item_features["value"] > 0]
    matrix = np.zeros((n_items, len(names)), dtype=bool)
    matrix[present["item"].to_numpy(), present["feature"].map(column).to_numpy()] = True
    return ItemConcepts(matrix=matrix, names=names)
