"""Training speed of the neural models on ML-100K, against this machine's matmul peak.

Prints, per model: seconds per epoch, users per second, the model's estimated
matrix-multiply FLOP per epoch (forward + backward ~ 3x the forward products)
and the achieved fraction of the peak measured here with a plain torch matmul
in the same run.

    .venv/bin/python benchmarks/train_speed.py [--epochs 5] [--threads N] [--device auto]

Reads results/data/ml-100k/ (run `snakemake --cores 2 results/data/ml-100k/summary.json` first).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from disrec.config import model_settings, validate_config
from disrec.device import dense_rows, resolve_device
from disrec.grid import KL_MODELS
from disrec.matrices import interaction_matrix
from disrec.models import build_model
from disrec.storage import read_parquet

REPO = Path(__file__).resolve().parents[1]


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
    """Multiply-add FLOP of one forward pass over ``users`` rows (dense layers; MacridVAE's sparse first layer)."""
    hidden, code = list(settings.get("hidden", [])), settings["code_dim"]
    if name == "macridvae":
        k, d = code, settings["d_fac"]
        first = 2 * mean_nnz * k * hidden[0] if hidden else 2 * mean_nnz * k * 2 * d
        sizes = [*hidden, 2 * d]
        rest = sum(2 * k * a * b for a, b in zip(sizes[:-1], sizes[1:]))
        decoder = 2 * k * d * n_items
        return users * (first + rest + decoder)
    out = 2 * code if name in KL_MODELS else code
    encoder = [n_items, *hidden, out]
    decoder = [code, *hidden[::-1], n_items]
    return users * sum(2 * a * b for sizes in (encoder, decoder) for a, b in zip(sizes[:-1], sizes[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data", default=str(REPO / "results" / "data" / "ml-100k"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    config = validate_config(yaml.safe_load((REPO / "config.yaml").read_text()), check_folders=False)
    data = Path(args.data)
    n_users, n_items = len(read_parquet(data / "user_ids.parquet")), len(read_parquet(data / "item_ids.parquet"))
    matrix = interaction_matrix(read_parquet(data / "seed41" / "train.parquet"), n_users, n_items)
    mean_nnz = matrix.nnz / n_users
    peak = matmul_peak(device)
    print(f"device {device}, {args.threads} threads; ML-100K train: {n_users} users x {n_items} items, "
          f"{matrix.nnz} interactions")
    print(f"matmul peak (float32 2048^3): {peak / 1e9:.1f} GFLOP/s\n")
    print(f"{'model':<10} {'s/epoch':>8} {'users/s':>9} {'GFLOP/epoch':>12} {'GFLOP/s':>8} {'of peak':>8}")
    for name in ("multidae", "multivae", "betavae", "macridvae"):
        settings = model_settings(config, "ml-100k", name)
        beta = config["models"][name]["betas"][0] if name in KL_MODELS else None
        torch.manual_seed(0)
        model = build_model(name, n_items, settings, beta).to(device).train()
        optimiser = torch.optim.Adam(model.parameters(), lr=settings["lr"])
        rng = np.random.default_rng(0)

        def epoch() -> None:
            order = rng.permutation(n_users)
            for start in range(0, n_users, settings["batch_size"]):
                x = dense_rows(matrix, order[start:start + settings["batch_size"]], device)
                loss, _ = model.loss(x, model.kl_weight(0, 1))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()

        epoch()  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(args.epochs):
            epoch()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = (time.perf_counter() - start) / args.epochs
        flops = 3 * forward_flops(name, settings, n_items, n_users, mean_nnz)
        print(f"{name:<10} {seconds:>8.3f} {n_users / seconds:>9.0f} {flops / 1e9:>12.2f} "
              f"{flops / seconds / 1e9:>8.1f} {flops / seconds / peak:>8.1%}")


if __name__ == "__main__":
    main()
