"""The imported model's road: ``accelsim import`` (with measured activations), then ``simulate``, ``prune``
and ``footprint`` of the folder, and the round trip train -> ONNX -> import."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from conftest import HWCONFIGS, run_cli  # noqa: E402
from onnx import helper  # noqa: E402
from onnx_models import model, tensor, weights  # noqa: E402

import accelsim as acs  # noqa: E402
from accelsim.importers.bundle import read_bundle  # noqa: E402
from accelsim.pruning import magnitude_mask  # noqa: E402
from accelsim.training import to_model  # noqa: E402
from accelsim.study.imported import simulate_folder  # noqa: E402
from accelsim.study.training import train_run  # noqa: E402

SCNN = str(HWCONFIGS / "scnn_like.yaml")


def small_cnn(path):
    """conv1 (3 -> 8, 3x3, pad 1) -> ReLU -> conv2 (8 -> 8, 3x3) -> ReLU -> flatten -> fc (8*6*6 -> 10),
    with one exact zero in conv2's weights."""
    w2 = weights([8, 8, 3, 3], 1)
    w2[0, 0, 0, 0] = 0.0
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["ar"]),
             helper.make_node("Conv", ["ar", "w2"], ["b"], name="conv2"),
             helper.make_node("Relu", ["b"], ["br"]),
             helper.make_node("Flatten", ["br"], ["f"]),
             helper.make_node("Gemm", ["f", "wf"], ["y"], name="fc", transB=1)]
    onnx.save(model(nodes, [tensor("x", [1, 3, 8, 8])], [tensor("y", None)],
                    [("w1", weights([8, 3, 3, 3])), ("w2", w2), ("wf", weights([10, 288], 2))]), path)


@pytest.fixture
def folder(tmp_path, capsys):
    small_cnn(tmp_path / "cnn.onnx")
    samples = np.random.default_rng(0).standard_normal((3, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", samples)
    status, out, err = run_cli(capsys, "import", tmp_path / "cnn.onnx", "--samples", tmp_path / "x.npy",
                               "--out", tmp_path / "imp")
    assert status == 0, err
    return tmp_path / "imp", samples


def test_import_writes_real_weights_masks_and_measured_activations(folder):
    out, samples = folder
    found = read_bundle(out)
    assert [layer.name for layer in found.workload.model.layers] == ["conv1", "conv2", "fc"]
    assert found.masks["conv2"].sum() == found.masks["conv2"].size - 1          # the one exact zero
    # conv2's input is ReLU(conv1(x)): measure it with numpy (im2col of the padded input) and compare
    w1 = found.weights()["conv1"].astype(np.float64)
    padded = np.pad(samples, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))   # n, c, 8, 8, 3, 3
    relu = np.maximum(np.einsum("ncijkl,ockl->noij", windows, w1), 0)
    np.testing.assert_array_equal(found.activations["conv2"], relu != 0)
    assert found.activations["conv1"].shape == (3, 3, 8, 8) and found.activations["conv1"].all()
    assert found.activations["fc"].shape == (3, 1, 288)
    report = json.loads((out / "import.json").read_text())
    assert report["samples"]["count"] == 3 and len(report["nodes"]) == 6


def test_simulate_uses_measured_activations_and_records_inputs(folder, capsys, tmp_path):
    out, _ = folder
    status, stdout, err = run_cli(capsys, "simulate", "--workload", out, "--hw", SCNN, "--out", tmp_path / "sim")
    assert status == 0, err
    assert "activations: measured (3 samples)" in stdout
    summary = json.loads((tmp_path / "sim" / "summary.json").read_text())
    assert summary["metadata"]["activations"] == "measured (3 samples)"
    assert set(summary["metadata"]["inputs"]) == {"imp/workload.yaml", "imp/weights.npz", "imp/masks.npz",
                                                  "imp/activations.npz"}
    sha256 = hashlib.sha256((tmp_path / "x.npy").read_bytes()).hexdigest()
    assert summary["metadata"]["imported_from"] == {
        "model": {"file": "cnn.onnx", "sha256": hashlib.sha256((tmp_path / "cnn.onnx").read_bytes()).hexdigest()},
        "samples": {"file": "x.npy", "sha256": sha256, "count": 3}, "warnings": []}
    total = summary["total"]
    assert total["samples"] == 3 and total["cycles_min"] <= total["cycles"] <= total["cycles_max"]
    # the mean over samples is the mean of the per-sample simulations
    found = read_bundle(out)
    hw = acs.load_hardware(SCNN)
    per_sample = [acs.simulate(found.workload.model, hw, masks=found.masks,
                               activations={k: v[i] for k, v in found.activations.items()}).total["cycles"]
                  for i in range(3)]
    assert total["cycles"] == pytest.approx(np.mean(per_sample)) and total["cycles_std"] == pytest.approx(np.std(per_sample))


def test_without_samples_the_density_model_is_used_and_said(tmp_path, capsys):
    small_cnn(tmp_path / "cnn.onnx")
    assert run_cli(capsys, "import", tmp_path / "cnn.onnx", "--out", tmp_path / "imp", "--quiet")[0] == 0
    status, stdout, err = run_cli(capsys, "simulate", "--workload", tmp_path / "imp", "--hw", SCNN,
                                  "--out", tmp_path / "sim")
    assert status == 0, err
    assert "activations: density model" in stdout
    summary = json.loads((tmp_path / "sim" / "summary.json").read_text())
    assert summary["metadata"]["activations"] == "density model" and "samples" not in summary["total"]


def test_prune_and_footprint_use_the_real_weights(folder, capsys, tmp_path):
    out, _ = folder
    status, _, err = run_cli(capsys, "prune", "--workload", out, "--sparsity", "0.5", "--out", tmp_path / "p.npz")
    assert status == 0, err
    pruned = np.load(tmp_path / "p.npz")
    real = read_bundle(out).weights()
    for name in ("conv1", "conv2", "fc"):
        np.testing.assert_array_equal(pruned[name], magnitude_mask(real[name], 0.5))
    status, stdout, err = run_cli(capsys, "footprint", "--workload", out, "--sparsity", "0,0.5", "--csv")
    assert status == 0, err
    nnz = [line.split(",") for line in stdout.splitlines()[1:]]
    assert len(nnz) == 2
    status, _, err = run_cli(capsys, "simulate", "--workload", out, "--hw", SCNN, "--masks", tmp_path / "p.npz")
    assert status == 0, err


def test_round_trip_train_export_import_simulates_the_same(tmp_path, capsys):
    """An MLP trained and AGP-pruned by ``accelsim train --export-onnx``, imported again: the same masks, and
    on every engine the same cycles as simulating the trained model directly (the trainer's own Model)."""
    args = ("train", "--task", "digits", "--hidden", "32", "--sparsity", "0.75", "--epochs", "4",
            "--out", tmp_path / "run", "--export-onnx", tmp_path / "mlp.onnx", "--quiet")
    assert run_cli(capsys, *args)[0] == 0
    assert run_cli(capsys, "import", tmp_path / "mlp.onnx", "--out", tmp_path / "imp", "--quiet")[0] == 0
    found = read_bundle(tmp_path / "imp")
    trained = train_run("digits", (32,), 0.75, epochs=4)               # the same deterministic run, in process
    assert found.masks == trained.masks
    direct_model = to_model(trained)
    for hw_file in ("eie_like.yaml", "dense_edge.yaml", "scnn_like.yaml"):
        hw = acs.load_hardware(HWCONFIGS / hw_file)
        direct = acs.simulate(direct_model, hw, masks=trained.masks)
        via_onnx = simulate_folder(tmp_path / "imp", hw)
        assert via_onnx.total["cycles"] == direct.total["cycles"], hw_file
        assert via_onnx.total["energy_pj"] == pytest.approx(direct.total["energy_pj"], rel=1e-12), hw_file


def test_sweep_of_an_imported_model_with_masks_files(folder, capsys, tmp_path):
    out, _ = folder
    assert run_cli(capsys, "prune", "--workload", out, "--sparsity", "0.5", "--out", tmp_path / "p.npz")[0] == 0
    args = ("sweep", "--workload", out, "--sparsity", "0,0.25", "--masks", tmp_path / "p.npz", "--hw", SCNN,
            "--jobs", "1", "--quiet", "--out", tmp_path / "sw")
    status, _, err = run_cli(capsys, *args)
    assert status == 0, err
    totals = pd.read_csv(tmp_path / "sw" / "totals.csv")
    assert len(totals) == 3 and totals["family"].eq("imported").all()
    by_masks = totals.set_index(totals["masks"].fillna(""))
    # the masks point is the folder simulated with those masks; sparsity 0 its real zeros
    hw = acs.load_hardware(SCNN)
    expected = simulate_folder(out, hw, masks_file=tmp_path / "p.npz").total["cycles"]
    assert by_masks.loc["p.npz", "cycles"] == pytest.approx(expected, rel=1e-9)          # totals.csv: 10 digits
    real = totals[(totals["sparsity"] == 0) & totals["masks"].isna()]
    assert real["cycles"].item() == pytest.approx(simulate_folder(out, hw).total["cycles"], rel=1e-9)
    assert run_cli(capsys, *args)[0] == 0                                  # resumes: nothing left to run
    (tmp_path / "p.npz").write_bytes((tmp_path / "p.npz").read_bytes()[:-8] + b"\0" * 8)
    status, _, err = run_cli(capsys, *args)
    assert status == 2 and "p.npz" in err


def mlp_onnx(path, hidden, zero_fraction, seed):
    """x (1, 32) -> Gemm fc1 (hidden) -> ReLU -> Gemm fc2 (10), the first ``zero_fraction`` of each weight
    matrix's entries (C order) exactly zero."""
    nodes = [helper.make_node("Gemm", ["x", "w1"], ["h"], name="fc1", transB=1),
             helper.make_node("Relu", ["h"], ["hr"]),
             helper.make_node("Gemm", ["hr", "w2"], ["y"], name="fc2", transB=1)]
    arrays = []
    for name, shape in (("w1", (hidden, 32)), ("w2", (10, hidden))):
        w = weights(shape, seed).ravel()
        w[: int(zero_fraction * w.size)] = 0.0
        arrays.append((name, w.reshape(shape)))
    onnx.save(model(nodes, [tensor("x", [1, 32])], [tensor("y", None)], arrays), path)


def test_compare_of_the_users_own_large_sparse_and_small_dense_pair(tmp_path, capsys):
    mlp_onnx(tmp_path / "large.onnx", 64, 0.75, 0)            # nnz: (64*32 + 10*64) / 4 = 672
    mlp_onnx(tmp_path / "small.onnx", 16, 0.0, 1)             # nnz: 16*32 + 10*16 = 672
    for name in ("large", "small"):
        assert run_cli(capsys, "import", tmp_path / f"{name}.onnx", "--out", tmp_path / name, "--quiet")[0] == 0
    status, stdout, err = run_cli(capsys, "compare", "--workload", tmp_path / "large", tmp_path / "small",
                                  "--accuracy", "0.91,0.88", "--hw", HWCONFIGS / "eie_like.yaml",
                                  HWCONFIGS / "dense_edge.yaml", "--jobs", "1", "--csv", "--out", tmp_path / "cmp")
    assert status == 0, err
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert len(table) == 4
    by_model = table.drop_duplicates("model").set_index("model")
    assert by_model.loc["large", "kind"] == "large-sparse" and by_model.loc["small", "kind"] == "small-dense"
    assert by_model.loc["large", "nnz"] == by_model.loc["small", "nnz"] == 672
    assert by_model.loc["large", "accuracy"] == 0.91 and by_model.loc["small", "accuracy"] == 0.88
    headline = pd.read_csv(__import__("io").StringIO(stdout))
    assert len(headline) == 2 and set(headline["more_accurate"]) == {"large-sparse"}
    status, _, err = run_cli(capsys, "compare", "--workload", tmp_path / "large", "--accuracy", "0.9,0.8",
                             "--hw", HWCONFIGS / "eie_like.yaml", "--out", tmp_path / "c2")
    assert status == 2 and "--accuracy" in err


def test_a_product_of_two_activations_runs_on_both_measured_masks(tmp_path, capsys):
    """Attention scores q @ relu(x Wk)^T: with samples, the left operand's mask is q's and the right one's is
    the ReLU's zeros, per sample. On EIE (which multiplies only a non-zero activation by a non-zero weight)
    the useful products are, by definition, sum over rows t and features k of [q_tk != 0] x (non-zeros of
    the right operand's row k), counted here with numpy."""
    wq, wk = weights([8, 8], 1), weights([8, 8], 2)
    nodes = [helper.make_node("MatMul", ["x", "wq"], ["q"], name="q"),
             helper.make_node("MatMul", ["x", "wk"], ["k0"], name="k"), helper.make_node("Relu", ["k0"], ["k"]),
             helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["q", "kt"], ["s"], name="scores")]
    onnx.save(model(nodes, [tensor("x", [1, 4, 8])], [tensor("s", None)], [("wq", wq), ("wk", wk)]),
              tmp_path / "attn.onnx")
    x = np.random.default_rng(0).standard_normal((3, 1, 4, 8)).astype(np.float32)
    x[:, :, 0] = 0                                       # token 0 is all zeros: so are its q and relu(k)
    np.save(tmp_path / "x.npy", x)
    status, _, err = run_cli(capsys, "import", tmp_path / "attn.onnx", "--samples", tmp_path / "x.npy",
                             "--out", tmp_path / "imp", "--quiet")
    assert status == 0, err
    found = read_bundle(tmp_path / "imp")
    q, right = x[:, 0] @ wq, np.maximum(x[:, 0] @ wk, 0)             # (3, 4 tokens, 8) each
    np.testing.assert_array_equal(found.activations["scores"], q != 0)
    np.testing.assert_array_equal(found.operands["scores"], right != 0)        # (N tokens, K) per sample
    status, _, err = run_cli(capsys, "simulate", "--workload", tmp_path / "imp", "--hw", HWCONFIGS / "eie_like.yaml",
                             "--out", tmp_path / "sim")
    assert status == 0, err
    assert "not prunable" not in err
    rows = pd.read_csv(tmp_path / "sim" / "layers.csv").set_index("layer")
    useful = [((q[i] != 0).astype(int) @ (right[i] != 0).sum(axis=0)).sum() for i in range(3)]
    assert rows.loc["scores", "useful_macs"] == pytest.approx(np.mean(useful), rel=1e-12)
    assert np.mean(useful) < 4 * 8 * 4                                          # the zeros are skipped
    summary = json.loads((tmp_path / "sim" / "summary.json").read_text())
    assert summary["metadata"]["warnings"] == [] and summary["metadata"]["sparsity"] == 0.0


def test_import_prints_each_unmapped_ops_share_of_macs_and_bytes(tmp_path, capsys):
    """conv c1 (1x1, 2 -> 2 channels on 4x4: 16 x 2 x 2 = 64 MACs), CumSum (32 elements: 32 MACs), conv c2
    (64 MACs): the CumSum holds 32 / 160 = 20% of the MACs. Bytes, float32: each conv reads x (128) and its
    weights (16) and writes 128 (272); the CumSum reads 128 and its int64 axis (8) and writes 128 (264): 264 /
    808 of the bytes."""
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="c1"),
             helper.make_node("CumSum", ["a", "axis"], ["b"], name="cumsum"),
             helper.make_node("Conv", ["b", "w2"], ["y"], name="c2")]
    onnx.save(model(nodes, [tensor("x", [1, 2, 4, 4])], [tensor("y", None)],
                    [("w1", weights([2, 2, 1, 1])), ("w2", weights([2, 2, 1, 1])), ("axis", np.array(1, np.int64))]),
              tmp_path / "m.onnx")
    status, stdout, err = run_cli(capsys, "import", tmp_path / "m.onnx", "--csv", "--out", tmp_path / "imp")
    assert status == 0, err
    table = pd.read_csv(__import__("io").StringIO(stdout)).set_index("node")
    assert table.loc["cumsum", "status"] == "unmapped"
    assert table.loc["cumsum", "macs_share"] == pytest.approx(32 / 160)
    assert table.loc["cumsum", "bytes_share"] == pytest.approx(264 / 808)
    assert "unmapped between simulated layers: cumsum (CumSum" in err
    assert "128 MACs simulated (80.0% of the model's MACs, 67.3% of its bytes)" in err      # 544 / 808
    status, _, err = run_cli(capsys, "simulate", "--workload", tmp_path / "imp", "--hw", SCNN,
                             "--out", tmp_path / "sim")
    assert status == 0, err
    imported_from = json.loads((tmp_path / "sim" / "summary.json").read_text())["metadata"]["imported_from"]
    assert [w for w in imported_from["warnings"] if w.startswith("unmapped between simulated layers: cumsum")]
    status, stdout, _ = run_cli(capsys, "import", tmp_path / "m.onnx", "--force", "--out", tmp_path / "imp")
    row = next(line.split() for line in stdout.splitlines() if line.split()[:2] == ["unmapped", "CumSum"])
    assert row[2:7] == ["1", "32", "0.2", "264", "0.3267"]          # nodes, MACs, share, bytes, share


def test_pruning_never_keeps_a_weight_that_is_already_zero(tmp_path, capsys):
    """An imported MLP whose weights are 75% exact zeros (fc1 64 x 32, fc2 10 x 64: 672 non-zeros),
    "pruned" to 50%: every layer is already sparser, so it keeps its real zeros (no zero weight counts as
    kept) and simulates like the model itself; pruned to 90% each layer keeps round(0.1 x N) weights: 2048 -
    1843 = 205 of fc1, 640 - 576 = 64 of fc2, 269 in all. footprint's sparsity 0 is the real zeros."""
    mlp_onnx(tmp_path / "m.onnx", 64, 0.75, 0)
    assert run_cli(capsys, "import", tmp_path / "m.onnx", "--out", tmp_path / "imp", "--quiet")[0] == 0
    real = read_bundle(tmp_path / "imp").masks
    assert run_cli(capsys, "prune", "--workload", tmp_path / "imp", "--sparsity", "0.5", "--out",
                   tmp_path / "p50.npz", "--quiet")[0] == 0
    pruned = np.load(tmp_path / "p50.npz")
    for name in ("fc1", "fc2"):
        np.testing.assert_array_equal(pruned[name], real[name])
    hw = acs.load_hardware(HWCONFIGS / "eie_like.yaml")
    assert simulate_folder(tmp_path / "imp", hw, sparsity=0.5).total["cycles"] == \
        simulate_folder(tmp_path / "imp", hw).total["cycles"]
    status, stdout, err = run_cli(capsys, "footprint", "--workload", tmp_path / "imp", "--sparsity", "0,0.5,0.9",
                                  "--csv")
    assert status == 0, err
    table = pd.read_csv(__import__("io").StringIO(stdout))
    assert table["nnz"].tolist() == [672, 672, 269]
