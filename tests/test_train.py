"""The numpy AGP trainer (accelsim.training) and its tasks (accelsim.training.datasets).

Back-propagation against central finite differences; the paper's masking rules observed at every step
through the trainer's callback (pruned weights and their momentum exactly zero, exact-k sparsity of eq. (1)
at every update step and held in between, masks recomputed from the current weights by magnitude, frozen
after the last update); the layerwise and global variants; bit-for-bit determinism; a digits smoke test;
run files; and every configuration error. Training tests use a tiny synthetic task (a few ms per run)."""
import csv
import dataclasses
import math
import sys

import numpy as np
import pytest

from accelsim.errors import InputError, OutputError
from accelsim.pruning import load_masks, magnitude_mask, prune, rounded_count
from accelsim.pruning.schedule import agp_sparsity, layerwise_sparsity
from accelsim.training import (RUN_FILES, TrainConfig, equal_nnz_width, learning_rate_schedule, load_task,
                               loss_and_gradients, mask_updates, save_run, to_model, train)
from accelsim.workloads import Linear

# 120 samples / batch 16 = 8 steps per epoch, 6 epochs = 48 steps; pruning updates at 4, 12, 20, 28, 36.
TINY = TrainConfig(hidden=(12, 10), epochs=6, batch_size=16, lr=0.1, weight_decay=1e-3, s_f=0.8, t0=4, n=4,
                   dt=8, seed=3)
NAMES = ("fc1", "fc2", "fc3")


def record(data, config):
    """Train, keeping copies of the masks, weights and momentum after every step."""
    states = []

    def keep(state):
        states.append({"step": state.step,
                       "weights": {n: w.copy() for n, w in state.weights.items()},
                       "velocity": {n: v.copy() for n, v in state.velocity.items()},
                       "masks": {n: m.copy() for n, m in state.masks.items()}})

    result = train(data, config, callback=keep)
    return result, states


# --- back-propagation ------------------------------------------------------------------------------------

def test_gradients_match_central_differences():
    rng = np.random.default_rng(0)
    sizes = (5, 4, 3, 3)
    weights = [rng.normal(size=(out, fan_in)) for fan_in, out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=out) for out in sizes[1:]]
    x = rng.normal(size=(7, 5))
    y = rng.integers(0, 3, size=7)
    _, grad_w, grad_b = loss_and_gradients(weights, biases, x, y)
    eps = 1e-6
    for params, grads in ((weights, grad_w), (biases, grad_b)):
        for param, grad in zip(params, grads):
            numeric = np.zeros_like(param)
            for index in np.ndindex(param.shape):
                saved = param[index]
                param[index] = saved + eps
                up = loss_and_gradients(weights, biases, x, y)[0]
                param[index] = saved - eps
                down = loss_and_gradients(weights, biases, x, y)[0]
                param[index] = saved
                numeric[index] = (up - down) / (2 * eps)
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


# --- the paper's masking rules, step by step -------------------------------------------------------------

def test_pruned_weights_and_their_momentum_stay_exactly_zero(blobs):
    result, states = record(blobs, TINY)
    assert len(states) == 48
    for state in states:
        for name in NAMES:
            pruned = ~state["masks"][name]
            assert np.all(state["weights"][name][pruned] == 0.0)
            assert np.all(state["velocity"][name][pruned] == 0.0)
    for name in NAMES:
        assert np.all(result.weights[name][~result.masks[name]] == 0.0)
        assert np.count_nonzero(result.weights[name]) == result.masks.nnz(name)   # kept weights moved off 0


def test_uniform_sparsity_follows_eq1_exactly_and_masks_come_from_current_weights(blobs):
    result, states = record(blobs, TINY)
    schedule = dict(s_i=TINY.s_i, s_f=TINY.s_f, t0=TINY.t0, n=TINY.n, dt=TINY.dt)
    updates = {TINY.t0 + k * TINY.dt for k in range(TINY.n + 1)}
    assert set(mask_updates(TINY, NAMES, 48)) == updates
    for previous, state in zip(states, states[1:]):
        step = state["step"]
        level = agp_sparsity(step, **schedule)   # s_i = 0 before t0: dense
        for name in NAMES:
            mask = state["masks"][name]
            assert mask.size - np.count_nonzero(mask) == rounded_count(level, mask.size), (step, name)
            if step in updates:   # recomputed from the weights after the previous step, exact-k
                assert np.array_equal(mask, magnitude_mask(previous["weights"][name], level))
            else:                 # held between updates: the same pattern
                assert np.array_equal(mask, previous["masks"][name])
    assert result.masks.sparsity("fc2") == pytest.approx(TINY.s_f, abs=1 / 120)
    np.testing.assert_array_equal(result.log["target_sparsity"],
                                  [agp_sparsity(t, **schedule) for t in range(48)])


def test_masks_frozen_after_the_last_update(blobs):
    _, states = record(blobs, TINY)
    last = TINY.t0 + TINY.n * TINY.dt
    frozen = states[last]["masks"]
    for state in states[last:]:
        for name in NAMES:
            assert np.array_equal(state["masks"][name], frozen[name])


def test_layerwise_raises_one_layer_at_a_time(blobs):
    config = dataclasses.replace(TINY, variant="layerwise")
    result, states = record(blobs, config)
    schedule = dict(s_i=config.s_i, s_f=config.s_f, t0=config.t0, n=config.n, dt=config.dt)
    for index, name in enumerate(NAMES):
        delay = (index * config.dt) // len(NAMES)   # 0, 2, 5
        own_updates = {config.t0 + k * config.dt + delay for k in range(config.n + 1)}
        for previous, state in zip(states, states[1:]):
            step, mask = state["step"], state["masks"][name]
            level = layerwise_sparsity(step, index, len(NAMES), **schedule)
            assert mask.size - np.count_nonzero(mask) == rounded_count(level, mask.size), (step, name)
            if step not in own_updates:
                assert np.array_equal(mask, previous["masks"][name]), (step, name)
    updates = mask_updates(config, NAMES, 48)
    assert all(len(layers) == 1 for layers in updates.values())   # dt = 8 >= 3 layers: never two at once
    assert max(updates) == config.t0 + config.n * config.dt + 5
    assert [result.masks.sparsity(n) for n in NAMES] == pytest.approx([0.8] * 3, abs=0.01)


def test_global_uses_one_threshold_across_layers(blobs):
    config = dataclasses.replace(TINY, variant="global")
    result, states = record(blobs, config)
    model = to_model(result)
    updates = mask_updates(config, NAMES, 48)
    for previous, state in zip(states, states[1:]):
        if state["step"] in updates:
            level = agp_sparsity(state["step"], s_i=0.0, s_f=0.8, t0=4, n=4, dt=8)
            expected = prune(model, level, seed=0, method="global", weights=previous["weights"])
            for name in NAMES:
                assert np.array_equal(state["masks"][name], expected[name])
            kept = np.concatenate([np.abs(previous["weights"][n][state["masks"][n]]) for n in NAMES])
            pruned = np.concatenate([np.abs(previous["weights"][n][~state["masks"][n]]) for n in NAMES])
            assert pruned.size == 0 or pruned.max() <= kept.min()   # one threshold for the network
    total = result.masks.total_elements
    assert total - result.masks.total_nnz == rounded_count(0.8, total)
    sparsities = [result.masks.sparsity(n) for n in NAMES]
    assert max(sparsities) - min(sparsities) > 0.05   # per-layer sparsities differ


def test_kept_dense_first_and_last_layers(blobs):
    config = dataclasses.replace(TINY, prune_first=False, prune_last=False)
    result = train(blobs, config)
    assert result.pruned == ("fc2",)
    assert result.masks.sparsity("fc1") == 0.0 and result.masks.sparsity("fc3") == 0.0
    assert result.masks.sparsity("fc2") == pytest.approx(0.8, abs=0.01)
    model = to_model(result, "tiny")
    assert [layer.prunable for layer in model.layers] == [False, True, False]


def test_dense_schedule_none(blobs):
    result = train(blobs, dataclasses.replace(TINY, schedule="none"))
    assert result.masks.total_sparsity == 0.0
    assert np.all(result.log["sparsity"] == 0.0) and np.all(result.log["target_sparsity"] == 0.0)


# --- determinism ----------------------------------------------------------------------------------------

def test_same_seed_gives_identical_runs_bit_for_bit(blobs):
    first, second = train(blobs, TINY), train(blobs, TINY)
    assert first.masks == second.masks
    for name in NAMES:
        assert np.array_equal(first.weights[name], second.weights[name])
        assert np.array_equal(first.biases[name], second.biases[name])
    for column in first.log:
        assert np.array_equal(first.log[column], second.log[column], equal_nan=True), column
    other = train(blobs, dataclasses.replace(TINY, seed=4))
    assert not np.array_equal(other.weights["fc1"], first.weights["fc1"])


# --- log, learning rate ---------------------------------------------------------------------------------

def test_log_columns_and_evaluations(blobs):
    result = train(blobs, TINY)
    log = result.log
    assert list(log) == ["step", "epoch", "lr", "loss", "target_sparsity", "sparsity", "nnz", "sparsity_fc1",
                         "sparsity_fc2", "sparsity_fc3", "train_loss", "train_accuracy", "test_loss",
                         "test_accuracy"]
    assert all(len(column) == 48 for column in log.values())
    assert log["step"].tolist() == list(range(48)) and log["epoch"].tolist() == [t // 8 for t in range(48)]
    evaluated = np.flatnonzero(~np.isnan(log["test_accuracy"]))
    assert evaluated.tolist() == [7, 15, 23, 31, 39, 47]   # the last step of every epoch
    assert log["nnz"][-1] == result.nnz
    assert result.test_accuracy > 0.9   # well-separated blobs
    with pytest.raises(ValueError):
        log["loss"][0] = 1.0   # read-only


def test_learning_rate_schedules():
    cosine = learning_rate_schedule(TINY, 8)
    assert cosine[0] == 0.1 and cosine[24] == pytest.approx(0.05) and cosine[-1] > 0
    assert np.all(np.diff(cosine) < 0)
    staircase = learning_rate_schedule(dataclasses.replace(TINY, lr_schedule="exponential", lr_decay=0.5,
                                                           lr_decay_epochs=2), 8)
    assert staircase.tolist() == [0.1] * 16 + [0.05] * 16 + [0.025] * 16
    assert np.all(learning_rate_schedule(dataclasses.replace(TINY, lr_schedule="constant"), 8) == 0.1)


# --- model, files ---------------------------------------------------------------------------------------

def test_to_model_and_save_run(blobs, tmp_path):
    result = train(blobs, TINY)
    model = to_model(result, "tiny_mlp")
    assert [(layer.name, layer.weight_shape) for layer in model.layers] == [
        ("fc1", (12, 8)), ("fc2", (10, 12)), ("fc3", (3, 10))]
    assert all(isinstance(layer, Linear) and layer.bias for layer in model.layers)
    out = tmp_path / "run"
    paths = save_run(out, result)
    assert sorted(p.name for p in paths) == sorted(RUN_FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)   # no temporary files left
    assert load_masks(out / "masks.npz", model) == result.masks
    with np.load(out / "weights.npz") as archive:
        for name in NAMES:
            assert np.array_equal(archive[f"{name}.weight"], result.weights[name])
            assert np.array_equal(archive[f"{name}.bias"], result.biases[name])
    with open(out / "log.csv", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == list(result.log)
    assert len(rows) == 49
    for column, values in zip(rows[0], zip(*rows[1:])):
        parsed = [float(v) if v else math.nan for v in values]
        assert np.array_equal(parsed, result.log[column], equal_nan=True), column
    with pytest.raises(OutputError, match="already exist"):
        save_run(out, result)
    save_run(out, result, force=True)


def test_equal_nnz_width():
    assert equal_nnz_width(7834, 40, 10) == 67   # 40-256-256-10 at 90 %: 40-67-67-10 has 7839 weights
    assert equal_nnz_width(3917, 40, 10) == 42
    assert equal_nnz_width(100, 10, 10, n_hidden=1) == 5


# --- tasks ----------------------------------------------------------------------------------------------

def test_digits_dense_smoke():
    data = load_task("digits", 0)
    assert [a.shape for a in data] == [(1438, 64), (1438,), (359, 64), (359,)]
    config = TrainConfig(hidden=(64,), epochs=4, batch_size=32, lr=0.05, weight_decay=1e-4, schedule="none")
    assert train(data, config).test_accuracy > 0.9


def test_digits_split_is_seeded():
    a, b, c = load_task("digits", 1), load_task("digits", 1), load_task("digits", 2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])
    assert np.allclose(a[0].mean(axis=0), 0.0)


def test_mnist1d_is_generated_never_downloaded(monkeypatch):
    pytest.importorskip("mnist1d")
    import mnist1d.data

    def refuse(*args, **kwargs):
        raise AssertionError("get_dataset downloads")

    monkeypatch.setattr(mnist1d.data, "get_dataset", refuse)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    x_train, y_train, x_test, y_test = load_task("mnist1d", 0)
    assert np.array_equal(np.random.get_state()[1], before)   # the caller's global state is restored
    assert x_train.shape == (4000, 40) and x_test.shape == (1000, 40)
    assert set(np.unique(y_train)) == set(range(10)) and y_train.dtype == np.int64
    np.testing.assert_allclose(x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(x_train.std(axis=0), 1.0)
    again = load_task("mnist1d", 0)
    assert np.array_equal(again[0], x_train) and np.array_equal(again[3], y_test)


def test_unknown_task_and_missing_packages(monkeypatch):
    with pytest.raises(InputError, match="task: unknown task"):
        load_task("imagenet", 0)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)   # import fails as if not installed
    with pytest.raises(InputError, match=r"accelsim\[train\]"):
        load_task("digits", 0)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(InputError, match=r"mnist1d is not installed.*accelsim\[train\]"):
        load_task("mnist1d", 0)
    with pytest.raises(InputError, match="seed"):
        load_task("digits", -1)


# --- input errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("change,key", [
    ({"hidden": (4, 0)}, "hidden"), ({"hidden": "wide"}, "hidden"), ({"epochs": 0}, "epochs"),
    ({"epochs": 2.5}, "epochs"), ({"batch_size": 0}, "batch_size"), ({"lr": 0.0}, "lr"),
    ({"lr": math.nan}, "lr"), ({"lr": True}, "lr"), ({"lr_min": 1.0}, "lr_min"), ({"lr_decay": 0.0}, "lr_decay"),
    ({"lr_decay_epochs": 0}, "lr_decay_epochs"), ({"lr_schedule": "step"}, "lr_schedule"),
    ({"momentum": 1.0}, "momentum"), ({"weight_decay": -1e-4}, "weight_decay"),
    ({"schedule": "gradual"}, "schedule"), ({"variant": "layerwise-constant"}, "variant"),
    ({"s_f": 1.0}, "s_f"), ({"s_i": -0.1}, "s_i"), ({"s_i": 0.95}, "s_f"), ({"t0": -1}, "t0"), ({"n": 0}, "n"),
    ({"dt": 0}, "dt"), ({"prune_first": "yes"}, "prune_first"), ({"seed": -1}, "seed"),
    ({"hidden": (), "prune_first": False, "prune_last": False}, "prune_first"),
])
def test_bad_config_names_the_field(change, key):
    with pytest.raises(InputError) as caught:
        dataclasses.replace(TINY, **change)
    assert caught.value.key == key


def test_schedule_must_finish_within_training(blobs):
    with pytest.raises(InputError) as caught:
        train(blobs, dataclasses.replace(TINY, t0=20, n=4, dt=8))   # last update at 52 >= 48 steps
    assert caught.value.key == "t0 + n*dt"
    layerwise = dataclasses.replace(TINY, variant="layerwise", t0=10)   # last layer: 10 + 32 + 5 = 47, fits
    assert train(blobs, layerwise).masks.sparsity("fc3") == pytest.approx(0.8, abs=0.02)
    with pytest.raises(InputError) as caught:   # the last layer's delay counts: 11 + 32 + 5 = 48
        train(blobs, dataclasses.replace(layerwise, t0=11))
    assert caught.value.key == "t0 + n*dt"


def test_bad_data_names_the_array(blobs):
    x_train, y_train, x_test, y_test = blobs
    for data, key in (((x_train, y_train[:-1], x_test, y_test), "y_train"),
                      ((x_train, y_train, x_test[:, :4], y_test), "x_test"),
                      ((x_train, y_train - 1, x_test, y_test), "y_train"),
                      ((x_train.ravel(), y_train, x_test, y_test), "x_train"),
                      ((x_train, y_train, x_test), "task_data")):
        with pytest.raises(InputError) as caught:
            train(data, TINY)
        assert caught.value.key == key
