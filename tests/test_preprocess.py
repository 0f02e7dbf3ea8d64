from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disrec.errors import EmptyDatasetError
from disrec.preprocess import binarise, k_core, prepare_interactions, reindex


def test_binarise_keeps_ratings_at_threshold_and_collapses_duplicates():
    ratings = pd.DataFrame({"user_id": [1, 1, 1, 2, 2], "item_id": [10, 10, 11, 10, 12],
                            "rating": [4.0, 5.0, 3.0, 3.5, 4.0]})
    assert binarise(ratings, 4).values.tolist() == [[1, 10], [2, 12]]


def test_reindex_orders_by_original_ids_and_keeps_mapping():
    pairs = pd.DataFrame({"user_id": ["u9", "u10", "u9"], "item_id": [30, 5, 5]})
    prepared = reindex(pairs)
    assert prepared.users["original_id"].tolist() == ["u10", "u9"]
    assert prepared.items["original_id"].tolist() == [5, 30]
    assert prepared.interactions.values.tolist() == [[0, 0], [1, 0], [1, 1]]
    assert prepared.interactions.dtypes.tolist() == [np.int32, np.int32]


def test_k_core_cascades():
    # item 3 has one user; dropping it leaves user 2 with one item, which then drops item 2's support.
    pairs = pd.DataFrame({"user_id": [1, 1, 2, 2, 3, 3], "item_id": [1, 2, 2, 3, 1, 2]})
    result = k_core(pairs, min_user=2, min_item=2)
    assert sorted(map(tuple, result.values)) == [(1, 1), (1, 2), (3, 1), (3, 2)]


def peel(pairs: set, min_user: int, min_item: int) -> set:
    """The k-core by its definition, on plain sets: drop under-supported users and items until none is."""
    pairs = set(pairs)
    while True:
        users = Counter(u for u, _ in pairs)
        items = Counter(i for _, i in pairs)
        kept = {(u, i) for u, i in pairs if users[u] >= min_user and items[i] >= min_item}
        if kept == pairs:
            return pairs
        pairs = kept


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=120).map(set),
       st.sets(st.integers(0, 12), min_size=4, max_size=6), st.sets(st.integers(0, 12), min_size=4, max_size=6),
       st.integers(1, 4), st.integers(1, 4))
def test_k_core_keeps_a_planted_block_and_equals_the_definition(noise, block_users, block_items, min_user,
                                                                min_item):
    # Every user of the block has >= 4 >= min_user block items and every item >= min_item block users, so the
    # block survives any filtering: the core (the largest set meeting both thresholds) must contain it.
    block = {(u, i) for u in block_users for i in block_items}
    pairs = noise | block
    frame = pd.DataFrame(sorted(pairs), columns=["user_id", "item_id"], dtype="int64")
    core = set(map(tuple, k_core(frame, min_user, min_item).values.tolist()))
    assert block <= core <= pairs
    assert core == peel(pairs, min_user, min_item)
    assert min(Counter(u for u, _ in core).values()) >= min_user
    assert min(Counter(i for _, i in core).values()) >= min_item


def test_filters_that_empty_the_dataset_say_which_settings():
    ratings = pd.DataFrame({"user_id": [1, 2], "item_id": [1, 1], "rating": [5.0, 5.0]})
    with pytest.raises(EmptyDatasetError, match=r"dataset 'tiny'.*min_user_interactions=3.*datasets.tiny"):
        prepare_interactions(ratings, threshold=4, min_user=3, min_item=1, dataset="tiny")
