"""Yelp Open Dataset: reviews (user_id, business_id, stars) and business categories.

Official files, from the archive downloaded by hand after accepting Yelp's terms:
``yelp_academic_dataset_review.json`` (about 5 GB, one JSON object per line, streamed) and
``yelp_academic_dataset_business.json`` (``categories``: one comma-separated string, or null).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from disrec.datasets.concepts import category_features
from disrec.datasets.json_lines import read_json_lines
from disrec.datasets.official import CategoryLoader

WHERE = "https://www.yelp.com/dataset (accept the terms, download, unpack yelp_dataset.tar)"
REVIEWS, BUSINESSES = "yelp_academic_dataset_review.json", "yelp_academic_dataset_business.json"


class Yelp(CategoryLoader):
    def file_sources(self, settings: dict[str, Any]) -> dict[str, str]:
        return {REVIEWS: WHERE, BUSINESSES: WHERE}

    def parse(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        reviews = read_json_lines(paths[REVIEWS], {"user_id": pa.string(), "business_id": pa.string(),
                                                   "stars": pa.float64()},
                                  required=("user_id", "business_id", "stars"))
        businesses = read_json_lines(paths[BUSINESSES], {"business_id": pa.string(), "categories": pa.string()},
                                     required=("business_id",)).to_pandas()
        interactions = reviews.rename_columns(["user_id", "item_id", "rating"]).to_pandas()
        categories = businesses["categories"].str.split(",")  # one comma-separated string, or null
        return interactions, category_features(businesses["business_id"], categories)
