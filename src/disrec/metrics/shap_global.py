"""SHAP-global: mean over users of |SHAP value| of each code dimension, per factor.

SHAP: Lundberg and Lee, NeurIPS 2017; tree SHAP: Lundberg et al., Nature Machine Intelligence 2020; the global
score: docs/methods.md §10.2.

Interventional SHAP with the whole set of train codes as background: exact tree
SHAP for trees, linear SHAP for logistic regression. Both explain the
classifier's margin (log-odds for boosted trees and logistic regression,
probability for random forests), as shap does by default.

shap's explainers quietly reduce a background of more than 100 rows to a
random sample of 100; the definition asks for every train code, so the background is
passed as a masker that keeps every row. Boosted trees, the default
classifier, use ``disrec.metrics.tree_shap``: the same values (to shap's
float32 precision, tested) in time linear in the number of users.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.utils.parallel import Parallel, delayed  # they carry scikit-learn's config into workers

from disrec.metrics.classifiers import FactorClassifiers
from disrec.metrics.tree_shap import gbt_shap_values


# shap is imported where it is used: it loads numba and matplotlib (about a second per evaluate job), and the
# default classifier, boosted trees, never needs it.
def full_background(codes: np.ndarray):
    """A shap masker that keeps every row of ``codes`` as background."""
    import shap

    return shap.maskers.Independent(codes, max_samples=len(codes))


def shap_values(model, codes: np.ndarray) -> np.ndarray:
    """(n, d) SHAP values of ``model`` on ``codes`` with all of ``codes`` as background (class 1 where per class)."""
    if isinstance(model, GradientBoostingClassifier):
        return gbt_shap_values(model, codes, codes)
    import shap

    if hasattr(model, "coef_"):
        values = shap.LinearExplainer(model, full_background(codes)).shap_values(codes)
    else:
        values = shap.TreeExplainer(model, full_background(codes),
                                    feature_perturbation="interventional").shap_values(codes)
    values = np.asarray(values)
    return values[..., 1] if values.ndim == 3 else values


def mean_absolute_shap(model, codes: np.ndarray) -> np.ndarray:
    return np.abs(shap_values(model, codes)).mean(axis=0)


def shap_global(classifiers: FactorClassifiers, codes: np.ndarray, n_jobs: int = 1) -> np.ndarray:
    """A (d, k), the factors explained in ``n_jobs`` processes."""
    return np.stack(Parallel(n_jobs=n_jobs)(delayed(mean_absolute_shap)(m, codes) for m in classifiers.models),
                    axis=1)
