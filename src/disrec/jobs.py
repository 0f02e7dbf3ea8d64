"""Running one pipeline job's step: its log file, its thread limits, and one clear line for a known error."""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable

from threadpoolctl import threadpool_limits

from disrec.errors import StudyError

log = logging.getLogger("disrec")


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
