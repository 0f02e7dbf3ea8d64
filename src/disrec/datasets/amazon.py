"""Amazon review data (2018), one category (the study: CDs and Vinyl): ratings and item categories.

Official files: ``<Category>.json.gz`` (reviewerID, asin, overall per line) and ``meta_<Category>.json.gz``
(asin and a ``category`` list, HTML-escaped as published, e.g. ``CDs &amp; Vinyl``); both streamed.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from disrec.datasets.concepts import category_features
from disrec.datasets.json_lines import read_json_lines
from disrec.datasets.official import CategoryLoader

WHERE = "https://nijianmo.github.io/amazon/index.html (Amazon review data 2018, per-category files)"


class Amazon2018(CategoryLoader):
    def file_sources(self, settings: dict[str, Any]) -> dict[str, str]:
        category = settings["category"]
        return {f"{category}.json.gz": WHERE, f"meta_{category}.json.gz": WHERE}

    def parse(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        category = settings["category"]
        reviews = read_json_lines(paths[f"{category}.json.gz"], {"reviewerID": pa.string(), "asin": pa.string(),
                                                                "overall": pa.float64()},
                                  required=("reviewerID", "asin", "overall"))
        meta = read_json_lines(paths[f"meta_{category}.json.gz"], {"asin": pa.string(),
                                                                  "category": pa.list_(pa.string())},
                               required=("asin",)).to_pandas()
        interactions = reviews.rename_columns(["user_id", "item_id", "rating"]).to_pandas()
        categories = meta["category"].map(lambda names: None if names is None else
                                          [html.unescape(name) for name in names])
        return interactions, category_features(meta["asin"], categories)
