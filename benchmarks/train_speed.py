"""Training speed of the neural models at ML-100K's and ML1M's shapes, against this machine's matmul peak.

Prints, per shape and model: seconds per epoch, users per second, the model's
estimated matrix-multiply FLOP per epoch (forward + backward ~ 3x the forward
products) and the achieved fraction of the peak measured here with a plain
torch matmul in the same run. The data are planted-concept synthetic data at
each shape (``benchmarks/scale.py``'s sizes); the models use config.yaml's settings.

    .venv/bin/python benchmarks/train_speed.py [--shapes ml100k,ml1m] [--epochs 5] [--threads N] [--device auto]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from disrec.config import model_settings, validate_config
from disrec.datasets.synthetic import generate_planted
from disrec.device import dense_rows, resolve_device
from disrec.grid import KL_MODELS
from disrec.jobs import reuse_freed_memory
from disrec.matrices import interaction_matrix
from disrec.models import build_model
from disrec.preprocess import prepare_interactions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import planted_settings  # noqa: E402  (the shapes are scale.py's)

REPO = Path(__file__).resolve().parents[1]


def planted_matrix(shape: str):
    """The users x items matrix of planted data at one of scale.py's shapes (every interaction positive)."""
    generator = planted_settings(shape)["generator"]
    prepared = prepare_interactions(generate_planted(**generator).interactions, threshold=1, min_user=1, min_item=1,
                                    dataset=shape)
    return interaction_matrix(prepared.interactions, len(prepared.users), len(prepared.items))


def matmul_peak(device: torch.device, size: int = 2048, repeats: int = 10) -> float:
    """FLOP/s of a square float32 matmul, best of ``repeats``."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    best = float("inf")
    for _ in range(repeats + 2):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def forward_flops(name: str, settings: dict, n_items: int, users: int, mean_nnz: float) -> float:
    """Multiply-add FLOP of one training forward pass over ``users`` rows: dense layers, and the first layer's
    product over the input's nonzeros (after dropout for the Mult-autoencoders; MacridVAE keeps dropped
    entries as zeros in its K masked rows)."""
    hidden, code = list(settings.get("hidden", [])), settings["code_dim"]
    if name == "macridvae":
        k, d = code, settings["d_fac"]
        first = 2 * mean_nnz * k * hidden[0] if hidden else 2 * mean_nnz * k * 2 * d
        sizes = [*hidden, 2 * d]
        rest = sum(2 * k * a * b for a, b in zip(sizes[:-1], sizes[1:]))
        decoder = 2 * k * d * n_items
        return users * (first + rest + decoder)
    out = 2 * code if name in KL_MODELS else code
    encoder = [*hidden, out]
    decoder = [code, *hidden[::-1], n_items]
    first = 2 * mean_nnz * settings["keep_prob"] * encoder[0]
    return users * (first + sum(2 * a * b for sizes in (encoder, decoder) for a, b in zip(sizes[:-1], sizes[1:])))


def one_epoch(model, optimiser, matrix, rng: np.random.Generator, batch_size: int, device: torch.device) -> None:
    """One pass of Adam over every user in shuffled batches, as training does (without its bookkeeping)."""
    order = rng.permutation(matrix.shape[0])
    for start in range(0, len(order), batch_size):
        x = dense_rows(matrix, order[start:start + batch_size], device)
        loss, _ = model.loss(x, model.kl_weight(0, 1))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="ml100k,ml1m")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    reuse_freed_memory()  # as every pipeline job does
    device = resolve_device(args.device)
    config = validate_config(yaml.safe_load((REPO / "config.yaml").read_text()), check_folders=False)
    peak = matmul_peak(device)
    print(f"device {device}, {args.threads} threads; matmul peak (float32 2048^3): {peak / 1e9:.1f} GFLOP/s")
    for shape in args.shapes.split(","):
        matrix = planted_matrix(shape)
        n_users, n_items = matrix.shape
        mean_nnz = matrix.nnz / n_users
        print(f"\n{shape}: {n_users} users x {n_items} items, {matrix.nnz} interactions")
        print(f"{'model':<10} {'s/epoch':>8} {'users/s':>9} {'GFLOP/epoch':>12} {'GFLOP/s':>8} {'of peak':>8}")
        for name in ("multidae", "multivae", "betavae", "macridvae"):
            settings = model_settings(config, "ml-100k", name)
            beta = config["models"][name]["betas"][0] if name in KL_MODELS else None
            seconds = epoch_seconds(name, settings, beta, matrix, device, args.epochs)
            flops = 3 * forward_flops(name, settings, n_items, n_users, mean_nnz)
            print(f"{name:<10} {seconds:>8.3f} {n_users / seconds:>9.0f} {flops / 1e9:>12.2f} "
                  f"{flops / seconds / 1e9:>8.1f} {flops / seconds / peak:>8.1%}", flush=True)


def epoch_seconds(name: str, settings: dict, beta: float | None, matrix, device: torch.device, epochs: int) -> float:
    """Mean seconds of an epoch (shuffled batches, Adam steps) after one warm-up epoch."""
    torch.manual_seed(0)
    model = build_model(name, matrix.shape[1], settings, beta).to(device).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    rng = np.random.default_rng(0)
    one_epoch(model, optimiser, matrix, rng, settings["batch_size"], device)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(epochs):
        one_epoch(model, optimiser, matrix, rng, settings["batch_size"], device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / epochs


if __name__ == "__main__":
    main()
