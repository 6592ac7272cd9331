"""Training workflows (accelsim.study.training) and their figures (accelsim.plots.training).

train_run: the run files and figures, refusing to overwrite, masks that load back with the sparsity the
schedule reached, the epoch-based default schedule. train_compare: equal NNZ per pair, both models simulated
on each machine from their trained masks, the footprint convention, determinism (twice, and a process pool
against a serial run, bit for bit). The figures: Figures with labelled axes. Training here uses a tiny
synthetic task (a few ms per run); one test trains on mnist1d at one budget (about 6 s)."""
import pathlib

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from accelsim.errors import InputError, OutputError
from accelsim.hardware import load_hardware
from accelsim.plots.training import SUMMARY_COLUMNS, agp_schedule_figure, train_compare_figure
from accelsim.pruning import ActivationDensity, load_masks
from accelsim.training import RUN_FILES, TrainConfig, equal_nnz_width, to_model, train
from accelsim.study import training
from accelsim.study.single import simulate
from accelsim.study.training import run_config, summarise, train_compare, train_run

ROOT = pathlib.Path(__file__).resolve().parent.parent
DENSE_EDGE = ROOT / "hwconfigs" / "dense_edge.yaml"
EIE_LIKE = ROOT / "hwconfigs" / "eie_like.yaml"
HW = (DENSE_EDGE, EIE_LIKE)
# 120 samples / batch 16 = 8 steps per epoch; 6 epochs: default schedule t0 = 8, n = 2, dt = 8
TINY = dict(epochs=6, batch_size=16, lr=0.1, weight_decay=1e-3)
# 8 features, 3 classes: 8-32-32-3 has 1376 weights; at 0.5 / 0.75 the equal-NNZ dense widths 21 / 14
# come within 2.3 % / 1.7 % of the large model's NNZ
COMPARE = dict(large_hidden=(32, 32), sparsities=(0.5, 0.75), seeds=(0, 1), hw_files=HW, **TINY)


@pytest.fixture(scope="module")
def compared(blobs):
    return train_compare(blobs, **COMPARE)


# --- train_run -------------------------------------------------------------------------------------------

def test_train_run_writes_run_files_and_figures(blobs, tmp_path):
    result = train_run(blobs, (12, 10), 0.8, seed=3, out=tmp_path / "run", **TINY)
    out = tmp_path / "run"
    for name in (*RUN_FILES, "figures/agp_schedule.png", "figures/agp_schedule.svg"):
        assert (out / name).is_file(), name
    assert (out / "figures/agp_schedule.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (out / "figures/agp_schedule.svg").read_bytes()[:2000]
    log = pd.read_csv(out / "log.csv")
    assert len(log) == 6 * 8 and log["test_accuracy"].notna().sum() == 6
    assert result.test_accuracy == pytest.approx(log["test_accuracy"].iloc[-1], abs=0)
    assert result.config.s_f == 0.8 and result.config.hidden == (12, 10)


def test_train_run_refuses_to_overwrite_before_training(blobs, tmp_path, monkeypatch):
    out = tmp_path / "run"
    train_run(blobs, (12, 10), 0.8, seed=3, out=out, **TINY)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def no_training(*args, **kwargs):
        raise AssertionError("trained although the output exists")

    monkeypatch.setattr(training, "train", no_training)
    with pytest.raises(OutputError) as caught:
        train_run(blobs, (12, 10), 0.8, seed=3, out=out, **TINY)
    assert "\n" not in str(caught.value) and "exist" in str(caught.value)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    # only the figure there is enough to refuse
    (out / "masks.npz").unlink()
    (out / "weights.npz").unlink()
    (out / "log.csv").unlink()
    (out / "config.json").unlink()
    with pytest.raises(OutputError):
        train_run(blobs, (12, 10), 0.8, seed=3, out=out, **TINY)


def test_train_run_force_overwrites_with_identical_files(blobs, tmp_path):
    out = tmp_path / "run"
    train_run(blobs, (12, 10), 0.8, seed=3, out=out, **TINY)
    first = {n: (out / n).read_bytes() for n in ("log.csv", "config.json", "weights.npz",
                                                 "figures/agp_schedule.png", "figures/agp_schedule.svg")}
    train_run(blobs, (12, 10), 0.8, seed=3, out=out, force=True, **TINY)
    assert {n: (out / n).read_bytes() for n in first} == first


def test_saved_masks_load_back_with_the_sparsity_the_schedule_reached(blobs, tmp_path):
    out = tmp_path / "run"
    result = train_run(blobs, (12, 10), 0.8, seed=3, out=out, **TINY)
    model = to_model(result, "mlp")
    masks = load_masks(out / "masks.npz", model)
    log = pd.read_csv(out / "log.csv")
    assert list(masks) == ["fc1", "fc2", "fc3"]
    for layer in model.layers:
        mask = masks[layer.name]
        np.testing.assert_array_equal(mask, result.masks[layer.name])
        n = mask.size
        assert int(mask.sum()) == n - int(np.floor(0.8 * n + 0.5))       # exact-k at s_f
        assert 1 - mask.mean() == pytest.approx(log[f"sparsity_{layer.name}"].iloc[-1], abs=1e-12)
    assert masks.total_sparsity == pytest.approx(log["sparsity"].iloc[-1], abs=1e-12)
    assert log["target_sparsity"].iloc[-1] == pytest.approx(0.8)
    with np.load(out / "weights.npz") as weights:
        for name, mask in masks.items():
            assert not np.any(weights[f"{name}.weight"][~mask])


def test_train_run_dense_and_bad_arguments(blobs, tmp_path):
    dense = train_run(blobs, (12, 10), 0.0, schedule="none", seed=3, **TINY)
    assert dense.masks.total_sparsity == 0 and dense.config.schedule == "none"
    assert not list(tmp_path.iterdir())                           # out=None writes nothing
    for kwargs, key in ((dict(sparsity=0.5, schedule="none"), "sparsity"), (dict(sparsity=1.0), "sparsity"),
                        (dict(sparsity=0.5, s_f=0.9), "s_f"), (dict(sparsity=0.5, epoch=3), "epoch"),
                        (dict(sparsity=0.5, variant="random"), "variant"), (dict(sparsity=0.5, hidden=(0,)), None)):
        hidden = kwargs.pop("hidden", (12, 10))
        with pytest.raises(InputError) as caught:
            train_run(blobs, hidden, **kwargs, **TINY)
        assert key is None or key in str(caught.value)
    with pytest.raises(InputError, match="task"):
        train_run("cifar", (12,), 0.5)


def test_default_schedule_is_the_mnist1d_recipe_and_scales_with_epochs():
    default = run_config(4000, (256, 256), 0.9)                   # mnist1d: 4000 training samples
    assert default == TrainConfig(hidden=(256, 256), s_f=0.9)
    tiny = run_config(120, (12, 10), 0.8, **TINY)
    assert (tiny.t0, tiny.n, tiny.dt) == (8, 2, 8)
    assert run_config(120, (12,), 0.8, t0=0, **TINY).t0 == 0 and run_config(120, (12,), 0.8, dt=3, **TINY).dt == 3


# --- train_compare ---------------------------------------------------------------------------------------

def test_compare_rows_and_equal_nnz_pairs(compared):
    assert len(compared) == 2 * 2 * 2 * 2            # budgets x kinds x seeds x machines
    keys = ["budget", "kind", "seed", "hardware"]
    assert not compared.duplicated(keys).any()
    assert list(compared["budget"].drop_duplicates()) == [0.5, 0.75]
    assert list(compared["kind"].drop_duplicates()) == ["large-sparse", "small-dense"]
    assert set(compared["hardware"]) == {"dense_edge", "eie_like"}
    assert set(compared["engine"]) == {"systolic", "eie"}
    for budget, pair in compared.groupby("budget"):
        large = pair[pair["kind"] == "large-sparse"]
        small = pair[pair["kind"] == "small-dense"]
        assert large["nnz"].nunique() == 1 and small["nnz"].nunique() == 1
        nnz_large, nnz_small = large["nnz"].iloc[0], small["nnz"].iloc[0]
        assert abs(nnz_small - nnz_large) / nnz_large < 0.03
        width = equal_nnz_width(int(nnz_large), 8, 3)
        assert set(small["hidden"]) == {f"{width}-{width}"} and set(large["hidden"]) == {"32-32"}
        assert large["sparsity"].iloc[0] == pytest.approx(budget, abs=0.01)
        assert (small["sparsity"] == 0).all()


def test_compare_model_mb_is_the_footprint_convention(compared):
    """4 B per non-zero parameter (biases included) + the smaller of bit-mask and CSR(C) overheads; a dense
    model carries no overhead."""
    for _, row in compared.iterrows():
        sizes = [int(s) for s in row["sizes"].split("-")]
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        biases = sum(sizes[1:])
        assert row["params_nnz"] == row["nnz"] + biases
        if row["kind"] == "small-dense":
            assert row["nnz"] == weights
            assert row["model_mb"] == pytest.approx(4 * row["params_nnz"] / 1e6)
        else:
            overhead = min(weights / 8, 0.5 * row["params_nnz"])
            assert row["model_mb"] == pytest.approx((4 * row["params_nnz"] + overhead) / 1e6)


def test_compare_simulates_the_trained_masks(blobs, compared):
    """A row is reproduced by training the same configuration and simulating its masks by hand; the sparse
    machine skips the pruned weights, the dense one multiplies them."""
    config = run_config(120, (32, 32), 0.75, seed=1, **TINY)
    result = train(blobs, config)
    model = to_model(result, "mlp")
    densities = training.input_densities(result, blobs[2])
    eie = simulate(model, load_hardware(EIE_LIKE), masks=result.masks, seed=1,
                   activation_density=ActivationDensity(overrides=densities))
    row = compared[(compared["budget"] == 0.75) & (compared["kind"] == "large-sparse") & (compared["seed"] == 1)
                   & (compared["hardware"] == "eie_like")].iloc[0]
    assert row["test_accuracy"] == result.test_accuracy
    assert row["cycles"] == eie.total["cycles"] and row["energy_pj"] == eie.total["energy_pj"]
    on_dense = compared[(compared["kind"] == "large-sparse") & (compared["hardware"] == "dense_edge")]
    assert (on_dense["useful_macs"] == model.macs).all()
    on_sparse = compared[(compared["kind"] == "large-sparse") & (compared["hardware"] == "eie_like")]
    assert (on_sparse["useful_macs"] <= on_sparse["nnz"]).all()
    assert (compared[["cycles", "energy_pj", "latency_s"]] > 0).all().all()


def test_compare_is_deterministic_and_parallel_equals_serial(blobs, compared):
    again = train_compare(blobs, **COMPARE)
    pd.testing.assert_frame_equal(compared, again, check_exact=True)
    parallel = train_compare(blobs, jobs=2, **COMPARE)
    pd.testing.assert_frame_equal(compared, parallel, check_exact=True)


def test_compare_summary_and_files(blobs, compared, tmp_path):
    summary = summarise(compared)
    assert len(summary) == 2 * 2 * 2 and set(SUMMARY_COLUMNS) <= set(summary.columns)
    assert (summary["seeds"] == 2).all()
    first = summary.iloc[0]
    rows = compared[(compared["budget"] == first["budget"]) & (compared["kind"] == first["kind"])
                    & (compared["hardware"] == first["hardware"])]
    assert first["test_accuracy_mean"] == pytest.approx(rows["test_accuracy"].mean())
    assert first["test_accuracy_std"] == pytest.approx(rows["test_accuracy"].std(ddof=1))
    one_seed = train_compare(blobs, **{**COMPARE, "seeds": (0,), "hw_files": (DENSE_EDGE,)}, out=tmp_path)
    for name in training.COMPARE_FILES:
        assert (tmp_path / name).is_file(), name
    written = pd.read_csv(tmp_path / "results.csv")
    assert len(written) == len(one_seed) == 4 and list(written.columns) == list(one_seed.columns)
    assert pd.read_csv(tmp_path / "summary.csv")["test_accuracy_std"].isna().all()   # one seed
    with pytest.raises(OutputError):
        train_compare(blobs, **{**COMPARE, "seeds": (0,), "hw_files": (DENSE_EDGE,)}, out=tmp_path)


def test_compare_default_activation_model_changes_only_sparse_machines(blobs, compared):
    default = train_compare(blobs, **{**COMPARE, "seeds": (0,)}, activations="default")
    measured = compared[compared["seed"] == 0].reset_index(drop=True)
    dense = default["hardware"] == "dense_edge"
    pd.testing.assert_frame_equal(default[dense], measured[dense], check_exact=True)
    assert (default.loc[~dense, "cycles"] != measured.loc[~dense, "cycles"]).any()


@pytest.mark.parametrize("change,key", [
    (dict(sparsities=()), "sparsities"), (dict(sparsities=(0.5, 0.5)), "sparsities"),
    (dict(sparsities=(1.0,)), "sparsities"), (dict(seeds=(0, 0)), "seeds"), (dict(seeds=(-1,)), "seeds"),
    (dict(jobs=0), "jobs"), (dict(activations="real"), "activations"),
    (dict(hw_files=(DENSE_EDGE, DENSE_EDGE)), "name"),
    (dict(large_hidden=()), "large_hidden"), (dict(s_f=0.3), "s_f"),
])
def test_compare_bad_arguments_name_the_argument(blobs, change, key):
    with pytest.raises(InputError) as caught:
        train_compare(blobs, **{**COMPARE, **change})
    assert key in str(caught.value) and "\n" not in str(caught.value)


# --- figures ---------------------------------------------------------------------------------------------

def _labelled(fig):
    """Every axes that draws something names its y quantity; some axes names the x quantity."""
    for ax in fig.axes:
        if ax.lines or ax.collections:
            assert ax.get_ylabel(), ax.get_title()
    assert any(ax.get_xlabel() for ax in fig.axes)


def test_agp_schedule_figure_has_labelled_axes(blobs):
    result = train(blobs, run_config(120, (12, 10), 0.8, seed=3, **TINY))
    log = pd.DataFrame(dict(result.log))
    fig = agp_schedule_figure(log, pruning=(8, 24))
    assert isinstance(fig, Figure)
    _labelled(fig)
    labels = {ax.get_ylabel() for ax in fig.axes}
    assert {"sparsity (%)", "learning rate", "accuracy (%)"} <= labels
    assert any("step" in ax.get_xlabel() for ax in fig.axes)
    dense = train(blobs, run_config(120, (12,), 0.0, schedule="none", **TINY))
    assert isinstance(agp_schedule_figure(pd.DataFrame(dict(dense.log))), Figure)
    with pytest.raises(InputError, match="lr"):
        agp_schedule_figure(log.drop(columns=["lr"]))


def test_train_compare_figure_has_labelled_axes(compared):
    fig = train_compare_figure(summarise(compared))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1 + 2 * 2
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    xlabels = " ".join(ax.get_xlabel() for ax in fig.axes)
    assert "NNZ" in xlabels and "energy" in xlabels and "latency" in xlabels
    with pytest.raises(InputError, match="energy_pj_mean"):
        train_compare_figure(summarise(compared).drop(columns=["energy_pj_mean"]))


# --- the real task ---------------------------------------------------------------------------------------

def test_mnist1d_large_sparse_beats_small_dense_at_90_percent():
    """The docs/training.md experiment at one budget, one seed: 40-256-256-10 at 90 % vs 40-67-67-10 (about
    6 s: two runs in parallel, with mnist1d generated in each worker)."""
    table = train_compare("mnist1d", sparsities=(0.9,), seeds=(0,), hw_files=HW, jobs=2)
    large = table[table["kind"] == "large-sparse"].iloc[0]
    small = table[table["kind"] == "small-dense"].iloc[0]
    assert (large["nnz"], small["hidden"]) == (7834, "67-67")
    assert large["test_accuracy"] > small["test_accuracy"] + 0.02
