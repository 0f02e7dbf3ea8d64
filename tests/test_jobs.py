"""How a job's step runs: the allocator setting every job makes."""

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
