import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from disrec.preprocess import reindex
from disrec.splits import holdout_sizes, split_weak_generalisation
from disrec.storage import write_parquet


def random_interactions(n_users=120, n_items=80, seed=0, low=1, high=30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(u, i) for u in range(n_users) for i in rng.choice(n_items, size=rng.integers(low, high), replace=False)]
    return reindex(pd.DataFrame(rows, columns=["user_id", "item_id"])).interactions


def test_holdout_sizes_follow_the_rule():
    counts = np.array([0, 1, 2, 3, 5, 7, 8, 10, 12, 13])
    # max(1, round(0.2 n)) for n >= 2 (half-up rounding), 0 below.
    assert holdout_sizes(counts, 0.2).tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 3]
    assert holdout_sizes(np.array([3, 5]), 0.5).tolist() == [2, 3]  # 1.5 -> 2, 2.5 -> 3: half-up


def test_split_sizes_disjointness_and_coverage():
    interactions = random_interactions()
    splits = split_weak_generalisation(interactions, test_fraction=0.2, validation_fraction=0.25, seed=41)
    counts = interactions.groupby("user").size()
    test_counts = splits.test_out.groupby("user").size().reindex(counts.index, fill_value=0)
    assert (test_counts.to_numpy() == holdout_sizes(counts.to_numpy(), 0.2)).all()
    train_counts = splits.train.groupby("user").size().reindex(counts.index, fill_value=0)
    valid_counts = splits.valid_out.groupby("user").size().reindex(counts.index, fill_value=0)
    assert (valid_counts.to_numpy() == holdout_sizes(train_counts.to_numpy(), 0.25)).all()

    def pairs(frame):
        return set(map(tuple, frame[["user", "item"]].to_numpy()))

    assert pairs(splits.train).isdisjoint(pairs(splits.test_out))
    assert pairs(splits.train) | pairs(splits.test_out) == pairs(interactions)
    assert pairs(splits.valid_in).isdisjoint(pairs(splits.valid_out))
    assert pairs(splits.valid_in) | pairs(splits.valid_out) == pairs(splits.train)
    for frame in splits.as_dict().values():
        assert frame.equals(frame.sort_values(["user", "item"]).reset_index(drop=True))


def test_every_user_is_in_every_split_when_users_have_five_or_more():
    interactions = random_interactions(low=5)
    splits = split_weak_generalisation(interactions, test_fraction=0.2, validation_fraction=0.2, seed=7)
    users = set(interactions["user"])
    for name, frame in splits.as_dict().items():
        assert set(frame["user"]) == users, name


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    interactions = random_interactions()

    def written(seed, tag):
        splits = split_weak_generalisation(interactions, test_fraction=0.2, validation_fraction=0.2, seed=seed)
        path = tmp_path / f"{tag}.parquet"
        write_parquet(splits.test_out, path)
        return path.read_bytes()

    assert written(41, "a") == written(41, "b")
    assert written(41, "a") != written(53, "c")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), min_size=1, max_size=150),
       st.floats(0.05, 0.95), st.integers(0, 2**32 - 1))
def test_split_properties_hold_on_any_input(pairs, fraction, seed):
    interactions = reindex(pd.DataFrame(pairs, columns=["user_id", "item_id"]).drop_duplicates()).interactions
    splits = split_weak_generalisation(interactions, test_fraction=fraction, validation_fraction=fraction, seed=seed)
    assert len(splits.train) + len(splits.test_out) == len(interactions)
    counts = interactions.groupby("user").size()
    held = splits.test_out.groupby("user").size().reindex(counts.index, fill_value=0)
    assert (held.to_numpy() == holdout_sizes(counts.to_numpy(), fraction)).all()
