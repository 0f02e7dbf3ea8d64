"""SHAP-global (SPEC section 6): mean over users of |SHAP value| of each code dimension, per factor.

Exact tree SHAP (``shap.TreeExplainer``, interventional, background = the
train codes) for tree ensembles; linear SHAP (``shap.LinearExplainer``, same
background) for logistic regression. Both explain the classifier's margin
(log-odds for boosted trees and logistic regression, probability for random
forests), as shap does by default.
"""

from __future__ import annotations

import numpy as np
import shap

from disrec.metrics.classifiers import FactorClassifiers


def shap_values(model, codes: np.ndarray) -> np.ndarray:
    """(n, d) SHAP values of ``model`` on ``codes`` with ``codes`` as background (class 1 where per class)."""
    if hasattr(model, "coef_"):
        values = shap.LinearExplainer(model, codes).shap_values(codes)
    else:
        values = shap.TreeExplainer(model, data=codes, feature_perturbation="interventional").shap_values(codes)
    values = np.asarray(values)
    return values[..., 1] if values.ndim == 3 else values


def shap_global(classifiers: FactorClassifiers, codes: np.ndarray) -> np.ndarray:
    """A (d, k)."""
    return np.stack([np.abs(shap_values(m, codes)).mean(axis=0) for m in classifiers.models], axis=1)
