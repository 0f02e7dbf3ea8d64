"""MovieLens 1M (GroupLens), with ground truth from the ML-20M tag genome (movie ids are shared).

Official files: ``ml-1m.zip`` (``ratings.dat`` as UserID::MovieID::Rating::Timestamp, ``movies.dat`` as
MovieID::Title::Genres, Latin-1) and ``ml-20m.zip`` (``genome-scores.csv``: movieId,tagId,relevance;
``genome-tags.csv``: tagId,tag). The item features are the genome relevances of ML1M's movies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from disrec.datasets.archives import read_member_csv, zip_reader
from disrec.datasets.base import ItemConcepts
from disrec.datasets.concepts import genome_concepts
from disrec.datasets.delimited import read_delimited
from disrec.datasets.official import OfficialFilesLoader
from disrec.errors import DataFormatError

GROUPLENS = "https://grouplens.org/datasets/movielens/"


class MovieLens1M(OfficialFilesLoader):
    def file_sources(self, settings: dict[str, Any]) -> dict[str, str]:
        return {"ml-1m.zip": GROUPLENS + " (MovieLens 1M Dataset)",
                "ml-20m.zip": GROUPLENS + " (MovieLens 20M Dataset, for its tag genome)"}

    def parse(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        ml1m, ml20m = paths["ml-1m.zip"], paths["ml-20m.zip"]
        read = zip_reader(ml1m, "ml-1m")
        ratings = read_delimited(read("ratings.dat"), source=f"{ml1m}/ml-1m/ratings.dat",
                                 sep="::", columns=["user_id", "item_id", "rating", "timestamp"],
                                 numeric=("user_id", "item_id", "rating", "timestamp"))
        movies = read_delimited(read("movies.dat"), source=f"{ml1m}/ml-1m/movies.dat",
                                sep="::", columns=["item_id", "title", "genres"], numeric=("item_id",),
                                encoding="latin-1")
        tags = read_member_csv(ml20m, "ml-20m/genome-tags.csv", {"tagId": pa.int64(), "tag": pa.string()})
        scores = read_member_csv(ml20m, "ml-20m/genome-scores.csv",
                                 {"movieId": pa.int64(), "tagId": pa.int64(), "relevance": pa.float64()})
        scores = scores[scores["movieId"].isin(movies["item_id"])]
        tag_name = pd.Series(tags["tag"].to_numpy(), index=tags["tagId"].to_numpy())
        unknown = ~scores["tagId"].isin(tag_name.index)
        if unknown.any():
            raise DataFormatError(f"{ml20m}/ml-20m/genome-scores.csv: tagId {scores['tagId'][unknown].iat[0]} is "
                                  f"not in genome-tags.csv")
        features = pd.DataFrame({"item_id": scores["movieId"].to_numpy(),
                                 "feature": tag_name.loc[scores["tagId"]].to_numpy(),
                                 "value": scores["relevance"].to_numpy()})
        ratings = ratings.astype({"user_id": "int64", "item_id": "int64"})
        return ratings, features.astype({"item_id": "int64"})

    def item_concepts(self, item_features: pd.DataFrame, n_items: int, seed: int,
                      settings: dict[str, Any]) -> ItemConcepts:
        return genome_concepts(item_features, n_items, seed, settings["n_tags"], settings["n_clusters"],
                               settings["relevance_threshold"])
