"""Controllability against decoders whose answer is known, and on PureSVD fit to planted synthetic data."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from planted_codes import planted_puresvd

from disrec.metrics.classifiers import fit_factor_classifiers, importance_matrix, standardise
from disrec.metrics.controllability import Traverser, traversal_dimensions


class ConceptAutoencoder:
    """Code = the user's share of train items per concept (plus noise dims); scores = code @ decoder weights."""

    def __init__(self, concepts: np.ndarray, weights: np.ndarray, noise_dims: int = 2):
        self.concepts = torch.from_numpy(concepts.astype(np.float32))
        self.weights = torch.from_numpy(weights.astype(np.float32))
        self.noise_dims = noise_dims

    def decoder_input(self, x: torch.Tensor) -> torch.Tensor:
        shares = (x @ self.concepts) / x.sum(dim=1, keepdim=True).clamp_min(1)
        noise = torch.sin(x @ torch.arange(x.shape[1], dtype=torch.float32).unsqueeze(1) * torch.arange(
            1, self.noise_dims + 1, dtype=torch.float32))  # deterministic, unrelated to the concepts
        return torch.cat([shares, noise], dim=1)

    def decode_shifted(self, latent: torch.Tensor, dim: int, delta: float) -> torch.Tensor:
        shifted = latent.clone()
        shifted[:, dim] += delta
        return shifted @ self.weights


@pytest.fixture(scope="module")
def concept_data():
    rng = np.random.default_rng(0)
    n_users, n_items, k = 300, 90, 3
    concepts = np.zeros((n_items, k), dtype=bool)
    concepts[np.arange(n_items), np.arange(n_items) % k] = True
    preferred = rng.integers(0, k, n_users)
    probability = np.where(concepts[:, preferred].T, 0.25, 0.03)
    train = sp.csr_matrix((rng.random((n_users, n_items)) < probability).astype(np.float32))
    return rng, train, concepts


def traverse(decoder, train, concepts, steps=(1.0, 2.0), batch_size=64):
    codes = torch.cat([decoder.decoder_input(torch.from_numpy(train[rows].toarray()))
                       for rows in np.array_split(np.arange(train.shape[0]), 3)]).numpy()
    shares = np.asarray(train @ concepts.astype(float)) / np.maximum(np.asarray(train.sum(axis=1)), 1)
    factors = (shares >= 0.5).astype(int)  # the 50% rule of docs/methods.md §3.2
    importance = np.vstack([np.eye(concepts.shape[1]), np.zeros((decoder.noise_dims, concepts.shape[1]))])
    return Traverser(decoder, train, concepts, codes, list(steps), k=10, batch_size=batch_size)(importance, factors)


def test_a_decoder_that_maps_each_dimension_to_its_concept_is_controllable(concept_data):
    rng, train, concepts = concept_data
    aligned = np.vstack([concepts.T * 1.0, np.zeros((2, concepts.shape[0]))]) + 0.05 * rng.normal(size=(5, 90))
    result = traverse(ConceptAutoencoder(concepts, aligned), train, concepts)
    assert result.score > 0.2
    assert result.monotone.all()
    assert (result.users_changed > 0.5).all()
    zero = list(result.signed_steps).index(0.0)
    for j in range(3):  # concept j's share rises with the step on its own traversal
        assert np.all(np.diff(result.shares[j, :, j]) > 0)
        assert result.shares[j, zero, j] == pytest.approx(result.shares[0, zero, j])


def test_a_sign_flipped_dimension_is_traversed_in_the_raising_direction(concept_data):
    rng, train, concepts = concept_data
    aligned = np.vstack([concepts.T * 1.0, np.zeros((2, 90))])

    class Flipped(ConceptAutoencoder):
        def decoder_input(self, x):
            return -super().decoder_input(x)

    plain = traverse(ConceptAutoencoder(concepts, aligned), train, concepts)
    flipped = traverse(Flipped(concepts, -aligned), train, concepts)
    assert (flipped.signs == -1).all() and (plain.signs == 1).all()
    np.testing.assert_allclose(flipped.per_factor, plain.per_factor, atol=1e-12)


def test_a_decoder_unrelated_to_the_concepts_is_not_controllable(concept_data):
    rng, train, concepts = concept_data
    unrelated = np.zeros((5, 90))
    unrelated[3:] = rng.normal(size=(2, 90))  # only the noise dimensions move scores
    result = traverse(ConceptAutoencoder(concepts, unrelated), train, concepts)
    assert result.score == pytest.approx(0.0, abs=1e-12)
    assert (result.users_changed == 0).all()


def test_the_traversed_dimension_is_the_most_important_and_its_sign_follows_the_factor():
    codes = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, -1.0], [3.0, -2.0]])
    factors = np.array([[0, 0], [0, 0], [1, 1], [1, 1]])
    dims, signs = traversal_dimensions(np.array([[0.9, 0.1], [0.1, 0.8]]), codes, factors)
    assert dims.tolist() == [0, 1] and signs.tolist() == [1, -1]


def test_batches_do_not_change_the_result(concept_data):
    rng, train, concepts = concept_data
    weights = rng.normal(size=(5, 90))
    one = traverse(ConceptAutoencoder(concepts, weights), train, concepts, batch_size=1000)
    many = traverse(ConceptAutoencoder(concepts, weights), train, concepts, batch_size=37)
    np.testing.assert_allclose(one.shares, many.shares, atol=1e-9)
    np.testing.assert_array_equal(one.users_changed, many.users_changed)


class PureSVDDecoder:
    """PureSVD decodes code u as u S V^T (= x V V^T for its own users)."""

    def __init__(self, model):
        self.model = model

    def decoder_input(self, x):
        return self.model.codes(x)

    def decode_shifted(self, latent, dim, delta):
        shifted = latent.clone()
        shifted[:, dim] += delta
        return (shifted * self.model.singular_values) @ self.model.item_factors.T


def test_puresvd_on_planted_data_steers_its_concepts_better_than_a_shuffled_concept_table():
    model, train, item_concepts, (codes, codes_valid), (factors, factors_valid) = planted_puresvd()
    kept = [j for j in range(factors.shape[1]) if 0.01 <= factors[:, j].mean() < 0.99]
    factors, factors_valid, item_concepts = factors[:, kept], factors_valid[:, kept], item_concepts[:, kept]
    classifiers = fit_factor_classifiers(standardise(codes), factors, standardise(codes_valid), factors_valid,
                                         kind="gbt", grid={"n_estimators": [30], "max_depth": [2]}, seed=0)
    importance, decoder = importance_matrix(classifiers), PureSVDDecoder(model)
    real = Traverser(decoder, train, item_concepts, codes, [1.0, 2.0], k=10)(importance, factors)
    shuffled_table = item_concepts[np.random.default_rng(1).permutation(len(item_concepts))]
    shuffled = Traverser(decoder, train, shuffled_table, codes, [1.0, 2.0], k=10)(importance, factors)
    assert real.score > 0.05 and real.score > shuffled.score + 0.05
    assert abs(shuffled.score) < 0.05


class CountingDecoder(ConceptAutoencoder):
    """Counts the shifted decodes it is asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decodes = 0

    def decode_shifted(self, latent, dim, delta):
        self.decodes += 1
        return super().decode_shifted(latent, dim, delta)


def test_a_reused_traverser_decodes_each_shift_once_and_answers_as_a_fresh_one(concept_data):
    rng, train, concepts = concept_data
    weights = rng.normal(size=(5, 90))
    decoder = CountingDecoder(concepts, weights)
    codes = decoder.decoder_input(torch.from_numpy(train.toarray())).numpy()
    shares = np.asarray(train @ concepts.astype(float)) / np.maximum(np.asarray(train.sum(axis=1)), 1)
    factors = (shares >= 0.5).astype(int)
    # factors 0 and 1 share dimension 4; the null's permuted factors flip signs but reuse dimensions
    importance = np.zeros((5, 3))
    importance[[4, 4, 2], [0, 1, 2]] = 1.0
    permuted = factors[rng.permutation(len(factors))]
    traverser = Traverser(decoder, train, concepts, codes, [1.0, 2.0], k=10, batch_size=64)
    batches = int(np.ceil(train.shape[0] / 64))
    first = traverser(importance, factors)
    shifts = {(int(d), s * int(sign)) for d, sign in zip(first.dims, first.signs) for s in (-2, -1, 1, 2)}
    assert decoder.decodes == batches * (1 + len(shifts)) < batches * (1 + 3 * 4)
    again = traverser(importance, permuted)
    new = {(int(d), s * int(sign)) for d, sign in zip(again.dims, again.signs) for s in (-2, -1, 1, 2)} - shifts
    assert decoder.decodes == batches * (1 + len(shifts)) + (batches * (1 + len(new)) if new else 0)
    def fresh_traversal(run_factors):
        return Traverser(CountingDecoder(concepts, weights), train, concepts, codes, [1.0, 2.0], k=10,
                         batch_size=64)(importance, run_factors)

    for reused, fresh in ((first, fresh_traversal(factors)), (again, fresh_traversal(permuted))):
        for field in ("dims", "signs", "shares", "per_factor", "monotone", "users_changed"):
            np.testing.assert_array_equal(getattr(reused, field), getattr(fresh, field))
