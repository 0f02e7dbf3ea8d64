"""UCSD Book Graph (GoodReads), one genre subset (the study: children): ratings and popular shelves.

Official files: ``goodreads_interactions_<genre>.json.gz`` (user_id, book_id, rating per line; about 10
million lines for children, streamed) and ``goodreads_books_<genre>.json.gz`` (book_id and
``popular_shelves``, a list of {count, name} with the count as a string; possibly empty).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from disrec.datasets.base import ItemConcepts
from disrec.datasets.concepts import merged_shelves
from disrec.datasets.json_lines import read_json_lines
from disrec.datasets.official import OfficialFilesLoader
from disrec.errors import DataFormatError

WHERE = "https://mengtingwan.github.io/data/goodreads.html (UCSD Book Graph, by-genre files)"
SHELF = pa.struct([("count", pa.string()), ("name", pa.string())])


class GoodReads(OfficialFilesLoader):
    def file_sources(self, settings: dict[str, Any]) -> dict[str, str]:
        genre = settings["genre"]
        return {f"goodreads_interactions_{genre}.json.gz": WHERE, f"goodreads_books_{genre}.json.gz": WHERE}

    def parse(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        genre = settings["genre"]
        interactions = read_json_lines(paths[f"goodreads_interactions_{genre}.json.gz"],
                                       {"user_id": pa.string(), "book_id": pa.string(), "rating": pa.int64()},
                                       required=("user_id", "book_id", "rating"))
        books_path = paths[f"goodreads_books_{genre}.json.gz"]
        books = read_json_lines(books_path, {"book_id": pa.string(), "popular_shelves": pa.list_(SHELF)},
                                required=("book_id",)).to_pandas()
        shelves = books.explode("popular_shelves").dropna(subset=["popular_shelves"])
        count = pd.to_numeric(shelves["popular_shelves"].str.get("count"), errors="coerce")
        if count.isna().any():
            book = shelves["book_id"][count.isna()].iat[0]
            raise DataFormatError(f"{books_path}: book_id {book}: a popular shelf has no numeric count")
        features = pd.DataFrame({"item_id": shelves["book_id"].to_numpy(),
                                 "feature": shelves["popular_shelves"].str.get("name").to_numpy(),
                                 "value": count.to_numpy()})
        features = features.groupby(["item_id", "feature"], as_index=False)["value"].max()
        return interactions.rename_columns(["user_id", "item_id", "rating"]).to_pandas(), features

    def item_concepts(self, item_features: pd.DataFrame, n_items: int, seed: int,
                      settings: dict[str, Any]) -> ItemConcepts:
        return merged_shelves(item_features, n_items, settings["synonyms"], settings["drop"],
                              settings["n_concepts"], settings["min_shelf_count"])
