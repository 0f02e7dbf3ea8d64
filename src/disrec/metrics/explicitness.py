"""DCI-ES explicitness (Eastwood, Nicolicioiu, von Kuegelgen, Kekic, Traeuble, Dittadi and Schoelkopf,
"DCI-ES: An Extended Disentanglement Framework with Connections to Identifiability", ICLR 2023).

Explicitness asks how simple a probe must be to predict a factor from the
code: the loss of the best probe of capacity c, plotted against c from the
smallest to the largest capacity of a probe family, is the loss-capacity
curve; with l_b the loss of the baseline (a constant prediction) and l* the
lowest possible loss,
    E_j = 1 - AULCC_j / Z,   AULCC_j = area between the curve and l*,   Z = (l_b - l*) * (capacity range),
and the score is the mean of E_j over factors: 1 when the smallest probe
already predicts the factor perfectly, 0 when no probe beats the baseline.

Our probe family and loss (the paper leaves both to the user):
- probe of capacity c: gradient-boosted trees (scikit-learn) with c stages of
  depth ``max_depth`` at ``learning_rate``, c = 0 .. ``stages``; all
  capacities come from one fit through ``staged_predict_proba``, and c = 0 is
  the constant prior, the baseline. Capacity is normalised to [0, 1] (c /
  stages) and the area is the trapezoid rule over the stages.
- fit on the ``train`` codes and factors, loss on ``valid_in``, the held-out
  set of informativeness;
- loss = balanced error (1 - balanced accuracy), so l_b = 0.5 for every
  constant prediction and l* = 0; a probe predicts 1 when its probability
  exceeds the factor's prevalence in train (the decision that minimises
  balanced error for calibrated probabilities), so rare factors are not
  predicted as always absent. Losses above l_b (a probe worse than chance)
  are clipped to l_b.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.utils.parallel import Parallel, delayed

from disrec.metrics.presorted_trees import presorted_boosting


def probe(stages: int, learning_rate: float, max_depth: int, seed: int) -> GradientBoostingClassifier:
    """The unfitted probe of the largest capacity; its first c stages are the probe of capacity c."""
    return GradientBoostingClassifier(n_estimators=stages, learning_rate=learning_rate, max_depth=max_depth,
                                      random_state=seed)


def holds_probe(model: ClassifierMixin | None, unfitted: GradientBoostingClassifier) -> bool:
    """Whether a fitted ``model`` has ``unfitted``'s stages as its first ones, given the same training data: boosted
    trees with every parameter equal but at least as many stages (stage m depends only on the stages before it
    and the m-th draw of the same random state)."""
    if not isinstance(model, GradientBoostingClassifier) or getattr(model, "n_estimators_", 0) < unfitted.n_estimators:
        return False
    ours, theirs = model.get_params(), unfitted.get_params()
    return all(ours[name] == value for name, value in theirs.items() if name != "n_estimators")


def loss_capacity_curve(codes_train: np.ndarray, labels_train: np.ndarray, codes_valid: np.ndarray,
                        labels_valid: np.ndarray, *, stages: int, learning_rate: float, max_depth: int,
                        seed: int, fitted: ClassifierMixin | None = None) -> np.ndarray:
    """(stages + 1,) balanced error on valid of the probe with 0 .. ``stages`` boosting stages.

    ``fitted``: a classifier already fit on these train codes and labels; when its first stages are the probe
    (``holds_probe``) they are read from it instead of fitting the probe again (same curve).
    """
    labels_valid = np.asarray(labels_valid, dtype=bool)
    prevalence = float(np.mean(labels_train))
    model = probe(stages, learning_rate, max_depth, seed)
    if holds_probe(fitted, model):
        model = fitted
    else:
        with presorted_boosting():
            model.fit(codes_train, labels_train)
    curve = [0.5]  # capacity 0: the constant prior predicts one class for everyone
    for probabilities in islice(model.staged_predict_proba(codes_valid), stages):
        predicted = probabilities[:, 1] > prevalence
        tpr = predicted[labels_valid].mean()
        tnr = (~predicted[~labels_valid]).mean()
        curve.append(1.0 - 0.5 * (tpr + tnr))
    return np.asarray(curve)


def explicitness_from_curve(curve: np.ndarray, baseline: float = 0.5, lowest: float = 0.0) -> float:
    """1 - (area between the clipped curve and ``lowest`` over capacity [0, 1]) / (baseline - lowest)."""
    losses = np.clip(curve, lowest, baseline) - lowest
    area = np.trapezoid(losses, dx=1.0 / (len(curve) - 1))
    return float(1.0 - area / (baseline - lowest))


def factor_explicitness(codes_train: np.ndarray, labels_train: np.ndarray, codes_valid: np.ndarray,
                        labels_valid: np.ndarray, fitted: ClassifierMixin | None, **probe_settings) -> float:
    """E_j of one factor; NaN when it has one class only in train or valid."""
    if len(np.unique(labels_train)) < 2 or len(np.unique(labels_valid)) < 2:
        return float("nan")
    return explicitness_from_curve(loss_capacity_curve(codes_train, labels_train, codes_valid, labels_valid,
                                                       fitted=fitted, **probe_settings))


def explicitness(codes_train: np.ndarray, factors_train: np.ndarray, codes_valid: np.ndarray,
                 factors_valid: np.ndarray, *, stages: int = 50, learning_rate: float = 0.1, max_depth: int = 2,
                 seed: int = 0, fitted: list[ClassifierMixin] | None = None,
                 n_jobs: int = 1) -> tuple[float, list[float]]:
    """(mean E_j, [E_j per factor]) of codes (n users, d) for binary factors (n users, k).

    A factor with one class only in train or valid gets NaN and is left out of the mean. ``fitted``: one
    classifier per factor fit on these train codes and that factor (the factor classifiers), whose first
    stages replace the probe's fit where they are the probe. ``n_jobs`` processes probe the factors.
    """
    settings = {"stages": stages, "learning_rate": learning_rate, "max_depth": max_depth, "seed": seed}
    per_factor = Parallel(n_jobs=n_jobs)(
        delayed(factor_explicitness)(codes_train, factors_train[:, j], codes_valid, factors_valid[:, j],
                                     fitted[j] if fitted else None, **settings)
        for j in range(factors_train.shape[1]))
    values = np.asarray(per_factor)
    score = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return score, per_factor
