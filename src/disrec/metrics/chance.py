"""Chance levels of representation metrics: the same codes scored against factors permuted across users.

A permutation pi of the users is applied to the rows of the train factors and,
the same pi, to the rows of the valid_in factors (both sets hold every user in
the same order), so each factor keeps its prevalence and its link to the other
factors, and the codes carry no information about it. The metric on permuted
factors, averaged over ``n_permutations`` seeded permutations, is the run's
null: what the metric gives for this code size and these factors when the
code knows nothing. D, LIME- and SHAP-global in particular stay well above 0
and grow with the number of code dimensions.

To bound the cost the factor classifiers are not searched again on permuted
factors: each is refit with the hyperparameters the real search chose for its
factor (``refit_classifiers``). A search on the permuted factors could pick
other settings, so the null is the chance level of the run's classifiers, not
of the best classifier for noise.

Reported per metric m with null m0 and maximum M (1 for every metric here):
  above chance  m - m0,
  normalised    (m - m0) / (M - m0): 0 at chance, 1 at the maximum, negative
                below chance; undefined (NaN) when m0 >= M.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.utils.parallel import Parallel, delayed  # they carry scikit-learn's config into workers

from disrec.metrics.classifiers import FactorClassifiers
from disrec.metrics.presorted_trees import presorted_boosting


def user_permutations(n_users: int, n_permutations: int, seed: int) -> list[np.ndarray]:
    """``n_permutations`` permutations of range(n_users), a function of ``seed`` alone."""
    return [np.random.default_rng([seed, 7919, p]).permutation(n_users) for p in range(n_permutations)]


def refit_classifiers(classifiers: FactorClassifiers, codes: np.ndarray, factors: np.ndarray,
                      n_jobs: int = 1) -> FactorClassifiers:
    """The same classifiers (hyperparameters, random state) fit afresh on ``codes`` and ``factors`` (n, k),
    in ``n_jobs`` processes."""
    models = Parallel(n_jobs=n_jobs)(delayed(_refit)(model, codes, factors[:, j])
                                     for j, model in enumerate(classifiers.models))
    return replace(classifiers, models=models, notes=list(classifiers.notes))


@presorted_boosting()
def _refit(model: ClassifierMixin, codes: np.ndarray, labels: np.ndarray) -> ClassifierMixin:
    return clone(model).fit(codes, labels)


def permuted_factors(factors_train: np.ndarray, factors_valid: np.ndarray, n_permutations: int,
                     seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, valid_in) factor rows under each of ``n_permutations`` seeded user permutations."""
    if n_permutations and factors_train.shape[0] != factors_valid.shape[0]:
        raise ValueError(f"train factors have {factors_train.shape[0]} users and valid_in factors "
                         f"{factors_valid.shape[0]}; the permutation null needs the same users in both")
    return [(factors_train[order], factors_valid[order])
            for order in user_permutations(len(factors_train), n_permutations, seed)]


def null_summary(scores: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """{metric: {'mean': null mean, 'sd': sd over permutations, 'n': permutations with a finite value}} of the
    run's (fixed) codes scored against each permutation's factors ({metric: value} per permutation)."""
    values: dict[str, list[float]] = {}
    for permutation in scores:
        for name, value in permutation.items():
            values.setdefault(name, []).append(value)
    out = {}
    for name, series in values.items():
        finite = np.asarray([v for v in series if np.isfinite(v)], dtype=np.float64)
        out[name] = {"mean": float(finite.mean()) if len(finite) else float("nan"),
                     "sd": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
                     "n": int(len(finite))}
    return out


def above_chance(value: float, null: float) -> float:
    return float(value - null)


def normalised_above_chance(value: float, null: float, maximum: float = 1.0) -> float:
    """(value - null) / (maximum - null); NaN when the null reaches the maximum."""
    if not np.isfinite(null) or null >= maximum:
        return float("nan")
    return float((value - null) / (maximum - null))
