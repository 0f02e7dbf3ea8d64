"""Plain tables: interactions and item concepts from CSV (any delimiter) or Parquet files, columns named in config.

Interactions: one row per (user, item), with an optional rating column (none: every row is an interaction
with rating 1). Item concepts: ``long`` (one row per item and concept) or ``wide`` (one row per item, one
column per concept, a number > 0 where the item has it). A file ending in ``.parquet`` is read as Parquet,
any other as delimited text with a header line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pyarrow.parquet as pq

from disrec.datasets.text_tables import TextTable, require_values, to_numbers
from disrec.datasets.user_files import UserFilesLoader
from disrec.errors import DataFormatError

WHERE = "a CSV or Parquet table with a header"


def read_table(path: Path, delimiter: str, wanted: dict[str, str],
               every_other: bool = False) -> tuple[pd.DataFrame, Callable[[int, str], DataFormatError]]:
    """The ``wanted`` columns (column -> the setting that names it), plus every other column when
    ``every_other``; and a function that makes an error naming the row's line (text) or row (Parquet)."""
    if path.suffix == ".parquet":
        names = pq.read_schema(path).names
    else:
        text = TextTable(lambda: open(path, "rb"), str(path), delimiter=delimiter, quoted=True)
        names = text.header()
    for column, setting in wanted.items():
        if column not in names:
            raise DataFormatError(f"{path}: no column {column!r} (named by {setting}); its columns are "
                                  f"{', '.join(map(repr, names))}")
    columns = names if every_other else list(wanted)
    if path.suffix == ".parquet":
        frame = pq.read_table(path, columns=columns).to_pandas()
        return frame, lambda row, message: DataFormatError(f"{path}, row {row + 1}: {message}")
    return text.read_columns(names, columns), text.fail


class Tables(UserFilesLoader):
    parse_keys = ("interactions", "items")

    def file_sources(self, settings: dict[str, Any]) -> dict[str, str]:
        return {settings["interactions"]["file"]: WHERE, settings["items"]["file"]: WHERE}

    def read_tables(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        spec, item_spec = settings["interactions"], settings["items"]
        user, item, rating = spec["user_column"], spec["item_column"], spec["rating_column"]
        wanted = {user: "interactions.user_column", item: "interactions.item_column"}
        if rating is not None:
            wanted[rating] = "interactions.rating_column"
        frame, fail = read_table(paths[spec["file"]], spec["delimiter"], wanted)
        for column in (user, item):
            require_values(frame[column], f"column {column!r}", fail)
        interactions = pd.DataFrame({
            "user_id": frame[user], "item_id": frame[item],
            "rating": to_numbers(frame[rating], f"column {rating!r}", fail) if rating is not None else 1.0,
        })
        return interactions, self._item_features(paths[item_spec["file"]], item_spec)

    def _item_features(self, path: Path, spec: dict[str, Any]) -> pd.DataFrame:
        item = spec["item_column"]
        if spec["layout"] == "long":
            concept = spec["concept_column"]
            frame, fail = read_table(path, spec["delimiter"], {item: "items.item_column",
                                                               concept: "items.concept_column"})
            require_values(frame[item], f"column {item!r}", fail)
            named = frame[concept].notna() & (frame[concept].astype(str).str.strip() != "")
            features = pd.DataFrame({"item_id": frame[item], "feature": frame[concept].astype(str)})[named]
        else:
            listed = spec["concept_columns"]
            wanted = {item: "items.item_column", **{c: "items.concept_columns" for c in listed or []}}
            frame, fail = read_table(path, spec["delimiter"], wanted, every_other=listed is None)
            require_values(frame[item], f"column {item!r}", fail)
            columns = listed if listed is not None else [c for c in frame.columns if c != item]
            flags = pd.DataFrame({c: to_numbers(frame[c], f"column {c!r}", fail, "a number (> 0: the item has "
                                                "the concept)") for c in columns})
            flags.insert(0, "item_id", frame[item].to_numpy())
            long = flags.melt(id_vars="item_id", var_name="feature", value_name="value")
            features = long[long["value"] > 0][["item_id", "feature"]]
        return features.drop_duplicates().assign(value=1.0).reset_index(drop=True)

    def concept_origin(self, settings: dict[str, Any]) -> str:
        spec = settings["items"]
        if spec["layout"] == "long":
            return f"{spec['file']} column {spec['concept_column']}"
        return f"{spec['file']} columns {spec['concept_columns'] or 'other than ' + spec['item_column']}"
