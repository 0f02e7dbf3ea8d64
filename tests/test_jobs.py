"""How a job's step runs: the allocator setting and the garbage collector's handling every job makes."""

import platform
import subprocess
import sys

import pytest

# In a fresh interpreter: touch and free a 256 MiB block, then report how much of it the process still holds.
HELD_AFTER_FREE = """
import resource, sys
import numpy as np
from disrec.jobs import reuse_freed_memory
if sys.argv[1] == "reuse":
    assert reuse_freed_memory()
def rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20
before = rss_mib()
block = np.ones(256 * 2**20 // 8)
del block
print(rss_mib() - before)
"""


def held_after_free(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", HELD_AFTER_FREE, mode], capture_output=True, text=True, check=True)
    return float(out.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's")
def test_jobs_keep_freed_blocks_for_reuse_instead_of_returning_them_to_the_kernel():
    # glibc's default unmaps a large block on free; a job keeps it, so the next step's tensors reuse its pages
    assert held_after_free("default") < 16
    assert held_after_free("reuse") > 240


# In a fresh interpreter: import pandas as a job script imports its step, then run a step that makes containers.
COLLECTOR_IN_A_JOB = """
import gc
from disrec.jobs import run_step, step_imports
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
with step_imports():
    paused = not gc.isenabled()
    import pandas
after_imports = (gc.isenabled(), len(collections), gc.get_freeze_count())
kept = []
run_step(lambda: kept.extend([] for _ in range(50_000)), None)
print(paused, *after_imports, gc.get_freeze_count() - after_imports[2])
"""


def test_a_job_imports_its_step_without_collecting_and_leaves_its_objects_to_the_exit():
    out = subprocess.run([sys.executable, "-c", COLLECTOR_IN_A_JOB], capture_output=True, text=True, check=True)
    paused, enabled, collections, frozen, frozen_by_step = out.stdout.split()
    # no collection walked pandas' objects while they were made; they are frozen, and the collector runs again
    assert (paused, enabled, collections) == ("True", "True", "0")
    assert int(frozen) > 50_000
    # the step's own objects are frozen as it ends, so the interpreter's exit does not walk them either
    assert int(frozen_by_step) >= 50_000
