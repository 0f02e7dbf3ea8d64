"""Reading a large gzip JSON-lines file (Yelp/Amazon/GoodReads style): Python's json line by line against
the streaming pyarrow reader the loaders use, in the same process, on the same generated file.

    .venv/bin/python benchmarks/json_lines_speed.py [--lines 1000000]

Each line is a review with a few hundred bytes of text, as in the official files; both readers keep only
user_id, business_id and stars. Prints seconds, lines per second, the speed ratio, and whether the two
tables are identical.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from disrec.datasets.json_lines import read_json_lines

FIELDS = {"user_id": pa.string(), "business_id": pa.string(), "stars": pa.float64()}


def write_reviews(path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    users, items, stars = rng.integers(0, n // 20, n), rng.integers(0, n // 50, n), rng.integers(1, 6, n)
    text = "A long review with details about the food, the service and the place. " * 5
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for u, i, s in zip(users, items, stars):
            review = {"review_id": f"r{u}-{i}", "user_id": f"user-{u:09d}", "business_id": f"b-{i:07d}",
                      "stars": float(s), "useful": 0, "funny": 0, "cool": 0, "text": text, "date": "2018-07-07"}
            handle.write(json.dumps(review) + "\n")


def python_json(path: Path) -> pd.DataFrame:
    columns = {name: [] for name in FIELDS}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            for name in FIELDS:
                columns[name].append(record[name])
    return pd.DataFrame(columns).astype({"user_id": "str", "business_id": "str", "stars": "float64"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reviews.json.gz"
        write_reviews(path, args.lines)
        size = path.stat().st_size
        timings, tables = {}, {}
        for name, read in (("python json, line by line", python_json),
                           ("pyarrow streaming (ours)",
                            lambda p: read_json_lines(p, FIELDS, tuple(FIELDS)).to_pandas())):
            started = time.perf_counter()
            tables[name] = read(path)
            timings[name] = time.perf_counter() - started
    baseline, ours = timings.values()
    print(f"{args.lines:,} lines, {size / 2**20:.0f} MiB gzip")
    print("| reader | seconds | lines/s |")
    print("|---|---|---|")
    for name, seconds in timings.items():
        print(f"| {name} | {seconds:.2f} | {args.lines / seconds:,.0f} |")
    first, second = tables.values()
    identical = first.reset_index(drop=True).equals(second.astype(first.dtypes.to_dict()).reset_index(drop=True))
    print(f"speed ratio: {baseline / ours:.1f}x; identical tables: {identical}")


if __name__ == "__main__":
    main()
