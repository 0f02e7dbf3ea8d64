"""Running one pipeline job's step: its imports, its log file, its thread limits, its allocator, and one clear line
for a known error."""

from __future__ import annotations

import ctypes
import gc
import logging
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

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


@contextmanager
def step_imports() -> Iterator[None]:
    """Import a job's step with Python's cyclic garbage collector paused, then freeze what was imported.

    torch, scikit-learn and pandas create some 270,000 objects that live as long as the process. The collector
    walks them again and again while they are created, in every later full collection and once more when the
    interpreter exits: about 0.8 s of an evaluate job's 2.5 s outside its step. Frozen objects are never walked
    (nor freed, which they would not be before the exit anyway).
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


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
    finally:
        gc.freeze()  # the process ends next: its exit need not walk the step's objects either
