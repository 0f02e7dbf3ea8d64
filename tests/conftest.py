"""Shared fixtures: small raw files in the official formats, and a Snakemake runner."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

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


@pytest.fixture
def run_snakemake():
    return snakemake_runner


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
