"""Accuracy metrics of rankings and representation metrics of user codes (SPEC sections 5-6)."""

ACCURACY_METRICS = ("ndcg", "recall", "mrr", "coverage")  # each reported at every K
REPRESENTATION_METRICS = ("disentanglement", "completeness", "informativeness", "lime", "shap")
