"""Accuracy metrics of rankings and representation metrics of user codes (docs/methods.md §7-11)."""

ACCURACY_METRICS = ("ndcg", "recall", "mrr", "coverage")  # each reported at every K
REPRESENTATION_METRICS = ("disentanglement", "completeness", "informativeness", "lime", "shap")
