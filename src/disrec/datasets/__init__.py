"""Dataset loaders by the name used in the config's ``loader`` key."""

from disrec.datasets.base import DatasetLoader, ItemConcepts, RawDataset
from disrec.datasets.movielens100k import MovieLens100K
from disrec.datasets.synthetic import Synthetic

LOADERS: dict[str, DatasetLoader] = {
    "movielens-100k": MovieLens100K(),
    "synthetic": Synthetic(),
}

__all__ = ["LOADERS", "DatasetLoader", "ItemConcepts", "RawDataset"]
