"""Boosting fits and predictions: scikit-learn's against this project's compiled ones, in the same process.

    .venv/bin/python benchmarks/tree_speed.py [--rows 470,3020,6040,25000] [--codes 10] [--stages 100]
                                              [--predicted-rows 100000]

One GradientBoostingClassifier fit per row count (the search's settings: depth 3, learning rate 0.1) on
continuous codes of standard normal values, as many rows as a fold of ML-100K's (470), ML1M's (3,020) or a
refit on ML1M's train users (6,040). Prints milliseconds per stage (tree and leaf update) for scikit-learn's
fit and the presorted one (``presorted_boosting``: presorted trees, compiled leaf updates), the ratio, and
whether the two fits are the same (every tree, feature importances, train scores and decision function
equal). Then, for each fit, the probabilities of class 1 of ``--predicted-rows`` new rows (LIME's
perturbations are such rows) by ``predict_proba`` and by ``disrec.metrics.boosted_predictions``:
nanoseconds per row and tree, the ratio, and whether the probabilities are equal.
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from disrec.metrics import boosted_predictions as bp
from disrec.metrics.presorted_trees import presorted_boosting


def fit(codes: np.ndarray, labels: np.ndarray, stages: int) -> tuple[GradientBoostingClassifier, float]:
    gc.collect()  # a full collection falling inside a timed fit would count a tenth of a second against it
    start = time.perf_counter()
    model = GradientBoostingClassifier(n_estimators=stages, max_depth=3, random_state=0).fit(codes, labels)
    return model, time.perf_counter() - start


def timed(predict, rows: np.ndarray) -> tuple[np.ndarray, float]:
    gc.collect()
    start = time.perf_counter()
    probabilities = predict(rows)
    return probabilities, time.perf_counter() - start


def same(model: GradientBoostingClassifier, other: GradientBoostingClassifier, codes: np.ndarray) -> bool:
    trees = all(np.array_equal(getattr(a.tree_, name), getattr(b.tree_, name))
                for a, b in zip(model.estimators_[:, 0], other.estimators_[:, 0])
                for name in ("feature", "threshold", "impurity", "n_node_samples", "value"))
    return (trees and np.array_equal(model.feature_importances_, other.feature_importances_)
            and np.array_equal(model.train_score_, other.train_score_)
            and np.array_equal(model.decision_function(codes), other.decision_function(codes)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="470,3020,6040,25000")
    parser.add_argument("--codes", type=int, default=10)
    parser.add_argument("--stages", type=int, default=100)
    parser.add_argument("--predicted-rows", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with presorted_boosting():  # compiled (or loaded from numba's cache) before anything is timed
        warm_up, _ = fit(rng.normal(size=(50, 2)), np.arange(50) % 2, 2)
    bp.class1_probabilities(warm_up)(rng.normal(size=(5, 2)))
    print(f"{'rows':>7} {'scikit-learn ms/stage':>22} {'presorted ms/stage':>19} {'ratio':>7}  same fit")
    fits = []
    for rows in map(int, args.rows.split(",")):
        codes = rng.normal(size=(rows, args.codes))
        labels = (codes[:, 0] + codes[:, 1] * codes[:, 2] + rng.normal(size=rows) > 0).astype(int)
        theirs, theirs_s = fit(codes, labels, args.stages)
        with presorted_boosting():
            ours, ours_s = fit(codes, labels, args.stages)
        fits.append((rows, theirs))
        print(f"{rows:>7} {1e3 * theirs_s / args.stages:>22.2f} {1e3 * ours_s / args.stages:>19.2f} "
              f"{theirs_s / ours_s:>6.1f}x  {same(ours, theirs, codes)}")
    print(f"\n{'fit rows':>8} {'predict_proba ns/row/tree':>26} {'compiled ns/row/tree':>21} {'ratio':>7}  same")
    predicted = rng.normal(size=(args.predicted_rows, args.codes)) * 1.5
    per_row_and_tree = 1e9 / (args.predicted_rows * args.stages)
    for rows, model in fits:
        theirs, theirs_s = timed(bp.LibraryProbabilities(model), predicted)
        ours, ours_s = timed(bp.class1_probabilities(model), predicted)
        print(f"{rows:>8} {theirs_s * per_row_and_tree:>26.2f} {ours_s * per_row_and_tree:>21.2f} "
              f"{theirs_s / ours_s:>6.1f}x  {np.array_equal(ours, theirs)}")


if __name__ == "__main__":
    main()
