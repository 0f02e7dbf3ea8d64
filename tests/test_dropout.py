"""Dropout masks from integer draws: torch's own numbers and generator state, or torch's draw where they differ."""

import pytest
import torch
import torch.nn.functional as F

from disrec.models import dropout as dropout_module
from disrec.models.dropout import draws_like_torch, dropout, keep_scale


def after_seed(function, *args):
    """``function(*args)`` right after seeding the default generator, with the next numbers it gives."""
    torch.manual_seed(7)
    return function(*args), torch.get_rng_state(), torch.rand(5)


def assert_same_draws(ours, theirs):
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


def torch_keep_scale(like, keep_prob):
    return torch.bernoulli(torch.full_like(like, keep_prob)) / keep_prob


@pytest.mark.parametrize("p", [0.5, 0.2, 1 / 3, 0.9])
def test_dropout_and_keep_scale_give_torchs_numbers_and_leave_the_generator_where_torch_does(p):
    x = torch.rand(37, 1001)
    assert_same_draws(after_seed(dropout, x, p, True), after_seed(F.dropout, x, p, True))
    ours = after_seed(keep_scale, torch.empty(513, 7), 1 - p)
    assert_same_draws(ours, after_seed(torch_keep_scale, torch.empty(513, 7), 1 - p))
    assert 0 < (ours[0] == 0).float().mean() < 1  # a real mask: some entries dropped, some kept


def test_dropout_outside_training_or_at_p_zero_is_the_input():
    x = torch.rand(4, 9)
    assert dropout(x, 0.5, False) is x
    assert torch.equal(dropout(x, 0.0, True), x)
    assert torch.equal(dropout(x, 1.0, True), torch.zeros_like(x))


def test_masks_come_from_the_integer_draws_where_those_match_torchs(monkeypatch):
    if not (draws_like_torch(0.5, "scalar") and draws_like_torch(0.5, "float32")):
        pytest.skip("torch draws its Bernoulli masks otherwise on this CPU (MKL): its own draw is used")

    def refused(*args):
        raise AssertionError("torch's Bernoulli kernel was called")

    monkeypatch.setattr(dropout_module, "_torch_mask", refused)
    x = torch.rand(20, 30)
    assert_same_draws(after_seed(dropout, x, 0.5, True), after_seed(F.dropout, x, 0.5, True))
    assert_same_draws(after_seed(keep_scale, x, 0.5), after_seed(torch_keep_scale, x, 0.5))


def test_integer_draws_that_differ_from_torchs_are_found_and_torch_draws_the_mask(monkeypatch):
    """Draws of the wrong width (one number per element where torch takes two, and the reverse) fail the
    check, and the masks are then torch's own."""
    monkeypatch.setattr(dropout_module, "DRAWS", {"scalar": (torch.int32, 24), "float32": (torch.int64, 53)})
    draws_like_torch.cache_clear()
    try:
        assert not draws_like_torch(0.5, "scalar") and not draws_like_torch(0.5, "float32")
        x = torch.rand(20, 30)
        assert_same_draws(after_seed(dropout, x, 0.5, True), after_seed(F.dropout, x, 0.5, True))
        assert_same_draws(after_seed(keep_scale, x, 0.5), after_seed(torch_keep_scale, x, 0.5))
    finally:
        draws_like_torch.cache_clear()
