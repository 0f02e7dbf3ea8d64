"""Reading members of the official zip archives (MovieLens), with errors that name archive and member."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from disrec.errors import DataFormatError, DataSourceError


def zip_reader(archive: Path, prefix: str) -> Callable[[str], bytes]:
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataSourceError(f"{archive}: not a readable zip archive ({exc}); it may be truncated. "
                              f"Delete it and run again.") from exc

    def read(name: str) -> bytes:
        member = f"{prefix}/{name}" if prefix else name
        try:
            return handle.read(member)
        except KeyError as exc:
            raise DataSourceError(f"{archive}: has no member {member!r}; expected the official layout") from exc
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DataSourceError(f"{archive}: member {member!r} is damaged ({exc}); the archive may be "
                                  f"truncated. Delete it and run again.") from exc

    return read


def read_member_csv(archive: Path, member: str, columns: dict[str, pa.DataType]) -> pd.DataFrame:
    """A CSV member with a header, parsed by pyarrow straight from the archive stream."""
    source = f"{archive}/{member}"
    try:
        with zipfile.ZipFile(archive) as handle, handle.open(member) as stream:
            table = pa_csv.read_csv(stream, convert_options=pa_csv.ConvertOptions(
                column_types=columns, include_columns=list(columns)))
    except KeyError as exc:
        raise DataSourceError(f"{archive}: has no member {member!r}; expected the official layout") from exc
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DataSourceError(f"{archive}: member {member!r} cannot be read ({exc}); the archive may be "
                              f"truncated. Delete it and run again.") from exc
    except pa.ArrowInvalid as exc:
        raise DataFormatError(f"{source}: {exc}") from exc
    return table.to_pandas()
