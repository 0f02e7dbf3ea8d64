"""Loaders of datasets distributed as a fixed set of official files (ML1M, Yelp, GoodReads, Amazon).

A subclass names its files and parses them; this class finds or downloads them, checks them, and caches
the parsed tables as Parquet keyed by the files' names, sizes and modification times (and the settings in
``parse_keys``), so a large dataset is parsed once however often its filters change.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from disrec.datasets.base import ItemConcepts, RawDataset
from disrec.datasets.concepts import category_clusters
from disrec.datasets.fetch import RawFile, file_digest, missing_message, obtain, raw_file_folder
from disrec.storage import read_json, read_parquet, write_json, write_parquet

log = logging.getLogger(__name__)


class OfficialFilesLoader:
    parser_version = 1  # bump when parse() changes what it returns, to invalidate parsed caches
    parse_keys: tuple[str, ...] = ()  # settings that change what parse() reads; part of the cache key

    def file_sources(self, settings: dict[str, Any]) -> dict[str, str]:
        """Official file name -> where a person gets it."""
        raise NotImplementedError

    def raw_files(self, settings: dict[str, Any]) -> list[RawFile]:
        return [RawFile(name, settings["urls"].get(name), settings["md5"].get(name), where)
                for name, where in self.file_sources(settings).items()]

    def missing_files(self, name: str, settings: dict[str, Any], cache_dir: str) -> list[str]:
        """Messages for files that are neither present nor downloadable: checked before any job runs."""
        folder = raw_file_folder(name, settings, cache_dir)
        return [missing_message(name, raw, folder) for raw in self.raw_files(settings)
                if not raw.url and not (folder / raw.name).exists()]

    def file_paths(self, name: str, settings: dict[str, Any], folder: Path) -> dict[str, Path]:
        """Official file name -> its path in ``folder``, downloaded first where absent."""
        return {raw.name: obtain(name, raw, folder, settings["download_timeout_s"]) for raw in self.raw_files(settings)}

    def parse(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(interactions: user_id, item_id, rating; item_features: item_id, feature, value)."""
        raise NotImplementedError

    def load(self, name: str, settings: dict[str, Any], cache_dir: Path) -> RawDataset:
        folder = raw_file_folder(name, settings, cache_dir)
        paths = self.file_paths(name, settings, folder)
        stamp = {file: [path.stat().st_size, path.stat().st_mtime_ns, str(path.resolve())]
                 for file, path in paths.items()}
        read_with = {k: settings[k] for k in self.parse_keys}
        key = hashlib.sha256(json.dumps([type(self).__name__, self.parser_version, stamp, read_with],
                                        sort_keys=True).encode()).hexdigest()
        cache = Path(cache_dir) / "parsed" / f"{name}-{key[:16]}"
        if (cache / "provenance.json").exists():
            log.info("%s: parsed tables from the cache %s", name, cache)
            return RawDataset(read_parquet(cache / "interactions.parquet"),
                              read_parquet(cache / "item_features.parquet"), read_json(cache / "provenance.json"))
        log.info("%s: parsing %s", name, ", ".join(str(p) for p in paths.values()))
        interactions, features = self.parse(paths, settings)
        interactions = interactions[["user_id", "item_id", "rating"]].astype({"rating": "float64"})
        features = (features[["item_id", "feature", "value"]].astype({"value": "float64"})
                    .sort_values(["item_id", "feature"], kind="stable").reset_index(drop=True))
        provenance = {"source": "files", "origin": str(folder),
                      "files": {file: file_digest(path) for file, path in paths.items()}}
        write_parquet(interactions, cache / "interactions.parquet")
        write_parquet(features, cache / "item_features.parquet")
        write_json(provenance, cache / "provenance.json")  # written last: marks the cache complete
        return RawDataset(interactions, features, provenance)


class CategoryLoader(OfficialFilesLoader):
    """Datasets whose concepts are clusters of item categories (Yelp, Amazon)."""

    def item_concepts(self, item_features: pd.DataFrame, n_items: int, seed: int,
                      settings: dict[str, Any]) -> ItemConcepts:
        return category_clusters(item_features, n_items, seed, settings["n_categories"], settings["n_clusters"],
                                 settings["drop"])
