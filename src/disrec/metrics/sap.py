"""Separated attribute predictability, SAP (Kumar, Sattigeri and Balakrishnan, "Variational Inference of
Disentangled Latent Concepts from Unlabeled Observations", ICLR 2018).

A (d, k) score matrix S holds, for code dimension i and factor j, how well
factor j is predicted from dimension i alone; SAP is the mean over factors
of the gap between the two highest scores in the factor's column. For a
categorical factor Kumar et al. fit thresholds on the single dimension and
score their balanced classification accuracy. Here each factor is binary, so
the classifier is one threshold on z_i, either direction, chosen on the
``train`` codes to maximise balanced accuracy (exhaustively over the
midpoints between distinct values), and scored on the ``valid_in`` codes,
the held-out set that informativeness uses too.

Our choice: the balanced accuracy b (0.5 at chance) enters S as 2b - 1,
clipped at 0 (Youden's J), so that S_ij is 0 for a dimension that tells
nothing and 1 for a perfect one, as the R^2 scores Kumar et al. use for
continuous factors. SAP is then 1 when one dimension predicts each factor
perfectly and no other predicts it at all, and 0 when the best two predict it
equally well.
"""

from __future__ import annotations

import numpy as np


def best_thresholds(codes: np.ndarray, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d, k) thresholds t and (d, k) bool ``above``: predict factor j as 1 when (z_i > t) == above.

    Chosen per (i, j) to maximise balanced accuracy on (codes, factors); a
    factor with one class only gets a constant prediction (t = +inf).
    """
    n, d = codes.shape
    y = np.asarray(factors, dtype=np.float64)
    positives, negatives = y.sum(axis=0), n - y.sum(axis=0)
    thresholds = np.full((d, y.shape[1]), np.inf)
    above = np.ones((d, y.shape[1]), dtype=bool)
    for i in range(d):
        order = np.argsort(codes[:, i], kind="stable")
        z = codes[order, i]
        cum_pos = np.cumsum(y[order], axis=0)  # positives among the c smallest, c = 1..n
        cum_neg = np.arange(1, n + 1)[:, None] - cum_pos
        with np.errstate(divide="ignore", invalid="ignore"):
            # Predict 1 above the cut after the c smallest: TPR = positives above / P, TNR = negatives below / N.
            balanced = 0.5 * ((positives - cum_pos) / positives + cum_neg / negatives)
        cuts = np.flatnonzero(z[:-1] < z[1:])  # cut after sorted position c, only between distinct values
        if not len(cuts):
            continue
        candidates = balanced[cuts]
        strength = np.maximum(candidates, 1.0 - candidates)  # the reverse direction scores 1 - b
        best = np.nan_to_num(strength, nan=-1.0).argmax(axis=0)
        chosen = cuts[best]
        defined = (positives > 0) & (negatives > 0)
        thresholds[i] = np.where(defined, 0.5 * (z[chosen] + z[chosen + 1]), np.inf)
        above[i] = np.where(defined, candidates[best, np.arange(y.shape[1])] >= 0.5, True)
    return thresholds, above


def threshold_scores(codes: np.ndarray, factors: np.ndarray, thresholds: np.ndarray,
                     above: np.ndarray) -> np.ndarray:
    """(d, k) Youden's J = max(0, 2 * balanced accuracy - 1) of the threshold classifiers on (codes, factors).

    NaN for a factor with one class only in ``factors``.
    """
    y = np.asarray(factors, dtype=bool)
    positives, negatives = y.sum(axis=0), (~y).sum(axis=0)
    scores = np.empty(thresholds.shape)
    for i in range(codes.shape[1]):
        predicted = (codes[:, i, None] > thresholds[i]) == above[i]  # (n, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            tpr = (predicted & y).sum(axis=0) / positives
            tnr = (~predicted & ~y).sum(axis=0) / negatives
        scores[i] = np.clip(tpr + tnr - 1.0, 0.0, None)
    return scores


def sap_from_scores(scores: np.ndarray) -> float:
    """Mean over factors (columns with a defined score) of the gap between the two best dimensions."""
    if scores.shape[0] < 2:
        return float("nan")
    defined = np.isfinite(scores).all(axis=0)
    if not defined.any():
        return float("nan")
    top_two = -np.sort(-scores[:, defined], axis=0)[:2]
    return float((top_two[0] - top_two[1]).mean())


def sap(codes_train: np.ndarray, factors_train: np.ndarray, codes_valid: np.ndarray,
        factors_valid: np.ndarray) -> float:
    """SAP of codes (n users, d dims) for binary factors (n users, k): thresholds fit on train, scored on valid."""
    thresholds, above = best_thresholds(np.asarray(codes_train, dtype=np.float64), factors_train)
    return sap_from_scores(threshold_scores(np.asarray(codes_valid, dtype=np.float64), factors_valid,
                                            thresholds, above))
