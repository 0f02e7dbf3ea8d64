"""The data stage of the pipeline: raw files -> filtered interactions -> splits -> user factors.

Each public function but the checks is one Snakemake job: it takes config values and
file paths and writes its outputs atomically. ``user_data_problems`` runs before any job.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from disrec.config import loader_settings
from disrec.datasets import LOADERS, RawDataset
from disrec.datasets.user_files import UserFilesLoader
from disrec.errors import StudyError
from disrec.factors import factor_table, select_factors, user_factors
from disrec.preprocess import PreparedInteractions, prepare_interactions
from disrec.splits import split_weak_generalisation
from disrec.storage import read_json, read_parquet, write_json, write_parquet

log = logging.getLogger(__name__)


def filter_dataset(name: str, settings: dict[str, Any],
                   cache_dir: str) -> tuple[RawDataset, PreparedInteractions, pd.DataFrame, int]:
    """Load the raw files, binarise, k-core filter and re-index.

    Returns the raw dataset, the prepared interactions, the item features of the kept items by dense id
    (item, feature, value), and how many rows repeated a (user, item) pair of an earlier row.
    """
    raw = LOADERS[settings["loader"]].load(name, settings, Path(cache_dir))
    ratings = raw.interactions
    log.info("%s: read %d ratings by %d users on %d items", name, len(ratings),
             ratings["user_id"].nunique(), ratings["item_id"].nunique())
    repeated = int(ratings.duplicated(["user_id", "item_id"]).sum())
    if repeated:
        log.warning("%s: %d rows repeat a (user, item) pair of an earlier row; each pair counts once, positive "
                    "when any of its ratings is >= %s", name, repeated, settings["rating_threshold"])
    prepared = prepare_interactions(ratings, threshold=settings["rating_threshold"],
                                    min_user=settings["min_user_interactions"],
                                    min_item=settings["min_item_interactions"], dataset=name)
    dense_item = pd.Series(prepared.items["item"].to_numpy(), index=prepared.items["original_id"].to_numpy())
    features = raw.item_features[raw.item_features["item_id"].isin(dense_item.index)]
    features = pd.DataFrame({"item": dense_item.loc[features["item_id"]].to_numpy(),
                             "feature": features["feature"].to_numpy(),
                             "value": features["value"].to_numpy()})
    features = features.sort_values(["item", "feature"], kind="stable").reset_index(drop=True)
    return raw, prepared, features, repeated


def prepare_dataset(name: str, settings: dict[str, Any], cache_dir: str, *, interactions: str, user_ids: str,
                    item_ids: str, item_features: str, provenance: str) -> None:
    """Load, binarise, k-core filter and re-index; write the tables and provenance."""
    raw, prepared, features, repeated = filter_dataset(name, settings, cache_dir)
    ratings = raw.interactions
    n_users, n_items, n = len(prepared.users), len(prepared.items), len(prepared.interactions)
    log.info("%s: kept %d interactions, %d users, %d items", name, n, n_users, n_items)
    write_parquet(prepared.interactions, interactions)
    write_parquet(prepared.users, user_ids)
    write_parquet(prepared.items, item_ids)
    write_parquet(features, item_features)
    write_json({
        **raw.provenance,
        "dataset": name,
        "raw": {"ratings": len(ratings), "users": int(ratings["user_id"].nunique()),
                "items": int(ratings["item_id"].nunique()), "repeated_pairs": repeated},
        "filtered": {"interactions": n, "users": n_users, "items": n_items,
                     "density": n / (n_users * n_items)},
        "settings": settings,
    }, provenance)


def user_data_problems(config: dict[str, Any], prepared: Callable[[str], bool]) -> list[str]:
    """Problems in the study's own-data datasets (RecBole atomic files, tables) not yet ``prepared``.

    Runs their reading, filtering and concept selection in memory (the parsed tables are cached, so the job
    does not parse them again), so a bad file or a concept setting that leaves fewer than two usable
    concepts stops the run before any job starts.
    """
    problems = []
    for name in config["study"]["datasets"]:
        loader = LOADERS[config["datasets"][name]["loader"]]
        if prepared(name) or not isinstance(loader, UserFilesLoader):
            continue
        settings = loader_settings(config, name)
        try:
            _, kept, features, _ = filter_dataset(name, settings, config["cache_dir"])
        except StudyError as exc:
            problems.append(f"dataset {name!r}: {exc}")
            continue
        try:
            loader.item_concepts(features, len(kept.items), config["study"]["seeds"][0],
                                 config["datasets"][name]["concepts"])
        except StudyError as exc:
            problems.append(f"dataset {name!r}, concepts from {loader.concept_origin(settings)}: {exc}")
    return problems


def split_dataset(interactions: str, *, test_fraction: float, validation_fraction: float, seed: int,
                  outputs: dict[str, str]) -> None:
    """Write the four weak-generalisation splits of one (dataset, seed)."""
    splits = split_weak_generalisation(read_parquet(interactions), test_fraction=test_fraction,
                                       validation_fraction=validation_fraction, seed=seed)
    for split_name, frame in splits.as_dict().items():
        write_parquet(frame, outputs[split_name])
        log.info("%s: %d interactions", split_name, len(frame))


def build_user_factors(name: str, loader: str, concept_settings: dict[str, Any], factor_settings: dict[str, Any],
                       seed: int, *,
                       item_features: str, user_ids: str, item_ids: str, train: str, valid_in: str,
                       item_concepts: str, factors_train: str, factors_valid_in: str, report: str) -> None:
    """Item concepts, then user factors on train and valid_in with the columns kept on train."""
    n_users, n_items = len(read_parquet(user_ids)), len(read_parquet(item_ids))
    concepts = LOADERS[loader].item_concepts(read_parquet(item_features), n_items, seed, concept_settings)
    share = factor_settings["min_interaction_share"]
    on_train = user_factors(read_parquet(train), concepts.matrix, n_users, share)
    on_valid_in = user_factors(read_parquet(valid_in), concepts.matrix, n_users, share)
    selection = select_factors(on_train, factor_settings["min_positive_rate"], factor_settings["max_positive_rate"])
    kept_names = [concepts.names[j] for j in selection.kept]
    log.info("%s seed %d: kept %d of %d factors: %s", name, seed, len(kept_names), len(concepts.names), kept_names)

    concept_table = pd.DataFrame(concepts.matrix.astype(np.uint8), columns=concepts.names)
    concept_table.insert(0, "item", np.arange(n_items, dtype=np.int32))
    write_parquet(concept_table, item_concepts)
    write_parquet(factor_table(on_train, selection.kept, concepts.names), factors_train)
    write_parquet(factor_table(on_valid_in, selection.kept, concepts.names), factors_valid_in)
    valid_rates = on_valid_in.mean(axis=0)
    write_json({
        "dataset": name,
        "seed": seed,
        "kept": kept_names,
        "concepts": {
            concept: {"items": int(concepts.matrix[:, j].sum()),
                      "positive_rate_train": float(selection.positive_rates[j]),
                      "positive_rate_valid_in": float(valid_rates[j]),
                      "kept": j in selection.kept}
            for j, concept in enumerate(concepts.names)
        },
    }, report)


def summarise_dataset(provenance: str, factor_reports: list[str], summary: str) -> None:
    """One JSON per dataset: sizes, source and checksums, and the kept factors for every seed."""
    info = read_json(provenance)
    per_seed = {}
    for path in factor_reports:
        report = read_json(path)
        per_seed[str(report["seed"])] = {
            "kept": report["kept"],
            "positive_rate_train": {c: report["concepts"][c]["positive_rate_train"] for c in report["kept"]},
        }
    write_json({
        "dataset": info["dataset"],
        **info["filtered"],
        "raw": info["raw"],
        "source": info["source"],
        "origin": info["origin"],
        "checksums_sha256": info.get("files", {}),
        "factors_by_seed": per_seed,
    }, summary)

