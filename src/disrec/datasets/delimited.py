"""Strict reading of small delimited text files, with errors that name file and line."""

from __future__ import annotations

import pandas as pd

from disrec.errors import DataFormatError


def read_delimited(data: bytes, *, source: str, sep: str, columns: list[str], numeric: tuple[str, ...] = (),
                   encoding: str = "utf-8", header_lines: int = 0) -> pd.DataFrame:
    """Parse ``data`` into a frame of string columns (``numeric`` ones as numbers).

    Every non-blank line must have exactly ``len(columns)`` fields and numeric
    fields must parse; otherwise DataFormatError names ``source`` and the
    1-based line number.
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFormatError(f"{source}, line {line}: not valid {encoding} text") from exc
    rows, line_numbers = [], []
    for number, line in enumerate(text.splitlines()[header_lines:], start=header_lines + 1):
        if not line.strip():
            continue
        fields = line.split(sep)
        if len(fields) != len(columns):
            raise DataFormatError(
                f"{source}, line {number}: expected {len(columns)} fields separated by {sep!r} "
                f"({', '.join(columns)}), found {len(fields)}"
            )
        rows.append(fields)
        line_numbers.append(number)
    frame = pd.DataFrame(rows, columns=columns, dtype=str)
    for column in numeric:
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = values.isna().to_numpy().nonzero()[0]
        if len(bad):
            first = bad[0]
            raise DataFormatError(
                f"{source}, line {line_numbers[first]}: field '{column}' is {frame[column].iat[first]!r}, "
                f"expected a number"
            )
        frame[column] = values
    return frame
