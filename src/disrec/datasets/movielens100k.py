"""MovieLens 100K (GroupLens): 100,000 ratings, 943 users, 1,682 movies, 19 genres.

Sources, in order: ``local_path`` (the official zip or the folder it unpacks
to); the official URL (checksum verified); when the URL cannot be reached, the
copy of the same data that the PyPI distribution ``recbole==1.2.1`` carries as
plain files, fetched with ``pip download`` and read straight from the wheel.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from disrec.datasets.archives import zip_reader
from disrec.datasets.base import ItemConcepts, RawDataset, concepts_from_binary_features
from disrec.datasets.delimited import read_delimited
from disrec.datasets.fetch import UnreachableError, download, file_digest, pip_download, verify_checksums
from disrec.datasets.recbole_atomic import atomic_tables
from disrec.errors import DataFormatError, DataSourceError

log = logging.getLogger(__name__)

OFFICIAL_FILES = ("u.data", "u.item", "u.genre")
N_GENRES = 19
RECBOLE_FIELDS = {"user_field": "user_id", "item_field": "item_id", "rating_field": "rating",
                  "concept_fields": ["class"], "seq_separator": " "}  # the genres are the field `class`


def _folder_reader(folder: Path) -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        for candidate in (folder / name, folder / "ml-100k" / name):
            if candidate.is_file():
                return candidate.read_bytes()
        raise DataSourceError(f"{folder / name}: missing; expected the files of the official ml-100k.zip "
                              f"({', '.join(OFFICIAL_FILES)}) in this folder")

    return read


def parse_official(read: Callable[[str], bytes], origin: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse u.data, u.item and u.genre as GroupLens distributes them."""
    ratings = read_delimited(read("u.data"), source=f"{origin}/u.data", sep="\t",
                             columns=["user_id", "item_id", "rating", "timestamp"],
                             numeric=("user_id", "item_id", "rating", "timestamp"))
    genres = read_delimited(read("u.genre"), source=f"{origin}/u.genre", sep="|",
                            columns=["genre", "index"], numeric=("index",))
    if len(genres) != N_GENRES:
        raise DataFormatError(f"{origin}/u.genre: expected {N_GENRES} genres, found {len(genres)}")
    genre_names = genres.sort_values("index")["genre"].tolist()
    movie_columns = ["item_id", "title", "release_date", "video_release_date", "imdb_url", *genre_names]
    movies = read_delimited(read("u.item"), source=f"{origin}/u.item", sep="|", columns=movie_columns,
                            numeric=("item_id", *genre_names), encoding="latin-1")
    flags = movies.melt(id_vars="item_id", value_vars=genre_names, var_name="feature", value_name="value")
    features = flags[flags["value"] > 0]
    return ratings[["user_id", "item_id", "rating"]], features


def parse_recbole(read: Callable[[str], bytes], origin: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse RecBole's atomic files (``ml-100k.inter``, ``ml-100k.item``), which carry the same data."""
    return atomic_tables(lambda: io.BytesIO(read("ml-100k.inter")), f"{origin}/ml-100k.inter",
                         lambda: io.BytesIO(read("ml-100k.item")), f"{origin}/ml-100k.item", RECBOLE_FIELDS)


def _finish(ratings: pd.DataFrame, features: pd.DataFrame, provenance: dict[str, Any]) -> RawDataset:
    ratings = ratings.astype({"user_id": "int64", "item_id": "int64", "rating": "float64"})
    features = (features.astype({"item_id": "int64", "value": "float64"})
                .sort_values(["item_id", "feature"], kind="stable").reset_index(drop=True))
    return RawDataset(interactions=ratings, item_features=features[["item_id", "feature", "value"]],
                      provenance=provenance)


class MovieLens100K:
    def missing_files(self, name: str, settings: dict[str, Any], cache_dir: str) -> list[str]:
        path = settings["local_path"]
        if path and not Path(path).exists():
            return [f"dataset {name!r}: {path} (datasets.{name}.local_path) is missing; expected the official "
                    f"ml-100k.zip from https://grouplens.org/datasets/movielens/100k/ or the folder it unpacks to"]
        return []  # otherwise downloaded, or fetched from the package index

    def load(self, name: str, settings: dict[str, Any], cache_dir: Path) -> RawDataset:
        checksums = {"md5": settings["md5"], "sha256": settings["sha256"]}
        key = f"datasets.{name}"
        if settings["local_path"]:
            return self._load_local(Path(settings["local_path"]), checksums, key)
        archive = Path(cache_dir) / "ml-100k" / "ml-100k.zip"
        try:
            download(settings["url"], archive, settings["download_timeout_s"], f"{key}.url")
        except UnreachableError as exc:
            fallback = settings["pypi_fallback"]
            log.warning("%s; using the copy of ML-100K carried by %s", exc, fallback["requirement"])
            wheel = pip_download(fallback["requirement"], fallback["filename"], Path(cache_dir) / "pypi",
                                 fallback["sha256"], f"{key}.pypi_fallback")
            ratings, features = parse_recbole(zip_reader(wheel, fallback["member_dir"]), str(wheel))
            return _finish(ratings, features, {
                "source": "pypi", "origin": fallback["requirement"], "url_error": str(exc),
                "files": {fallback["filename"]: file_digest(wheel)},
            })
        verify_checksums(archive, checksums, key)
        ratings, features = parse_official(zip_reader(archive, "ml-100k"), str(archive))
        return _finish(ratings, features, {
            "source": "url", "origin": settings["url"], "files": {archive.name: file_digest(archive)},
        })

    def _load_local(self, path: Path, checksums: dict[str, str | None], key: str) -> RawDataset:
        if path.is_file():
            verify_checksums(path, checksums, key)
            ratings, features = parse_official(zip_reader(path, "ml-100k"), str(path))
            files = {path.name: file_digest(path)}
        elif path.is_dir():
            ratings, features = parse_official(_folder_reader(path), str(path))
            files = {name: file_digest(p) for name in OFFICIAL_FILES
                     for p in (path / name, path / "ml-100k" / name) if p.is_file()}
        else:
            raise DataSourceError(f"{path}: not found (from {key}.local_path); expected the official "
                                  f"ml-100k.zip or the folder it unpacks to")
        return _finish(ratings, features, {"source": "local", "origin": str(path), "files": files})

    def item_concepts(self, item_features: pd.DataFrame, n_items: int, seed: int,
                      settings: dict[str, Any]) -> ItemConcepts:
        return concepts_from_binary_features(item_features, n_items)
