"""Dataset loaders by the name used in the config's ``loader`` key."""

from typing import Callable

from disrec.datasets.amazon import Amazon2018
from disrec.datasets.base import DatasetLoader, ItemConcepts, RawDataset
from disrec.datasets.goodreads import GoodReads
from disrec.datasets.movielens1m import MovieLens1M
from disrec.datasets.movielens100k import MovieLens100K
from disrec.datasets.recbole_atomic import RecBoleAtomic
from disrec.datasets.synthetic import Synthetic
from disrec.datasets.tables import Tables
from disrec.datasets.yelp import Yelp

LOADERS: dict[str, DatasetLoader] = {
    "movielens-100k": MovieLens100K(),
    "movielens-1m": MovieLens1M(),
    "yelp": Yelp(),
    "goodreads": GoodReads(),
    "amazon-2018": Amazon2018(),
    "synthetic": Synthetic(),
    "recbole-atomic": RecBoleAtomic(),
    "table": Tables(),
}


def missing_raw_files(config: dict, prepared: Callable[[str], bool]) -> list[str]:
    """Messages for the raw files the study's datasets still need that are absent and cannot be fetched.

    Datasets already ``prepared`` (their parsed tables exist) need no raw files.
    """
    return [message for name in config["study"]["datasets"] if not prepared(name)
            for message in LOADERS[config["datasets"][name]["loader"]].missing_files(
                name, config["datasets"][name], config["cache_dir"])]


__all__ = ["LOADERS", "DatasetLoader", "ItemConcepts", "RawDataset", "missing_raw_files"]
