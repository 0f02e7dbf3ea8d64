"""Delimited text tables (CSV, TSV, RecBole atomic files) read column-wise by pyarrow, with errors that name
file, line and field.

pyarrow parses the happy path in C++ and never reports line numbers; when it rejects a file, or a value fails
a check afterwards, the file is scanned once more with Python's csv module to name the line.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO, Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from disrec.errors import DataFormatError

Opener = Callable[[], BinaryIO]  # opens the file from its start, each time it is called


class TextTable:
    """One delimited text file: ``delimiter``, quoting on or off, and ``header_lines`` lines before the data."""

    def __init__(self, open_file: Opener, origin: str, *, delimiter: str, quoted: bool, header_lines: int = 1):
        self.open_file, self.origin = open_file, origin
        self.delimiter, self.quoted, self.header_lines = delimiter, quoted, header_lines

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) of every non-blank data line, as pyarrow counts rows."""
        quoting = csv.QUOTE_MINIMAL if self.quoted else csv.QUOTE_NONE
        with self.open_file() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            reader = csv.reader(text, delimiter=self.delimiter, quoting=quoting, strict=self.quoted)
            try:
                for fields in reader:
                    if reader.line_num > self.header_lines and fields:
                        yield reader.line_num, fields
            except UnicodeDecodeError as exc:
                raise DataFormatError(f"{self.origin}, line {reader.line_num + 1}: not valid UTF-8 text") from exc
            except csv.Error as exc:
                raise DataFormatError(f"{self.origin}, line {reader.line_num}: {exc}") from exc

    def header(self) -> list[str]:
        """The fields of the first line."""
        with self.open_file() as raw:
            first = raw.readline()
        try:
            line = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise DataFormatError(f"{self.origin}, line 1: not valid UTF-8 text") from exc
        if not line:
            raise DataFormatError(f"{self.origin}, line 1: empty; expected the header")
        quoting = csv.QUOTE_MINIMAL if self.quoted else csv.QUOTE_NONE
        return next(csv.reader([line], delimiter=self.delimiter, quoting=quoting))

    def line_of_row(self, row: int) -> int:
        """The line number of data row ``row`` (0-based, blank lines not counted)."""
        for index, (number, _) in enumerate(self._rows()):
            if index == row:
                return number
        raise IndexError(row)

    def read_columns(self, names: list[str], columns: list[str]) -> pd.DataFrame:
        """The ``columns`` as strings; ``names`` are every field of a line, in order. Blank lines are skipped.

        A line with another number of fields, or text that is not UTF-8, is named by its line number.
        """
        options = dict(
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=self.header_lines),
            parse_options=pa_csv.ParseOptions(delimiter=self.delimiter, quote_char='"' if self.quoted else False),
            convert_options=pa_csv.ConvertOptions(include_columns=columns,
                                                  column_types={c: pa.string() for c in columns}),
        )
        try:
            with self.open_file() as handle:
                table = pa_csv.read_csv(handle, **options)
        except pa.ArrowInvalid as exc:
            for number, fields in self._rows():
                if len(fields) != len(names):
                    raise DataFormatError(
                        f"{self.origin}, line {number}: expected {len(names)} fields separated by "
                        f"{self.delimiter!r} ({', '.join(names)}), found {len(fields)}") from exc
            raise DataFormatError(f"{self.origin}: not a readable delimited table ({exc})") from exc
        return pd.DataFrame({c: table.column(c).to_numpy(zero_copy_only=False).astype(object) for c in columns})

    def fail(self, row: int, message: str) -> DataFormatError:
        """An error naming the line of data row ``row``."""
        return DataFormatError(f"{self.origin}, line {self.line_of_row(row)}: {message}")


def to_numbers(values: pd.Series, what: str, fail: Callable[[int, str], DataFormatError],
               expected: str = "a number") -> np.ndarray:
    """``values`` (strings or numbers) as float64; the first one that is not a number raises ``fail(row, ...)``."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(np.isnan(numbers))
    if bad.size:
        raise fail(int(bad[0]), f"{what} is {values.iat[bad[0]]!r}, expected {expected}")
    return numbers


def require_values(values: pd.Series, what: str, fail: Callable[[int, str], DataFormatError]) -> None:
    """Every value present and non-empty (ids)."""
    empty = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    if empty.any():
        raise fail(int(np.flatnonzero(empty)[0]), f"{what} is empty, expected an id")


def integer_ids(*columns: pd.Series) -> list[pd.Series]:
    """Ids that are all integers written plainly ('42'; not '042', '4.2' or '+4') become int64, so that they
    sort as numbers, as the other loaders' ids do; otherwise every id stays a string. Either way the mapping is
    one to one. The columns are converted together, so ids that must match keep matching."""
    as_text = [c.astype(str) for c in columns]
    every = pd.concat(as_text, ignore_index=True)
    if len(every) and every.str.fullmatch(r"-?(0|[1-9][0-9]{0,17})").all():
        return [c.astype("int64") for c in as_text]
    return as_text
