
import pytest
import yaml

from conftest import REPO
from disrec.config import canonical, load_config, validate_config
from disrec.errors import ConfigError


@pytest.fixture
def config(tmp_path):
    loaded = yaml.safe_load((REPO / "config.yaml").read_text())
    loaded["results_dir"] = str(tmp_path / "results")
    loaded["cache_dir"] = str(tmp_path / "cache")
    return loaded


def problems(config, **kwargs):
    with pytest.raises(ConfigError) as caught:
        validate_config(config, source="my.yaml", **kwargs)
    return str(caught.value)


def test_shipped_config_is_valid_and_defaults_are_filled(config):
    del config["split"]
    validated = validate_config(config)
    assert validated["split"] == {"test_fraction": 0.2, "validation_fraction": 0.2}
    assert validated["datasets"]["synthetic"]["generator"]["n_users"] == 1000


def test_unknown_key_is_named(config):
    config["split"]["tst_fraction"] = 0.1
    message = problems(config)
    assert "my.yaml" in message and "key 'split'" in message and "'tst_fraction' was unexpected" in message


def test_wrong_type_names_key_and_value(config):
    config["datasets"]["synthetic"]["generator"]["n_users"] = "many"
    message = problems(config)
    assert "key 'datasets.synthetic.generator.n_users'" in message and "'many' is not of type 'integer'" in message


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1])
def test_fraction_outside_open_interval(config, value):
    config["split"]["test_fraction"] = value
    assert "key 'split.test_fraction'" in problems(config)


def test_unknown_dataset_in_study(config):
    config["study"]["datasets"] = ["ml-100k", "ml-10k"]
    message = problems(config)
    assert "unknown dataset 'ml-10k'" in message and "ml-100k, synthetic" in message


def test_unknown_loader(config):
    config["datasets"]["other"] = {"loader": "netflix"}
    assert "key 'datasets.other.loader'" in problems(config)


def test_unknown_model(config):
    config["study"]["models"] = ["multivae", "multivea"]
    message = problems(config)
    assert "key 'study.models.1'" in message and "'multivea' is not one of" in message


def test_exponent_string_is_coerced_with_a_warning(config, caplog):
    # YAML 1.1 reads 1e-1 (no dot) as a string.
    config["datasets"]["synthetic"]["generator"]["noise"] = yaml.safe_load("x: 1e-1")["x"]
    assert isinstance(config["datasets"]["synthetic"]["generator"]["noise"], str)
    validated = validate_config(config)
    assert validated["datasets"]["synthetic"]["generator"]["noise"] == 0.1
    assert "read as the number 0.1" in caplog.text


def test_non_numeric_string_is_still_an_error(config):
    config["split"]["test_fraction"] = "a fifth"
    assert "'a fifth' is not of type 'number'" in problems(config)


def test_every_problem_is_reported_at_once(config):
    config["split"]["test_fraction"] = 2
    config["study"]["seeds"] = [41, "x"]
    message = problems(config)
    assert "split.test_fraction" in message and "study.seeds.1" in message


def test_inconsistent_generator_ranges(config):
    config["datasets"]["synthetic"]["generator"].update(min_interactions_per_user=50, max_interactions_per_user=40)
    assert "min_interactions_per_user=50 is above max_interactions_per_user=40" in problems(config)


def test_unwritable_results_folder_is_reported(config, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    config["results_dir"] = str(blocker / "results")
    message = problems(config)
    assert "key 'results_dir'" in message and "cannot write" in message and str(blocker) in message


def test_bad_yaml_file_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("study: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_config(path)


def test_canonical_sorts_keys_recursively():
    a = canonical({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": 0}})
    assert repr(a) == repr({"a": {"c": 0, "d": [{"y": 2, "z": 1}]}, "b": 1})


def test_the_schema_enums_are_the_package_lists():
    """Model families, loaders and classifiers are listed once in code; every schema enum must equal its list."""
    from disrec.config import SCHEMA_PATH
    from disrec.datasets import LOADERS
    from disrec.grid import MODEL_NAMES, SEARCHED_MODELS
    from disrec.metrics.classifiers import CLASSIFIERS

    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    top = schema["properties"]
    dataset = schema["properties"]["datasets"]["additionalProperties"]["properties"]
    assert tuple(top["study"]["properties"]["models"]["items"]["enum"]) == MODEL_NAMES
    assert tuple(top["models"]["properties"]) == MODEL_NAMES
    assert tuple(dataset["models"]["propertyNames"]["enum"]) == MODEL_NAMES
    assert tuple(top["analysis"]["properties"]["correlation_models"]["items"]["enum"]) == MODEL_NAMES
    assert tuple(top["tuning"]["properties"]["models"]["items"]["enum"]) == SEARCHED_MODELS
    assert tuple(top["tuning"]["properties"]["spaces"]["properties"]) == ("common", *SEARCHED_MODELS)
    assert set(MODEL_NAMES) <= set(schema["$defs"])
    assert tuple(dataset["loader"]["enum"]) == tuple(LOADERS)
    assert tuple(top["evaluation"]["properties"]["classifier"]["enum"]) == tuple(CLASSIFIERS)
    assert tuple(top["evaluation"]["properties"]["grids"]["properties"]) == tuple(CLASSIFIERS)


def test_a_tuned_beta_needs_tuning_on(config):
    config["models"]["betavae"]["betas"] = "tuned"
    with pytest.raises(ConfigError, match=r"'models.betavae.betas': 'tuned' on dataset 'ml-100k' needs tuning"):
        validate_config(config, check_folders=False)
    config["tuning"] = {"datasets": ["ml-100k", "synthetic"]}
    validate_config(config, check_folders=False)


def test_tuning_names_only_known_datasets(config):
    config["tuning"] = {"datasets": ["ml-1m"]}
    with pytest.raises(ConfigError, match=r"key 'tuning.datasets': unknown dataset 'ml-1m'"):
        validate_config(config, check_folders=False)


def test_correlated_metrics_must_be_runs_table_columns(config):
    config["analysis"]["extended"] = ["ndcg@10", "mig", "shap_normalised", "ndcg@20", "controllabilty"]
    message = problems(config)
    assert "key 'analysis.extended': unknown metric 'ndcg@20'" in message
    assert "unknown metric 'controllabilty'" in message and "'shap_normalised'" not in message


def test_the_new_evaluation_settings_have_defaults(config):
    del config["evaluation"]["chance"], config["evaluation"]["controllability"]
    evaluation = validate_config(config)["evaluation"]
    assert evaluation["chance"] == {"permutations": 2}
    assert evaluation["controllability"] == {"steps": [1.0, 2.0], "k": 10}
    config["evaluation"]["mutual_information"] = {"bins": 1}
    assert "key 'evaluation.mutual_information.bins'" in problems(config)


def test_grid_parameters_and_scorer_are_checked_before_any_job(config):
    config["evaluation"]["grids"] = {"gbt": {"n_estimator": [10]}, "logistic": {"C": [1.0], "penalty_": ["l2"]}}
    config["evaluation"]["grid_scoring"] = "acuracy"
    message = problems(config)
    assert "key 'evaluation.grids.gbt': unknown parameter 'n_estimator'" in message
    assert "key 'evaluation.grids.logistic': unknown parameter 'penalty_'" in message
    assert "key 'evaluation.grid_scoring': unknown scorer 'acuracy'" in message
    config["evaluation"]["grids"] = {"gbt": {"n_estimators": [10, 0], "learning_rate": [0.1, -1.0]}}
    message = problems(config)
    assert "key 'evaluation.grids.gbt': The 'n_estimators' parameter of GradientBoostingClassifier must be" in message
    assert "Got 0 instead" in message and "Got -1.0 instead" in message
    config["evaluation"]["grids"] = {"gbt": {"n_estimators": [10]}}
    config["evaluation"]["grid_scoring"] = "roc_auc"
    validate_config(config, check_folders=False)


def test_searched_names_must_be_settings_of_their_models(config):
    config["tuning"] = {"spaces": {"common": {"lr": {"log_uniform": [-10, -2]}, "beta": {"int": [1, 10]}},
                                   "multidae": {"l2_regularisation": {"log_uniform": [-10, 0]}},
                                   "puresvd": {"hidden_layers": {"int": [0, 2]}},
                                   "betavae": {"beta": {"log_uniform": [6, 0.1]}}}}
    message = problems(config)
    assert "key 'tuning.spaces.common': unknown setting 'beta'" in message
    assert "key 'tuning.spaces.multidae': unknown setting 'l2_regularisation'" in message
    assert "key 'tuning.spaces.puresvd': unknown setting 'hidden_layers' (expected one of code_dim)" in message
    assert "key 'tuning.spaces.betavae.beta.log_uniform': [6, 0.1] runs from high to low" in message
    assert "'lr'" not in message


def test_a_search_dimension_has_exactly_one_distribution(config):
    config["tuning"] = {"spaces": {"multivae": {"beta": {"int": [1, 100], "choice": [0.2]}},
                                   "multidae": {"l2_reg": {"uniform": [0, 1]}}}}
    message = problems(config)
    assert "key 'tuning.spaces.multivae.beta'" in message and "key 'tuning.spaces.multidae.l2_reg'" in message


def test_a_shelf_in_two_groups_is_named(config):
    config["datasets"]["goodreads"] = {"loader": "goodreads", "concepts": {"synonyms": {
        "humor": ["humor", "funny"], "comedy": ["comedy", "funny"]}}}
    assert ("key 'datasets.goodreads.concepts.synonyms': shelf 'funny' is listed under both 'humor' and "
            "'comedy'") in problems(config)


def test_factors_need_a_positive_minimum_rate(config):
    config["factors"]["min_positive_rate"] = 0
    assert "key 'factors.min_positive_rate'" in problems(config)
