"""A real single-node SLURM cluster on loopback (Debian's slurmctld, slurmd and munge) for the HPC tests.

Everything lives in one temporary folder (munge key and socket, state, spool, daemon logs) except slurm.conf,
which must sit at /etc/slurm/slurm.conf: the plugin's job step strips SLURM_CONF before calling srun, as on a
real cluster. A slurm.conf that this module did not write is never touched.
The daemons run in the foreground as child processes and are stopped by their process ids.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "munge", "slurm-client")
BINARIES = ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "scancel", "sinfo")
# Status by squeue (no accounting database here): jobs must stay visible well past the plugin's threshold of
# three times slurm-init-seconds-before-status-checks.
MIN_JOB_AGE_S = 900
SLURM_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# single-node test cluster of tests/slurm_cluster.py\n"


def missing_binaries() -> list[str]:
    return [name for name in BINARIES if shutil.which(name) is None]


def unavailable_reason() -> str | None:
    """Install the Debian packages when missing; return why a test cluster cannot run here, or None."""
    if os.geteuid() != 0:
        return "a test cluster needs root (daemons, /etc/slurm/slurm.conf, apt-get)"
    if SLURM_CONF.exists() and not SLURM_CONF.read_text().startswith(MARKER):
        return f"{SLURM_CONF} belongs to another cluster; not replacing it with a test cluster"
    if missing_binaries():
        if shutil.which("apt-get") is None:
            return f"SLURM binaries {missing_binaries()} missing and no apt-get to install {PACKAGES}"
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]):
            result = subprocess.run(command, capture_output=True, text=True, env=env)
            if result.returncode != 0:
                return f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SlurmCluster:
    """Start with ``start()``; ``stop()`` kills exactly the daemons it started. ``env`` points clients at it."""

    def __init__(self, root: Path, cpus: int = 8, memory_mb: int = 64000):
        self.root = root
        self.cpus = cpus
        self.memory_mb = memory_mb
        self.node = socket.gethostname().split(".")[0]
        self.processes: dict[str, subprocess.Popen] = {}
        self.conf = SLURM_CONF
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}

    def write_config(self) -> None:
        for name in ("munge", "state", "spool", "log"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        (self.root / "munge").chmod(0o755)  # munged wants its socket folder reachable by all
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        r = self.root
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(MARKER + f"""\
ClusterName=disrectest
SlurmctldHost={self.node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={r}/munge/munge.socket
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge={MIN_JOB_AGE_S}
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")

    def _spawn(self, name: str, command: list[str]) -> None:
        out = open(self.root / "log" / f"{name}.out", "w")
        self.processes[name] = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env)

    def start(self, timeout_s: float = 60) -> None:
        self.write_config()
        m = self.root / "munge"
        self._spawn("munged", ["munged", "--foreground", "--force", f"--socket={m}/munge.socket",
                               f"--key-file={m}/munge.key", f"--pid-file={m}/munged.pid",
                               f"--seed-file={m}/munged.seed", f"--log-file={m}/munged.log"])
        self._wait_for(lambda: (m / "munge.socket").exists(), timeout_s, "munged socket")
        self._spawn("slurmctld", ["slurmctld", "-D", "-f", str(self.conf)])
        self._spawn("slurmd", ["slurmd", "-D", "-f", str(self.conf), "-N", self.node])
        self._wait_for(self._node_idle, timeout_s, f"node {self.node} idle in sinfo")

    def _node_idle(self) -> bool:
        result = subprocess.run(["sinfo", "-h", "-n", self.node, "-o", "%t"], capture_output=True, text=True,
                                env=self.env)
        return result.returncode == 0 and result.stdout.strip() == "idle"

    def _wait_for(self, ready, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode} while waiting for {what}:\n"
                                       + self.daemon_logs())
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out after {timeout_s} s waiting for {what}:\n" + self.daemon_logs())

    def daemon_logs(self, tail: int = 3000) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*")) + [self.root / "munge" / "munged.log"]:
            if path.is_file():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def squeue(self) -> list[dict[str, str]]:
        """The jobs slurmctld knows: id, state and the plugin's comment (rule and wildcards)."""
        result = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i|%T|%k"], capture_output=True, text=True,
                                env=self.env, check=True)
        return [dict(zip(("id", "state", "comment"), line.split("|", 2)))
                for line in result.stdout.splitlines() if line.strip()]

    def stop(self) -> None:
        """Cancel this cluster's jobs, then stop the daemons this object started, by process id, newest first."""
        if self.processes.get("slurmctld") and self.processes["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--partition", "test"], env=self.env, capture_output=True, timeout=30)
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        if self.conf.exists() and self.conf.read_text().startswith(MARKER):
            self.conf.unlink()
