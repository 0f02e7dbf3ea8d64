"""Running one pipeline step with its log file, turning known errors into one clear line."""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable

from disrec.errors import StudyError

log = logging.getLogger("disrec")


def run_step(step: Callable[..., Any], log_file: str | None, **kwargs: Any) -> None:
    """Call ``step(**kwargs)`` logging to ``log_file`` and stderr; exit 1 with the message on a StudyError."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    try:
        step(**kwargs)
    except StudyError as exc:
        log.error("%s", exc)
        sys.exit(1)
