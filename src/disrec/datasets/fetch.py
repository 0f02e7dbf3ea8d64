"""Obtaining raw files: download with checksum, or a file carried by a PyPI package."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from disrec.errors import ChecksumError, DataSourceError
from disrec.storage import atomic_path

log = logging.getLogger(__name__)


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def verify_checksums(path: Path, expected: dict[str, str | None], config_key: str) -> None:
    """Check ``path`` against every non-empty ``{algorithm: hex digest}`` in ``expected``."""
    for algorithm, digest in expected.items():
        if not digest:
            continue
        actual = file_digest(path, algorithm)
        if actual != digest.lower():
            raise ChecksumError(
                f"{path}: {algorithm} is {actual}, expected {digest} (from {config_key}.{algorithm}); "
                f"the file is corrupt, truncated or not the official one. Delete it and run again."
            )


class UnreachableError(DataSourceError):
    """The server could not be reached or did not serve (no network, DNS failure, timeout, server error)."""


# The server says the file does not exist there: a wrong URL, not a network problem to work around.
NOT_THERE = (404, 410)


def download(url: str, destination: Path, timeout_s: float, config_key: str) -> Path:
    """Download ``url`` (from config key ``config_key``) to ``destination`` (atomically); keep an existing
    file. A URL that is not one, or that the server answers with 404 or 410, is a DataSourceError; failing to
    reach the server is an UnreachableError, which a loader may answer with another source."""
    if destination.exists():
        return destination
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ftp") or not parts.hostname:
        raise DataSourceError(f"{config_key}: {url!r} is not an http, https or ftp URL with a host (expected e.g. "
                              f"https://host/path/{destination.name})")
    log.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, atomic_path(destination) as tmp:
            with open(tmp, "wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
    except urllib.error.HTTPError as exc:
        if exc.code in NOT_THERE:
            raise DataSourceError(f"{config_key}: {url} answered HTTP {exc.code} {exc.reason} (expected the address "
                                  f"of {destination.name}; the URL is mistyped or the file has moved)") from exc
        raise UnreachableError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (ValueError, http.client.InvalidURL) as exc:
        raise DataSourceError(f"{config_key}: {url!r} is not a URL that can be downloaded ({exc})") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise UnreachableError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from exc
    return destination


def pip_download(requirement: str, filename: str, folder: Path, sha256: str, config_key: str) -> Path:
    """Fetch one distribution file from the package index with ``pip download --no-deps``.

    The file is read as an archive, never installed or imported.
    """
    target = folder / filename
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        log.info("fetching %s from the package index", requirement)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--quiet", "-d", str(folder), requirement]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not target.exists():
            raise DataSourceError(
                f"cannot fetch {requirement} with pip (expected {target}): {result.stderr.strip()[-500:]}"
            )
    verify_checksums(target, {"sha256": sha256}, config_key)
    return target


@dataclass(frozen=True)
class RawFile:
    """One official file of a dataset: its name as distributed, where it comes from, how it is checked."""

    name: str
    url: str | None
    md5: str | None
    where_to_get: str  # for people: the publisher's page and what to accept or unpack


def raw_file_folder(dataset: str, settings: dict[str, Any], cache_dir: str | os.PathLike) -> Path:
    """Where a dataset's official files are looked for: ``local_path``, else ``{cache_dir}/{dataset}``."""
    return Path(settings["local_path"]) if settings.get("local_path") else Path(cache_dir) / dataset


def missing_message(dataset: str, raw: RawFile, folder: Path) -> str:
    return (f"dataset {dataset!r}: {folder / raw.name} is missing and has no download URL "
            f"(datasets.{dataset}.urls). Get it from {raw.where_to_get} and put it at {folder / raw.name} "
            f"(or set datasets.{dataset}.local_path to the folder that holds it).")


def obtain(dataset: str, raw: RawFile, folder: Path, timeout_s: float) -> Path:
    """The path of ``raw`` in ``folder``, downloaded from its URL first when absent; checksum verified."""
    path = folder / raw.name
    if not path.exists():
        if not raw.url:
            raise DataSourceError(missing_message(dataset, raw, folder))
        try:
            download(raw.url, path, timeout_s, f"datasets.{dataset}.urls.{raw.name}")
        except UnreachableError as exc:
            raise DataSourceError(f"dataset {dataset!r}: {exc}. Get {raw.name} from {raw.where_to_get} and put "
                                  f"it at {path}.") from exc
    verify_checksums(path, {"md5": raw.md5}, f"datasets.{dataset}")
    return path
