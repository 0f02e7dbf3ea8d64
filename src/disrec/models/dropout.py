"""Dropout masks on the CPU, drawn from torch's generator exactly as torch's own kernels draw them, faster.

Where torch does not hand Bernoulli draws to MKL (CPUs other than Intel's), it draws them one element at a
time: ``tensor.bernoulli_(p)`` (what ``F.dropout`` calls) takes two 32-bit numbers from the Mersenne
Twister per element and keeps the element when the 53-bit fraction they make is below p;
``torch.bernoulli(probabilities)`` of float32 takes one number and compares its low 24 bits. torch's integer
``random_`` takes the same numbers in the same order (two per element for int64, one for int32), keeps
those bits, and runs 3-4 times faster, so the same masks follow from an integer comparison; the generator
is left where torch's draw leaves it. That they agree is checked on this machine, once per process and
probability, on a private generator; where they do not (MKL's draws on an Intel CPU, another torch), and on
other devices, torch draws the masks itself.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

# (integer dtype random_ fills, fraction bits torch's Bernoulli kernel compares) per kind of draw:
# "scalar" for tensor.bernoulli_(p) with a Python float p, "float32" for torch.bernoulli of float32 probabilities.
DRAWS = {"scalar": (torch.int64, 53), "float32": (torch.int32, 24)}


def _integer_mask(shape: tuple[int, ...], p: float, kind: str, generator: torch.Generator | None) -> torch.Tensor:
    """True where torch's Bernoulli kernel of ``kind`` would draw a one, from the same generator numbers."""
    dtype, bits = DRAWS[kind]
    threshold = p if kind == "scalar" else float(np.float32(p))
    # fraction < p, the fraction being (draw's low bits) / 2**bits, exactly: an integer comparison
    limit = math.ceil(threshold * 2.0**bits)
    draws = torch.empty(shape, dtype=dtype).random_(generator=generator)
    return draws.bitwise_and_((1 << bits) - 1) < limit


def _torch_mask(shape: tuple[int, ...], p: float, kind: str, generator: torch.Generator | None) -> torch.Tensor:
    if kind == "scalar":
        return torch.empty(shape).bernoulli_(p, generator=generator).bool()
    return torch.bernoulli(torch.full(shape, p, dtype=torch.float32), generator=generator).bool()


@functools.cache
def draws_like_torch(p: float, kind: str) -> bool:
    """Whether ``_integer_mask`` gives torch's own mask and generator state here (checked on 4,096 draws)."""
    ours, theirs = torch.Generator().manual_seed(2024), torch.Generator().manual_seed(2024)
    same_mask = torch.equal(_integer_mask((4096,), p, kind, ours), _torch_mask((4096,), p, kind, theirs))
    return same_mask and torch.equal(ours.get_state(), theirs.get_state())


def bernoulli_mask(shape: tuple[int, ...], p: float, kind: str) -> torch.Tensor:
    """Torch's CPU Bernoulli(p) mask of ``shape`` (bool) from the default generator: of ``tensor.bernoulli_(p)``
    (kind "scalar") or of ``torch.bernoulli`` of float32 probabilities p (kind "float32")."""
    if draws_like_torch(p, kind):
        return _integer_mask(shape, p, kind, None)
    return _torch_mask(shape, p, kind, None)


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """``F.dropout(x, p, training)``: the same numbers and generator state, the mask drawn by ``bernoulli_mask``
    on the CPU."""
    if not training or x.device.type != "cpu" or not 0 < p < 1:
        return F.dropout(x, p=p, training=training)
    keep = 1 - p
    noise = bernoulli_mask(x.shape, keep, "scalar").to(x.dtype)
    noise.div_(keep)  # as torch's dropout scales its noise
    return x * noise


def keep_scale(like: torch.Tensor, keep_prob: float) -> torch.Tensor:
    """``torch.bernoulli(torch.full_like(like, keep_prob)) / keep_prob``: per entry 0 or 1 / keep_prob, the
    same numbers and generator state, the mask drawn by ``bernoulli_mask`` for float32 on the CPU."""
    if like.device.type != "cpu" or like.dtype != torch.float32:
        return torch.bernoulli(torch.full_like(like, keep_prob)) / keep_prob
    return bernoulli_mask(like.shape, keep_prob, "float32").to(like.dtype) / keep_prob
