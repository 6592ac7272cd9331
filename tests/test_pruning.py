"""Pruning: the AGP schedule against eq. (1) worked by hand, exact-k magnitude masks (uniform and global)
against a stable-sort reference, seeded synthetic weights, activation masks, mask files and every input
error. Models are built by hand from the layer types."""
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accelsim.errors import InputError, MaskError, OutputError
from accelsim.pruning import (POST_RELU_DENSITY, ActivationDensity, Masks, activation_mask, activation_shape,
                              agp_sparsity, layerwise_sparsity, load_masks, magnitude_mask, prune,
                              rounded_count, save_masks, synthetic_weights)
from accelsim.pruning import files as mask_files
from accelsim.pruning.synthetic import ACTIVATIONS, WEIGHTS, layer_rng
from accelsim.workloads import LSTM, Conv2D, Embedding, Linear, Model, zoo
from accelsim.workloads.files import load_workload

FAST = settings(max_examples=40, deadline=None)
AGP = dict(s_i=0.0, s_f=0.9, t0=0, n=10, dt=1)


def tiny_cnn():
    """conv1 (not pruned, like MobileNet's first conv) -> conv2 -> fc."""
    return Model("tiny_cnn", "test", (
        Conv2D("conv1", in_channels=3, out_channels=8, kernel_h=3, kernel_w=3, in_h=8, in_w=8, prunable=False),
        Conv2D("conv2", in_channels=8, out_channels=16, kernel_h=3, kernel_w=3, in_h=6, in_w=6),
        Linear("fc", in_features=16 * 4 * 4, out_features=10)))


def tiny_lstm():
    """A PTB-like language model: embedding, two LSTM layers, softmax; all pruned."""
    return Model("tiny_lstm", "test", (
        Embedding("embed", vocab_size=50, dim=8, steps=5),
        LSTM("lstm1", input_size=8, hidden_size=8, steps=5),
        LSTM("lstm2", input_size=8, hidden_size=8, steps=5),
        Linear("softmax", in_features=8, out_features=50, steps=5)))


def stable_sort_mask(weights, sparsity):
    """Reference: prune the first k of the flat indices stably sorted by |w|."""
    flat = np.abs(np.asarray(weights, dtype=np.float64)).ravel()
    keep = np.ones(flat.size, dtype=bool)
    keep[np.argsort(flat, kind="stable")[: rounded_count(sparsity, flat.size)]] = False
    return keep.reshape(np.shape(weights))


# --- AGP schedule ---------------------------------------------------------------------------------------

def test_agp_values_from_eq1():
    """s_i = 0, s_f = 0.9, t0 = 0, n = 10, dt = 1: the values of the issue, computed by hand from eq. (1),
    s_k = 0.9 - 0.9 * (1 - k/10)**3 (e.g. k = 1: 0.9 * (1 - 0.729) = 0.2439)."""
    expected = [0, .2439, .4392, .5913, .7056, .7875, .8424, .8757, .8928, .8991, .9]
    assert agp_sparsity(np.arange(11), **AGP).tolist() == pytest.approx(expected, abs=1e-12)
    assert [agp_sparsity(t, **AGP) for t in range(11)] == pytest.approx(expected, abs=1e-12)
    assert isinstance(agp_sparsity(3, **AGP), float)


def test_agp_holds_between_updates_and_freezes():
    """dt = 100, t0 = 500: s_i before t0, s_k on [t0 + k dt, t0 + (k+1) dt), s_f from t0 + n dt on."""
    params = dict(s_i=0.1, s_f=0.8, t0=500, n=4, dt=100)
    steps = np.arange(0, 1500)
    got = agp_sparsity(steps, **params)
    levels = [0.8 + (0.1 - 0.8) * (1 - k / 4) ** 3 for k in range(5)]
    assert np.all(got[:500] == 0.1)
    for k in range(4):
        assert np.all(got[500 + 100 * k: 600 + 100 * k] == pytest.approx(levels[k], abs=1e-15))
    assert np.all(got[900:] == 0.8)
    assert agp_sparsity(10**12, **params) == 0.8
    assert got.shape == steps.shape and got.dtype == np.float64


@FAST
@given(st.integers(0, 50), st.integers(1, 20), st.integers(1, 50), st.floats(0, 0.99), st.floats(0, 0.99))
def test_agp_is_monotone_and_bounded(t0, n, dt, a, b):
    s_i, s_f = min(a, b), max(a, b)
    got = agp_sparsity(np.arange(t0 + (n + 2) * dt), s_i=s_i, s_f=s_f, t0=t0, n=n, dt=dt)
    assert np.all(np.diff(got) >= 0)
    assert got.min() == pytest.approx(s_i) and got.max() == pytest.approx(s_f)
    assert len(np.unique(got)) <= n + 1   # masks change only at the n + 1 update steps


def test_layerwise_slots():
    """n_layers = 3, dt = 100: layer l follows the uniform schedule delayed by (l * dt) // 3 = 0, 33, 66."""
    params = dict(s_i=0.0, s_f=0.9, t0=200, n=5, dt=100)
    steps = np.arange(0, 1000)
    uniform = agp_sparsity(steps, **params)
    for layer, delay in enumerate((0, 33, 66)):
        got = layerwise_sparsity(steps, layer, 3, **params)
        np.testing.assert_array_equal(got, agp_sparsity(np.maximum(steps - delay, 0), **params))
        assert np.all(got <= uniform)
        for k in range(1, 6):   # raised exactly at its slot, not a step earlier
            start = 200 + 100 * k + delay
            assert got[start] == uniform[200 + 100 * k] > got[start - 1]
    before_next = layerwise_sparsity(499, np.arange(3), 3, **params)   # t0 + 3 dt - 1: all at s_2
    assert np.all(before_next == uniform[499]) and uniform[499] < uniform[500]
    assert layerwise_sparsity(np.array([765, 766]), 2, 3, **params).tolist() == [uniform[699], 0.9]


def test_layerwise_rounds_slot_starts_down():
    """dt = 2 < n_layers = 3: slot starts (l * 2) // 3 = 0, 0, 1 (two layers share a step)."""
    params = dict(s_i=0.0, s_f=0.5, t0=0, n=2, dt=2)
    got = layerwise_sparsity(np.arange(6)[:, None], np.arange(3)[None, :], 3, **params)
    s1 = agp_sparsity(2, **params)
    assert got[2].tolist() == [s1, s1, 0.0]
    assert got[3].tolist() == [s1, s1, s1]
    assert got[5].tolist() == [0.5, 0.5, 0.5]
    assert isinstance(layerwise_sparsity(3, 1, 3, **params), float)


@pytest.mark.parametrize("change,key,expected", [
    (dict(step=-1), "step", ">= 0"),
    (dict(step=1.5), "step", "int"),
    (dict(step=np.array([3, -2])), "step", ">= 0"),
    (dict(n=0), "n", ">= 1"),
    (dict(n=2.0), "n", ">= 1"),
    (dict(dt=0), "dt", ">= 1"),
    (dict(dt=-5), "dt", ">= 1"),
    (dict(t0=-1), "t0", ">= 0"),
    (dict(s_f=1.0), "s_f", ">= 0 and < 1"),
    (dict(s_f=float("nan")), "s_f", ">= 0 and < 1"),
    (dict(s_i=-0.1), "s_i", ">= 0 and < 1"),
    (dict(s_i=0.5, s_f=0.4), "s_i", "s_i <= s_f"),
])
def test_agp_rejects_bad_parameters(change, key, expected):
    params = dict(AGP, step=3)
    params.update(change)
    step = params.pop("step")
    for schedule in (agp_sparsity, lambda t, **p: layerwise_sparsity(t, 0, 2, **p)):
        with pytest.raises(InputError) as error:
            schedule(step, **params)
        assert error.value.key == key and expected in error.value.expected


@pytest.mark.parametrize("index,n_layers,key", [(3, 3, "layer_index"), (-1, 3, "layer_index"),
                                                (np.array([0, 5]), 3, "layer_index"), (0, 0, "n_layers")])
def test_layerwise_rejects_bad_layer(index, n_layers, key):
    with pytest.raises(InputError) as error:
        layerwise_sparsity(5, index, n_layers, **AGP)
    assert error.value.key == key


# --- magnitude masks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1,), (7,), (10,), (3, 5, 7), (64, 33)])
@pytest.mark.parametrize("sparsity", [0.0, 0.25, 0.5, 0.9, 0.999, 0.9999])
def test_magnitude_mask_prunes_exactly_k(shape, sparsity):
    weights = np.random.default_rng(1).standard_normal(shape)
    mask = magnitude_mask(weights, sparsity)
    size = math.prod(shape)
    assert mask.shape == shape and mask.dtype == np.bool_
    assert size - np.count_nonzero(mask) == math.floor(sparsity * size + 0.5)
    if 0 < np.count_nonzero(mask) < size:   # the pruned are the smallest
        assert np.abs(weights[~mask]).max() <= np.abs(weights[mask]).min()


def test_rounding_is_half_up():
    """k = floor(s * N + 0.5): 0.25 * 10 = 2.5 -> 3 (Python's round would give 2), 0.05 * 10 = 0.5 -> 1."""
    assert [rounded_count(s, 10) for s in (0.25, 0.05, 0.04, 0.35)] == [3, 1, 0, 4]
    assert np.count_nonzero(~magnitude_mask(np.arange(1.0, 11.0), 0.25)) == 3


def test_ties_prune_lowest_index_first():
    assert magnitude_mask(np.ones(10), 0.3).tolist() == [False] * 3 + [True] * 7
    assert magnitude_mask(np.full((2, 3), -2.0), 0.5).tolist() == [[False] * 3, [True] * 3]
    weights = np.array([1.0, -0.5, 0.5, 0.5, 2.0, 0.1])
    assert magnitude_mask(weights, 0.5).tolist() == [True, False, False, True, True, False]
    assert np.array_equal(magnitude_mask(weights, 0.5), magnitude_mask(weights.copy(), 0.5))


@FAST
@given(arrays(np.int8, st.integers(1, 300), elements=st.integers(-4, 4)), st.floats(0, 0.999))
def test_magnitude_mask_matches_stable_sort(weights, sparsity):
    """Many ties (|w| in 0..4): the partition-based mask equals the stable-argsort reference."""
    np.testing.assert_array_equal(magnitude_mask(weights, sparsity), stable_sort_mask(weights, sparsity))
    np.testing.assert_array_equal(magnitude_mask(weights.astype(np.float32), sparsity),
                                  stable_sort_mask(weights, sparsity))


@pytest.mark.parametrize("weights,sparsity,key", [
    (np.ones(4), 1.0, "sparsity"), (np.ones(4), -0.1, "sparsity"), (np.ones(4), True, "sparsity"),
    (np.array([1.0, np.nan]), 0.5, "weights"), (np.array([1.0, np.inf]), 0.5, "weights"),
    (np.array([True, False]), 0.5, "weights"), (np.array(["a", "b"]), 0.5, "weights"),
])
def test_magnitude_mask_rejects_bad_input(weights, sparsity, key):
    with pytest.raises(InputError) as error:
        magnitude_mask(weights, sparsity)
    assert error.value.key == key


def test_prune_uniform_masks_every_prunable_layer_to_the_sparsity():
    model = tiny_cnn()
    masks = prune(model, 0.8, seed=0)
    assert list(masks) == ["conv2", "fc"]   # conv1 is not pruned; model order
    for layer in model.prunable_layers:
        assert masks[layer.name].shape == layer.weight_shape
        assert masks.nnz(layer.name) == layer.weight_count - rounded_count(0.8, layer.weight_count)
        np.testing.assert_array_equal(masks[layer.name], magnitude_mask(synthetic_weights(layer, 0), 0.8))
    assert prune(model, 0.0, seed=0).total_sparsity == 0.0


def test_prune_global_uses_one_threshold():
    model = tiny_lstm()
    weights = {layer.name: synthetic_weights(layer, 3) for layer in model.prunable_layers}
    masks = prune(model, 0.7, seed=3, method="global")
    assert masks == prune(model, 0.7, seed=0, method="global", weights=weights)
    total = sum(layer.weight_count for layer in model.prunable_layers)
    assert total - masks.total_nnz == rounded_count(0.7, total)
    kept = np.concatenate([np.abs(weights[n][m]) for n, m in masks.items()])
    pruned = np.concatenate([np.abs(weights[n][~m]) for n, m in masks.items()])
    assert pruned.max() <= kept.min()
    per_layer = {name: masks.sparsity(name) for name in masks}
    assert len(set(per_layer.values())) > 1   # He scale differs per layer: so does the sparsity
    assert per_layer["embed"] < per_layer["lstm1"]   # He std sqrt(2/8) for embed vs sqrt(2/16) for lstm1


def test_prune_global_breaks_ties_by_layer_order():
    model = Model("two", "test", (Linear("a", in_features=2, out_features=2),
                                  Linear("b", in_features=3, out_features=2)))
    masks = prune(model, 0.5, seed=0, method="global", weights={"a": np.ones((2, 2)), "b": np.ones((2, 3))})
    assert (masks.nnz("a"), masks.nnz("b")) == (0, 5)   # k = floor(5.5) = 5: all of a, then b's first
    assert masks["b"].tolist() == [[False, True, True], [True, True, True]]
    assert len(prune(Model("none", "test", (Linear("c", prunable=False),)), 0.5, seed=0, method="global")) == 0


@pytest.mark.parametrize("kwargs,key", [
    (dict(method="layerwise"), "method"),
    (dict(sparsity=1.0), "sparsity"),
    (dict(weights={"conv2": np.ones((16, 8, 3, 3))}), "fc"),
    (dict(weights={"conv2": np.ones((16, 8, 3, 3)), "fc": np.ones((10, 255))}), "fc"),
    (dict(weights={"conv2": np.ones((16, 8, 3, 3)), "fc": np.ones((10, 256)), "conv1": np.ones((8, 3, 3, 3))}),
     "conv1"),
    (dict(seed=-1), "seed"),
])
def test_prune_rejects_bad_input(kwargs, key):
    arguments = dict(sparsity=0.5, seed=0)
    arguments.update(kwargs)
    with pytest.raises(InputError) as error:
        prune(tiny_cnn(), arguments.pop("sparsity"), **arguments)
    assert error.value.key == key


def test_masks_are_immutable_copies_with_counts():
    source = {"a": np.array([[True, False], [False, False]]), "b": np.ones(6, dtype=bool)}
    masks = Masks(source)
    source["a"][0, 1] = True
    assert masks.nnz("a") == 1 and masks.sparsity("a") == 0.75 and masks.sparsity("b") == 0.0
    assert (masks.total_nnz, masks.total_elements) == (7, 10)
    assert masks.total_sparsity == pytest.approx(0.3)
    with pytest.raises(ValueError):
        masks["a"][0, 0] = False
    with pytest.raises(TypeError):
        masks["c"] = np.ones(1, dtype=bool)
    assert masks.get("c") is None and list(masks) == ["a", "b"]
    assert masks == Masks({"b": np.ones(6, dtype=bool), "a": masks["a"]})
    assert masks != Masks({"a": masks["a"]})
    assert Masks({}).total_sparsity == 0.0 and "7 of 10" in repr(masks)
    with pytest.raises(MaskError, match="dtype float64"):
        Masks({"a": np.ones(3)})


# --- synthetic weights ----------------------------------------------------------------------------------

def test_synthetic_weights_are_seeded_and_he_scaled():
    layer = Conv2D("conv", in_channels=32, out_channels=64, kernel_h=3, kernel_w=3, in_h=8, in_w=8)
    weights = synthetic_weights(layer, 7)
    assert weights.dtype == np.float32 and weights.shape == layer.weight_shape
    np.testing.assert_array_equal(weights, synthetic_weights(layer, 7))
    assert not np.array_equal(weights, synthetic_weights(layer, 8))
    assert weights.std() == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.03)
    assert abs(weights.mean()) < 0.01
    renamed = Conv2D("conv_b", in_channels=32, out_channels=64, kernel_h=3, kernel_w=3, in_h=8, in_w=8)
    assert not np.array_equal(weights, synthetic_weights(renamed, 7))


def test_synthetic_weights_golden_values():
    """The derivation (SeedSequence(seed, spawn_key=(0, blake2b-64(name))), PCG64, float32 normals) pinned
    to numbers: a change here changes every mask file and result of a given seed."""
    weights = synthetic_weights(Linear("fc", in_features=2, out_features=2), 0)
    np.testing.assert_array_equal(weights, np.array(GOLDEN_FC_SEED0, dtype=np.float32))


GOLDEN_FC_SEED0 = [[1.0494142770767212, -0.46955204010009766], [1.1559042930603027, -0.5021895170211792]]


def test_adding_a_layer_changes_no_other_layer():
    small = tiny_lstm()
    grown = Model("grown", "test", small.layers[:2] + (LSTM("extra", input_size=8, hidden_size=8),)
                  + small.layers[2:])
    before, after = prune(small, 0.6, seed=5), prune(grown, 0.6, seed=5)
    for name in before:
        np.testing.assert_array_equal(before[name], after[name])
    np.testing.assert_array_equal(synthetic_weights(small.layer("lstm2"), 5),
                                  synthetic_weights(grown.layer("lstm2"), 5))


# --- activations ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer,shape", [
    (Conv2D("c", in_channels=4, out_channels=2, kernel_h=3, kernel_w=3, in_h=9, in_w=7), (4, 9, 7)),
    (Linear("l", in_features=33, out_features=5, steps=3), (3, 33)),
    (LSTM("r", input_size=6, hidden_size=10, steps=4), (4, 16)),
])
@pytest.mark.parametrize("density", [1.0, 0.5, 0.37, 0.01])
def test_activation_mask_has_exact_count(layer, shape, density):
    mask = activation_mask(layer, density, seed=2)
    assert activation_shape(layer) == shape and mask.shape == shape and mask.dtype == np.bool_
    assert np.count_nonzero(mask) == rounded_count(density, math.prod(shape))
    np.testing.assert_array_equal(mask, activation_mask(layer, density, seed=2))


def test_activation_mask_is_seeded_apart_from_weights():
    layer = Linear("fc", in_features=200, out_features=200)
    assert not np.array_equal(activation_mask(layer, 0.5, 0), activation_mask(layer, 0.5, 1))
    draws = [layer_rng(0, "fc", purpose).integers(2**32, size=4) for purpose in (WEIGHTS, ACTIVATIONS)]
    assert not np.array_equal(*draws)


@pytest.mark.parametrize("layer,density,key", [
    (Embedding("embed", vocab_size=5, dim=3), 0.5, "embed"),
    (Linear("fc"), 0.0, "density"), (Linear("fc"), 1.5, "density"), (Linear("fc"), float("nan"), "density"),
])
def test_activation_mask_rejects_bad_input(layer, density, key):
    with pytest.raises(InputError) as error:
        activation_mask(layer, density, seed=0)
    assert error.value.key == key


def test_activation_density_defaults_and_overrides():
    assert ActivationDensity().densities(tiny_cnn()) == {"conv1": 1.0, "conv2": POST_RELU_DENSITY,
                                                         "fc": POST_RELU_DENSITY}
    assert ActivationDensity(default=0.3).densities(tiny_lstm()) == {"lstm1": 1.0, "lstm2": 1.0, "softmax": 1.0}
    density = ActivationDensity(default=0.4, overrides={"fc": 0.9})
    assert density.densities(tiny_cnn()) == {"conv1": 1.0, "conv2": 0.4, "fc": 0.9}
    assert density == ActivationDensity(default=0.4, overrides=(("fc", 0.9),)) and hash(density)


@pytest.mark.parametrize("kwargs,key,text", [
    (dict(default=0.0), "default", "> 0 and <= 1"),
    (dict(overrides={"fc": 1.2}), "fc", "> 0 and <= 1"),
    (dict(overrides={"fc2": 0.5}), "fc2", "did you mean 'fc'"),
])
def test_activation_density_rejects_bad_values(kwargs, key, text):
    with pytest.raises(InputError) as error:
        ActivationDensity(**kwargs).densities(tiny_cnn())
    assert error.value.key == key and text in str(error.value)


# --- mask files -----------------------------------------------------------------------------------------

def good_masks(model):
    return prune(model, 0.75, seed=1)


def test_save_load_round_trip(tmp_path):
    model = tiny_cnn()
    masks = Masks({"fc": good_masks(model)["fc"], "conv1": np.ones((8, 3, 3, 3), dtype=bool),
                   "conv2": good_masks(model)["conv2"]})
    path = save_masks(tmp_path / "masks.npz", masks)
    loaded = load_masks(path, model)
    assert loaded == masks and list(loaded) == ["conv1", "conv2", "fc"]   # model order
    assert sorted(p.name for p in tmp_path.iterdir()) == ["masks.npz"]   # no temporary left
    with np.load(path) as archive:   # a plain npz for any numpy user
        assert sorted(archive.files) == ["conv1", "conv2", "fc"] and archive["fc"].dtype == np.bool_


def test_load_accepts_np_savez_and_slash_names(tmp_path):
    model = Model("gnmt_like", "test", (Linear("encoder/lstm_0", in_features=4, out_features=3),))
    mask = np.eye(3, 4, dtype=bool)
    np.savez(tmp_path / "m.npz", **{"encoder/lstm_0": mask})
    np.testing.assert_array_equal(load_masks(tmp_path / "m.npz", model)["encoder/lstm_0"], mask)
    save_masks(tmp_path / "ours.npz", Masks({"encoder/lstm_0": mask}))
    assert load_masks(tmp_path / "ours.npz", model) == Masks({"encoder/lstm_0": mask})


def test_save_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "masks.npz"
    path.write_bytes(b"old")
    masks = good_masks(tiny_cnn())
    with pytest.raises(OutputError) as error:
        save_masks(path, masks)
    assert "masks.npz" in str(error.value) and "--force" in str(error.value)
    assert path.read_bytes() == b"old"
    save_masks(path, masks, force=True)
    assert load_masks(path, tiny_cnn()) == masks


@pytest.mark.parametrize("where", ["missing/masks.npz", "folder"])
def test_save_refuses_bad_paths_and_creates_nothing(tmp_path, where):
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match=where):
        save_masks(tmp_path / where, good_masks(tiny_cnn()), force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"] and not any((tmp_path / "folder").iterdir())


def test_save_failure_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "masks.npz"
    path.write_bytes(b"old")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mask_files.np.lib.format, "write_array", disk_full)
    with pytest.raises(OutputError, match="No space left"):
        save_masks(path, good_masks(tiny_cnn()), force=True)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["masks.npz"]
    with pytest.raises(MaskError, match="dtype int64"):
        save_masks(tmp_path / "new.npz", {"fc": np.ones(3, dtype=np.int64)})
    assert [p.name for p in tmp_path.iterdir()] == ["masks.npz"]


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def masks_with(model, **changes):
    arrays = dict(good_masks(model))
    arrays.update(changes)
    return {name: value for name, value in arrays.items() if value is not None}


@pytest.mark.parametrize("case,layer,text", [
    ("text file", None, "not a zip archive"),
    ("npy file", None, ".npy"),
    ("truncated", None, "cannot read mask file"),
    ("object array", "fc", "pickle"),
    ("unknown layer", "fc_1", "did you mean 'fc'"),
    ("missing prunable", "conv2", "no mask for a prunable layer"),
    ("wrong shape", "fc", "expected shape (10, 256); got 'shape (10, 255)'"),
    ("float", "fc", "dtype float32"),
    ("float with NaN", "conv2", "float masks are refused, NaN included"),
    ("integer 0/1", "fc", "dtype int8"),
    ("wrong shape, non-prunable", "conv1", "expected shape (8, 3, 3, 3)"),
])
def test_load_rejects_bad_files(tmp_path, case, layer, text):
    model = tiny_cnn()
    path = tmp_path / "bad.npz"
    good = good_masks(model)
    if case == "text file":
        path.write_text("conv2,fc\n")
    elif case == "npy file":
        np.save(tmp_path / "bad.npy", good["fc"])
        (tmp_path / "bad.npy").rename(path)
    elif case == "truncated":
        save_masks(path, good)
        path.write_bytes(path.read_bytes()[:200])
    elif case == "object array":
        write_npz(path, **masks_with(model, fc=np.array([True, None], dtype=object)))
    elif case == "unknown layer":
        write_npz(path, **masks_with(model, fc_1=np.ones((10, 256), dtype=bool)))
    elif case == "missing prunable":
        write_npz(path, **masks_with(model, conv2=None))
    elif case == "wrong shape":
        write_npz(path, **masks_with(model, fc=np.ones((10, 255), dtype=bool)))
    elif case == "float":
        write_npz(path, **masks_with(model, fc=good["fc"].astype(np.float32)))
    elif case == "float with NaN":
        write_npz(path, **masks_with(model, conv2=np.full((16, 8, 3, 3), np.nan)))
    elif case == "integer 0/1":
        write_npz(path, **masks_with(model, fc=good["fc"].astype(np.int8)))
    elif case == "wrong shape, non-prunable":
        write_npz(path, **masks_with(model, conv1=np.ones((8, 3, 3), dtype=bool)))
    with pytest.raises(MaskError) as error:
        load_masks(path, model)
    message = str(error.value)
    assert "bad.npz" in message and text in message and "\n" not in message
    if layer:
        assert error.value.key == layer and layer in message


def test_load_rejects_missing_and_unreadable_paths(tmp_path):
    with pytest.raises(MaskError, match="nothing.npz: mask file not found"):
        load_masks(tmp_path / "nothing.npz", tiny_cnn())
    with pytest.raises(MaskError, match="cannot read mask file"):
        load_masks(tmp_path, tiny_cnn())


def test_load_rejects_non_array_members(tmp_path):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fc", b"hello")
    with pytest.raises(MaskError) as error:
        load_masks(path, tiny_cnn())
    assert error.value.key == "fc" and "odd.npz" in str(error.value)


def test_row_varied_weights_spread_row_densities_and_keep_the_count():
    """Per-row densities follow the requested coefficient of variation (cv 0: every row at the density,
    within sampling noise; cv 1: a wide spread), and magnitude pruning still keeps exactly round(d * N)."""
    from accelsim.pruning import magnitude_mask, row_varied_weights
    flat = magnitude_mask(row_varied_weights((400, 500), 0.1, 0.0, seed=1), 0.9)
    varied = magnitude_mask(row_varied_weights((400, 500), 0.1, 1.0, seed=1), 0.9)
    assert flat.sum() == varied.sum() == 20_000
    flat_cv = flat.mean(axis=1).std() / flat.mean()
    varied_cv = varied.mean(axis=1).std() / varied.mean()
    assert flat_cv < 0.2 < 0.7 < varied_cv
    with pytest.raises(InputError, match="cv"):
        row_varied_weights((4, 4), 0.5, 2.0, seed=0)


# --- the example masks in traces/ ------------------------------------------------------------------------

TRACES = Path(__file__).resolve().parent.parent / "traces"


@pytest.mark.parametrize("file,build,sparsity", [
    ("mobilenet_v1_0.25_sparsity0.9.npz", lambda: zoo.mobilenet_v1(width=0.25), 0.9),
    ("example_small_sparsity0.75.npz", lambda: load_workload(TRACES / "example_small.yaml"), 0.75),
])
def test_shipped_example_masks_are_what_traces_readme_says(file, build, sparsity):
    """traces/README.md: each example mask file is seeded magnitude pruning (seed 0) of its model to the
    sparsity in its name; it loads for that model and equals a fresh ``prune``."""
    model = build()
    loaded = load_masks(TRACES / file, model)
    fresh = prune(model, sparsity, seed=0)
    assert list(loaded) == list(fresh)
    for name in fresh:
        assert np.array_equal(loaded[name], fresh[name]), name


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.75, 0.9, 0.95, 0.975])
def test_uniform_sparsity_is_what_prune_reaches(sparsity):
    """The total sparsity of uniform magnitude pruning follows from the layer sizes alone (exactly
    rounded_count zeros per layer): equal, bit for bit, to that of the masks."""
    from accelsim.pruning import uniform_sparsity
    for model in (zoo.mobilenet_v1(width=0.25), zoo.ptb_lstm("small")):
        assert uniform_sparsity(model, sparsity) == prune(model, sparsity, seed=1).total_sparsity
