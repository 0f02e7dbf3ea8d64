"""Before any job goes to SLURM: a job that no node of its partition could ever run is named, with the profile
key to change. SLURM itself would leave such a job pending (reason PartitionConfig or Resources) and the
executor would wait without a word."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

# One line per (node, partition): partition name (the default one ends in *), CPUs, memory in MB, generic
# resources (e.g. gpu:a100:4(S:0-1), or (null)).
SINFO_FORMAT = "%P|%c|%m|%G"


@dataclass(frozen=True)
class Node:
    partition: str
    cpus: int
    memory_mb: int
    gpus: int
    default_partition: bool


@dataclass(frozen=True)
class Request:
    """What one rule's jobs ask of SLURM through the profile: cpus-per-task (threads), memory, GPUs."""

    rule: str
    cpus: int
    memory_mb: int
    gpus: int
    partition: str | None  # None: the cluster's default partition


def _gpus(gres: str) -> int:
    return sum(int(count) for count in re.findall(r"gpu(?::[^:,(]+)?:(\d+)", gres))


def parse_sinfo(text: str) -> list[Node]:
    """Nodes from ``sinfo --noheader --Node --format=SINFO_FORMAT`` output."""
    nodes = []
    for line in text.splitlines():
        if line.strip():
            partition, cpus, memory, gres = line.strip().split("|")
            nodes.append(Node(partition.rstrip("*"), int(cpus), int(re.match(r"\d+", memory).group()), _gpus(gres),
                              partition.endswith("*")))
    return nodes


def slurm_nodes() -> list[Node] | None:
    """The cluster's nodes as sinfo reports them; None where sinfo is absent or fails (nothing to check)."""
    if shutil.which("sinfo") is None:
        return None
    result = subprocess.run(["sinfo", "--noheader", "--Node", f"--format={SINFO_FORMAT}"], capture_output=True,
                            text=True)
    return parse_sinfo(result.stdout) if result.returncode == 0 else None


def unschedulable(requests: list[Request], nodes: list[Node]) -> list[str]:
    """One line per request that no node of its partition can hold, naming what to change in the profile."""
    problems = []
    partitions = sorted({node.partition for node in nodes})
    default = next((node.partition for node in nodes if node.default_partition), None)
    for request in requests:
        partition = request.partition or default
        members = [node for node in nodes if node.partition == partition]
        if not members:
            problems.append(f"rule {request.rule!r}: partition {partition!r} is not on this cluster (sinfo lists "
                            f"{', '.join(partitions) or 'none'}); set slurm_partition for it in the profile")
            continue
        if any(node.cpus >= request.cpus and node.memory_mb >= request.memory_mb and node.gpus >= request.gpus
               for node in members):
            continue
        largest = (max(n.cpus for n in members), max(n.memory_mb for n in members), max(n.gpus for n in members))
        problems.append(
            f"rule {request.rule!r} asks {request.cpus} CPUs, {request.memory_mb} MB and {request.gpus} GPUs; no "
            f"node of partition {partition!r} has them (at most {largest[0]} CPUs, {largest[1]} MB, "
            f"{largest[2]} GPUs): lower set-threads.{request.rule} or set-resources.{request.rule} (mem_mb, gpu) "
            f"in the profile, or send the rule to another partition (slurm_partition)")
    return problems
