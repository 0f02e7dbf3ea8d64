"""LIME-global: mean over users of |LIME weight| of each code dimension, per factor.

LIME: Ribeiro, Singh and Guestrin, KDD 2016; the global score: docs/methods.md §10.1.

The recipe: a standard ``lime.lime_tabular.LimeTabularExplainer`` on the
standardised train codes (quartile discretisation, kernel width 0.75 sqrt(d)),
and for every user and factor an explanation of the classifier's probability
of class 1 over all d features with ``num_samples`` perturbations.
``lime_global_literal`` runs exactly that, one ``explain_instance`` per user and
factor. ``lime_global`` computes the same estimator in batches: it draws each
user's perturbations the way LIME does (bins sampled from the training
frequencies, values from LIME's own discretizer), shares them across
factors, predicts all of them at once (boosted trees in compiled code,
``disrec.metrics.boosted_predictions``), and solves every user's weighted ridge
regression (alpha 1, unpenalised intercept, LIME's kernel) in one batched
linear solve. With all d features requested, LIME's feature selection keeps
every feature, so the ridge on all features is what LIME fits.
"""

from __future__ import annotations

import time

import numpy as np
from lime.lime_tabular import LimeTabularExplainer
from sklearn.utils.parallel import Parallel, delayed  # they carry scikit-learn's config into workers

from disrec.metrics.boosted_predictions import class1_probabilities
from disrec.metrics.classifiers import FactorClassifiers


def lime_samples(n_rows: int) -> int:
    """Perturbations per explanation: 10% of the rows, 5000 from 50,000 rows on."""
    return 5000 if n_rows >= 50_000 else max(2, n_rows // 10)


def make_explainer(codes: np.ndarray, seed: int) -> LimeTabularExplainer:
    return LimeTabularExplainer(codes, mode="classification", discretize_continuous=True, discretizer="quartile",
                                random_state=seed)


def lime_global_literal(classifiers: FactorClassifiers, codes: np.ndarray, seed: int,
                        num_samples: int | None = None) -> np.ndarray:
    """A (d, k) by the library, one explanation per user and factor."""
    n, d = codes.shape
    num_samples = num_samples or lime_samples(n)
    explainer = make_explainer(codes, seed)
    attributions = np.zeros((d, len(classifiers.models)))
    for j, model in enumerate(classifiers.models):
        for row in codes:
            explanation = explainer.explain_instance(row, model.predict_proba, labels=(1,), num_features=d,
                                                     num_samples=num_samples)
            for feature, weight in explanation.local_exp[1]:
                attributions[feature, j] += abs(weight)
    return attributions / n


def weighted_ridge(design: np.ndarray, targets: np.ndarray, weights: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Coefficients of ridge regressions with an unpenalised intercept, batched.

    design (b, s, d), targets (b, s, t), weights (b, s) -> coefficients (b, d, t);
    the same estimator as sklearn's Ridge(alpha, fit_intercept=True) with sample_weight.
    """
    total = weights.sum(axis=1)
    x_mean = np.einsum("bs,bsd->bd", weights, design) / total[:, None]
    y_mean = np.einsum("bs,bst->bt", weights, targets) / total[:, None]
    centred_x = design - x_mean[:, None, :]
    centred_y = targets - y_mean[:, None, :]
    gram = np.einsum("bs,bsd,bse->bde", weights, centred_x, centred_x) + alpha * np.eye(design.shape[2])
    moment = np.einsum("bs,bsd,bst->bdt", weights, centred_x, centred_y)
    return np.linalg.solve(gram, moment)


def lime_neighbourhoods(explainer: LimeTabularExplainer, rows: np.ndarray, num_samples: int,
                        rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """LIME's perturbations of each row: (binary (b, s, d), inverse (b, s, d)); sample 0 is the row itself."""
    b, d = rows.shape
    discretizer = explainer.discretizer
    row_bins = discretizer.discretize(rows).astype(int)
    bins = np.empty((b, num_samples, d), dtype=int)
    for column in range(d):
        values = np.asarray(explainer.feature_values[column])
        bins[:, :, column] = rng.choice(values, size=(b, num_samples), replace=True,
                                        p=explainer.feature_frequencies[column])
    binary = (bins == row_bins[:, None, :]).astype(np.float64)
    binary[:, 0, :] = 1.0
    inverse = discretizer.undiscretize(bins.reshape(-1, d).astype(np.float64)).reshape(b, num_samples, d)
    inverse[:, 0, :] = rows
    return binary, inverse


class LimeGlobal:
    """The batched estimator on one set of codes and seed, for one or more sets of classifiers on those codes.

    LIME's neighbourhoods and their kernel weights depend on the codes and the
    seed only, so one pass over them explains every set of classifiers given
    (a run's own and its permutation null's refit ones): each set gets what a
    fresh estimator gives it, and the neighbourhoods (half or more of one
    set's LIME at 100,000 users) are drawn once, batch by batch, and never
    held whole. Each batch's perturbations are converted once to the
    rows each classifier reads (float32 for compiled trees), not once per
    factor. With ``n_jobs`` > 1 the classifiers predict each batch's
    perturbations in that many processes, with the same numbers.
    """

    def __init__(self, codes: np.ndarray, seed: int, num_samples: int | None = None,
                 max_batch_values: int = 5_000_000, n_jobs: int = 1):
        self.codes, self.seed, self.n_jobs = codes, seed, n_jobs
        self.num_samples = num_samples or lime_samples(len(codes))
        self.batch = max(1, max_batch_values // (self.num_samples * codes.shape[1]))
        self.seconds: list[float] = []  # per set of the last call; the first set's includes the neighbourhoods

    def _neighbourhoods(self):
        """Per batch of users: binary (b, s, d), inverse (b * s, d) and kernel weights (b, s)."""
        explainer = make_explainer(self.codes, self.seed)
        rng = explainer.random_state  # one stream for bins and values, shared with the discretizer as in LIME
        kernel = explainer.base.kernel_fn
        for start in range(0, len(self.codes), self.batch):
            binary, inverse = lime_neighbourhoods(explainer, self.codes[start:start + self.batch], self.num_samples,
                                                  rng)
            # Distances to the instance in LIME's scaled space: binary features have mean 0, scale 1.
            yield binary, inverse.reshape(-1, self.codes.shape[1]), kernel(np.sqrt(((binary - 1.0) ** 2).sum(axis=2)))

    def __call__(self, classifier_sets: list[FactorClassifiers]) -> list[np.ndarray]:
        """A (d, k) per set."""
        n, d = self.codes.shape
        predictors = [[class1_probabilities(model) for model in classifiers.models] for classifiers in classifier_sets]
        totals = [np.zeros((d, len(classifiers.models))) for classifiers in classifier_sets]
        seconds = [0.0] * len(classifier_sets)
        wanted = {predict.dtype for probabilities in predictors for predict in probabilities}
        with Parallel(n_jobs=self.n_jobs) as parallel:  # one set of workers for every batch
            started = time.perf_counter()
            for binary, flat, weights in self._neighbourhoods():
                rows = {dtype: flat.astype(dtype, copy=False) for dtype in wanted}
                for s, probabilities in enumerate(predictors):
                    targets = np.stack(parallel(delayed(predict)(rows[predict.dtype]) for predict in probabilities),
                                       axis=1)
                    coefficients = weighted_ridge(binary, targets.reshape(len(binary), self.num_samples, -1), weights)
                    totals[s] += np.abs(coefficients).sum(axis=0)
                    now = time.perf_counter()
                    seconds[s] += now - started  # set 0's share includes drawing the batch's neighbourhoods
                    started = now
        self.seconds = seconds
        return [total / n for total in totals]


def lime_global(classifiers: FactorClassifiers, codes: np.ndarray, seed: int, num_samples: int | None = None,
                max_batch_values: int = 5_000_000, n_jobs: int = 1) -> np.ndarray:
    """A (d, k): the batched estimator (see the module docstring) for one set of classifiers."""
    return LimeGlobal(codes, seed, num_samples, max_batch_values, n_jobs=n_jobs)([classifiers])[0]


def explain_sets(classifier_sets: list[FactorClassifiers], codes: np.ndarray, seed: int, recipe: str = "batched",
                 num_samples: int | None = None, n_jobs: int = 1) -> tuple[list[np.ndarray], list[float]]:
    """LIME-global's (d, k) of each classifier set on the same codes, by the ``recipe`` "batched" (one
    LimeGlobal pass for every set) or "literal", and the seconds each set took (the batched estimator's
    shared neighbourhoods counted with the first set)."""
    if recipe == "batched":
        estimator = LimeGlobal(codes, seed, num_samples, n_jobs=n_jobs)
        return estimator(classifier_sets), estimator.seconds
    matrices, seconds = [], []
    for classifiers in classifier_sets:
        started = time.perf_counter()
        matrices.append(lime_global_literal(classifiers, codes, seed, num_samples))
        seconds.append(time.perf_counter() - started)
    return matrices, seconds
