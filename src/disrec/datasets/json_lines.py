"""Streaming reader of large JSON-lines files (plain or gzip): only the needed fields, as Arrow columns.

pyarrow's reader parses in C++ block by block, so a 5 GB file never becomes Python objects. When it
rejects the file, the file is scanned once more line by line to name the first bad line.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json

from disrec.errors import DataFormatError

BLOCK_BYTES = 16 << 20


def read_json_lines(path: Path, fields: dict[str, pa.DataType], required: tuple[str, ...]) -> pa.Table:
    """The ``fields`` of every line of ``path`` (one JSON object per line); other fields are skipped.

    ``required`` fields must be present and non-null on every line. Errors name the file and line.
    """
    schema = pa.schema(fields)
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        with pa.input_stream(str(path), compression="detect") as stream:
            reader = pa_json.open_json(stream, read_options=pa_json.ReadOptions(block_size=BLOCK_BYTES),
                                       parse_options=options)
            table = pa.Table.from_batches(list(reader), schema=schema)
    except (pa.ArrowInvalid, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise _locate_error(path, fields, required) or DataFormatError(
            f"{path}: not readable JSON lines ({exc})") from exc
    for name in required:
        nulls = table.column(name).null_count
        if nulls:
            first = table.column(name).is_null().to_pylist().index(True)
            raise _locate_error(path, fields, required) or DataFormatError(
                f"{path}, record {first + 1}: field {name!r} is missing or null")
    return table


def _locate_error(path: Path, fields: dict[str, pa.DataType], required: tuple[str, ...]) -> DataFormatError | None:
    """The first line that is not a JSON object with the required fields of the expected types."""
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    return DataFormatError(f"{path}, line {number}: not valid JSON ({exc})")
                if not isinstance(record, dict):
                    return DataFormatError(f"{path}, line {number}: expected a JSON object")
                for name, kind in fields.items():
                    value = record.get(name)
                    if value is None:
                        if name in required:
                            return DataFormatError(f"{path}, line {number}: field {name!r} is missing or null")
                    elif not _has_type(value, kind):
                        return DataFormatError(f"{path}, line {number}: field {name!r} is {value!r}, expected {kind}")
    except (OSError, EOFError) as exc:
        return DataFormatError(f"{path}: cannot be read to the end ({exc}); it may be truncated")
    return None


def _has_type(value: object, kind: pa.DataType) -> bool:
    if isinstance(value, bool):
        return pa.types.is_boolean(kind)
    if pa.types.is_string(kind):
        return isinstance(value, str)
    if pa.types.is_integer(kind):
        return isinstance(value, int)
    if pa.types.is_floating(kind):
        return isinstance(value, (int, float))
    if pa.types.is_list(kind):
        return isinstance(value, list)
    return True


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"
