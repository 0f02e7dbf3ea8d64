"""What the loaders of a researcher's own data share (RecBole atomic files, plain tables).

Two files in one folder (``local_path``, or ``{cache_dir}/{dataset name}``): interactions first, item metadata
second, parsed once and cached like the study's datasets (the cache is keyed by the settings that change what
is read, too). Ids that are all plain integers become numbers; the item table must cover some interacted item;
concepts are chosen from the items' tokens by the settings under ``concepts`` and at least two must be usable.
These loaders are also run in memory before any job starts (``disrec.steps.data.user_data_problems``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from disrec.datasets.base import ItemConcepts
from disrec.datasets.concepts import token_concepts
from disrec.datasets.fetch import raw_file_folder
from disrec.datasets.official import OfficialFilesLoader
from disrec.datasets.text_tables import integer_ids
from disrec.errors import DataFormatError, DataSourceError


class UserFilesLoader(OfficialFilesLoader):
    def read_tables(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(interactions: user_id, item_id, rating; item features: item_id, feature, value), ids as read."""
        raise NotImplementedError

    def concept_origin(self, settings: dict[str, Any]) -> str:
        """Where the concepts come from, for messages."""
        raise NotImplementedError

    def missing_files(self, name: str, settings: dict[str, Any], cache_dir: str) -> list[str]:
        return self._absent(name, settings, raw_file_folder(name, settings, cache_dir))

    def file_paths(self, name: str, settings: dict[str, Any], folder: Path) -> dict[str, Path]:
        absent = self._absent(name, settings, folder)
        if absent:
            raise DataSourceError("; ".join(absent))
        return {file: folder / file for file in self.file_sources(settings)}

    def _absent(self, name: str, settings: dict[str, Any], folder: Path) -> list[str]:
        return [f"dataset {name!r}: {folder / file} is missing; expected {what} there "
                f"(datasets.{name}.local_path is the folder that holds the files)"
                for file, what in self.file_sources(settings).items() if not (folder / file).is_file()]

    def parse(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        interactions, features = self.read_tables(paths, settings)
        inter_path, items_path = paths.values()
        interactions["user_id"], = integer_ids(interactions["user_id"])
        interactions["item_id"], features["item_id"] = integer_ids(interactions["item_id"], features["item_id"])
        interacted = pd.Index(interactions["item_id"].unique())
        described = pd.Index(features["item_id"].unique())
        if len(interacted) and not interacted.isin(described).any():
            example = f" (for example {interacted[0]!r} there, {described[0]!r} here)" if len(described) else ""
            raise DataFormatError(
                f"{items_path}: none of its {len(described)} items with concepts is among the {len(interacted)} "
                f"items of {inter_path}{example}; both files must name items by the same ids")
        return interactions, features

    def item_concepts(self, item_features: pd.DataFrame, n_items: int, seed: int,
                      settings: dict[str, Any]) -> ItemConcepts:
        concepts = token_concepts(item_features, n_items, seed, settings["top_n"], settings["min_items"],
                                  settings["drop"], settings["n_clusters"])
        carried = concepts.matrix.sum(axis=0)
        usable = [name for name, n in zip(concepts.names, carried) if 0 < n < n_items]
        if len(usable) < 2:
            raise DataFormatError(
                f"{len(usable)} usable concept(s) {usable} among the {n_items} items left after the filters "
                f"(concepts: {dict(sorted(settings.items()))}); at least two are needed, each carried by some but "
                f"not all items. Name other concept fields or columns, or loosen the concept filters")
        return concepts
