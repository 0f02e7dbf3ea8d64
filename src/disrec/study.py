"""Every setting the study's public code fixes, with the file it comes from, in one place.

The study: Dervishaj, Ruotsalo, Maistro, Lioma, ECIR 2025; code at
github.com/edervishaj/disentanglement-interpretability-recsys. ``config/paper.yaml``
must resolve to these values (tested); README's fidelity table lists them
beside the default study's. Keys are dotted config paths; ``datasets.*`` means
every dataset of the study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StudySetting:
    key: str
    value: Any
    source: str


GRADIENT_MODELS = ("multidae", "multivae", "betavae", "macridvae")

STUDY_SETTINGS: tuple[StudySetting, ...] = (
    StudySetting("study.seeds", [41, 53, 61, 67, 71], "run.sh: SEEDS"),
    StudySetting("split.test_fraction", 0.2, "main.py: prep-dataset --test-fraction default"),
    StudySetting("split.validation_fraction", 0.2, "run.sh: prep-dataset --validation-fraction 0.2"),
    StudySetting("datasets.*.rating_threshold", 0.5, "run.sh: prep-dataset --min-rating-binarize 0.5"),
    StudySetting("datasets.*.min_user_interactions", 1, "main.py: prep-dataset --min-user-ratings default"),
    StudySetting("datasets.*.min_item_interactions", 1, "main.py: prep-dataset --min-item-ratings default"),
    StudySetting("factors.min_positive_rate", 0.01, "ds_utils.py: ones_ratios >= 0.01"),
    StudySetting("factors.max_positive_rate", 0.99, "ds_utils.py: ones_ratios < 0.99"),
    StudySetting("training.eval_every", 5, "main.py: obj_fun, early_stop_freq=5"),
    StudySetting("training.patience", 3,
                 "main.py: early_stop_allow_worse=2; models/helpers.py: EarlyStopper stops at the third "
                 "evaluation without a new best"),
    StudySetting("training.final_epochs", "study",
                 "models/*.py: epochs = epoch - early_stop_allow_worse * early_stop_freq"),
    StudySetting("training.validation_k", 100, "main.py: param-search --K default 100"),
    *(StudySetting(f"models.{model}.max_epochs", 500, "utils.py: MAX_EPOCHS; configurations.py: epochs")
      for model in GRADIENT_MODELS),
    StudySetting("models.multidae.keep_prob", 0.5, "models/MultiDAE.py: keep_prob_ph 0.5"),
    StudySetting("models.multivae.keep_prob", 0.5, "models/MultiVAE.py: train_multivae keep=0.5"),
    StudySetting("models.betavae.keep_prob", 0.5, "models/BetaVAE.py: train_betavae keep=0.5"),
    StudySetting("models.multivae.kl_anneal", {"length": 200000, "unit": "steps"},
                 "models/MultiVAE.py: total_anneal_steps"),
    StudySetting("models.macridvae.kl_anneal", {"length": 5, "unit": "epochs"},
                 "models/MacridVAE.py: total_anneal_steps = 5 * num_batches"),
    StudySetting("models.macridvae.d_fac", 100, "models/MacridVAE.py: train_macridvae dfac=100"),
    StudySetting("models.macridvae.hidden", [100], "models/MacridVAE.py: q_dims = [num_items, dfac, dfac]"),
    StudySetting("models.macridvae.tau", 0.1, "models/MacridVAE.py: tau=0.1; configurations.py: not searched"),
    StudySetting("models.macridvae.code", "mean", "models/MacridVAE.py: eval_macridvae, np.mean(codes, -1)"),
    StudySetting("models.multivae.betas", "tuned", "configurations.py: beta searched"),
    StudySetting("models.betavae.betas", "tuned", "configurations.py: beta searched"),
    StudySetting("models.macridvae.betas", "tuned", "configurations.py: beta searched"),
    StudySetting("tuning.trials", 50, "run.sh: EVALS=50; main.py: --evals 50"),
    StudySetting("tuning.spaces.common", {"batch_size": {"choice": [128, 256, 512, 1024]},
                                          "lr": {"log_uniform": [-10, -2]}, "code_dim": {"int": [2, 20]}},
                 "configurations.py: COMMON_PARAM_SPACE"),
    StudySetting("tuning.spaces.multidae", {"l2_reg": {"log_uniform": [-10, 0]}, "hidden_layers": {"int": [0, 4]}},
                 "configurations.py: RECS['multidae']"),
    StudySetting("tuning.spaces.multivae", {"l2_reg": {"log_uniform": [-10, 0]}, "hidden_layers": {"int": [0, 4]},
                                            "beta": {"int": [1, 100], "scale": 0.01}},
                 "configurations.py: RECS['multivae']"),
    StudySetting("tuning.spaces.betavae", {"l2_reg": {"log_uniform": [-12, 0]}, "hidden_layers": {"int": [0, 4]},
                                           "beta": {"log_uniform": [0.1, 6]}},
                 "configurations.py: RECS['betavae']"),
    StudySetting("tuning.spaces.macridvae", {"l2_reg": {"log_uniform": [-12, 0]},
                                             "keep_prob": {"int": [1, 20], "scale": 0.05},
                                             "beta": {"int": [1, 100], "scale": 0.05},
                                             "prior_std": {"int": [1, 10], "scale": 0.025}},
                 "configurations.py: RECS['macridvae']"),
    StudySetting("evaluation.classifier", "gbt", "main.py: eval --classifier default gbt"),
    StudySetting("evaluation.grid_scoring", "accuracy", "metrics.py: GridSearchCV without scoring"),
    StudySetting("evaluation.grid_folds", 2, "metrics.py: GridSearchCV(cv=2)"),
    StudySetting("evaluation.grid_shuffle", False, "metrics.py: cv=2 is StratifiedKFold(2), unshuffled"),
    # scikit-learn's default depths (3 for boosting, unlimited for forests) are written out: a config file
    # merged over config.yaml keeps the keys it does not name, so the default study's max_depth would stay.
    StudySetting("evaluation.grids.gbt", {"learning_rate": [0.1, 0.01, 0.001], "n_estimators": [10, 20, 50, 100],
                                          "min_samples_split": [2, 3, 5], "min_samples_leaf": [1, 2, 4],
                                          "max_depth": [3]},
                 "metrics.py: CLS_SEARCH_SPACE['gbt'] and GradientBoostingClassifier's default depth"),
    StudySetting("evaluation.grids.random_forest", {"n_estimators": [10, 20, 50, 100], "max_depth": [None],
                                                    "min_samples_split": [2, 3, 5], "min_samples_leaf": [1, 2, 4]},
                 "metrics.py: CLS_SEARCH_SPACE['rf'] and RandomForestClassifier's default depth"),
    StudySetting("analysis.correlation_models", ["puresvd", "multidae", "multivae", "betavae", "macridvae"],
                 "correlations.ipynb: the models correlated"),
)


def config_value(config: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of a resolved config (KeyError naming the key when absent)."""
    value = config
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(f"config has no key {key!r}")
        value = value[part]
    return value


def departures_from_study(config: dict[str, Any]) -> list[str]:
    """'key: ours vs the study's (source)' for every setting where a resolved config differs from the study."""
    found = []
    for setting in STUDY_SETTINGS:
        keys = ([setting.key.replace("*", name, 1) for name in config["study"]["datasets"]]
                if setting.key.startswith("datasets.*.") else [setting.key])
        for key in keys:
            ours = config_value(config, key)
            if ours != setting.value:
                found.append(f"{key}: {ours!r} vs the study's {setting.value!r} ({setting.source})")
    return found
