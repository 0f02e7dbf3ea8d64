"""Validation of the study configuration against its JSON schema.

The schema (``workflow/schemas/config.schema.yaml``) is the single source of
keys, types and defaults. Validation fills in defaults, then reports every
problem at once, each naming the key, the value and what was expected.

One coercion is applied, because YAML 1.1 reads exponent numbers without a dot
(``1e-3``) as strings: where the schema expects a number and the value is a
string that parses as one, it is converted and a warning is logged.
"""

from __future__ import annotations

import copy
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from disrec.errors import ConfigError
from disrec.grid import GRADIENT_MODELS, KL_MODELS, TUNED_BETA, is_tuned, model_betas
from disrec.metrics import REPRESENTATION_METRICS, TRAVERSAL_SUMMARIES, accuracy_names, chance_names

log = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def _with_defaults(validator_class):
    """A validator class that writes schema defaults into the instance as it validates."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(key, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _coerce_numeric_strings(config: dict, schema: dict, source: str, prefix: tuple = ()) -> None:
    """Turn strings such as '1e-3' into numbers where the schema asks for a number."""
    for error in jsonschema.Draft202012Validator(schema).iter_errors(config):
        expected = error.validator_value if error.validator == "type" else None
        expected = [expected] if isinstance(expected, str) else (expected or [])
        if "number" not in expected or not isinstance(error.instance, str):
            continue
        try:
            number = float(error.instance)
        except ValueError:
            continue
        *parents, last = error.absolute_path
        container = config
        for part in parents:
            container = container[part]
        container[last] = number
        log.warning(
            "%s: %s = %r is a string in YAML; read as the number %r",
            source, _key_path((*prefix, *error.absolute_path)), error.instance, number,
        )


def _describe(error: jsonschema.ValidationError, prefix: tuple = ()) -> str:
    key = _key_path((*prefix, *error.absolute_path))
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    line = f"key '{key}': {error.message}"
    return f"{line} (expected: {description})" if description and error.validator != "additionalProperties" else line


def _check_model_overrides(config: dict, schema: dict, source: str) -> list[str]:
    """Each dataset's model overrides, merged over the model's settings, must satisfy the model's schema."""
    problems = []
    for name, settings in config["datasets"].items():
        for model, override in settings.get("models", {}).items():
            model_schema = {"$ref": f"#/$defs/{model}", "$defs": schema["$defs"]}
            prefix = ("datasets", name, "models", model)
            _coerce_numeric_strings(override, model_schema, source, prefix)
            merged = {**config["models"][model], **override}
            validator = jsonschema.Draft202012Validator(model_schema)
            problems += [_describe(e, prefix) for e in validator.iter_errors(merged)]
    return problems


def _check_references(config: dict) -> list[str]:
    problems = []
    for name in config["study"]["datasets"]:
        if name not in config["datasets"]:
            known = ", ".join(sorted(config["datasets"]))
            problems.append(
                f"key 'study.datasets': unknown dataset {name!r} (expected one of the names under 'datasets': {known})"
            )
    for name, settings in config["datasets"].items():
        generator = settings.get("generator")
        if generator:
            for low, high in (("min_concepts_per_user", "max_concepts_per_user"),
                              ("min_interactions_per_user", "max_interactions_per_user")):
                if generator[low] > generator[high]:
                    problems.append(
                        f"key 'datasets.{name}.generator': {low}={generator[low]} is above "
                        f"{high}={generator[high]} (expected {low} <= {high})"
                    )
            if generator["max_interactions_per_user"] > generator["n_items"]:
                problems.append(
                    f"key 'datasets.{name}.generator.max_interactions_per_user': "
                    f"{generator['max_interactions_per_user']} is above n_items={generator['n_items']} "
                    f"(expected at most n_items)"
                )
            if generator["max_concepts_per_user"] > generator["n_concepts"]:
                problems.append(
                    f"key 'datasets.{name}.generator.max_concepts_per_user': {generator['max_concepts_per_user']} "
                    f"is above n_concepts={generator['n_concepts']} (expected at most n_concepts)"
                )
        rating_key = {"recbole-atomic": ("rating_field",), "table": ("interactions", "rating_column")}.get(
            settings["loader"])
        if rating_key and _nested(settings, rating_key) is None and settings["rating_threshold"] > 1:
            problems.append(
                f"key 'datasets.{name}.rating_threshold': {settings['rating_threshold']} would drop every row: "
                f"datasets.{name}.{'.'.join(rating_key)} is null, so every row is an interaction with rating 1 "
                f"(expected rating_threshold <= 1)"
            )
    for name in config["tuning"]["datasets"]:
        if name not in config["datasets"]:
            problems.append(f"key 'tuning.datasets': unknown dataset {name!r} (expected a name under 'datasets')")
    for dataset in (d for d in config["study"]["datasets"] if d in config["datasets"]):
        for model in (m for m in config["study"]["models"] if m in KL_MODELS):
            if model_betas(config, dataset, model) == [TUNED_BETA] and not is_tuned(config, dataset, model):
                problems.append(f"key 'models.{model}.betas': 'tuned' on dataset {dataset!r} needs tuning on for "
                                f"it (expected {dataset!r} in tuning.datasets and {model!r} in tuning.models)")
    known = correlatable_metrics(config["evaluation"]["ks"])
    for key in ("correlated", "extended"):
        for name in config["analysis"][key]:
            if name not in known:
                problems.append(f"key 'analysis.{key}': unknown metric {name!r} (expected a runs-table metric: "
                                f"{', '.join(known)})")
    from disrec.metrics.classifiers import search_problems  # scikit-learn: only when validating, not for every job

    problems += search_problems(config["evaluation"]["grids"], config["evaluation"]["grid_scoring"])
    problems += _check_shelf_groups(config)
    factors = config["factors"]
    if factors["min_positive_rate"] >= factors["max_positive_rate"]:
        problems.append(
            f"key 'factors': min_positive_rate={factors['min_positive_rate']} is not below "
            f"max_positive_rate={factors['max_positive_rate']}"
        )
    return problems


def _check_search_spaces(config: dict, schema: dict) -> list[str]:
    """Every searched name must be a setting of each model its space applies to (``hidden_layers`` sets
    ``hidden``; ``beta`` only on a KL model), so that no dimension is searched without effect."""
    def searchable(model: str) -> set[str]:
        names = set(schema["$defs"][model]["properties"]) - {"betas", "kl_anneal"}
        if "hidden" in names:
            names.add("hidden_layers")
        if model in KL_MODELS:
            names.add("beta")
        return names

    problems = []
    for part, dimensions in config["tuning"]["spaces"].items():
        known = set.intersection(*map(searchable, GRADIENT_MODELS if part == "common" else (part,)))
        for name, spec in dimensions.items():
            if name not in known:
                problems.append(f"key 'tuning.spaces.{part}': unknown setting {name!r} (expected one of "
                                f"{', '.join(sorted(known))})")
            for kind in ("log_uniform", "int"):
                if kind in spec and spec[kind][0] > spec[kind][1]:
                    problems.append(f"key 'tuning.spaces.{part}.{name}.{kind}': {spec[kind]} runs from high to "
                                    f"low (expected [low, high])")
    return problems


def _check_shelf_groups(config: dict) -> list[str]:
    """A shelf merged into two groups would belong to whichever the table lists last."""
    problems = []
    for name, settings in config["datasets"].items():
        group_of: dict[str, str] = {}
        for group, shelves in settings.get("concepts", {}).get("synonyms", {}).items():
            for shelf in shelves:
                if group_of.setdefault(shelf, group) != group:
                    problems.append(f"key 'datasets.{name}.concepts.synonyms': shelf {shelf!r} is listed under "
                                    f"both {group_of[shelf]!r} and {group!r} (expected each shelf in one group)")
    return problems


def correlatable_metrics(ks: list[int]) -> list[str]:
    """Every runs-table column the correlation tables can take: accuracy at each K, the representation metrics,
    controllability's summaries and every metric's chance forms."""
    return [*accuracy_names(ks), *REPRESENTATION_METRICS, *TRAVERSAL_SUMMARIES,
            *[name for metric in REPRESENTATION_METRICS for name in chance_names(metric)]]


def _nested(mapping: dict, keys: tuple[str, ...]) -> Any:
    for key in keys:
        mapping = mapping[key]
    return mapping


def _check_writable(config: dict) -> list[str]:
    problems = []
    for key in ("results_dir", "cache_dir"):
        folder = Path(config[key])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder):
                pass
        except OSError as exc:
            problems.append(f"key '{key}': cannot write to folder {str(folder)!r} ({exc.strerror or exc})")
    return problems


def validate_config(config: dict[str, Any], source: str = "config.yaml", schema_path: Path = SCHEMA_PATH,
                    check_folders: bool = True) -> dict[str, Any]:
    """Validate ``config`` in place (defaults filled, numeric strings coerced) and return it.

    Raises ConfigError listing every problem found.
    """
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: expected a mapping of keys at the top level, got {type(config).__name__}")
    schema = yaml.safe_load(Path(schema_path).read_text())
    _coerce_numeric_strings(config, schema, source)
    errors = sorted(_Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = [_describe(e) for e in errors]
    if not problems:
        problems = (_check_model_overrides(config, schema, source) + _check_references(config)
                    + _check_search_spaces(config, schema))
    if not problems and check_folders:
        problems = _check_writable(config)
    if problems:
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))
    return config


def load_config(path: str | os.PathLike, **kwargs) -> dict[str, Any]:
    """Read a YAML config file and validate it."""
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    return validate_config(config, source=str(path), **kwargs)


def loader_settings(config: dict[str, Any], dataset: str) -> dict[str, Any]:
    """What reading and filtering a dataset uses: its entry without the keys other stages own."""
    owned_elsewhere = {"models", "reference_name", "concepts"}
    return canonical({k: v for k, v in config["datasets"][dataset].items() if k not in owned_elsewhere})


def model_settings(config: dict[str, Any], dataset: str, model: str) -> dict[str, Any]:
    """A model's hyperparameters for one dataset (its overrides applied), without the beta list."""
    merged = {**config["models"][model], **config["datasets"][dataset].get("models", {}).get(model, {})}
    merged.pop("betas", None)
    return canonical(merged)


def evaluation_settings(config: dict[str, Any]) -> dict[str, Any]:
    """What the evaluate jobs read: the evaluation settings with the grid of the chosen classifier only."""
    evaluation = config["evaluation"]
    return {**evaluation, "grids": {evaluation["classifier"]: evaluation["grids"][evaluation["classifier"]]}}


def model_spaces(spaces: dict[str, Any], model: str) -> dict[str, Any]:
    """The parts of ``tuning.spaces`` one model's search reads: ``common`` (gradient models) and its own."""
    return {name: spaces[name] for name in ("common", model) if name != "common" or model != "puresvd"}


def tuning_settings(config: dict[str, Any], model: str) -> dict[str, Any]:
    """What one model's searches read: trial counts and the common and model-specific spaces."""
    tuning = config["tuning"]
    return canonical({"trials": tuning["trials"], "startup_trials": tuning["startup_trials"],
                      "spaces": model_spaces(tuning["spaces"], model)})


def canonical(value: Any) -> Any:
    """A copy with mapping keys sorted, so Snakemake params compare equal whatever the YAML key order."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value
