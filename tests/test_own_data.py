"""A researcher's own data: RecBole atomic files and plain tables, through the loaders and Snakemake.

The files follow the shared design of ``official_formats`` (ratings >= 4, 5-core): 20 users, 13 items and 140
interactions are kept; users 0-9 like the six "A" items, users 10-19 the six "B" items, all of them item 12,
which has no concept but the token every item carries; one rating line repeats a (user, item) pair.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re

import pandas as pd
import pytest

from conftest import GENRES, SMALL_SYNTHETIC, base_config, small_ml100k
from disrec.config import validate_config
from disrec.datasets import LOADERS
from disrec.errors import ConfigError, DataFormatError, DataSourceError
from disrec.steps.data import build_user_factors, filter_dataset, prepare_dataset, user_data_problems
from official_formats import A_ITEMS, B_ITEMS, N_INTERACTIONS, N_ITEMS, N_USERS, design

N_RAW_ITEMS = 14  # items 0-13; item 13 falls to the 5-core
INTER_HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float"
ITEM_HEADER = "item_id:token\ttitle:token_seq\ttags:token_seq\tyear:token"


def tags(item: int) -> str:
    """A items: space + film, B items: sea + film, item 12 film only (so 'film' is on every kept item); the
    item the 5-core drops has an empty value."""
    if item == N_RAW_ITEMS - 1:
        return ""
    return " ".join([*(["space"] if item in A_ITEMS else ["sea"] if item in B_ITEMS else []), "film"])


def write_atomic(folder, inter_lines=(), item_lines=(), inter_header=INTER_HEADER, item_header=ITEM_HEADER):
    """shop.inter and shop.item in RecBole's atomic format (shop.user beside them, which is not read)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"{u}\t{i}\t{r}\t{880000000 + n}" for n, (u, i, r) in enumerate(design())]
    (folder / "shop.inter").write_text("\n".join([inter_header, *rows, *inter_lines]) + "\n")
    items = [f"{i}\tThe Item {i}\t{tags(i)}\t199{i % 10}" for i in range(N_RAW_ITEMS)]
    (folder / "shop.item").write_text("\n".join([item_header, *items, *item_lines]) + "\n")
    (folder / "shop.user").write_text("user_id:token\tage:token\n0\t24\n")
    return folder


def write_tables(folder, rating_lines=(), item_lines=()):
    """ratings.csv with string ids, items.csv in the wide layout (one 0/1 column per concept)."""
    folder.mkdir(parents=True, exist_ok=True)
    ratings = [f"u{u:02d},item-{i},{r}" for u, i, r in design()]
    (folder / "ratings.csv").write_text("\n".join(["user,item,stars", *ratings, *rating_lines]) + "\n")
    items = [f"item-{i},{int(i in A_ITEMS)},{int(i in B_ITEMS)},1" for i in range(N_RAW_ITEMS)]
    (folder / "items.csv").write_text("\n".join(["item,space,sea,film", *items, *item_lines]) + "\n")
    return folder


def own_datasets(raw) -> dict:
    common = {"rating_threshold": 4, "min_user_interactions": 5, "min_item_interactions": 5}
    return {
        "shop": {"loader": "recbole-atomic", **common, "local_path": str(write_atomic(raw / "shop")),
                 "atomic_name": "shop", "concept_fields": ["tags"]},
        "store": {"loader": "table", **common, "local_path": str(write_tables(raw / "store")),
                  "interactions": {"file": "ratings.csv", "user_column": "user", "item_column": "item",
                                   "rating_column": "stars"},
                  "items": {"file": "items.csv", "item_column": "item", "layout": "wide"}},
    }


def validated(tmp_path, datasets: dict) -> dict:
    return validate_config(base_config(tmp_path, datasets, list(datasets), seeds=(41,)), check_folders=False)


def load(tmp_path, name, settings):
    config = validated(tmp_path, {name: settings})
    return LOADERS[settings["loader"]].load(name, config["datasets"][name], tmp_path / "cache")


def test_both_loaders_read_the_design(tmp_path):
    config = validated(tmp_path, own_datasets(tmp_path / "raw"))
    for name, user_of in (("shop", int), ("store", lambda uid: int(uid[1:]))):
        raw, kept, features, repeated = filter_dataset(name, config["datasets"][name], str(tmp_path / "cache"))
        assert len(raw.interactions) == len(design()) and repeated == 1
        assert (len(kept.users), len(kept.items), len(kept.interactions)) == (N_USERS, N_ITEMS, N_INTERACTIONS)
        assert features.groupby("feature")["item"].nunique().to_dict() == {"film": 13, "sea": 6, "space": 6}
        concepts = LOADERS[config["datasets"][name]["loader"]].item_concepts(
            features, N_ITEMS, 41, config["datasets"][name]["concepts"])
        assert concepts.names == ["film", "sea", "space"] and concepts.matrix.sum(axis=0).tolist() == [13, 6, 6]
        assert sorted(kept.users["original_id"].map(user_of)) == list(range(N_USERS))
    shop = LOADERS["recbole-atomic"].load("shop", config["datasets"]["shop"], tmp_path / "cache")
    assert shop.interactions["user_id"].dtype == "int64"  # plain integer tokens sort as numbers
    assert shop.item_features.loc[shop.item_features["item_id"] == 0, "feature"].tolist() == ["film", "space"]


def test_long_table_from_parquet_and_implicit_rows(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    pd.DataFrame({"u": [1, 1, 2, 3], "i": ["x", "y", "x", "z"]}).to_parquet(folder / "clicks.parquet")
    pd.DataFrame({"item": ["x", "x", "y", "w"], "genre": ["jazz", "rock", "", "pop"]}).to_csv(
        folder / "genres.tsv", sep="\t", index=False)
    raw = load(tmp_path, "clicks", {
        "loader": "table", "local_path": str(folder), "rating_threshold": 1,
        "interactions": {"file": "clicks.parquet", "user_column": "u", "item_column": "i", "rating_column": None},
        "items": {"file": "genres.tsv", "delimiter": "\t", "item_column": "item", "concept_column": "genre"}})
    assert raw.interactions.values.tolist() == [[1, "x", 1.0], [1, "y", 1.0], [2, "x", 1.0], [3, "z", 1.0]]
    assert raw.item_features.values.tolist() == [["w", "pop", 1.0], ["x", "jazz", 1.0], ["x", "rock", 1.0]]


def test_several_concept_fields_are_kept_apart_and_concepts_chosen_by_the_filters(tmp_path):
    settings = {**own_datasets(tmp_path / "raw")["shop"], "concept_fields": ["tags", "year"],
                "concepts": {"top_n": 3, "min_items": 2, "drop": ["tags=film"]}}
    config = validated(tmp_path, {"shop": settings})
    _, kept, features, _ = filter_dataset("shop", config["datasets"]["shop"], str(tmp_path / "cache"))
    # years 1990-1992 are on two kept items each, 1993-1999 on one (items 0-12): min_items 2 leaves 1990-1992
    assert set(features["feature"]) >= {"tags=film", "tags=space", "year=1990"}
    concepts = LOADERS["recbole-atomic"].item_concepts(features, N_ITEMS, 41, config["datasets"]["shop"]["concepts"])
    assert concepts.names == ["tags=sea", "tags=space", "year=1990"]  # 6, 6, then 2 (ties broken by name)
    clustered = LOADERS["recbole-atomic"].item_concepts(
        features, N_ITEMS, 41, {"top_n": 2, "min_items": 1, "drop": ["tags=film"], "n_clusters": 2})
    assert sorted(clustered.matrix.sum(axis=0).tolist()) == [6, 6]


def ml100k_as_atomic(official, folder):
    """The same ratings and genres as RecBole ships ML-100K: ml-100k.inter, ml-100k.item (genres in `class`)."""
    folder.mkdir(parents=True)
    ratings = [line.split("\t") for line in (official / "u.data").read_text().splitlines()]
    (folder / "ml-100k.inter").write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n" +
                                          "".join("\t".join(r) + "\n" for r in ratings))
    lines = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
    for movie in (official / "u.item").read_text(encoding="latin-1").splitlines():
        fields = movie.split("|")
        genres = [g for g, flag in zip(GENRES, fields[5:]) if flag == "1"]
        lines.append(f"{fields[0]}\t{fields[1]}\t{fields[2][-4:]}\t{' '.join(genres)}")
    (folder / "ml-100k.item").write_text("\n".join(lines) + "\n")
    return folder


def test_ml100k_through_the_atomic_loader_gives_byte_identical_tables(tmp_path):
    official = small_ml100k(tmp_path / "official")
    atomic = ml100k_as_atomic(official, tmp_path / "atomic")
    common = {"min_user_interactions": 2, "min_item_interactions": 2}
    config = validated(tmp_path, {
        "today": {"loader": "movielens-100k", "local_path": str(official), "md5": None, **common},
        "atomic": {"loader": "recbole-atomic", "local_path": str(atomic), "atomic_name": "ml-100k",
                   "concept_fields": ["class"], "concepts": {"top_n": None}, **common}})
    outputs = {}
    for name in ("today", "atomic"):
        out = tmp_path / "out" / name
        files = {k: str(out / f"{k}.parquet") for k in ("interactions", "user_ids", "item_ids", "item_features")}
        prepare_dataset(name, config["datasets"][name], str(tmp_path / "cache"), provenance=str(out / "p.json"),
                        **files)
        pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 0]}).to_parquet(out / "train.parquet")
        build_user_factors(name, config["datasets"][name]["loader"], config["datasets"][name].get("concepts", {}),
                           config["factors"], 41, train=str(out / "train.parquet"),
                           valid_in=str(out / "train.parquet"), item_concepts=str(out / "item_concepts.parquet"),
                           factors_train=str(out / "f.parquet"), factors_valid_in=str(out / "fv.parquet"),
                           report=str(out / "factors.json"), **{k: files[k] for k in files if k != "interactions"})
        outputs[name] = {f: hashlib.sha256((out / f"{f}.parquet").read_bytes()).hexdigest()
                         for f in (*files, "item_concepts")}
    assert outputs["atomic"] == outputs["today"]
    assert len(pd.read_parquet(tmp_path / "out" / "atomic" / "item_features.parquet")) > 0


# Bad input: each a message naming the file, line and field (or column).

@pytest.mark.parametrize("inter_header, inter_lines, item_header, expected", [
    (INTER_HEADER.replace("rating", "score"), (), ITEM_HEADER,
     r"shop\.inter, line 1: no field 'rating' \(named by rating_field\); the header declares user_id:token, "
     r"item_id:token, score:float"),
    (INTER_HEADER.replace("rating:float", "rating:int"), (), ITEM_HEADER,
     r"shop\.inter, line 1: field 'rating' declares the unknown type 'int' \(expected one of float, float_seq, "
     r"token, token_seq\)"),
    (INTER_HEADER.replace("rating:float", "rating:token_seq"), (), ITEM_HEADER,
     r"shop\.inter, line 1: field 'rating' \(named by rating_field\) is declared token_seq, expected float"),
    (INTER_HEADER, ("7\t3\t4 5\t880000999",), ITEM_HEADER,
     rf"shop\.inter, line {len(design()) + 2}: field 'rating' is '4 5', a sequence; expected one number"),
    (INTER_HEADER, ("7\t3\tfive\t880000999",), ITEM_HEADER,
     rf"shop\.inter, line {len(design()) + 2}: field 'rating' is 'five', expected a number \(declared float\)"),
    (INTER_HEADER, ("\t3\t4\t880000999",), ITEM_HEADER,
     rf"shop\.inter, line {len(design()) + 2}: field 'user_id' is empty, expected an id"),
    (INTER_HEADER, ("", "7\t3\t5"), ITEM_HEADER,
     rf"shop\.inter, line {len(design()) + 3}: expected 4 fields separated by '\\t' .* found 3"),
    (INTER_HEADER, (), ITEM_HEADER.replace("tags:token_seq", "tags:float"),
     r"shop\.item, line 1: field 'tags' \(named by concept_fields\) is declared float, expected token or "
     r"token_seq"),
    (INTER_HEADER, (), "item_id\ttitle:token_seq\ttags:token_seq\tyear:token",
     r"shop\.item, line 1: header field 1 is 'item_id', expected name:type"),
])
def test_bad_atomic_files_name_file_line_and_field(tmp_path, inter_header, inter_lines, item_header, expected):
    settings = own_datasets(tmp_path / "good")["shop"]
    folder = write_atomic(tmp_path / "bad", inter_lines, (), inter_header, item_header)
    with pytest.raises(DataFormatError, match=expected):
        load(tmp_path, "shop", {**settings, "local_path": str(folder)})


@pytest.mark.parametrize("change, rating_lines, item_lines, expected", [
    ({"interactions": {"rating_column": "rating"}}, (), (),
     r"ratings\.csv: no column 'rating' \(named by interactions\.rating_column\); its columns are 'user', "
     r"'item', 'stars'"),
    ({}, ("u01,item-3,lots",), (),
     rf"ratings\.csv, line {len(design()) + 2}: column 'stars' is 'lots', expected a number"),
    ({}, (",item-3,4",), (), rf"ratings\.csv, line {len(design()) + 2}: column 'user' is empty, expected an id"),
    ({}, (), ("item-20,yes,0,1",), rf"items\.csv, line {N_RAW_ITEMS + 2}: column 'space' is 'yes', expected a number"),
    ({"items": {"concept_columns": ["space", "drama"]}}, (), (),
     r"items\.csv: no column 'drama' \(named by items\.concept_columns\)"),
])
def test_bad_tables_name_file_line_and_column(tmp_path, change, rating_lines, item_lines, expected):
    settings = own_datasets(tmp_path / "good")["store"]
    folder = write_tables(tmp_path / "bad", rating_lines, item_lines)
    settings = {**settings, "local_path": str(folder),
                **{k: {**settings[k], **v} for k, v in change.items()}}
    with pytest.raises(DataFormatError, match=expected):
        load(tmp_path, "store", settings)


def test_an_item_table_that_covers_no_interacted_item_is_named(tmp_path):
    settings = own_datasets(tmp_path / "good")["store"]
    folder = write_tables(tmp_path / "bad")
    (folder / "items.csv").write_text("item,space,sea\nshop-1,1,0\nshop-2,0,1\n")
    with pytest.raises(DataFormatError, match=r"items\.csv: none of its 2 items with concepts is among the 14 items "
                                              r"of .*ratings\.csv \(for example 'item-0' there, 'shop-1' here\)"):
        load(tmp_path, "store", {**settings, "local_path": str(folder)})


def test_repeated_pairs_collapse_and_are_counted(tmp_path, caplog):
    config = validated(tmp_path, own_datasets(tmp_path / "raw"))
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        prepare_dataset("shop", config["datasets"]["shop"], str(tmp_path / "cache"),
                        provenance=str(out / "provenance.json"),
                        **{k: str(out / f"{k}.parquet") for k in ("interactions", "user_ids", "item_ids",
                                                                  "item_features")})
    assert "shop: 1 rows repeat a (user, item) pair of an earlier row; each pair counts once" in caplog.text
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["raw"]["repeated_pairs"] == 1 and provenance["filtered"]["interactions"] == N_INTERACTIONS


@pytest.mark.parametrize("concepts, expected", [
    ({"drop": ["sea"]}, r"1 usable concept\(s\) \['space'\] among the 13 items"),  # 'film' is on every item
    ({"min_items": 7}, r"0 usable concept\(s\) \[\] among the 13 items"),
])
def test_fewer_than_two_usable_concepts_stop_before_any_job(tmp_path, concepts, expected):
    datasets = own_datasets(tmp_path / "raw")
    datasets["shop"]["concepts"] = concepts
    config = validate_config(base_config(tmp_path, datasets, list(datasets)), check_folders=False)
    problems = user_data_problems(config, lambda name: False)
    assert len(problems) == 1
    assert problems[0].startswith("dataset 'shop', concepts from shop.item field(s) tags: ")
    assert re.search(expected, problems[0])
    assert user_data_problems(config, lambda name: name == "shop") == []  # prepared datasets are not re-read


def test_missing_files_are_named(tmp_path):
    settings = {**own_datasets(tmp_path / "raw")["shop"], "atomic_name": "lastfm"}
    config = validated(tmp_path, {"shop": settings})
    message = LOADERS["recbole-atomic"].missing_files("shop", config["datasets"]["shop"], str(tmp_path / "cache"))
    assert message[0].startswith(f"dataset 'shop': {tmp_path}/raw/shop/lastfm.inter is missing; expected ")
    with pytest.raises(DataSourceError, match="lastfm.item is missing"):
        LOADERS["recbole-atomic"].load("shop", config["datasets"]["shop"], tmp_path / "cache")


def test_no_rating_needs_a_threshold_every_row_passes(tmp_path):
    settings = {**own_datasets(tmp_path / "raw")["shop"], "rating_field": None}
    with pytest.raises(ConfigError, match=r"key 'datasets.shop.rating_threshold': 4 would drop every row: "
                                          r"datasets.shop.rating_field is null"):
        validated(tmp_path, {"shop": settings})
    raw = load(tmp_path, "shop", {**settings, "rating_threshold": 1})
    assert set(raw.interactions["rating"]) == {1.0}


def test_parsed_tables_are_cached_per_reading_settings(tmp_path):
    settings = own_datasets(tmp_path / "raw")["shop"]
    load(tmp_path, "shop", settings)
    load(tmp_path, "shop", {**settings, "rating_threshold": 5})  # a filter: same parse
    assert len(list((tmp_path / "cache" / "parsed").iterdir())) == 1
    load(tmp_path, "shop", {**settings, "concept_fields": ["year"]})  # another field: parsed again
    assert len(list((tmp_path / "cache" / "parsed").iterdir())) == 2


# Through Snakemake.

def digests(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_bad_own_data_stops_the_run_before_any_job_and_keeps_earlier_outputs(tmp_path, run_snakemake):
    datasets = own_datasets(tmp_path / "raw")
    config = base_config(tmp_path, {"shop": datasets["shop"]}, ["shop"], seeds=(41,))
    run_snakemake(tmp_path / "run", config, f"{tmp_path}/results/data/shop/summary.json")
    before = digests(tmp_path / "results")

    write_tables(tmp_path / "raw" / "store", ("u01,item-3,lots",))
    datasets["store"]["concepts"] = {"drop": ["sea"]}
    datasets["other"] = {**datasets["shop"], "concepts": {"min_items": 7}}
    config = base_config(tmp_path, datasets, list(datasets), seeds=(41,))
    result = run_snakemake(tmp_path / "run", config, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "raw data invalid, nothing was run" in output
    assert f"dataset 'store': {tmp_path}/raw/store/ratings.csv, line {len(design()) + 2}: column 'stars'" in output
    assert "dataset 'other', concepts from shop.item field(s) tags: 0 usable concept(s)" in output
    assert "dataset 'shop'" not in output  # prepared already: not read again
    assert digests(tmp_path / "results") == before


def planted_as_own_files(tmp_path, generator_seed: int) -> tuple[dict, dict]:
    """The synthetic loader's planted data written as RecBole atomic files (implicit: no rating field) and as
    tables (Parquet interactions, wide CSV concepts); returns the two dataset entries and the synthetic entry."""
    synthetic = {**SMALL_SYNTHETIC, "generator": {**SMALL_SYNTHETIC["generator"], "seed": generator_seed}}
    raw = LOADERS["synthetic"].load("x", validated(tmp_path, {"x": synthetic})["datasets"]["x"], tmp_path)
    pairs, features = raw.interactions, raw.item_features
    concepts = features.groupby("item_id")["feature"].agg(" ".join)
    atomic = tmp_path / "raw" / f"planted{generator_seed}"
    atomic.mkdir(parents=True)
    (atomic / "planted.inter").write_text("user_id:token\titem_id:token\n" + "".join(
        f"{u}\t{i}\n" for u, i in zip(pairs["user_id"], pairs["item_id"])))
    (atomic / "planted.item").write_text("item_id:token\tconcepts:token_seq\n" + "".join(
        f"{i}\t{c}\n" for i, c in concepts.items()))
    pairs[["user_id", "item_id"]].to_parquet(atomic / "clicks.parquet")
    wide = features.assign(flag=1).pivot(index="item_id", columns="feature", values="flag").fillna(0).astype(int)
    wide.reset_index().to_csv(atomic / "items.csv", index=False)
    common = {key: synthetic[key] for key in ("rating_threshold", "min_user_interactions", "min_item_interactions")}
    return ({"loader": "recbole-atomic", **common, "local_path": str(atomic), "atomic_name": "planted",
             "rating_field": None, "concept_fields": ["concepts"]},
            {"loader": "table", **common, "local_path": str(atomic),
             "interactions": {"file": "clicks.parquet", "rating_column": None},
             "items": {"file": "items.csv", "layout": "wide"}}), synthetic


@pytest.mark.slow
def test_the_study_runs_end_to_end_on_own_data(tmp_path, run_snakemake):
    """The synthetic loader's data, as atomic files and as tables, gives the synthetic loader's bytes."""
    (atomic, _), synthetic = planted_as_own_files(tmp_path, SMALL_SYNTHETIC["generator"]["seed"])
    (_, table), other = planted_as_own_files(tmp_path, 5)
    datasets = {"shop": atomic, "store": table, "synthetic": synthetic}
    config = base_config(tmp_path, datasets, list(datasets), seeds=(41, 53), models=("toppop", "puresvd", "multivae"))
    config["models"] = {"multivae": {"hidden": [16], "max_epochs": 10, "batch_size": 50, "betas": [0.2]}}
    config["evaluation"] = {"grids": {"gbt": {"n_estimators": [10], "max_depth": [2], "learning_rate": [0.1]}}}
    run_snakemake(tmp_path / "run", config)
    data = tmp_path / "results" / "data"
    same = [f"{f}.parquet" for f in ("interactions", "user_ids", "item_ids", "item_features")] + [
        f"seed{seed}/{f}.parquet" for seed in (41, 53)
        for f in ("train", "valid_in", "valid_out", "test_out", "item_concepts", "factors_train")]
    for file in same:
        assert (data / "shop" / file).read_bytes() == (data / "synthetic" / file).read_bytes(), file
    _, kept, _, _ = filter_dataset("other", validated(tmp_path, {"other": other})["datasets"]["other"],
                                   str(tmp_path))
    store = json.loads((data / "store" / "summary.json").read_text())
    assert (store["users"], store["items"], store["interactions"]) == (
        len(kept.users), len(kept.items), len(kept.interactions))
    assert store["factors_by_seed"]["41"]["kept"] == ["c0", "c1", "c2", "c3"]
    results = tmp_path / "results"
    runs = pd.read_csv(results / "tables" / "runs.csv")
    assert len(runs) == 3 * 3 * 2 and set(runs["dataset"]) == {"shop", "store", "synthetic"}
    assert runs.loc[runs["model"] != "toppop", "disentanglement"].notna().all()
    by_model = pd.read_csv(results / "tables" / "rmcorr_by_model.csv")
    assert by_model["r"].notna().any()  # three datasets: within-model correlations are defined
    for figure in ("rmcorr_by_model.png", "metrics_shop.png", "metrics_store.png"):
        assert (results / "figures" / figure).stat().st_size > 0
