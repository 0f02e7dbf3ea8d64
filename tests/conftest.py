"""Shared fixtures: small raw files in the official formats, a Snakemake runner, and the test tiers.

Tiers (markers, registered in pyproject.toml): ``unit`` is every test without another tier marker; ``slow``
runs Snakemake end to end; ``network`` needs PyPI; ``cluster`` and ``browser`` need what `.ci/run` sets up on
the machine (a SLURM cluster, Chromium) and run only when asked with ``--cluster`` and ``--browser``.
Tests marked ``compiled`` check the compiled boosting code against scikit-learn and are skipped where that
code does not run (``disrec.metrics.presorted_trees.follows_scikit_learn``).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TIERS = ("slow", "network", "cluster", "browser")
OPT_IN = {"cluster": "--cluster", "browser": "--browser"}


def pytest_addoption(parser):
    group = parser.getgroup("disrec tiers")
    group.addoption("--cluster", action="store_true",
                    help="run the cluster tier on the cluster `.ci/slurm-cluster start` started; fails without one")
    group.addoption("--browser", action="store_true",
                    help="run the browser tier (Debian's chromium opens the report); fails without chromium")


@pytest.hookimpl(tryfirst=True)  # before -m selects: unmarked tests must carry ``unit`` by then
def pytest_collection_modifyitems(config, items):
    kept, deselected = [], []
    if any(item.get_closest_marker("compiled") for item in items):
        from disrec.metrics.presorted_trees import follows_scikit_learn

        if not follows_scikit_learn():
            for item in items:
                if item.get_closest_marker("compiled"):
                    item.add_marker(pytest.mark.skip(reason="scikit-learn's own code runs here"))
    for item in items:
        tiers = {mark.name for mark in item.iter_markers()} & set(TIERS)
        if not tiers:
            item.add_marker(pytest.mark.unit)
        asked = all(config.getoption(OPT_IN[tier]) for tier in tiers & OPT_IN.keys())
        (kept if asked else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_report_header(config):
    left_out = [f"{tier} (add {option})" for tier, option in OPT_IN.items() if not config.getoption(option)]
    return "tiers left out: " + ", ".join(left_out) if left_out else "every tier asked for"

GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
          "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]


def write_ml100k_official(folder: Path, ratings: list[tuple], movies: dict[int, tuple[str, list[str]]]) -> Path:
    """Write u.data, u.item (Latin-1) and u.genre as GroupLens lays them out in ml-100k/."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.data").write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in ratings))
    lines = []
    for item, (title, genres) in sorted(movies.items()):
        flags = "|".join("1" if g in genres else "0" for g in GENRES)
        lines.append(f"{item}|{title}|01-Jan-1995||http://us.imdb.com/M/title-exact?x|{flags}\n")
    (folder / "u.item").write_bytes("".join(lines).encode("latin-1"))
    (folder / "u.genre").write_text("".join(f"{g}|{j}\n" for j, g in enumerate(GENRES)) + "\n")
    return folder


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as handle:
        for name in ("u.data", "u.item", "u.genre"):
            handle.write(folder / name, f"ml-100k/{name}")
    return archive


def small_ml100k(folder: Path, n_users: int = 30, n_items: int = 25, seed: int = 0) -> Path:
    """A dense-enough random ML-100K lookalike: every user rates 12 items, titles with Latin-1 letters."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ratings = []
    for user in range(1, n_users + 1):
        for item in rng.choice(np.arange(1, n_items + 1), size=12, replace=False):
            ratings.append((user, int(item), int(rng.integers(1, 6)), 880000000 + user))
    movies = {item: (f"Film {item} (Amélie's cut)", [GENRES[1 + item % 5], GENRES[8]] if item % 3 else [GENRES[5]])
              for item in range(1, n_items + 1)}
    return write_ml100k_official(folder, ratings, movies)


def snakemake_runner(workdir: Path, config: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the repository's Snakefile in ``workdir`` with ``config``; return the completed process."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--cores", "2", *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def repository_profile() -> dict:
    """The SLURM profile as written in slurm/config.yaml."""
    return yaml.safe_load((REPO / "slurm" / "config.yaml").read_text())


@pytest.fixture
def run_snakemake():
    return snakemake_runner


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A planted-concept dataset split and written as the pipeline would (models and evaluation tests)."""
    from disrec.datasets.synthetic import generate_planted
    from disrec.preprocess import reindex
    from disrec.splits import split_weak_generalisation
    from disrec.storage import write_parquet

    folder = tmp_path_factory.mktemp("synthetic")
    data = generate_planted(n_users=400, n_items=200, n_concepts=5, item_concept_probability=0.3,
                            min_concepts_per_user=1, max_concepts_per_user=2, min_interactions_per_user=15,
                            max_interactions_per_user=30, noise=0.05, popularity_exponent=0.5, seed=2)
    prepared = reindex(data.interactions[["user_id", "item_id"]])
    splits = split_weak_generalisation(prepared.interactions, test_fraction=0.2, validation_fraction=0.2, seed=1)
    paths = {"user_ids": folder / "user_ids.parquet", "item_ids": folder / "item_ids.parquet"}
    write_parquet(prepared.users, paths["user_ids"])
    write_parquet(prepared.items, paths["item_ids"])
    for name, frame in splits.as_dict().items():
        paths[name] = folder / f"{name}.parquet"
        write_parquet(frame, paths[name])
    return {"paths": paths, "splits": splits, "n_users": len(prepared.users), "n_items": len(prepared.items)}


def base_config(tmp_path: Path, datasets: dict, study_datasets: list[str], seeds=(41, 53),
                models=("toppop",)) -> dict:
    return {
        "results_dir": str(tmp_path / "results"),
        "cache_dir": str(tmp_path / "cache"),
        "study": {"datasets": study_datasets, "seeds": list(seeds), "models": list(models)},
        "datasets": datasets,
    }


SMALL_SYNTHETIC = {
    "loader": "synthetic", "rating_threshold": 1, "min_user_interactions": 5, "min_item_interactions": 2,
    "generator": {"n_users": 200, "n_items": 150, "n_concepts": 4, "max_interactions_per_user": 30, "seed": 3},
}
