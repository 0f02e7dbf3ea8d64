"""The data stage through Snakemake: outputs, determinism, and failures that keep other outputs."""

import hashlib
import json
import shutil

import pandas as pd
import pytest

from conftest import SMALL_SYNTHETIC, base_config, small_ml100k

pytestmark = pytest.mark.slow

SEED_FILES = ["train", "valid_in", "valid_out", "test_out", "item_concepts", "factors_train", "factors_valid_in"]


def digests(folder, suffixes=(".parquet", ".json")):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.suffix in suffixes}


def reproducible_files(results):
    """Every data file, and the runs' Parquet outputs (their JSON reports hold wall times)."""
    return {**digests(results / "data"), **digests(results / "runs", (".parquet",))}


@pytest.fixture
def config(tmp_path):
    raw = small_ml100k(tmp_path / "raw" / "ml-100k")
    datasets = {
        "movies": {"loader": "movielens-100k", "local_path": str(raw), "md5": None,
                   "min_user_interactions": 2, "min_item_interactions": 2},
        "synthetic": SMALL_SYNTHETIC,
    }
    return base_config(tmp_path, datasets, ["movies", "synthetic"])


def test_data_stage_writes_deterministic_outputs(tmp_path, config, run_snakemake):
    run_snakemake(tmp_path / "run", config)
    data = tmp_path / "results" / "data"
    for dataset in ("movies", "synthetic"):
        summary = json.loads((data / dataset / "summary.json").read_text())
        assert set(summary["factors_by_seed"]) == {"41", "53"}
        assert summary["interactions"] == len(pd.read_parquet(data / dataset / "interactions.parquet"))
        for seed in (41, 53):
            for name in SEED_FILES:
                assert len(pd.read_parquet(data / dataset / f"seed{seed}" / f"{name}.parquet")) > 0
    assert json.loads((data / "movies" / "provenance.json").read_text())["source"] == "local"
    synthetic = pd.read_parquet(data / "synthetic" / "seed41" / "factors_train.parquet")
    assert synthetic.columns.tolist() == ["user", "c0", "c1", "c2", "c3"]

    first = reproducible_files(tmp_path / "results")
    nothing = run_snakemake(tmp_path / "run", config, "--dry-run")
    assert "Nothing to be done" in nothing.stdout + nothing.stderr
    shutil.rmtree(tmp_path / "results")
    run_snakemake(tmp_path / "run", config)
    assert reproducible_files(tmp_path / "results") == first


def test_a_failing_dataset_names_its_settings_and_keeps_other_outputs(tmp_path, config, run_snakemake):
    config["study"]["datasets"] = ["synthetic"]
    run_snakemake(tmp_path / "run", config)
    before = digests(tmp_path / "results" / "data" / "synthetic")

    config["study"]["datasets"] = ["synthetic", "movies"]
    config["datasets"]["movies"]["min_user_interactions"] = 500
    result = run_snakemake(tmp_path / "run", config, "--keep-going", check=False)
    assert result.returncode != 0
    log = (tmp_path / "results" / "logs" / "prepare_dataset" / "movies.log").read_text()
    assert "dataset 'movies': no interactions left" in log and "min_user_interactions=500" in log
    assert "dataset 'movies': no interactions left" in result.stderr
    assert digests(tmp_path / "results" / "data" / "synthetic") == before
    assert not list((tmp_path / "results").rglob("*.tmp"))


def test_invalid_config_starts_no_job(tmp_path, config, run_snakemake):
    config["split"] = {"test_fraction": 1.2}
    result = run_snakemake(tmp_path / "run", config, check=False)
    assert result.returncode != 0
    assert "key 'split.test_fraction': 1.2 is greater than or equal to the maximum of 1" in result.stderr
    assert not (tmp_path / "results" / "data").exists()
