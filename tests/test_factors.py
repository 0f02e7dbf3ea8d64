import numpy as np
import pandas as pd

from disrec.datasets.synthetic import generate_planted
from disrec.factors import factor_table, select_factors, user_factors
from disrec.preprocess import reindex


def pairs(rows):
    return pd.DataFrame(rows, columns=["user", "item"])


# items: 0 has A; 1 has A and B; 2 has B; 3 has nothing
CONCEPTS = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=bool)


def test_fifty_percent_rule_by_hand():
    interactions = pairs([
        (0, 0), (0, 3),          # 1 of 2 with A -> A (exactly 50%); 0 of 2 with B
        (1, 0), (1, 2), (1, 3),  # A 1/3, B 1/3 -> nothing
        (2, 1), (2, 2),          # A 1/2, B 2/2 -> both
        # user 3 has no interactions -> nothing
    ])
    factors = user_factors(interactions, CONCEPTS, n_users=4, min_share=0.5)
    assert factors.tolist() == [[True, False], [False, False], [True, True], [False, False]]


def test_share_threshold_is_inclusive_without_float_error():
    interactions = pairs([(0, i) for i in range(10)])
    concepts = np.zeros((10, 1), dtype=bool)
    concepts[:3, 0] = True  # 3 of 10
    assert user_factors(interactions, concepts, 1, min_share=0.3).tolist() == [[True]]


def test_selection_is_made_on_train_and_applied_to_validation():
    train = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0], [1, 0, 1]], dtype=bool)  # rates 1.0, 0.5, 0.25
    valid = np.array([[0, 1, 1], [0, 0, 1], [1, 1, 1], [1, 0, 1]], dtype=bool)  # would keep other columns
    selection = select_factors(train, 0.01, 0.99)
    assert selection.kept == [1, 2]  # column 0 (rate 1.0) is dropped on train
    names = ["A", "B", "C"]
    valid_table = factor_table(valid, selection.kept, names)
    assert valid_table.columns.tolist() == ["user", "B", "C"]
    assert valid_table["C"].tolist() == [1, 1, 1, 1]  # kept although its validation rate is 1.0


def test_rate_bounds_are_half_open():
    factors = np.zeros((100, 2), dtype=bool)
    factors[:1, 0] = True   # rate 0.01: kept (inclusive)
    factors[:99, 1] = True  # rate 0.99: dropped (exclusive)
    assert select_factors(factors, 0.01, 0.99).kept == [0]


def test_synthetic_factors_recover_the_planted_concepts():
    data = generate_planted(n_users=400, n_items=300, n_concepts=5, item_concept_probability=0.3,
                            min_concepts_per_user=1, max_concepts_per_user=2, min_interactions_per_user=15,
                            max_interactions_per_user=40, noise=0.1, popularity_exponent=0.5, seed=1)
    prepared = reindex(data.interactions[["user_id", "item_id"]])
    concepts = data.item_concepts[prepared.items["original_id"].to_numpy()]
    factors = user_factors(prepared.interactions, concepts, len(prepared.users))
    truth = data.user_concepts[prepared.users["original_id"].to_numpy()]
    assert (factors == truth).all(axis=1).mean() > 0.9


def test_generator_is_deterministic_and_seeded():
    kwargs = dict(n_users=50, n_items=60, n_concepts=4, item_concept_probability=0.3, min_concepts_per_user=1,
                  max_concepts_per_user=2, min_interactions_per_user=5, max_interactions_per_user=10, noise=0.2,
                  popularity_exponent=1.0)
    a, b, c = (generate_planted(**kwargs, seed=s) for s in (5, 5, 6))
    assert a.interactions.equals(b.interactions) and (a.item_concepts == b.item_concepts).all()
    assert not a.interactions.equals(c.interactions)
    assert a.item_concepts.any(axis=1).all()  # every item carries a concept
