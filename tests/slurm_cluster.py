"""The running SLURM cluster, as the cluster tier (`pytest --cluster`) sees it.

`.ci/slurm-cluster start` sets up and starts a single-node cluster on loopback; the tests only use it. A test
asked to run on the cluster fails, with the command that starts one, when no cluster answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CLIENTS = ("sbatch", "squeue", "scancel", "sinfo")
START = "start one as root with `.ci/slurm-cluster start` (stop it with `.ci/slurm-cluster stop`)"


class Cluster:
    """Client side of a running cluster: ``env`` points SLURM's commands at it."""

    def __init__(self, conf: Path):
        self.conf = conf
        self.env = {**os.environ, "SLURM_CONF": str(conf)}

    def squeue(self) -> list[dict[str, str]]:
        """The jobs slurmctld knows: id, state and the plugin's comment (rule and wildcards)."""
        result = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i|%T|%k"], capture_output=True, text=True,
                                env=self.env, check=True)
        return [dict(zip(("id", "state", "comment"), line.split("|", 2)))
                for line in result.stdout.splitlines() if line.strip()]

    def daemon_logs(self, tail: int = 3000) -> str:
        """The last lines of slurmctld's and slurmd's logs, as named in slurm.conf."""
        settings = dict(line.split("=", 1) for line in self.conf.read_text().splitlines()
                        if "=" in line and not line.startswith("#") and " " not in line.split("=", 1)[0])
        parts = []
        for key in ("SlurmctldLogFile", "SlurmdLogFile"):
            path = Path(settings.get(key, ""))
            if path.is_file():
                parts.append(f"--- {path}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)


def connect() -> Cluster:
    """The cluster that answers at $SLURM_CONF (default /etc/slurm/slurm.conf); AssertionError when none does."""
    missing = [name for name in CLIENTS if shutil.which(name) is None]
    if missing:
        raise AssertionError(f"no SLURM cluster here: {missing} not on the PATH; {START}")
    conf = Path(os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf"))
    if not conf.is_file():
        raise AssertionError(f"no SLURM cluster here: {conf} does not exist; {START}")
    cluster = Cluster(conf)
    result = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=cluster.env,
                            timeout=60)
    if result.returncode != 0 or "idle" not in result.stdout.split():
        raise AssertionError(f"the SLURM cluster of {conf} has no idle node (sinfo: {result.stdout.strip()!r} "
                             f"{result.stderr.strip()!r}); {START}")
    return cluster
