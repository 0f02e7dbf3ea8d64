"""ML1M, Yelp, GoodReads and Amazon from files in their official formats, through the real loaders and Snakemake."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from conftest import base_config
from disrec.datasets import LOADERS
from disrec.errors import DataFormatError, DataSourceError
from official_formats import (
    GOODREADS_CONCEPTS,
    N_INTERACTIONS,
    N_ITEMS,
    N_USERS,
    design,
    expected_factor,
    write_amazon,
    write_goodreads,
    write_ml1m,
    write_yelp,
)

ORIGINAL_USER = {  # original id -> design user
    "ml1m": lambda uid: int(uid) - 1,
    "yelp": lambda uid: int(uid[1:3]),
    "goodreads": lambda uid: int(uid, 16),
    "amazon": lambda uid: int(uid[1:3]),
}


BAD_LINE = len(design()) + 1  # a malformed line appended after the design's lines


def official_datasets(raw) -> dict:
    common = {"rating_threshold": 4, "min_user_interactions": 5, "min_item_interactions": 5}
    return {
        "ml1m": {"loader": "movielens-1m", **common, "local_path": str(write_ml1m(raw / "ml1m")),
                 "md5": {}, "reference_name": "ML1M",
                 "concepts": {"n_tags": 4, "n_clusters": 2, "relevance_threshold": 0.4}},
        "yelp": {"loader": "yelp", **common, "local_path": str(write_yelp(raw / "yelp")),
                 "concepts": {"n_categories": 100, "n_clusters": 2}},
        "goodreads": {"loader": "goodreads", **common, "local_path": str(write_goodreads(raw / "goodreads")),
                      "urls": {}, "concepts": GOODREADS_CONCEPTS},
        "amazon": {"loader": "amazon-2018", **common, "local_path": str(write_amazon(raw / "amazon")),
                   "urls": {}, "concepts": {"n_categories": 100, "n_clusters": 2, "drop": ["CDs & Vinyl"]}},
    }


@pytest.fixture(scope="module")
def data_stage(tmp_path_factory):
    from conftest import snakemake_runner

    tmp_path = tmp_path_factory.mktemp("official")
    datasets = official_datasets(tmp_path / "raw")
    config = base_config(tmp_path, datasets, list(datasets), seeds=(41,))
    targets = [f"{tmp_path}/results/data/{name}/summary.json" for name in datasets]
    result = snakemake_runner(tmp_path / "run", config, *targets)
    return tmp_path / "results" / "data", result


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ml1m", "yelp", "goodreads", "amazon"])
def test_counts_and_factors_match_the_hand_computed_design(data_stage, name):
    data, _ = data_stage
    provenance = json.loads((data / name / "provenance.json").read_text())
    assert provenance["filtered"] == {"interactions": N_INTERACTIONS, "users": N_USERS, "items": N_ITEMS,
                                      "density": N_INTERACTIONS / (N_USERS * N_ITEMS)}
    assert len(provenance["files"]) == 2  # both official files, with their SHA-256
    users = pd.read_parquet(data / name / "user_ids.parquet")
    design_user = users["original_id"].map(ORIGINAL_USER[name])
    assert sorted(design_user) == list(range(N_USERS))
    factors = pd.read_parquet(data / name / "seed41" / "factors_train.parquet")
    concept_columns = [c for c in factors.columns if c != "user"]
    assert len(concept_columns) == 2
    groups = {frozenset(design_user[factors["user"][factors[c] == 1]].map(expected_factor)) for c in concept_columns}
    assert groups == {frozenset("A"), frozenset("B")}  # each factor is exactly one half of the users
    per_user = factors[concept_columns].sum(axis=1)
    assert (per_user == 1).all()
    concepts = pd.read_parquet(data / name / "seed41" / "item_concepts.parquet")
    assert concepts[concept_columns].sum(axis=1).tolist() == [1] * 12 + [0]  # the bare item carries none
    for split in ("train", "valid_in", "valid_out", "test_out"):
        assert (data / name / "seed41" / f"{split}.parquet").is_file()


@pytest.mark.slow
def test_goodreads_shelves_merge_by_the_synonym_table(data_stage):
    data, _ = data_stage
    report = json.loads((data / "goodreads" / "seed41" / "factors.json").read_text())
    # fantasy-fiction merges into fantasy, picture-book into picture-books; to-read and favorites are dropped;
    # horror (one reader) is below min_shelf_count
    assert sorted(report["concepts"]) == ["fantasy", "picture-books"]
    assert {c: v["items"] for c, v in report["concepts"].items()} == {"fantasy": 6, "picture-books": 6}


@pytest.mark.slow
def test_parsed_tables_are_cached_once_per_dataset(data_stage, tmp_path):
    data, _ = data_stage
    cache = data.parent.parent / "cache" / "parsed"
    assert sorted(p.name.rsplit("-", 1)[0] for p in cache.iterdir()) == ["amazon", "goodreads", "ml1m", "yelp"]
    settings = official_datasets(tmp_path)["yelp"]
    from disrec.config import validate_config

    config = base_config(tmp_path, {"yelp": settings}, ["yelp"])
    validate_config(config)
    folder = tmp_path / "cache"
    first = LOADERS["yelp"].load("yelp", config["datasets"]["yelp"], folder)
    stamp = {p: p.stat().st_mtime_ns for p in (folder / "parsed").rglob("*.parquet")}
    second = LOADERS["yelp"].load("yelp", config["datasets"]["yelp"], folder)
    assert {p: p.stat().st_mtime_ns for p in (folder / "parsed").rglob("*.parquet")} == stamp
    pd.testing.assert_frame_equal(first.interactions, second.interactions)


def validated(tmp_path, name, settings):
    from disrec.config import validate_config

    config = base_config(tmp_path, {name: settings}, [name])
    validate_config(config)
    return config["datasets"][name]


@pytest.mark.parametrize("name, writer, bad_line, expected", [
    ("yelp", write_yelp, '{"user_id": "U99", "business_id": "biz01", "stars": "five"}',
     f"yelp_academic_dataset_review.json, line {BAD_LINE}: field 'stars'"),
    ("yelp", write_yelp, '{"user_id": "U99", "business_id": "biz01", "stars": 4', f"line {BAD_LINE}: not valid JSON"),
    ("goodreads", write_goodreads, '{"user_id": "ab", "rating": 4}',
     f"goodreads_interactions_children.json.gz, line {BAD_LINE}: field 'book_id' is missing"),
    ("amazon", write_amazon, '{"reviewerID": "A1", "asin": null, "overall": 5.0}',
     f"CDs_and_Vinyl.json.gz, line {BAD_LINE}: field 'asin' is missing or null"),
])
def test_malformed_json_lines_name_file_and_line(tmp_path, name, writer, bad_line, expected):
    settings = official_datasets(tmp_path / "good")[name]
    folder = writer(tmp_path / "bad", [bad_line])
    settings = validated(tmp_path, name, {**settings, "local_path": str(folder)})
    with pytest.raises(DataFormatError, match=expected.replace("(", r"\(")):
        LOADERS[settings["loader"]].load(name, settings, tmp_path / "cache")


def test_malformed_ml1m_line_names_file_and_line(tmp_path):
    folder = write_ml1m(tmp_path / "raw", [(0, 1, 5), (1, 2, 4), (2, 3, "five")])
    settings = validated(tmp_path, "ml1m", {"loader": "movielens-1m", "local_path": str(folder), "md5": {}})
    with pytest.raises(DataFormatError, match=r"ratings\.dat, line 3: field 'rating' is 'five'"):
        LOADERS["movielens-1m"].load("ml1m", settings, tmp_path / "cache")


def test_truncated_gzip_is_named(tmp_path):
    folder = write_amazon(tmp_path / "raw")
    path = folder / "CDs_and_Vinyl.json.gz"
    path.write_bytes(path.read_bytes()[:200])
    settings = validated(tmp_path, "amazon", {"loader": "amazon-2018", "local_path": str(folder), "urls": {}})
    with pytest.raises(DataFormatError, match="CDs_and_Vinyl.json.gz: cannot be read to the end"):
        LOADERS["amazon-2018"].load("amazon", settings, tmp_path / "cache")


def test_ml1m_checksum_mismatch_is_named(tmp_path):
    folder = write_ml1m(tmp_path / "raw")
    settings = validated(tmp_path, "ml1m", {"loader": "movielens-1m", "local_path": str(folder)})  # official md5
    with pytest.raises(DataSourceError, match=r"ml-1m\.zip: md5 is [0-9a-f]{32}, expected c4d9eecf"):
        LOADERS["movielens-1m"].load("ml1m", settings, tmp_path / "cache")


def test_missing_files_stop_the_run_before_any_job(tmp_path, run_snakemake):
    config = base_config(tmp_path, {"yelp": {"loader": "yelp", "local_path": str(tmp_path / "nowhere")},
                                    "goodreads": {"loader": "goodreads", "urls": {}}}, ["yelp", "goodreads"])
    result = run_snakemake(tmp_path / "run", config, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for expected in ("nowhere/yelp_academic_dataset_review.json is missing",
                     "https://www.yelp.com/dataset",
                     f"{tmp_path}/cache/goodreads/goodreads_books_children.json.gz is missing",
                     "datasets.goodreads.local_path"):
        assert expected in output, output[-3000:]
    assert not (tmp_path / "results" / "data").exists()


def test_gzip_interactions_are_streamed_not_loaded_whole(tmp_path, monkeypatch):
    """The reader hands pyarrow a stream: Python's json is never called on the happy path."""
    folder = write_goodreads(tmp_path / "raw")
    settings = validated(tmp_path, "goodreads", {"loader": "goodreads", "local_path": str(folder), "urls": {},
                                                 "concepts": GOODREADS_CONCEPTS})
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("json.loads used on valid input"))
    monkeypatch.setattr(gzip, "open", lambda *a, **k: pytest.fail("gzip.open used on valid input"))
    raw = LOADERS["goodreads"].load("goodreads", settings, tmp_path / "cache")
    assert len(raw.interactions) == len(design())


@pytest.mark.slow
def test_paper_config_regenerates_tables_figures_and_the_reference_comparison(tmp_path, run_snakemake):
    """config/paper.yaml on tiny official files: only paths, sizes and model budgets are changed."""
    import yaml

    from conftest import REPO

    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    tiny = official_datasets(tmp_path / "raw")
    for name, source in zip(paper["study"]["datasets"], ["ml1m", "yelp", "goodreads", "amazon"]):
        paper["datasets"][name].update(local_path=tiny[source]["local_path"], concepts=tiny[source]["concepts"])
        paper["datasets"][name].update({k: v for k, v in tiny[source].items() if k in ("md5", "urls")})
    paper["study"]["seeds"] = [41, 53]
    paper["study"]["models"] = ["toppop", "puresvd", "multivae"]
    paper["models"]["multivae"].update(hidden=[16], max_epochs=10, batch_size=10)  # betas: tuned, as the paper
    paper["tuning"].update(trials=2, spaces={"puresvd": {"code_dim": {"int": [2, 8]}},  # 13 items only
                                             "common": {"code_dim": {"int": [2, 8]}}})
    paper["evaluation"]["grids"]["gbt"] = {"n_estimators": [10], "max_depth": [2], "learning_rate": [0.1]}
    paper.update(results_dir=str(tmp_path / "results"), cache_dir=str(tmp_path / "cache"))
    run_snakemake(tmp_path / "run", paper)
    tables, figures = tmp_path / "results" / "tables", tmp_path / "results" / "figures"
    runs = pd.read_csv(tables / "runs.csv")
    assert len(runs) == 4 * 3 * 2
    by_model = pd.read_csv(tables / "rmcorr_by_model.csv")
    assert by_model["r"].notna().any()  # four datasets: within-model correlations are defined
    comparison = pd.read_csv(tables / "reference_comparison.csv")
    assert set(comparison["dataset"]) == set(paper["study"]["datasets"])
    assert set(runs["variant"]) == {"toppop", "puresvd", "multivae β tuned"} and runs["tuned"].sum() == 16
    for name in ("rmcorr_by_dataset.png", "rmcorr_by_model.png", "beta_tradeoff.png", "tuning_curves.png"):
        assert (figures / name).stat().st_size > 0
