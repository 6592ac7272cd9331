"""``accelsim simulate`` as a user runs it: outputs, and every class of bad input -> one line, exit 2."""
import io
import json
import pathlib

import pandas as pd
import pytest

from conftest import run_cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
DENSE_EDGE = ROOT / "hwconfigs" / "dense_edge.yaml"


def test_simulate_writes_results_and_prints_table(capsys, tmp_path):
    status, out, err = run_cli(capsys, "simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw", DENSE_EDGE,
                           "--out", tmp_path / "r")
    assert status == 0, err
    assert "TOTAL" in out and "pw13" in out
    layers = pd.read_csv(tmp_path / "r" / "layers.csv")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert len(layers) == 28
    assert summary["total"]["cycles"] == layers["cycles"].sum()
    meta = summary["metadata"]
    assert meta["hardware_file"] == "dense_edge.yaml" and meta["seed"] == 0 and len(meta["config_hash"]) == 64
    assert meta["accelsim_version"]


@pytest.mark.parametrize("hw,extra", [("scnn_like", ("--sparsity", "0.9")), ("dcnn", ()),
                                       ("dense_edge", ())])
def test_every_cycle_count_written_is_a_whole_number(capsys, tmp_path, hw, extra):
    """layers.csv and summary.json hold whole cycles: ``cycles``, ``drain_cycles`` and the per-PE means
    (named ``*_cycles_per_pe``, rounded down, the imbalance the remainder), which add up to ``cycles``."""
    status, _, err = run_cli(capsys, "simulate", "--model", "mobilenet_v1", "--width", "0.25", *extra,
                             "--hw", ROOT / "hwconfigs" / f"{hw}.yaml", "--out", tmp_path / "r", "--quiet")
    assert status == 0, err
    text = (tmp_path / "r" / "layers.csv").read_text()
    layers = pd.read_csv(io.StringIO(text))
    total = json.loads((tmp_path / "r" / "summary.json").read_text())["total"]
    columns = [c for c in layers.columns if c.endswith(("cycles", "cycles_per_pe"))]
    assert {"cycles", "drain_cycles", "busy_cycles_per_pe", "stall_memory_cycles_per_pe", "stall_sram_cycles_per_pe",
            "stall_imbalance_cycles_per_pe", "stall_conflict_cycles_per_pe"} <= set(columns)
    from accelsim.hardware import load_hardware
    details = {d.name for d in load_hardware(ROOT / "hwconfigs" / f"{hw}.yaml").accelerator.details}
    for column in set(columns) - details:     # an accelerator's declared details are its own figures
        assert layers[column].dtype.kind == "i", column
        assert isinstance(total[column], int), column
    parts = ("busy_cycles_per_pe", "stall_memory_cycles_per_pe", "stall_sram_cycles_per_pe",
             "stall_imbalance_cycles_per_pe", "drain_cycles")
    assert (layers[list(parts)].sum(axis=1) == layers["cycles"]).all()
    assert (layers[list(parts)] >= 0).all().all()


def test_simulate_refuses_to_overwrite_results(capsys, tmp_path):
    args = ("simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw", DENSE_EDGE, "--out", tmp_path,
            "--quiet")
    assert run_cli(capsys, *args)[0] == 0
    before = (tmp_path / "layers.csv").read_bytes()
    status, _, err = run_cli(capsys, *args)
    assert status == 2 and "--force" in err
    assert (tmp_path / "layers.csv").read_bytes() == before
    assert run_cli(capsys, *args, "--force")[0] == 0


def write_hw(tmp_path, old, new):
    path = tmp_path / "hw.yaml"
    text = DENSE_EDGE.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old,new,names", [
    ("clock_hz: 8.0e8", "clock_hz: fast", "clock_hz"),                        # wrong type
    ("clock_hz: 8.0e8", "clock_hz: -1", "clock_hz"),                          # out of range
    ("clock_hz: 8.0e8", "clok_hz: 8.0e8", "did you mean"),                    # misspelt key
    ("dataflow: ws", "dataflow: xs", "dataflow"),                             # bad choice
    ("latency_cycles: 100", "latency_cycles: .nan", "latency_cycles"),        # NaN
    ("    size_bytes: 65536           # bytes; scale.cfg IfmapSramSzkB",
     "    size_bytes: 0           # bytes; scale.cfg IfmapSramSzkB", "size_bytes"),  # zero size
    ("name: dense_edge", "name: dense_edge\nname: again", "name"),            # duplicate key
    ("name: dense_edge", "name: [unclosed", "hw.yaml"),                       # not YAML
])
def test_bad_hardware_one_line_exit_2(capsys, tmp_path, old, new, names):
    hw = write_hw(tmp_path, old, new)
    status, out, err = run_cli(capsys, "simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw", hw,
                           "--out", tmp_path / "out")
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "hw.yaml" in err and names in err
    assert not (tmp_path / "out").exists()


def test_layer_that_cannot_fit_names_layer_and_buffer(capsys, tmp_path):
    hw = write_hw(tmp_path, "    size_bytes: 65536           # bytes; scale.cfg FilterSramSzkB",
                  "    size_bytes: 1024           # bytes; scale.cfg FilterSramSzkB")
    hw.write_text(hw.read_text() + "mapping: scalesim\n")     # the searched mapping uses part of the array
    status, _, err = run_cli(capsys, "simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw", hw)
    assert status == 2 and "layer conv1" in err and "filter" in err


def test_missing_hardware_file(capsys, tmp_path):
    status, _, err = run_cli(capsys, "simulate", "--model", "mobilenet_v1", "--hw", tmp_path / "nope.yaml")
    assert status == 2 and "nope.yaml" in err


def test_masks_of_another_model_name_the_layer(capsys, tmp_path):
    masks = tmp_path / "m.npz"
    assert run_cli(capsys, "prune", "--model", "ptb_lstm", "--size", "small", "--sparsity", "0.5", "--seed", "0",
               "--out", masks, "--quiet")[0] == 0
    status, _, err = run_cli(capsys, "simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw", DENSE_EDGE,
                         "--masks", masks)
    assert status == 2 and "m.npz" in err


def one_linear(**densities) -> str:
    extra = "".join(f"\n    {key}: {value}" for key, value in densities.items())
    return f"name: one\nlayers:\n  - name: fc\n    type: linear\n    in_features: 64\n    out_features: 64{extra}\n"


@pytest.mark.parametrize("densities,argv,useful", [
    # 64 x 64 weights at density 0.25 keep exactly 1024; every input non-zero: 1024 products
    ({"weight_density": 0.25}, (), 1024),
    # all 4096 weights kept, exactly 32 of the 64 inputs non-zero: 64 rows x 32 = 2048 products
    ({"activation_density": 0.5}, (), 2048),
    # --sparsity 0.5 replaces the file's 0.25: 2048 weights kept, every input non-zero
    ({"weight_density": 0.25, "activation_density": 1.0}, ("--sparsity", "0.5"), 2048),
])
def test_workload_file_densities_apply(capsys, tmp_path, densities, argv, useful):
    """A workload file's weight_density prunes its layer and activation_density thins its input, as the
    file format says (traces/README.md); on EIE, which skips both kinds of zero, the useful MACs of one
    64 -> 64 Linear step follow by hand. --sparsity replaces the file's weight densities."""
    path = tmp_path / "one.yaml"
    path.write_text(one_linear(**densities))
    status, out, err = run_cli(capsys, "simulate", "--workload", path, "--hw", ROOT / "hwconfigs" / "eie_like.yaml",
                               "--csv", *argv)
    assert status == 0, err
    row = pd.read_csv(io.StringIO(out)).iloc[0]
    assert row["layer"] == "fc" and row["useful_macs"] == useful
