"""Accuracy metrics of rankings and representation metrics of user codes (docs/methods.md §7-11 and §14)."""

ACCURACY_METRICS = ("ndcg", "recall", "mrr", "coverage")  # each reported at every K
# Scored from the codes and the factors alone: the study's DCI, LIME and SHAP, then the literature's others.
CODE_METRICS = ("disentanglement", "completeness", "informativeness", "lime", "shap",
                "mig", "sap", "modularity", "explicitness")
REPRESENTATION_METRICS = (*CODE_METRICS, "controllability")  # controllability also needs the decoder
TRAVERSAL_SUMMARIES = ("controllability_users_changed", "controllability_monotone")
CHANCE_FORMS = ("null", "above_chance", "normalised")  # each representation metric against its permutation null


def accuracy_names(ks: list[int]) -> list[str]:
    """'ndcg@10', 'recall@10', ... for every K, smallest K first."""
    return [f"{metric}@{k}" for k in sorted(ks) for metric in ACCURACY_METRICS]


def chance_names(metric: str) -> list[str]:
    """The runs-table names of ``metric``'s null, its distance above it and its normalised form."""
    return [f"{metric}_{form}" for form in CHANCE_FORMS]


def split_chance_name(name: str) -> tuple[str, str | None]:
    """('disentanglement', 'normalised') for 'disentanglement_normalised'; (name, None) for a plain metric."""
    for form in CHANCE_FORMS:
        if name.endswith(f"_{form}") and name[: -len(form) - 1] in REPRESENTATION_METRICS:
            return name[: -len(form) - 1], form
    return name, None
