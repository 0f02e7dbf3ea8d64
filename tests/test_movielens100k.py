import http.server
import threading
import zipfile

import pytest

from conftest import small_ml100k, write_ml100k_official, zip_folder
from disrec.config import validate_config
from disrec.datasets import LOADERS
from disrec.datasets.fetch import UnreachableError, file_digest
from disrec.errors import ChecksumError, DataFormatError, DataSourceError

LOADER = LOADERS["movielens-100k"]


def settings(**overrides):
    config = {"study": {"datasets": ["ml"]}, "datasets": {"ml": {"loader": "movielens-100k", **overrides}}}
    return validate_config(config, check_folders=False)["datasets"]["ml"]


@pytest.mark.network  # downloads recbole's wheel from PyPI
def test_offline_pypi_source_gives_the_full_dataset(tmp_path_factory):
    # The URL cannot be reached here (port 9 refuses), so the loader takes the copy inside recbole's wheel.
    cache = tmp_path_factory.getbasetemp() / "shared-cache"
    raw = LOADER.load("ml", settings(url="http://127.0.0.1:9/ml-100k.zip"), cache)
    assert len(raw.interactions) == 100_000
    assert raw.interactions["user_id"].nunique() == 943
    assert raw.interactions["item_id"].nunique() == 1682
    assert raw.provenance["source"] == "pypi" and raw.provenance["origin"] == "recbole==1.2.1"
    assert raw.item_features["feature"].nunique() == 19
    assert set(raw.item_features.loc[raw.item_features["item_id"] == 1, "feature"]) == {
        "Animation", "Children's", "Comedy"}


def test_local_folder_and_zip_read_the_official_format(tmp_path):
    folder = write_ml100k_official(tmp_path / "ml-100k",
                                   [(1, 10, 5, 1), (1, 11, 3, 2), (2, 10, 4, 3)],
                                   {10: ("Amélie (2001)", ["Comedy", "Romance"]), 11: ("Alien (1979)", ["Sci-Fi"])})
    from_folder = LOADER.load("ml", settings(local_path=str(folder), md5=None), tmp_path)
    archive = zip_folder(folder, tmp_path / "ml-100k.zip")
    from_zip = LOADER.load("ml", settings(local_path=str(archive), md5=file_digest(archive, "md5")), tmp_path)
    for raw in (from_folder, from_zip):
        assert raw.interactions.values.tolist() == [[1, 10, 5.0], [1, 11, 3.0], [2, 10, 4.0]]
        assert raw.item_features.values.tolist() == [[10, "Comedy", 1.0], [10, "Romance", 1.0],
                                                     [11, "Sci-Fi", 1.0]]
        assert raw.provenance["source"] == "local"


@pytest.fixture
def served_archive(tmp_path):
    folder = small_ml100k(tmp_path / "site" / "src")
    archive = zip_folder(folder, tmp_path / "site" / "ml-100k.zip")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(archive.parent), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield archive, f"http://127.0.0.1:{server.server_port}/ml-100k.zip"
    server.shutdown()


def test_download_is_verified_and_cached(served_archive, tmp_path):
    archive, url = served_archive
    good = settings(url=url, md5=file_digest(archive, "md5"), sha256=file_digest(archive))
    raw = LOADER.load("ml", good, tmp_path / "cache")
    assert raw.provenance["source"] == "url" and len(raw.interactions) == 30 * 12
    assert (tmp_path / "cache" / "ml-100k" / "ml-100k.zip").read_bytes() == archive.read_bytes()


def test_checksum_mismatch_is_an_error_not_a_fallback(served_archive, tmp_path):
    _, url = served_archive
    expected = r"ml-100k.zip: md5 is [0-9a-f]{32}, expected 0{32} \(from datasets.ml.md5\)"
    with pytest.raises(ChecksumError, match=expected):
        LOADER.load("ml", settings(url=url, md5="0" * 32), tmp_path / "cache")


def test_truncated_archive_is_reported(tmp_path):
    folder = small_ml100k(tmp_path / "src")
    archive = zip_folder(folder, tmp_path / "ml-100k.zip")
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(DataSourceError, match="ml-100k.zip: not a readable zip archive.*truncated"):
        LOADER.load("ml", settings(local_path=str(archive), md5=None), tmp_path)
    with pytest.raises(ChecksumError):
        LOADER.load("ml", settings(local_path=str(archive)), tmp_path)


def test_missing_local_path(tmp_path):
    with pytest.raises(DataSourceError, match="nowhere: not found .*datasets.ml.local_path"):
        LOADER.load("ml", settings(local_path=str(tmp_path / "nowhere")), tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataSourceError, match="u.data: missing"):
        LOADER.load("ml", settings(local_path=str(tmp_path / "empty")), tmp_path)


@pytest.mark.parametrize("line, expected", [
    ("3\t10\t4\n", r"u.data, line 3: expected 4 fields separated by '\\t' .* found 3"),
    ("3\t10\tfive\t9\n", r"u.data, line 3: field 'rating' is 'five', expected a number"),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, expected):
    folder = write_ml100k_official(tmp_path / "ml", [(1, 10, 5, 1), (2, 10, 4, 2)], {10: ("A", ["Drama"])})
    with open(folder / "u.data", "a") as handle:
        handle.write(line)
    with pytest.raises(DataFormatError, match=expected):
        LOADER.load("ml", settings(local_path=str(folder), md5=None), tmp_path)


def test_wheel_checksum_is_checked(tmp_path):
    cache = tmp_path / "cache" / "pypi"
    cache.mkdir(parents=True)
    fake = cache / "recbole-1.2.1-py3-none-any.whl"
    with zipfile.ZipFile(fake, "w") as handle:
        handle.writestr("recbole/dataset_example/ml-100k/ml-100k.inter", "user_id:token\n")
    with pytest.raises(ChecksumError, match="recbole-1.2.1-py3-none-any.whl: sha256 is .* datasets.ml.pypi_fallback"):
        LOADER.load("ml", settings(url="http://127.0.0.1:9/x.zip"), tmp_path / "cache")


@pytest.mark.parametrize("url, expected", [
    ("/ml-100k.zip", r"datasets.ml.url: http://127.0.0.1:\d+/missing.zip answered HTTP 404 .*\(expected the "
                     r"address of ml-100k.zip; the URL is mistyped or the file has moved\)"),
    ("htps://files.grouplens.org/ml-100k.zip", r"datasets.ml.url: 'htps://files.grouplens.org/ml-100k.zip' is not an "
                                               r"http, https or ftp URL with a host"),
    ("files.grouplens.org/ml-100k.zip", r"datasets.ml.url: 'files.grouplens.org/ml-100k.zip' is not an http"),
    ("http://exa mple.org/ml-100k.zip", r"datasets.ml.url: 'http://exa mple.org/ml-100k.zip' is not a URL that can "
                                        r"be downloaded"),
])
def test_a_wrong_url_is_an_error_not_a_fallback_to_pypi(served_archive, tmp_path, url, expected):
    _, served = served_archive
    if url.startswith("/"):
        url = served.replace("ml-100k.zip", "missing.zip")
    with pytest.raises(DataSourceError, match=expected) as caught:
        LOADER.load("ml", settings(url=url), tmp_path / "cache")
    assert not isinstance(caught.value, UnreachableError)
    assert not (tmp_path / "cache" / "pypi").exists()


def test_a_server_error_is_unreachable_and_falls_back(monkeypatch, tmp_path):
    import disrec.datasets.movielens100k as module

    def fallback(*args):
        raise RuntimeError("fell back to PyPI")

    monkeypatch.setattr(module, "pip_download", fallback)
    with pytest.raises(RuntimeError, match="fell back to PyPI"):  # port 9 refuses: unreachable
        LOADER.load("ml", settings(url="http://127.0.0.1:9/ml-100k.zip"), tmp_path / "cache")
