"""The six recommenders: learning, codes, early stopping, KL weights, MacridVAE, determinism, failures."""

import json
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from disrec.codes import code_health
from disrec.config import validate_config
from disrec.matrices import interaction_matrix
from disrec.metrics.accuracy import evaluate_ranking
from disrec.models import MODEL_NAMES, Recommender, build_model, load_trained_model
from disrec.models.autoencoders import MultiDAE
from disrec.models.base import kl_schedule
from disrec.models.macridvae import MacridVAE
from disrec.steps.train import train_run
from disrec.training import train

BETAS = {"multivae": 0.2, "betavae": 0.5, "macridvae": 0.2}


def model_config(**changes):
    config = validate_config({"study": {"datasets": ["s"]}, "datasets": {"s": {"loader": "synthetic"}}},
                             check_folders=False)
    for name in MODEL_NAMES[2:]:
        config["models"][name].update({"hidden": [64], "batch_size": 100, "max_epochs": 60, "lr": 0.003, **changes})
    config["models"]["puresvd"]["code_dim"] = 10
    return config


def run_model(dataset, folder, name, config=None, seed=41):
    config = config or model_config()
    settings = {k: v for k, v in config["models"][name].items() if k != "betas"}
    paths = dataset["paths"]
    outputs = {key: str(folder / f"{key}{suffix}") for key, suffix in
               (("weights", ".pt"), ("codes_train", ".parquet"), ("codes_valid_in", ".parquet"), ("report", ".json"))}
    training = None if name in ("toppop", "puresvd") else {**config["training"], "device": "cpu"}
    train_run("s", name, settings, training, BETAS.get(name), seed, 2, user_ids=str(paths["user_ids"]),
              item_ids=str(paths["item_ids"]), train_split=str(paths["train"]), valid_in=str(paths["valid_in"]),
              valid_out=str(paths["valid_out"]), **outputs)
    return settings, outputs


def held_out_ndcg(dataset, model, settings, weights):
    trained = load_trained_model(model, settings, BETAS.get(model), dataset["n_items"], weights)
    splits, n_users, n_items = dataset["splits"], dataset["n_users"], dataset["n_items"]
    result = evaluate_ranking(trained.scores, interaction_matrix(splits.train, n_users, n_items),
                              interaction_matrix(splits.test_out, n_users, n_items), [10])
    return result["ndcg@10"]


@pytest.fixture(scope="module")
def toppop_ndcg(dataset, tmp_path_factory):
    settings, outputs = run_model(dataset, tmp_path_factory.mktemp("toppop"), "toppop")
    return held_out_ndcg(dataset, "toppop", settings, outputs["weights"])


@pytest.mark.slow
@pytest.mark.parametrize("name", MODEL_NAMES[1:])
def test_each_model_learns_and_beats_toppop(dataset, tmp_path, toppop_ndcg, name):
    settings, outputs = run_model(dataset, tmp_path, name)
    report = json.loads(open(outputs["report"]).read())
    assert report["status"] == "ok", report["reason"]
    ndcg = held_out_ndcg(dataset, name, settings, outputs["weights"])
    assert ndcg > 1.5 * toppop_ndcg, (name, ndcg, toppop_ndcg)

    codes = pd.read_parquet(outputs["codes_train"])
    size = 10
    assert codes.columns.tolist() == ["user"] + [f"z{j}" for j in range(size)]
    assert codes.shape == (dataset["n_users"], size + 1)
    assert all(codes[f"z{j}"].dtype == np.float32 for j in range(size))
    assert np.isfinite(codes.to_numpy()).all()
    if name != "puresvd":
        selection = report["selection"]
        assert selection["best_epoch"] % 5 == 0 and report["final"]["epochs"] == selection["best_epoch"]
        assert [e["epoch"] for e in selection["curve"] if "valid_score" in e] == list(
            range(5, selection["epochs"] + 1, 5))


def test_toppop_has_no_code(dataset, tmp_path):
    _, outputs = run_model(dataset, tmp_path, "toppop")
    assert pd.read_parquet(outputs["codes_train"]).columns.tolist() == ["user"]
    assert json.loads(open(outputs["report"]).read())["code_size"] is None


def test_same_seed_gives_identical_codes_on_cpu(dataset, tmp_path):
    config = model_config(max_epochs=10)
    first = run_model(dataset, tmp_path / "a", "multivae", config)[1]
    second = run_model(dataset, tmp_path / "b", "multivae", config)[1]
    other = run_model(dataset, tmp_path / "c", "multivae", config, seed=53)[1]
    read = lambda outputs: open(outputs["codes_train"], "rb").read()
    assert read(first) == read(second)
    assert read(first) != read(other)


# The promise across thread counts (README, "Determinism"): codes agree to this fraction of their largest
# magnitude. torch splits float32 reductions by thread count, so the last bits may differ.
THREAD_TOLERANCE = 1e-5


@contextmanager
def torch_threads(n):
    """Limit torch and the BLAS pools to ``n`` threads, as a pipeline job does; restore torch's count after."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


def test_codes_are_identical_at_one_thread_count_and_within_tolerance_across_counts(dataset, tmp_path):
    name, config = "multidae", model_config(max_epochs=10)
    outputs = {}
    for label, threads in (("first", 1), ("again", 1), ("two", 2)):
        with torch_threads(threads):
            outputs[label] = run_model(dataset, tmp_path / label, name, config)[1]
    for codes in ("codes_train", "codes_valid_in"):
        first, again, two = (outputs[label][codes] for label in ("first", "again", "two"))
        assert open(first, "rb").read() == open(again, "rb").read(), codes
        one, two = (pd.read_parquet(path).set_index("user").to_numpy() for path in (first, two))
        np.testing.assert_allclose(two, one, rtol=0, atol=THREAD_TOLERANCE * np.abs(one).max(), err_msg=codes)
    assert json.loads(open(outputs["two"]["report"]).read())["status"] == "ok"


class Scripted(Recommender):
    """A one-parameter model; its validation scores are scripted to test early stopping."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def loss(self, x, kl_weight):
        value = ((self.w - 1.0) ** 2).sum()
        return value, {}


def test_early_stopping_restores_the_best_weights():
    model, seen = Scripted(), {}
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.9])

    def validate(m):
        seen[len(seen) + 1] = m.w.item()
        return next(scores)

    matrix = interaction_matrix(pd.DataFrame({"user": [0, 1], "item": [0, 1]}), 2, 2)
    record = train(model, matrix, lr=0.01, batch_size=2, max_epochs=100, seed=0, device=torch.device("cpu"),
                   validate=validate, eval_every=5, patience=2)
    assert [e["epoch"] for e in record.evaluations] == [5, 10, 15, 20]  # stopped after 2 evaluations w/o gain
    assert record.best_epoch == 10 and record.epochs == 20
    assert model.w.item() == seen[2] != seen[4]


def test_non_finite_loss_is_recorded_not_raised():
    class Exploding(Scripted):
        def loss(self, x, kl_weight):
            return self.w.sum() / 0.0 * 0.0, {}

    matrix = interaction_matrix(pd.DataFrame({"user": [0], "item": [0]}), 1, 1)
    record = train(Exploding(), matrix, lr=0.01, batch_size=1, max_epochs=10, seed=0, device=torch.device("cpu"))
    assert record.status == "nan_loss" and "epoch 1" in record.reason


def test_a_failing_fit_is_written_as_a_failed_run(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(MultiDAE, "loss", lambda self, x, w: (torch.tensor(float("nan")), {}))
    _, outputs = run_model(dataset, tmp_path, "multidae")
    report = json.loads(open(outputs["report"]).read())
    assert report["status"] == "failed" and "non-finite loss at epoch 1" in report["reason"]
    assert report["final"] is None


def test_code_health():
    assert code_health(np.array([[0.0, 1.0], [1.0, 2.0]]))[0] == "ok"
    assert code_health(np.array([[0.0, np.nan], [1.0, 2.0]]))[0] == "failed"
    status, reason, constant = code_health(np.array([[0.0, 3.0], [1.0, 3.0]]))
    assert status == "collapsed" and constant == [1] and "[1]" in reason


STEPS = {"length": 1000, "unit": "steps"}


def test_kl_schedule_in_steps_and_in_epochs():
    assert kl_schedule(0, 0.2, STEPS, 7) == 0.0
    assert kl_schedule(100, 0.2, STEPS, 7) == pytest.approx(0.1)
    assert kl_schedule(10_000, 0.2, STEPS, 7) == 0.2
    assert kl_schedule(0, 2.0, None, 7) == 2.0
    epochs = {"length": 5, "unit": "epochs"}  # the ramp reaches 1 after 5 epochs of 4 batches (20 steps)
    assert kl_schedule(2, 0.2, epochs, 4) == pytest.approx(0.1) and kl_schedule(4, 0.2, epochs, 4) == 0.2
    assert kl_schedule(2, 0.2, epochs, 40) == pytest.approx(0.01)  # ten times the batches: ten times slower


def test_beta_sets_the_weight_of_the_kl_term():
    config = model_config()
    settings = {k: v for k, v in config["models"]["multivae"].items() if k != "betas"}
    vae = build_model("multivae", 30, {**settings, "kl_anneal": STEPS}, beta=0.4)
    beta_vae = build_model("betavae", 30, {k: v for k, v in config["models"]["betavae"].items() if k != "betas"},
                           beta=3.0)
    assert vae.kl_weight(0, 2) == 0.0 and vae.kl_weight(10**9, 2) == 0.4
    assert vae.kl_weight(100, 2) == pytest.approx(0.1)
    assert beta_vae.kl_weight(0, 2) == beta_vae.kl_weight(10**9, 2) == 3.0
    x = (torch.rand(8, 30) < 0.3).float()
    x[:, 0] = 1
    torch.manual_seed(0)
    loss_a, parts = beta_vae.loss(x, 0.0)
    torch.manual_seed(0)
    loss_b, _ = beta_vae.loss(x, 3.0)
    assert (loss_b - loss_a).item() == pytest.approx(3.0 * parts["kl"], rel=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("anneal, reaches", [({"length": 2, "unit": "epochs"}, True),
                                             ({"length": 200000, "unit": "steps"}, False)])
def test_training_records_the_kl_weight_reached(dataset, tmp_path, anneal, reaches):
    """A 10-epoch fit of 320 users in batches of 100 (4 steps an epoch): annealing over 2 epochs reaches beta;
    the study's 200,000 steps stop at 39 / 200,000 of it, and the report says so."""
    from disrec.steps.evaluate import beta_note

    config = model_config(max_epochs=10)
    config["models"]["multivae"]["kl_anneal"] = anneal
    outputs = run_model(dataset, tmp_path, "multivae", config)[1]
    report = json.loads(open(outputs["report"]).read())
    final = report["final"]
    steps = final["epochs"] * -(-dataset["n_users"] // 100)
    expected = 0.2 if reaches else (steps - 1) / 200000
    assert report["beta_reached"] == pytest.approx(expected) and final["kl_weight_reached"] == report["beta_reached"]
    assert (beta_note(0.2, report["beta_reached"]) is None) == reaches


def test_final_fit_epochs_best_or_the_study_rule():
    from disrec.training import TrainingLog, final_fit_epochs

    stopped = TrainingLog(epochs=45, best_epoch=30, stopped_early=True)
    assert final_fit_epochs(stopped, "best_epoch", eval_every=5, patience=3, max_epochs=500) == 30
    assert final_fit_epochs(stopped, "study", eval_every=5, patience=3, max_epochs=500) == 35
    ran_out = TrainingLog(epochs=500, best_epoch=480, stopped_early=False)
    assert final_fit_epochs(ran_out, "study", eval_every=5, patience=3, max_epochs=500) == 500


def test_early_stopping_stops_at_the_third_evaluation_without_a_new_best():
    """The study's EarlyStopper(allow_worse=2) every 5 epochs; a tie is no improvement."""
    import scipy.sparse as sp

    scores = iter([0.1, 0.3, 0.3, 0.2, 0.25, 0.9])
    model = build_model("multidae", 6, {"code_dim": 2, "hidden": [], "keep_prob": 1.0, "l2_reg": 0.0})
    record = train(model, sp.csr_matrix(np.eye(6, dtype=np.float32)), lr=0.01, batch_size=3, max_epochs=100,
                   seed=0, device=torch.device("cpu"), validate=lambda m: next(scores), eval_every=5, patience=3)
    assert record.epochs == 25 and record.best_epoch == 10 and record.stopped_early


def macrid(code="mean"):
    torch.manual_seed(0)
    return MacridVAE(120, 4, 8, [16], 0.5, 0.0, 0.1, 0.075, 0.2, STEPS, code=code)


def test_macridvae_assignments_sum_to_one():
    model = macrid()
    for training in (True, False):
        model.train(training)
        assignment = model.concept_assignment()
        assert assignment.shape == (120, 4)
        assert torch.allclose(assignment.sum(dim=1), torch.ones(120), atol=1e-5)


def test_macridvae_codes_are_k_by_default_and_k_times_dfac_as_option():
    x = (torch.rand(6, 120) < 0.2).float()
    assert macrid().eval().codes(x).shape == (6, 4)
    assert macrid("full").eval().codes(x).shape == (6, 32)
    full = macrid("full").eval().codes(x).reshape(6, 4, 8)
    assert torch.allclose(full.mean(dim=2), macrid().eval().codes(x), atol=1e-6)


@pytest.mark.parametrize("training", [False, True])
def test_macridvae_sparse_encoder_equals_dense_masked_inputs(training):
    """Concept k's input is dropout(normalise(x * a_k)) with its own mask: the sparse first layer gives what
    the dense (b, K, n_items) computation gives under the same masks."""
    model = macrid().train(training)
    x = (torch.rand(10, 120) < 0.15).float()
    x[0] = 0  # a user with no interactions: a zero input, not a division by zero
    assignment = model.concept_assignment()
    masks = (torch.rand(10, 4, 120) < 0.5).float() / 0.5 if training else torch.ones(10, 4, 120)
    rows, cols = x.nonzero(as_tuple=True)
    mu, logvar = model._posterior(x, assignment, dropout_scale=masks[rows, :, cols] if training else None)
    masked = x.unsqueeze(1) * assignment.T.unsqueeze(0)
    norms = (masked * masked).sum(dim=2, keepdim=True).clamp_min(1e-12).sqrt()
    h = model.encoder(masked / norms * masks)
    dense_mu, dense_logvar = F.normalize(h[..., :8], dim=2), -h[..., 8:]
    assert torch.allclose(mu, dense_mu, atol=1e-5)
    assert torch.allclose(logvar, dense_logvar, atol=1e-5)
    # and the same gradients, for the first layer's weights and (through the inputs) the item embeddings
    weights = torch.randn_like(mu), torch.randn_like(logvar)
    parameters = [model.encoder.layers[0].weight, model.items, model.prototypes]
    sparse_grads = torch.autograd.grad((mu * weights[0]).sum() + (logvar * weights[1]).sum(), parameters,
                                       retain_graph=True)
    dense_grads = torch.autograd.grad((dense_mu * weights[0]).sum() + (dense_logvar * weights[1]).sum(), parameters)
    for sparse, dense in zip(sparse_grads, dense_grads):
        assert torch.allclose(sparse, dense, atol=1e-5, rtol=1e-4)
        assert dense.abs().max() > 1e-3


def test_macridvae_dropout_masks_are_independent_per_concept_and_keep_the_scale():
    model = macrid().train()
    x = torch.ones(400, 120)
    _, _, values = model.concept_inputs(x, torch.full((120, 4), 0.25))
    dropped = values == 0
    assert 0.45 < dropped.float().mean() < 0.55
    assert (dropped[:, 0] != dropped[:, 1]).float().mean() > 0.4  # not one mask shared by the concepts
    # kept entries are scaled by 1 / keep: the expected input equals the evaluation input
    expected = values.reshape(400, 120, 4).mean(dim=(0, 1))
    assert torch.allclose(expected, torch.full((4,), 1 / 120 ** 0.5), rtol=0.05)


def test_puresvd_rank_above_the_matrix_size_is_a_clear_error():
    import scipy.sparse as sp

    from disrec.errors import ConfigError
    from disrec.models import build_model

    model = build_model("puresvd", 5, {"code_dim": 8})
    with pytest.raises(ConfigError, match=r"code_dim \(the rank\) is 8, above min\(users, items\) = 5"):
        model.fit(sp.random(30, 5, density=0.5, format="csr", random_state=0), seed=1)


@pytest.mark.parametrize("name", MODEL_NAMES[1:])
def test_models_with_a_code_decode_it_and_a_shift_moves_exactly_that_code_dimension(name):
    torch.manual_seed(0)
    config = model_config(code_dim=4)
    config["models"]["puresvd"]["code_dim"] = 4
    matrix = interaction_matrix(pd.DataFrame({"user": np.repeat(np.arange(30), 5),
                                              "item": np.random.default_rng(0).integers(0, 60, 150)}), 30, 60)
    model = build_model(name, 60, {k: v for k, v in config["models"][name].items() if k != "betas"},
                        BETAS.get(name))
    if model.closed_form:
        model.fit(matrix, seed=0)
    model.eval()
    x = torch.from_numpy(matrix.toarray())
    with torch.no_grad():
        latent = model.decoder_input(x)
        assert torch.allclose(model.decode_shifted(latent, 1, 0.0), model.scores(x), atol=1e-5)
        shifted = model.decode_shifted(latent, 1, 0.5)
        assert not torch.allclose(shifted, model.scores(x), atol=1e-3)
        if name == "macridvae":  # the code summarises the decoder input: a shift of every entry moves it by the step
            assert torch.allclose(model.codes(x), latent.mean(dim=2), atol=1e-6)
        else:
            assert torch.equal(model.codes(x), latent)


def test_compressed_first_layer_has_torch_sparse_mm_outputs_and_gradients():
    from disrec.models.macridvae import ConceptLayout, ConceptRowsTimesDense

    torch.manual_seed(0)
    n_users, n_items, k, hidden = 12, 40, 3, 16
    x = (torch.rand(n_users, n_items) < 0.2).float()
    x[4] = 0  # a user without interactions: empty rows
    rows, cols = x.nonzero(as_tuple=True)
    values0, weight0 = torch.rand(len(rows), k), torch.randn(hidden, n_items)
    upstream = torch.randn(n_users * k, hidden)
    # the plain COO matrix: row r * K + k holds user r's values for concept k
    index = torch.stack([(rows.unsqueeze(1) * k + torch.arange(k)).flatten(), cols.repeat_interleave(k)])
    results = []
    for ours in (False, True):
        values, weight = values0.clone().requires_grad_(), weight0.clone().requires_grad_()
        if ours:
            layout = ConceptLayout(rows, cols, n_users, n_items, k)
            out = ConceptRowsTimesDense.apply(layout, values.flatten(), weight.T)
        else:
            matrix = torch.sparse_coo_tensor(index, values.flatten(), (n_users * k, n_items), check_invariants=True)
            out = torch.sparse.mm(matrix, weight.T)
        out.backward(upstream)
        results.append((out.detach(), values.grad, weight.grad))
    for plain, ours in zip(*results):
        torch.testing.assert_close(ours, plain, rtol=1e-5, atol=1e-6)
    # the transpose built from the layout is the one torch converts the matrix to, entry for entry
    from disrec.models.autoencoders import transposed

    built, converted = layout.columns(values0.flatten()), transposed(layout.rows(values0.flatten()))
    for part in ("crow_indices", "col_indices", "values"):
        assert torch.equal(getattr(built, part)(), getattr(converted, part)())
    assert built.shape == converted.shape == (n_items, n_users * k)


@pytest.mark.parametrize("name", ["multidae", "multivae", "betavae"])
def test_autoencoders_first_layer_on_nonzeros_gives_the_dense_layers_loss_and_gradients(name, monkeypatch):
    """The same dropout masks (the same random draws) and the same sums in another order: equal to rounding."""
    from disrec.models.autoencoders import TanhMLP

    torch.manual_seed(0)
    x = (torch.rand(20, 90) < 0.1).float()
    x[3] = 0  # a user without interactions: an empty row
    model = build_model(name, 90, {k: v for k, v in model_config()["models"][name].items() if k != "betas"},
                        BETAS.get(name)).train()
    results = []
    for dense in (False, True):
        if dense:
            monkeypatch.setattr(TanhMLP, "sparse_input", TanhMLP.forward)
        torch.manual_seed(1)
        loss, _ = model.loss(x, 0.5)
        results.append((loss.detach(), *torch.autograd.grad(loss, list(model.parameters()))))
    for sparse, dense in zip(*results):
        torch.testing.assert_close(sparse, dense, rtol=1e-5, atol=1e-6)
    assert results[0][1].abs().max() > 1e-4  # the first layer's weights do get a gradient


def test_concept_mixture_is_the_plain_formula_with_its_gradients_whole_or_block_by_block(monkeypatch):
    """The forward pass of one block of all users is the plain formula's, operation for operation; blocks small
    enough for a core's cache (here 3 of 10 users, the last block 1) give the same up to rounding (exactly
    where the BLAS computes a block of rows as those rows of the whole product; not at these small shapes)."""
    from disrec.models import macridvae
    from disrec.models.macridvae import ConceptMixture, user_blocks

    torch.manual_seed(0)
    z = F.normalize(torch.randn(10, 3, 8), dim=2)
    items = F.normalize(torch.randn(30, 8), dim=1)
    assignment = torch.softmax(torch.randn(30, 3), dim=1)
    upstream = torch.randn(10, 30)

    def plain(z, items, assignment, tau):
        return torch.log((torch.exp(z @ items.T / tau) * assignment.T.unsqueeze(0)).sum(dim=1))

    results = {}
    for name, formula, block_bytes in (("plain", plain, None), ("whole", ConceptMixture.apply, 10**9),
                                       ("blocks", ConceptMixture.apply, 3 * 3 * 30 * 4)):
        if block_bytes:
            monkeypatch.setattr(macridvae, "CACHE_BLOCK_BYTES", block_bytes)
        inputs = [t.clone().requires_grad_() for t in (z, items, assignment)]
        out = formula(*inputs, 0.1)
        out.backward(upstream)
        results[name] = (out.detach(), *(t.grad for t in inputs))
    assert len(user_blocks(z, 30)) == 4
    assert torch.equal(results["plain"][0], results["whole"][0])
    for blocked, whole in zip(results["blocks"], results["whole"]):
        torch.testing.assert_close(blocked, whole)
    for plain_grad, ours in zip(results["plain"][1:], results["whole"][1:]):
        torch.testing.assert_close(ours, plain_grad, rtol=1e-5, atol=1e-5)


def test_a_zero_l2_weight_skips_the_penalty_and_changes_no_number(monkeypatch):
    """l2_penalty(0) is a zero without the sum of squares: the loss and every gradient are those of adding
    0 * (sum of squares); a nonzero weight gives the weighted sum (biases excluded)."""
    x = torch.tensor(np.random.default_rng(0).random((8, 30)) < 0.3, dtype=torch.float32)
    model = build_model("multivae", 30, {"code_dim": 3, "hidden": [12], "keep_prob": 1.0, "l2_reg": 0.0,
                                          "kl_anneal": None}, beta=0.2)
    weights = [p for p in model.parameters() if p.dim() >= 2]
    assert len(weights) < len(list(model.parameters()))  # biases are left out
    assert torch.equal(model.l2_penalty(0.01), 0.01 * sum(w.pow(2).sum() for w in weights))
    results = []
    for always_summed in (False, True):
        if always_summed:
            monkeypatch.setattr(Recommender, "l2_penalty",
                                lambda self, l2_reg: l2_reg * sum(w.pow(2).sum() for w in weights))
        model.zero_grad()
        torch.manual_seed(0)
        loss, _ = model.loss(x, 0.2)
        loss.backward()
        results.append((loss.detach(), *(p.grad.clone() for p in model.parameters())))
    assert all(torch.equal(a, b) for a, b in zip(*results))
