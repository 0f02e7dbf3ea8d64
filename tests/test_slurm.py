"""`snakemake --profile slurm` against a real single-node SLURM cluster: submission, results, a killed job.

Cluster tier: selected with `pytest --cluster`, after `.ci/slurm-cluster start` (root) has started the cluster;
without a cluster these tests fail. The run uses the repository's profile with only what this cluster needs
changed: no GPU request (the node has none) and job status by squeue (no accounting database).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, SMALL_SYNTHETIC, base_config, repository_profile, snakemake_runner
from slurm_cluster import Cluster, connect

pytestmark = pytest.mark.cluster

RUN_TIMEOUT_S = 600
NUMBER_COLUMNS = ["ndcg@10", "recall@10", "mrr@10", "coverage@10", "disentanglement", "completeness",
                  "informativeness", "lime", "shap"]


def tiny_config(tmp_path: Path) -> dict:
    config = base_config(tmp_path, {"synthetic": SMALL_SYNTHETIC}, ["synthetic"], seeds=(41,),
                         models=("toppop", "multivae"))
    # long enough (a few seconds) that the fault test can cancel training while it runs
    config["models"] = {"multivae": {"hidden": [64], "max_epochs": 800, "batch_size": 50, "betas": [0.2]}}
    config["training"] = {"eval_every": 50, "patience": 100}
    config["evaluation"] = {"grids": {"gbt": {"n_estimators": [20], "max_depth": [2]}}}
    return config


def cluster_profile(tmp_path: Path) -> Path:
    """The repository's profile, changed only where this GPU-less, accounting-less cluster needs it."""
    profile = repository_profile()
    for resources in profile["set-resources"].values():
        if "gpu" in resources:
            resources["gpu"] = 0
    profile["slurm-status-command"] = "squeue"
    profile["slurm-init-seconds-before-status-checks"] = 2
    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(profile))
    return folder


@pytest.fixture(scope="module")
def cluster():
    try:
        return connect()
    except AssertionError as missing:
        pytest.fail(str(missing), pytrace=False)


def snakemake_log(workdir: Path) -> str:
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    return logs[-1].read_text() if logs else ""


def run_on_cluster_cancelling_first_training(cluster: Cluster, workdir: Path, profile: Path) -> str | None:
    """Run the pipeline through the profile; cancel the first training job once its script runs.

    Returns the cancelled SLURM job id (None if no training job was caught running).
    """
    command = [sys.executable, "-m", "snakemake", "--profile", str(profile), "--snakefile", str(REPO / "Snakefile"),
               "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir)]
    output = open(workdir / "snakemake.out", "w")
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=cluster.env, cwd=workdir)
    train_log = workdir / "results" / "logs" / "train"
    cancelled = None
    deadline = time.monotonic() + RUN_TIMEOUT_S
    try:
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"slurm run exceeded {RUN_TIMEOUT_S} s:\n{failure_context(cluster, workdir)}")
            if cancelled is None and train_log.is_dir() and any(train_log.iterdir()):
                running = [job for job in cluster.squeue()
                           if job["comment"].startswith("rule_train_wildcards") and job["state"] == "RUNNING"]
                if running and subprocess.run(["scancel", running[0]["id"]], env=cluster.env).returncode == 0:
                    cancelled = running[0]["id"]
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.kill()
        output.close()
    assert process.returncode == 0, f"slurm run failed:\n{failure_context(cluster, workdir)}"
    return cancelled


def failure_context(cluster: Cluster, workdir: Path) -> str:
    return "\n".join([(workdir / "snakemake.out").read_text()[-6000:], cluster.daemon_logs()])


@pytest.fixture(scope="module")
def slurm_and_local(cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("hpc")
    slurm_dir, local_dir = root / "slurm_run", root / "local_run"
    slurm_dir.mkdir()
    config = tiny_config(slurm_dir)
    (slurm_dir / "config.yaml").write_text(yaml.safe_dump(config))
    profile = cluster_profile(root)
    cancelled = run_on_cluster_cancelling_first_training(cluster, slurm_dir, profile)
    # Like with like: torch splits float32 reductions by thread count, so the local twin trains with the threads
    # each cluster job recorded. A job inside SLURM runs `snakemake --cores all`, which caps the profile's
    # set-threads at the node's cores; `--cores all` here resolves the other rules' threads the same way.
    threads = yaml.safe_load((profile / "config.yaml").read_text())["set-threads"]
    threads.update(recorded_training_threads(slurm_dir))
    snakemake_runner(local_dir, tiny_config(local_dir), "--cores", "all",
                     "--set-threads", *[f"{rule}={n}" for rule, n in threads.items()])
    return slurm_dir, local_dir, cancelled, profile


def recorded_training_threads(workdir: Path) -> dict[str, int]:
    """{training rule: the thread count its jobs recorded in training.json}; one count per rule."""
    counts: dict[str, set[int]] = {}
    for report in (workdir / "results" / "runs").rglob("training.json"):
        record = json.loads(report.read_text())
        rule = "train" if record["training"] is not None else "train_closed_form"
        counts.setdefault(rule, set()).add(record["threads"])
    assert counts and all(len(values) == 1 for values in counts.values()), counts
    return {rule: values.pop() for rule, values in counts.items()}


def test_jobs_went_through_sbatch_with_their_ids_in_the_logs(slurm_and_local):
    slurm_dir, _, _, _ = slurm_and_local
    log = snakemake_log(slurm_dir)
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", log)
    rules = {"prepare_dataset", "split", "user_factors", "train", "train_closed_form", "evaluate"}
    assert len(submitted) >= len(rules), log[-3000:]
    slurm_logs = slurm_dir / ".snakemake" / "slurm_logs"
    seen = {path.parts[len(slurm_logs.parts)].removeprefix("rule_") for path in slurm_logs.rglob("*.log")}
    assert rules <= seen
    assert {path.stem for path in slurm_logs.rglob("*.log")} <= set(submitted)


def test_cluster_numbers_equal_a_local_run(slurm_and_local):
    slurm_dir, local_dir, _, _ = slurm_and_local
    for name in ("tables/runs.csv", "tables/summary.csv", "tables/rmcorr_by_dataset.csv",
                 "figures/rmcorr_by_dataset.png", "figures/beta_tradeoff.png"):
        assert (slurm_dir / "results" / name).is_file(), name
    on_cluster = pd.read_parquet(slurm_dir / "results" / "tables" / "runs.parquet")
    local = pd.read_parquet(local_dir / "results" / "tables" / "runs.parquet")
    assert on_cluster.set_index("model")["status"].to_dict() == {"toppop": "representation-undefined",
                                                                 "multivae": "ok"}
    assert recorded_training_threads(local_dir) == recorded_training_threads(slurm_dir)
    pd.testing.assert_frame_equal(on_cluster[NUMBER_COLUMNS], local[NUMBER_COLUMNS], check_exact=True)
    for codes in (local_dir / "results" / "runs").rglob("codes_*.parquet"):
        twin = slurm_dir / codes.relative_to(local_dir)
        assert twin.read_bytes() == codes.read_bytes(), twin


def test_a_cancelled_training_job_is_retried_and_nothing_is_left_incomplete(slurm_and_local, cluster):
    slurm_dir, _, cancelled, profile = slurm_and_local
    assert cancelled is not None, "no training job was caught running to cancel"
    log = snakemake_log(slurm_dir)
    assert re.search(rf"SLURM-job '{cancelled}' failed, SLURM status is: 'CANCELLED'", log), log[-3000:]
    assert "Trying to restart job" in log
    # A new invocation finds every output complete: nothing to redo, nothing incomplete.
    result = subprocess.run([sys.executable, "-m", "snakemake", "--profile", str(profile), "--snakefile",
                             str(REPO / "Snakefile"), "--configfile", str(slurm_dir / "config.yaml"),
                             "--directory", str(slurm_dir), "--dry-run"],
                            capture_output=True, text=True, env=cluster.env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_job_no_node_can_hold_stops_the_run_before_submission(cluster, tmp_path):
    workdir = tmp_path / "too_big"
    workdir.mkdir()
    (workdir / "config.yaml").write_text(yaml.safe_dump(tiny_config(workdir)))
    profile = cluster_profile(tmp_path)
    settings = yaml.safe_load((profile / "config.yaml").read_text())
    settings["set-threads"]["evaluate"] = 64  # the test node has 8 CPUs
    (profile / "config.yaml").write_text(yaml.safe_dump(settings))
    before = {job["id"] for job in cluster.squeue()}
    result = subprocess.run([sys.executable, "-m", "snakemake", "--profile", str(profile), "--snakefile",
                             str(REPO / "Snakefile"), "--configfile", str(workdir / "config.yaml"),
                             "--directory", str(workdir)],
                            capture_output=True, text=True, env=cluster.env, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "jobs this cluster could never start, nothing was submitted" in output, output[-3000:]
    assert "rule 'evaluate' asks 64 CPUs" in output and "lower set-threads.evaluate" in output
    assert {job["id"] for job in cluster.squeue()} == before
    assert not (workdir / "results" / "runs").exists()
