"""Running one pipeline job's step: its log file, its thread limits, its allocator, and one clear line for a known
error."""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any, Callable

from threadpoolctl import threadpool_limits

from disrec.errors import StudyError

log = logging.getLogger("disrec")

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4


def reuse_freed_memory() -> bool:
    """Keep freed memory in the process for the next allocation of the same size (glibc only; True if set).

    By default glibc maps every block above its mmap threshold (at most 32 MiB) afresh and unmaps it on
    free, so each training step's large tensors arrive as new zero-filled pages whose page faults cost
    MacridVAE about a sixth of its epoch on CPU. Without mmap and with a high trim threshold, the freed blocks
    stay in the heap and are reused; numbers are unchanged, only where they live.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): their allocators are left as they are
        return False
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1))


def run_step(step: Callable[..., Any], log_file: str | None, threads: int | None = None, **kwargs: Any) -> None:
    """Call ``step(**kwargs)`` logging to ``log_file`` and stderr; exit 1 with the message on a StudyError.

    With ``threads``, BLAS/OpenMP pools and torch are limited to that many threads (the job's
    Snakemake threads) so parallel jobs do not oversubscribe the machine; the step receives it too.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    reuse_freed_memory()
    try:
        if threads is None:
            step(**kwargs)
        else:
            torch = sys.modules.get("torch")  # imported by the step's module when the step uses it
            if torch is not None:
                torch.set_num_threads(threads)
            with threadpool_limits(limits=threads):
                step(threads=threads, **kwargs)
    except StudyError as exc:
        log.error("%s", exc)
        sys.exit(1)
