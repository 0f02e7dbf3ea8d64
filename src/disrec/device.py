"""The torch device: chosen from config (``auto`` takes CUDA when present, and says so), and batches moved to it."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
import torch

from disrec.errors import StudyError

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` (an error when no GPU is visible) or ``auto``."""
    available = torch.cuda.is_available()
    if name == "cuda" and not available:
        raise StudyError("training.device is 'cuda' but torch sees no CUDA device; use 'auto' or 'cpu'")
    device = torch.device("cuda" if name == "cuda" or (name == "auto" and available) else "cpu")
    detail = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    log.info("device: %s (%s; config asked for %r, CUDA available: %s)", device, detail, name, available)
    return device


def describe_device(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def dense_rows(matrix: sp.csr_matrix, rows: np.ndarray, device: torch.device) -> torch.Tensor:
    """Rows of ``matrix`` as a dense float32 tensor on ``device``."""
    return torch.from_numpy(matrix[rows].toarray()).to(device)
