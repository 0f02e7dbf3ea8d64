"""The SLURM profile (slurm/config.yaml) as written: what it asks of a cluster, and that Snakemake finds it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import yaml

from conftest import REPO, SMALL_SYNTHETIC, base_config, repository_profile


def test_profile_asks_gpu_for_gradient_training_only():
    profile = repository_profile()
    assert profile["executor"] == "slurm"
    assert profile["set-resources"]["train"]["gpu"] == 1 and profile["set-resources"]["tune"]["gpu"] == 1
    assert "gpu" not in profile["set-resources"].get("train_closed_form", {})
    for rule in ("prepare_dataset", "user_factors", "evaluate"):
        assert "gpu" not in profile["set-resources"].get(rule, {})
    assert "slurm_account" not in profile["default-resources"]  # left for the user to fill in


def test_profile_resolves_by_name_from_the_working_directory(tmp_path):
    """`snakemake --profile slurm` as typed: Snakemake finds ./slurm/config.yaml (dry run, nothing submitted)."""
    shutil.copytree(REPO / "slurm", tmp_path / "slurm")
    config = base_config(tmp_path, {"synthetic": SMALL_SYNTHETIC}, ["synthetic"], seeds=(41,),
                         models=("toppop", "multivae"))
    config["models"] = {"multivae": {"betas": [0.2]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "snakemake", "--profile", "slurm", "--snakefile",
                             str(REPO / "Snakefile"), "--configfile", "config.yaml", "--dry-run"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert re.search(r"^train\s+1$", output, re.M) and re.search(r"^train_closed_form\s+1$", output, re.M)
