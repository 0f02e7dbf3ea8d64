"""RecBole's atomic files: ``<name>.inter`` (interactions) and ``<name>.item`` (item features).

Tab-separated UTF-8 text, no quoting, whose first line declares every field as ``name:type``: ``token`` (one
string), ``token_seq`` (strings separated by ``seq_separator``, a space by default), ``float`` (one number) or
``float_seq``. A ``<name>.user`` file may sit beside them; user features are not used. The header's types are
checked against the role each configured field plays, and every value read against its type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from disrec.datasets.text_tables import Opener, TextTable, require_values, to_numbers
from disrec.datasets.user_files import UserFilesLoader
from disrec.errors import DataFormatError

TYPES = ("float", "float_seq", "token", "token_seq")
WHERE = "RecBole's atomic-file format (https://recbole.io/atomic_files.html)"


def read_header(table: TextTable) -> dict[str, str]:
    """Field name -> declared type, from the header line."""
    declared: dict[str, str] = {}
    for position, entry in enumerate(table.header(), start=1):
        name, colon, kind = entry.rpartition(":")
        if not colon or not name:
            raise DataFormatError(f"{table.origin}, line 1: header field {position} is {entry!r}, expected "
                                  f"name:type with a type of {', '.join(TYPES)}")
        if kind not in TYPES:
            raise DataFormatError(f"{table.origin}, line 1: field {name!r} declares the unknown type {kind!r} "
                                  f"(expected one of {', '.join(TYPES)})")
        if name in declared:
            raise DataFormatError(f"{table.origin}, line 1: field {name!r} is declared twice")
        declared[name] = kind
    return declared


def read_fields(open_file: Opener, origin: str, roles: dict[str, tuple[str, tuple[str, ...]]],
                seq_separator: str, ids: tuple[str, ...]) -> pd.DataFrame:
    """The fields in ``roles`` (field -> (the setting that names it, the types it may be declared as)).

    ``float`` fields come back as numbers, the others as strings. A field missing from the header, declared
    with a type its role does not allow, a value that does not fit its type, or an empty value in one of the
    ``ids`` fields is an error naming the line.
    """
    table = TextTable(open_file, origin, delimiter="\t", quoted=False)
    declared = read_header(table)
    for field, (key, allowed) in roles.items():
        if field not in declared:
            listed = ", ".join(f"{n}:{t}" for n, t in declared.items())
            raise DataFormatError(f"{origin}, line 1: no field {field!r} (named by {key}); the header declares "
                                  f"{listed}")
        if declared[field] not in allowed:
            raise DataFormatError(f"{origin}, line 1: field {field!r} (named by {key}) is declared "
                                  f"{declared[field]}, expected {' or '.join(allowed)}")
    frame = table.read_columns(list(declared), list(roles))
    for field in roles:
        if declared[field] == "float":
            sequence = frame[field].astype(str).str.strip().str.contains(seq_separator, regex=False)
            if sequence.any():
                row = int(sequence.to_numpy().nonzero()[0][0])
                raise table.fail(row, f"field {field!r} is {frame[field].iat[row]!r}, a sequence; expected one "
                                      f"number (declared float)")
            frame[field] = to_numbers(frame[field], f"field {field!r}", table.fail, "a number (declared float)")
        elif field in ids:
            require_values(frame[field], f"field {field!r}", table.fail)
    return frame


def atomic_tables(open_inter: Opener, inter_origin: str, open_item: Opener, item_origin: str,
                  settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(interactions: user_id, item_id, rating; item features: item_id, feature, value) from the two files.

    ``settings`` names the fields (``user_field``, ``item_field``, ``rating_field`` or null for every row an
    interaction with rating 1, ``concept_fields``) and the ``seq_separator``.
    """
    user, item, rating = settings["user_field"], settings["item_field"], settings["rating_field"]
    roles = {user: ("user_field", ("token",)), item: ("item_field", ("token",))}
    if rating is not None:
        roles[rating] = ("rating_field", ("float",))
    inter = read_fields(open_inter, inter_origin, roles, settings["seq_separator"], (user, item))
    interactions = pd.DataFrame({"user_id": inter[user], "item_id": inter[item],
                                 "rating": inter[rating] if rating is not None else 1.0})

    fields = settings["concept_fields"]
    item_roles = {settings["item_field"]: ("item_field", ("token",)),
                  **{f: ("concept_fields", ("token", "token_seq")) for f in fields}}
    items = read_fields(open_item, item_origin, item_roles, settings["seq_separator"], (item,))
    parts = []
    for field in fields:
        tokens = items[field].astype(str).str.split(settings["seq_separator"], regex=False)
        long = pd.DataFrame({"item_id": items[item], "feature": tokens}).explode("feature")
        long = long[long["feature"].str.strip() != ""]
        # several fields: the field's name keeps equal tokens of different fields apart
        parts.append(long.assign(feature=long["feature"] if len(fields) == 1 else field + "=" + long["feature"]))
    features = pd.concat(parts, ignore_index=True).drop_duplicates().assign(value=1.0)
    return interactions, features


class RecBoleAtomic(UserFilesLoader):
    parse_keys = ("atomic_name", "user_field", "item_field", "rating_field", "concept_fields", "seq_separator")

    def file_sources(self, settings: dict[str, Any]) -> dict[str, str]:
        stem = settings["atomic_name"]
        return {f"{stem}.inter": WHERE, f"{stem}.item": WHERE}

    def read_tables(self, paths: dict[str, Path], settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        inter, item = (paths[f"{settings['atomic_name']}.{suffix}"] for suffix in ("inter", "item"))
        return atomic_tables(lambda: open(inter, "rb"), str(inter), lambda: open(item, "rb"), str(item), settings)

    def concept_origin(self, settings: dict[str, Any]) -> str:
        return f"{settings['atomic_name']}.item field(s) {', '.join(settings['concept_fields'])}"
