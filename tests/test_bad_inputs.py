"""Bad input, tried as a new user would: one row per case, each run through the real command line in its own
process, in its own empty folder.

Every row must end with exit status 2, exactly one line on stderr (no traceback, no warning), that line
naming the file, key, option or layer and what was expected (the row's fragments), and no file created,
changed or removed in the folder the command ran in. Rows marked ``bounded`` (a YAML bomb, 100 MB files)
must also be refused with a peak memory within ``BOUNDED_EXTRA_KB`` of an ordinary refusal (and, in the
fork server, under an address-space limit). No row asserts a time: a run that hangs is killed after
``HANG_TIMEOUT_S`` and fails on its exit status; how fast they are refused is measured by
``benchmarks/bench_refusal.py`` (``make bench``).

By default every row runs in a fork of one process that has imported the package (a fresh interpreter per
row costs half a second of imports), and the rows of ``FRESH_BY_DEFAULT`` also run as
``python -m accelsim.cli`` in a new interpreter; ``-m slow`` runs every row that way.

``docs/bad_inputs.md`` is this table with the message each row gets; it is generated from this module::

    python tests/test_bad_inputs.py > docs/bad_inputs.md

and a test checks that it still says what the command line prints.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
HWCONFIGS = ROOT / "hwconfigs"
DOC = ROOT / "docs" / "bad_inputs.md"
CLI = (sys.executable, "-m", "accelsim.cli")

HANG_TIMEOUT_S = 60             # a guard against a hang (a refusal takes well under a second), not a speed check
BOUNDED_EXTRA_KB = 64 * 1024    # peak RSS above an ordinary refusal; reading a 100 MB file would exceed it

MOBILENET = ("--model", "mobilenet_v1", "--width", "0.25")


# --- how each case prepares its folder ---------------------------------------------------------------------

Setup = Callable[[Path], None]


def dense_edge(old: str | None = None, new: str = "", name: str = "hw.yaml", mapping: str | None = None) -> Setup:
    """Write hwconfigs/dense_edge.yaml as ``name``, with the first ``old`` replaced by ``new`` (and a
    ``mapping`` key when given)."""
    def setup(folder: Path) -> None:
        text = (HWCONFIGS / "dense_edge.yaml").read_text()
        if old is not None:
            assert old in text, old
            text = text.replace(old, new, 1)
        if mapping is not None:
            text += f"mapping: {mapping}\n"
        (folder / name).write_text(text)
    return setup


def write(name: str, content: str | bytes) -> Setup:
    def setup(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return setup


def sized(name: str, size: int) -> Setup:
    """A file of ``size`` bytes (sparse: created instantly, costs no disk)."""
    def setup(folder: Path) -> None:
        with open(folder / name, "wb") as f:
            f.truncate(size)
    return setup


def folder_at(name: str) -> Setup:
    return lambda folder: (folder / name).mkdir(parents=True)


def masks(name: str = "masks.npz", **changes: object) -> Setup:
    """The masks of MobileNet v1 (width 0.25) pruned to 50%, with entries replaced (None: removed)."""
    def setup(folder: Path) -> None:
        import accelsim as acs
        arrays = dict(acs.prune(acs.zoo.mobilenet_v1(width=0.25), 0.5, seed=0))
        arrays.update(changes)
        np.savez(folder / name, **{k: v for k, v in arrays.items() if v is not None})
    return setup


def truncated_masks(folder: Path) -> None:
    masks()(folder)
    data = (folder / "masks.npz").read_bytes()
    (folder / "masks.npz").write_bytes(data[: len(data) // 2])


def npy_masks(folder: Path) -> None:
    np.save(folder / "masks.npy", np.ones((16, 8, 1, 1), bool))
    (folder / "masks.npy").rename(folder / "masks.npz")


def results_exist(folder: Path) -> None:
    (folder / "out").mkdir()
    (folder / "out" / "layers.csv").write_text("layer,cycles\nold,1\n")


def read_only_out(folder: Path) -> None:
    """An existing, empty output folder nobody may write into: chmod for a normal user; for root, whom
    permission bits do not stop, the immutable attribute (skipped where the file system has none)."""
    out = folder / "out"
    out.mkdir()
    if os.geteuid() != 0:
        out.chmod(0o555)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(out)],
                                                        capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without the immutable attribute")


def undo_read_only(folder: Path) -> None:
    out = folder / "out"
    if out.exists():
        if os.geteuid() == 0 and shutil.which("chattr"):
            subprocess.run(["chattr", "-i", str(out)], capture_output=True)
        out.chmod(0o755)


def hw_edits(source: str, name: str, *edits: tuple[str, str]) -> Setup:
    """Write hwconfigs/``source`` as ``name`` with each (old, new) of ``edits`` replaced once."""
    def setup(folder: Path) -> None:
        text = (HWCONFIGS / source).read_text()
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new, 1)
        (folder / name).write_text(text)
    return setup


def fifo(name: str) -> Setup:
    """A FIFO (named pipe): a reader that opens it blocks until a writer comes, which never happens here."""
    return lambda folder: os.mkfifo(folder / name)


def read_only_folder(name: str) -> Setup:
    """An existing, empty folder nobody may write into (as :func:`read_only_out`, for any name)."""
    def setup(folder: Path) -> None:
        (folder / name).mkdir()
        if os.geteuid() != 0:
            (folder / name).chmod(0o555)
            return
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder / name)],
                                                            capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without the immutable attribute")
    return setup


def undo_read_only_folder(name: str) -> Setup:
    def cleanup(folder: Path) -> None:
        if (folder / name).exists():
            if os.geteuid() == 0 and shutil.which("chattr"):
                subprocess.run(["chattr", "-i", str(folder / name)], capture_output=True)
            (folder / name).chmod(0o755)
    return cleanup


def duplicate_member_masks(folder: Path) -> None:
    """Masks whose archive holds pw1.npy twice (a zip allows it; np.savez never writes it)."""
    import zipfile
    masks()(folder)
    with zipfile.ZipFile(folder / "masks.npz", "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")          # zipfile warns of the duplicate name it is asked to write
        with archive.open("pw1.npy", "w") as member:
            np.lib.format.write_array(member, np.zeros((16, 8, 1, 1), bool))


def all_of(*setups: Setup) -> Setup:
    def setup(folder: Path) -> None:
        for step in setups:
            step(folder)
    return setup


def yaml_bomb(levels: int = 9, fan_out: int = 10) -> str:
    """A "billion laughs": ``fan_out ** levels`` lists once aliases are expanded, in a few hundred bytes."""
    return "l0: &l0 [lol, lol]\n" + "".join(
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan_out)}]\n" for i in range(1, levels + 1))


def onnx_conv(name: str = "m.onnx", dims: tuple = (1, 3, 8, 8), external: str | None = None,
              between: str | None = None) -> Setup:
    """A one-convolution ONNX model (3 -> 4 channels, 3x3) on input ``x`` of ``dims``; with ``external``,
    its weights in external data at that location; with ``between``, a second convolution after an op of
    that type."""
    def setup(folder: Path) -> None:
        import onnx
        from onnx import helper, numpy_helper
        w = np.ones((4, 3, 3, 3), np.float32)
        nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")]
        inits = [numpy_helper.from_array(w, "w")]
        if between is not None:
            nodes += [helper.make_node(between, ["y", "axis"], ["z"]),
                      helper.make_node("Conv", ["z", "w2"], ["out"], name="conv2")]
            inits += [numpy_helper.from_array(np.array(1, np.int64), "axis"),
                      numpy_helper.from_array(np.ones((4, 4, 1, 1), np.float32), "w2")]
        last = nodes[-1].output[0]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, list(dims))],
                                  [helper.make_tensor_value_info(last, onnx.TensorProto.FLOAT, [dims[0], 4, 6, 6])],
                                  inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        if external is not None:
            onnx.save(model, folder / name, save_as_external_data=True, location="w.data", size_threshold=0)
            model = onnx.load(folder / name, load_external_data=False)
            for entry in model.graph.initializer[0].external_data:
                if entry.key == "location":
                    entry.value = external
        onnx.save(model, folder / name)
    return setup


def truncated(name: str, setup: Setup) -> Setup:
    def cut(folder: Path) -> None:
        setup(folder)
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])
    return cut


def npy(name: str, shape: tuple, dtype=np.float32) -> Setup:
    return lambda folder: np.save(folder / name, np.zeros(shape, dtype))


WORKLOAD_YAML = """name: tiny
layers:
  - name: conv1
    type: conv2d
    in_channels: 3
    out_channels: 8
    kernel_h: 3
    kernel_w: 3
    in_h: 16
    in_w: 16
"""
LINEAR_YAML = """name: tiny_fc
layers:
  - {name: fc1, type: linear, in_features: 64, out_features: 4096, bias: false}
"""
CSV_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


# --- the table ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One bad input: the command (run in a folder ``setup`` prepared) and what its message must say."""

    id: str
    what: str                            # the bad input, in a few words
    argv: tuple[str, ...]
    expect: tuple[str, ...]              # fragments of the one stderr line
    setup: Setup | None = None
    bounded: bool = False                # refused within BOUNDED_EXTRA_KB of peak memory
    cleanup: Setup | None = None


def simulate(*extra: str, hw: str = "hw.yaml", model: tuple[str, ...] = MOBILENET) -> tuple[str, ...]:
    return ("simulate", *model, "--hw", hw, *extra, "--out", "out")


def simulate_workload(workload: str) -> tuple[str, ...]:
    return ("simulate", "--workload", workload, "--hw", "hw.yaml", "--out", "out")


GOOD_HW = dense_edge()     # hw.yaml unchanged, for the rows about another input
CASES: list[Case] = [
    # hardware YAML: not YAML, not safe, too big ---------------------------------------------------------
    Case("hw-not-yaml", "hardware file that is not YAML", simulate(),
         ("hw.yaml", "not valid YAML", "expected YAML text"), write("hw.yaml", "name: [dense_edge\nengine: {")),
    Case("hw-not-utf8", "hardware file that is binary", simulate(),
         ("hw.yaml", "not UTF-8", "expected a UTF-8 YAML file"), write("hw.yaml", b"\x89PNG\r\n\x1a\n\xff\xfe")),
    Case("hw-empty", "empty hardware file", simulate(),
         ("hw.yaml", "the top level is not a mapping", "expected a mapping with keys name, engine"),
         write("hw.yaml", "")),
    Case("hw-list", "hardware file whose top level is a list", simulate(),
         ("hw.yaml", "the top level is not a mapping"), write("hw.yaml", "- name: dense_edge\n- engine: systolic\n")),
    Case("hw-python-tag", "python object tag (only yaml.safe_load constructs are accepted)", simulate(),
         ("hw.yaml", "name", "tag not allowed", "tag:yaml.org,2002:python/object/apply:os.system"),
         dense_edge("name: dense_edge", "name: !!python/object/apply:os.system [touch pwned]")),
    Case("hw-bomb", "YAML bomb: 10**9 lists once aliases expand", simulate(),
         ("hw.yaml", "l4", "too many YAML nodes once aliases are expanded", "expected at most 10000 nodes"),
         write("hw.yaml", yaml_bomb()), bounded=True),
    Case("hw-100mb", "100 MB hardware file", simulate(),
         ("hw.yaml", "file too large", "expected at most 1000000 bytes"), sized("hw.yaml", 100 * 2**20),
         bounded=True),
    Case("hw-missing", "hardware file that does not exist", simulate(hw="nope.yaml"),
         ("nope.yaml", "cannot read the file", "No such file")),
    Case("hw-directory", "hardware path that is a folder", simulate(hw="hwdir"),
         ("hwdir", "cannot read the file", "Is a directory"), folder_at("hwdir")),
    # hardware YAML: keys -------------------------------------------------------------------------------
    Case("hw-duplicate-key", "duplicate key", simulate(),
         ("hw.yaml", "pe_array.rows", "duplicate key (lines 20 and 21)", "expected each key once per mapping"),
         dense_edge("  rows: 32 ", "  rows: 32\n  rows: 16 ")),
    Case("hw-unknown-key", "misspelt key", simulate(),
         ("hw.yaml", "clok_hz", "unknown key (did you mean 'clock_hz'?)", "expected one of name, engine"),
         dense_edge("clock_hz: 8.0e8", "clok_hz: 8.0e8")),
    Case("hw-unknown-buffer-key", "misspelt key inside a buffer", simulate(),
         ("hw.yaml", "buffers.ifmap.size_byte", "did you mean 'size_bytes'?"),
         dense_edge("    size_bytes: 65536           # bytes; scale.cfg IfmapSramSzkB",
                    "    size_byte: 65536           # bytes; scale.cfg IfmapSramSzkB")),
    Case("hw-unknown-engine", "unknown engine", simulate(),
         ("hw.yaml", "engine", "did you mean 'systolic'?", "expected one of systolic, "),
         dense_edge("engine: systolic", "engine: systollic")),
    # hardware YAML: wrong types --------------------------------------------------------------------------
    Case("hw-text-for-number", "text for a number", simulate(),
         ("hw.yaml", "pe_array.cols", "wrong type: text is not a number", "expected an integer from 1 to 4096"),
         dense_edge("cols: 32", "cols: many")),
    Case("hw-quoted-number", "quoted number", simulate(),
         ("hw.yaml", "clock_hz", "a quoted number is text", "expected a finite number >= 1e+06"),
         dense_edge("clock_hz: 8.0e8", "clock_hz: '8.0e8'")),
    Case("hw-bool-for-number", "boolean for a number", simulate(),
         ("hw.yaml", "dram.latency_cycles", "a boolean is not a number"),
         dense_edge("latency_cycles: 100", "latency_cycles: yes")),
    Case("hw-float-for-int", "fraction for a whole number", simulate(),
         ("hw.yaml", "pe_array.rows", "not an integer"), dense_edge("rows: 32", "rows: 31.5")),
    Case("hw-list-for-section", "list where a section belongs", simulate(),
         ("hw.yaml", "pe_array", "not a mapping", "expected a mapping with keys rows, cols"),
         dense_edge("pe_array:\n  rows: 32                      # PEs; scale.cfg ArrayHeight\n"
                    "  cols: 32                      # PEs; scale.cfg ArrayWidth\n", "pe_array: [32, 32]\n")),
    # hardware YAML: zero, negative, NaN, absurd --------------------------------------------------------------
    Case("hw-clock-zero", "zero clock", simulate(),
         ("hw.yaml", "clock_hz", "out of range", "expected a finite number >= 1e+06 and <= 1e+10 (Hz)"),
         dense_edge("clock_hz: 8.0e8", "clock_hz: 0")),
    Case("hw-clock-negative", "negative clock", simulate(),
         ("hw.yaml", "clock_hz", "out of range"), dense_edge("clock_hz: 8.0e8", "clock_hz: -8.0e8")),
    Case("hw-clock-nan", "NaN clock", simulate(),
         ("hw.yaml", "clock_hz", "not a finite number"), dense_edge("clock_hz: 8.0e8", "clock_hz: .nan")),
    Case("hw-clock-absurd", "absurdly fast clock (8 THz)", simulate(),
         ("hw.yaml", "clock_hz", "out of range", "<= 1e+10 (Hz)"), dense_edge("clock_hz: 8.0e8", "clock_hz: 8.0e12")),
    Case("hw-clock-tiny", "vanishing clock (1e-300 Hz: infinite latency)", simulate(),
         ("hw.yaml", "clock_hz", "out of range", "expected a finite number >= 1e+06"),
         dense_edge("clock_hz: 8.0e8", "clock_hz: 1e-300")),
    Case("hw-clock-huge-integer", "clock of 400 digits", simulate(),
         ("hw.yaml", "clock_hz", "out of range", "an integer of"),
         dense_edge("clock_hz: 8.0e8", "clock_hz: 8" + "0" * 400)),
    Case("hw-size-zero", "zero buffer size", simulate(),
         ("hw.yaml", "buffers.ifmap.size_bytes", "out of range", "expected an integer from 1 to 1000000000000 (bytes)"),
         dense_edge("size_bytes: 65536           # bytes; scale.cfg IfmapSramSzkB",
                    "size_bytes: 0           # bytes; scale.cfg IfmapSramSzkB")),
    Case("hw-size-negative", "negative buffer size", simulate(),
         ("hw.yaml", "buffers.filter.size_bytes", "out of range"),
         dense_edge("size_bytes: 65536           # bytes; scale.cfg FilterSramSzkB",
                    "size_bytes: -65536           # bytes; scale.cfg FilterSramSzkB")),
    Case("hw-size-absurd", "absurd buffer size (1 PB)", simulate(),
         ("hw.yaml", "buffers.ofmap.size_bytes", "out of range", "to 1000000000000 (bytes)"),
         dense_edge("size_bytes: 65536           # bytes; scale.cfg OfmapSramSzkB",
                    "size_bytes: 1125899906842624           # bytes; scale.cfg OfmapSramSzkB")),
    Case("hw-pe-zero", "array of zero PEs", simulate(),
         ("hw.yaml", "pe_array.rows", "out of range", "expected an integer from 1 to 4096 (PEs)"),
         dense_edge("rows: 32", "rows: 0")),
    Case("hw-pe-absurd", "absurd PE array (4096 x 4096)", simulate(hw="scnn.yaml"),
         ("scnn.yaml", "pe_array", "too many PEs", "expected rows x cols at most 65536"),
         lambda folder: (folder / "scnn.yaml").write_text((HWCONFIGS / "scnn_like.yaml").read_text().replace(
             "  rows: 8 ", "  rows: 4096 ").replace("  cols: 8 ", "  cols: 4096 "))),
    Case("hw-bandwidth-zero", "zero DRAM bandwidth", simulate(),
         ("hw.yaml", "dram.bandwidth_bytes_per_cycle", "out of range", "expected a finite number >= 0.001"),
         dense_edge("bandwidth_bytes_per_cycle: 16", "bandwidth_bytes_per_cycle: 0")),
    Case("hw-bandwidth-negative", "negative DRAM bandwidth", simulate(),
         ("hw.yaml", "dram.bandwidth_bytes_per_cycle", "out of range"),
         dense_edge("bandwidth_bytes_per_cycle: 16", "bandwidth_bytes_per_cycle: -16")),
    Case("hw-bandwidth-tiny", "vanishing DRAM bandwidth (1e-300 bytes/cycle)", simulate(),
         ("hw.yaml", "dram.bandwidth_bytes_per_cycle", "out of range", "expected a finite number >= 0.001"),
         dense_edge("bandwidth_bytes_per_cycle: 16", "bandwidth_bytes_per_cycle: 1e-300")),
    Case("hw-bandwidth-nan", "NaN DRAM bandwidth", simulate(),
         ("hw.yaml", "dram.bandwidth_bytes_per_cycle", "not a finite number"),
         dense_edge("bandwidth_bytes_per_cycle: 16", "bandwidth_bytes_per_cycle: .NaN")),
    Case("hw-bandwidth-inf", "infinite DRAM bandwidth", simulate(),
         ("hw.yaml", "dram.bandwidth_bytes_per_cycle", "not a finite number"),
         dense_edge("bandwidth_bytes_per_cycle: 16", "bandwidth_bytes_per_cycle: .inf")),
    Case("hw-bandwidth-absurd", "absurd DRAM bandwidth (1e9 bytes/cycle)", simulate(),
         ("hw.yaml", "dram.bandwidth_bytes_per_cycle", "out of range", "<= 10000 (bytes per cycle)"),
         dense_edge("bandwidth_bytes_per_cycle: 16", "bandwidth_bytes_per_cycle: 1e9")),
    Case("hw-latency-negative", "negative DRAM latency", simulate(),
         ("hw.yaml", "dram.latency_cycles", "out of range", "expected an integer from 0 to 1000000 (cycles)"),
         dense_edge("latency_cycles: 100", "latency_cycles: -1")),
    Case("hw-buffer-too-small", "buffer too small for SCALE-Sim's whole-array tile", simulate(),
         ("hw.yaml", "buffers.filter.size_bytes", "layer conv1"),
         dense_edge("size_bytes: 65536           # bytes; scale.cfg FilterSramSzkB",
                    "size_bytes: 32           # bytes; scale.cfg FilterSramSzkB", mapping="scalesim")),
    Case("hw-engine-cannot-run-model", "machine that cannot run the model's layers", simulate(hw="eie_like.yaml"),
         ("eie_like.yaml", "engine", "cannot run layer conv1", "expected layers of type Linear, LSTM"),
         lambda folder: shutil.copy(HWCONFIGS / "eie_like.yaml", folder)),
    # workloads ------------------------------------------------------------------------------------------
    Case("csv-missing-columns", "topology CSV with missing columns", simulate_workload("net.csv"),
         ("net.csv", "line 1", "missing columns in the header", "expected 8 columns"),
         all_of(GOOD_HW, write("net.csv", "Layer name, IFMAP Height, IFMAP Width,\nConv1, 224, 224,\n"))),
    Case("csv-row-short", "topology CSV row with missing cells", simulate_workload("net.csv"),
         ("net.csv", "line 3 (Conv2): Channels", "missing columns", "expected 8 columns"),
         all_of(GOOD_HW, write("net.csv", CSV_HEADER + "Conv1, 16, 16, 3, 3, 3, 8, 1,\nConv2, 14, 14, 3, 3,\n"))),
    Case("csv-negative", "topology CSV with a negative dimension", simulate_workload("net.csv"),
         ("net.csv", "line 2 (Conv1): IFMAP Width", "dimension must be positive", "'-16'"),
         all_of(GOOD_HW, write("net.csv", CSV_HEADER + "Conv1, 16, -16, 3, 3, 3, 8, 1,\n"))),
    Case("csv-zero", "topology CSV with a zero dimension", simulate_workload("net.csv"),
         ("net.csv", "line 2 (Conv1): Num Filter", "dimension must be positive", "got 0"),
         all_of(GOOD_HW, write("net.csv", CSV_HEADER + "Conv1, 16, 16, 3, 3, 3, 0, 1,\n"))),
    Case("csv-absurd", "topology CSV with an absurd layer (10**6 channels)", simulate_workload("net.csv"),
         ("net.csv", "line 2 (Conv1)", "layer too large", "expected at most 268435456 elements per tensor"),
         all_of(GOOD_HW, write("net.csv", CSV_HEADER + "Conv1, 1000, 1000, 3, 3, 1000000, 8, 1,\n"))),
    Case("workload-unknown-key", "workload YAML with a misspelt layer key", simulate_workload("net.yaml"),
         ("net.yaml", "layers[0].kernal_w (layer conv1)", "unknown key", "did you mean 'kernel_w'?"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML.replace("kernel_w: 3", "kernal_w: 3")))),
    Case("workload-duplicate-key", "workload YAML with a duplicate key", simulate_workload("net.yaml"),
         ("net.yaml", "in_h", "duplicate key (lines 9 and 10)"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML.replace("in_h: 16\n", "in_h: 16\n    in_h: 32\n")))),
    Case("workload-wrong-type", "workload YAML with text for a size", simulate_workload("net.yaml"),
         ("net.yaml", "layers[0].in_w (layer conv1)", "text is not a number", "expected an integer >= 1 (pixels)"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML.replace("in_w: 16", "in_w: sixteen")))),
    Case("workload-negative", "workload YAML with a negative size", simulate_workload("net.yaml"),
         ("net.yaml", "layers[0].out_channels (layer conv1)", "expected an integer >= 1 (channels)", "got -8"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML.replace("out_channels: 8", "out_channels: -8")))),
    Case("workload-stride-three-axes", "workload YAML with a stride for three axes", simulate_workload("net.yaml"),
         ("net.yaml", "layers[0].stride (layer conv1)", "bad stride", "expected an integer >= 1, or [rows, columns]"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML + "    stride: [2, 1, 1]\n"))),
    Case("workload-many-problems", "workload YAML with a problem in each of two layers", simulate_workload("net.yaml"),
         ("net.yaml", "layers[0].in_w (layer conv1): out of range", " | ",
          "layers[1].out_features (layer fc): missing key"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML.replace("in_w: 16", "in_w: 0")
                               + "  - {name: fc, type: linear, in_features: 8}\n"))),
    Case("workload-not-yaml", "workload YAML that is not YAML", simulate_workload("net.yaml"),
         ("net.yaml", "not valid YAML", "expected YAML text"), all_of(GOOD_HW, write("net.yaml", "layers: [\n"))),
    Case("workload-python-tag", "workload YAML with a python object tag", simulate_workload("net.yaml"),
         ("net.yaml", "not valid YAML", "could not determine a constructor", "python/object/apply:os.system"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML.replace(
             "name: tiny", "name: !!python/object/apply:os.system [touch pwned]")))),
    Case("workload-bomb", "workload YAML bomb", simulate_workload("net.yaml"),
         ("net.yaml", "layers[0].padding (layer conv1)", "bad padding", "expected same | valid"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML + "    padding: [" + ", ".join(
             line.split(": ", 1)[1] for line in yaml_bomb().splitlines()) + "]\n")), bounded=True),
    Case("workload-100mb", "100 MB workload file", simulate_workload("net.csv"),
         ("net.csv", "file too large", "expected at most 10000000 bytes"),
         all_of(GOOD_HW, sized("net.csv", 100 * 2**20)), bounded=True),
    Case("workload-extension", "workload file of unknown type", simulate_workload("net.txt"),
         ("net.txt", "unknown workload file type", "expected .yaml or .yml"), all_of(GOOD_HW, write("net.txt", "x"))),
    # masks ----------------------------------------------------------------------------------------------
    Case("masks-text", "mask file that is not an .npz", simulate("--masks", "masks.npz"),
         ("masks.npz", "not an .npz mask archive", "a file that is not a zip archive"),
         all_of(GOOD_HW, write("masks.npz", "pw1,pw2\n1,0\n"))),
    Case("masks-npy", "mask file that is a single .npy array", simulate("--masks", "masks.npz"),
         ("masks.npz", "not an .npz mask archive", "a single-array .npy file"), all_of(GOOD_HW, npy_masks)),
    Case("masks-truncated", "mask archive cut short", simulate("--masks", "masks.npz"),
         ("masks.npz", "cannot read mask file", "expected a valid .npz archive"), all_of(GOOD_HW, truncated_masks)),
    Case("masks-pickle", "mask entry that is a pickled object", simulate("--masks", "masks.npz"),
         ("masks.npz", "pw1", "holds Python objects (would need pickle)", "dtype object"),
         all_of(GOOD_HW, masks(pw1=np.array([{"evil": "payload"}], dtype=object)))),
    Case("masks-missing-layer", "mask file without a prunable layer", simulate("--masks", "masks.npz"),
         ("masks.npz", "pw13", "no mask for a prunable layer", "expected a boolean array of shape (256, 256, 1, 1)"),
         all_of(GOOD_HW, masks(pw13=None))),
    Case("masks-unknown-layer", "mask for a layer the model lacks", simulate("--masks", "masks.npz"),
         ("masks.npz", "pw14", "mask for a layer the model does not have", "did you mean 'pw4'"),
         all_of(GOOD_HW, masks(pw14=np.ones((8, 8, 1, 1), bool)))),
    Case("masks-wrong-shape", "mask of the wrong shape", simulate("--masks", "masks.npz"),
         ("masks.npz", "pw2", "wrong shape", "expected shape (32, 16, 1, 1)", "shape (16, 32, 1, 1)"),
         all_of(GOOD_HW, masks(pw2=np.ones((16, 32, 1, 1), bool)))),
    Case("masks-integer", "0/1 integer mask", simulate("--masks", "masks.npz"),
         ("masks.npz", "pw3", "mask is not boolean", "expected dtype bool", "dtype int64"),
         all_of(GOOD_HW, masks(pw3=np.ones((32, 32, 1, 1), np.int64)))),
    Case("masks-nan", "float mask with NaN", simulate("--masks", "masks.npz"),
         ("masks.npz", "pw4", "float masks are refused, NaN included", "dtype float64"),
         all_of(GOOD_HW, masks(pw4=np.full((64, 32, 1, 1), np.nan)))),
    Case("masks-missing-file", "mask file that does not exist", simulate("--masks", "nope.npz"),
         ("nope.npz", "mask file not found", "expected an existing .npz file"), GOOD_HW),
    # sparsity -------------------------------------------------------------------------------------------
    Case("sparsity-one", "sparsity 1.0", simulate("--sparsity", "1.0"),
         ("--sparsity", "out of range", "expected a finite number >= 0 and < 1", "got 1.0"), GOOD_HW),
    Case("sparsity-negative", "negative sparsity", simulate("--sparsity", "-0.1"),
         ("--sparsity", "expected a finite number >= 0 and < 1", "got -0.1"), GOOD_HW),
    Case("sparsity-above-one", "sparsity above 1", simulate("--sparsity", "1.5"),
         ("--sparsity", "expected a finite number >= 0 and < 1", "got 1.5"), GOOD_HW),
    Case("sparsity-nan", "NaN sparsity", simulate("--sparsity", "nan"),
         ("--sparsity", "not a finite number", "expected a finite number >= 0 and < 1", "got nan"), GOOD_HW),
    Case("sparsity-text", "sparsity that is not a number", ("footprint", *MOBILENET, "--sparsity", "0.5,most"),
         ("--sparsity", "expected comma-separated numbers in [0, 1)", "'0.5,most'")),
    Case("sparsity-list-one", "sparsity list with 1.0", ("footprint", *MOBILENET, "--sparsity", "0,0.5,1"),
         ("--sparsity", "out of range", "got 1.0")),
    # models and options ---------------------------------------------------------------------------------
    Case("model-unknown", "unknown model name", simulate(model=("--model", "mobilenet_v2")),
         ("--model", "unknown model (did you mean 'mobilenet_v1'?)", "expected mobilenet_v1 | inception_v3"), GOOD_HW),
    Case("model-option-not-used", "option the model does not take", simulate(model=(*MOBILENET, "--units", "512")),
         ("--units", "option not used by mobilenet_v1", "expected --width"), GOOD_HW),
    Case("model-unknown-flag", "misspelt option", simulate(model=("--model", "mobilenet_v1", "--widht", "0.5")),
         ("unrecognized arguments: --widht 0.5", "see 'accelsim --help'"), GOOD_HW),
    Case("model-width-zero", "zero width", simulate(model=("--model", "mobilenet_v1", "--width", "0")),
         ("--width", "bad width multiplier", "expected a number in (0, 4]"), GOOD_HW),
    Case("model-width-nan", "NaN width", simulate(model=("--model", "mobilenet_v1", "--width", "nan")),
         ("--width", "expected a number in (0, 4]", "got nan"), GOOD_HW),
    Case("model-size-unknown", "unknown PTB size",
         ("footprint", "--model", "ptb", "--size", "huge", "--sparsity", "0.5"),
         ("--size", "unknown PTB model size", "expected small | medium | large")),
    Case("model-units-negative", "negative GNMT units",
         ("footprint", "--model", "gnmt", "--units", "-5", "--sparsity", "0"),
         ("--units", "expected a positive integer", "got -5")),
    Case("model-units-absurd", "absurd GNMT units (10**8)",
         ("footprint", "--model", "gnmt", "--units", "100000000", "--sparsity", "0"),
         ("--units", "model too large", "enc_embedding", "expected at most 268435456 elements per tensor")),
    Case("model-steps-absurd", "absurd PTB sequence (10**9 steps)",
         ("footprint", "--model", "ptb", "--size", "small", "--steps", "1000000000", "--sparsity", "0"),
         ("--steps", "model too large", "expected at most 268435456 elements per tensor")),
    Case("prune-unknown-method", "unknown pruning method",
         ("prune", *MOBILENET, "--sparsity", "0.5", "--seed", "0", "--method", "random", "--out", "m.npz"),
         ("--method", "invalid choice: 'random'", "choose from 'uniform', 'global'")),
    Case("prune-structure-unknown", "unknown pruning structure",
         ("prune", *MOBILENET, "--structure", "2:5:3", "--seed", "0", "--out", "m.npz"),
         ("--structure", "expected N:M (e.g. 2:4)", "got '2:5:3'")),
    Case("prune-nm-with-sparsity", "N:M with a sparsity",
         ("prune", *MOBILENET, "--structure", "2:4", "--sparsity", "0.5", "--seed", "0", "--out", "m.npz"),
         ("--sparsity", "N:M pruning sets its own sparsity", "expected no --sparsity with 2:4")),
    Case("prune-block-without-sparsity", "block pruning without a sparsity",
         ("prune", *MOBILENET, "--structure", "block:4", "--seed", "0", "--out", "m.npz"),
         ("--sparsity", "no sparsity given", "block:4")),
    # outputs --------------------------------------------------------------------------------------------
    Case("out-results-exist", "results already in --out", simulate(),
         ("out/layers.csv", "--out", "results already exist (use --force to overwrite)"),
         all_of(GOOD_HW, results_exist)),
    Case("out-is-file", "--out is a file", simulate(),
         ("--out", "output path is a file", "expected a directory", "'out'"), all_of(GOOD_HW, write("out", "mine\n"))),
    Case("out-under-file", "--out inside a file", ("simulate", *MOBILENET, "--hw", "hw.yaml", "--out", "notes/run1"),
         ("notes/run1", "--out", "cannot create output directory", "notes is a file"),
         all_of(GOOD_HW, write("notes", "mine\n"))),
    Case("out-not-writable", "--out not writable", simulate(),
         ("out", "--out", "output directory is not writable"), all_of(GOOD_HW, read_only_out), cleanup=undo_read_only),
    Case("prune-out-exists", "prune over an existing file", ("prune", *MOBILENET, "--sparsity", "0.5", "--seed", "0",
                                                            "--out", "m.npz"),
         ("m.npz", "output exists", "expected a new path, or --force to overwrite it"), write("m.npz", b"mine")),
    Case("prune-out-directory", "prune into a folder path", ("prune", *MOBILENET, "--sparsity", "0.5", "--seed", "0",
                                                            "--out", "masks"),
         ("masks", "output path is a directory", "expected a file path ending in .npz"), folder_at("masks")),
    Case("prune-out-missing-folder", "prune into a missing folder",
         ("prune", *MOBILENET, "--sparsity", "0.5", "--seed", "0", "--out", "no/such/m.npz"),
         ("no/such/m.npz", "output folder does not exist")),
    Case("sweep-out-is-file", "sweep --out is a file",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--jobs", "1", "--quiet", "--out", "out"),
         ("--out", "output path is a file", "expected a directory"), all_of(GOOD_HW, write("out", "mine\n"))),
    Case("compare-out-is-file", "compare --out is a file",
         ("compare", "--family", "mobilenet", "--hw", "hw.yaml", "--jobs", "1", "--quiet", "--out", "out"),
         ("--out", "output path is a file", "expected a directory"), all_of(GOOD_HW, write("out", "mine\n"))),
    Case("sweep-jobs-zero", "sweep with --jobs 0",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--jobs", "0", "--quiet", "--out", "out"),
         ("--jobs", "expected a whole number of worker processes >= 1", "'0'"), GOOD_HW),
    Case("sweep-workload-with-option", "sweep of a workload file given a zoo option",
         ("sweep", "--workload", "net.yaml", "--width", "0.5", "--sparsity", "0.5", "--hw", "hw.yaml", "--quiet",
          "--out", "out"),
         ("--width", "model options do not apply to a workload file", "expected no zoo options with --workload"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML))),
    Case("simulate-workload-with-option", "simulate of a workload file given a zoo option",
         ("simulate", "--workload", "net.yaml", "--width", "0.5", "--hw", "hw.yaml", "--out", "out"),
         ("--width", "model options do not apply to a workload file", "expected no zoo options with --workload"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML))),
    Case("compare-unknown-family", "compare of an unknown family",
         ("compare", "--family", "mobilnet", "--hw", "hw.yaml", "--quiet", "--out", "out"),
         ("--family", "unknown comparison family (did you mean 'mobilenet'?)", "expected mobilenet | ptb | gnmt"),
         GOOD_HW),
    Case("sweep-bad-seeds", "sweep with no seeds",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--seeds", ",", "--quiet", "--out", "out"),
         ("--seeds", "expected comma-separated int values", "got ','"), GOOD_HW),
    # ONNX import ----------------------------------------------------------------------------------------
    Case("import-not-onnx", "import of a file that is not ONNX", ("import", "m.onnx", "--out", "imp"),
         ("m.onnx", "not an ONNX model"), write("m.onnx", "name: a YAML file, not a model\n")),
    Case("import-truncated", "import of a truncated ONNX file", ("import", "m.onnx", "--out", "imp"),
         ("m.onnx", "not an ONNX model", "expected an ONNX ModelProto"), truncated("m.onnx", onnx_conv())),
    Case("import-oversized", "import of a 2 GiB file (refused unread)", ("import", "m.onnx", "--out", "imp"),
         ("m.onnx", "model file too large", "expected at most 2147483647 bytes"), sized("m.onnx", 2**31),
         bounded=True),
    Case("import-external-outside", "external data outside the model's folder", ("import", "m.onnx", "--out", "imp"),
         ("m.onnx", "tensor w: external data", "outside the model's folder", "../w.data"),
         onnx_conv(external="../w.data")),
    Case("import-external-missing", "external data file missing", ("import", "m.onnx", "--out", "imp"),
         ("m.onnx", "tensor w: external data", "external data file missing", "gone.data"),
         onnx_conv(external="gone.data")),
    Case("import-dynamic", "dynamic dimensions without --input-shape", ("import", "m.onnx", "--out", "imp"),
         ("m.onnx", "input x", "input has dynamic dimensions", "expected --input-shape x=NxNxNxN"),
         onnx_conv(dims=("batch", 3, 8, 8))),
    Case("import-input-shape-name", "--input-shape naming no input",
         ("import", "m.onnx", "--input-shape", "image=1x3x8x8", "--out", "imp"),
         ("--input-shape image", "names no input of the model", "one of x"), onnx_conv(dims=("batch", 3, 8, 8))),
    Case("import-samples-shape", "samples of the wrong shape",
         ("import", "m.onnx", "--samples", "x.npy", "--out", "imp"),
         ("x.npy", "input x", "samples of the wrong shape", "expected (n, 1, 3, 8, 8)", "(2, 3, 9, 9)"),
         all_of(onnx_conv(), npy("x.npy", (2, 3, 9, 9)))),
    Case("import-samples-dtype", "samples of the wrong dtype",
         ("import", "m.onnx", "--samples", "x.npy", "--out", "imp"),
         ("x.npy", "input x", "samples of the wrong dtype", "expected float32", "float64"),
         all_of(onnx_conv(), npy("x.npy", (2, 3, 8, 8), np.float64))),
    Case("import-strict", "--strict with an op accelsim cannot map between layers",
         ("import", "m.onnx", "--strict", "--out", "imp"),
         ("m.onnx", "--strict", "ops accelsim cannot map between simulated layers", "CumSum"),
         onnx_conv(between="CumSum")),
    Case("prune-workload-file", "prune of a workload file (no real weights)",
         ("prune", "--workload", "net.yaml", "--sparsity", "0.5", "--out", "m.npz"),
         ("--workload", "not an imported model's folder", "expected a folder written by 'accelsim import'"),
         write("net.yaml", WORKLOAD_YAML)),
    Case("simulate-folder-not-imported", "simulate of a folder that is no import",
         ("simulate", "--workload", "stuff", "--hw", "hw.yaml", "--out", "out"),
         ("stuff", "workload.yaml", "not an imported model's folder"), all_of(GOOD_HW, folder_at("stuff"))),
]
CASES += [
    # issue 14: what an outside tester found ------------------------------------------------------------------
    Case("hw-buffer-named-dynamic", "buffer named like a report column (energy_dynamic_pj)", simulate(),
         ("hw.yaml", "buffers.dynamic", "buffer name taken by a report column", "got 'dynamic'"),
         dense_edge("  ifmap:\n", "  dynamic:\n")),
    # issue 20: the cost models' technology node ------------------------------------------------------------
    Case("hw-technology-node", "technology node outside the cost tables", simulate(),
         ("hw.yaml", "technology_nm", "no cost tables for this node", "expected one of 65, 45, 32, 28, 22, 16, 7",
          "got 14"),
         dense_edge("technology_nm: 45 ", "technology_nm: 14 ")),
    Case("hw-no-energy-no-node", "neither an energy section nor a technology node", simulate(),
         ("hw.yaml", "energy", "missing key", "or technology_nm"),
         write("hw.yaml", (HWCONFIGS / "dense_edge.yaml").read_text().split("\nenergy:")[0].replace(
             "technology_nm: 45 ", "# technology_nm: 45 "))),
    Case("hw-buffer-pathologically-small", "8-byte, 1-bank filter buffer with the os dataflow (hours of steps)",
         simulate(model=("--model", "mobilenet_v1", "--width", "1.0")),
         ("hw.yaml", "buffers.filter.size_bytes", "layer dw1", "over 100000 simulation steps", "got 8"),
         hw_edits("dense_edge.yaml", "hw.yaml", ("dataflow: ws", "dataflow: os"),
                  ("size_bytes: 65536           # bytes; scale.cfg FilterSramSzkB", "size_bytes: 8 #"),
                  ("banks: 32                   # banks; one per array column (weights", "banks: 1 # ("))),
    Case("hw-scnn-accumulators", "SCNN accumulators too small for a one-pixel tile", simulate(hw="scnn.yaml"),
         ("scnn.yaml", "pe.accumulator_entries", "layer conv1", "do not fit the accumulators"),
         hw_edits("scnn_like.yaml", "scnn.yaml", ("accumulator_banks: 32 ", "accumulator_banks: 1 "),
                  ("accumulator_entries: 32 ", "accumulator_entries: 1 "))),
    Case("hw-eie-sram-too-small", "EIE sparse-matrix SRAM too small for one column",
         ("simulate", "--workload", "net.yaml", "--hw", "eie.yaml", "--out", "out"),
         ("eie.yaml", "buffers.spmat.size_bytes", "layer fc1",
          "one column slice does not fit half the sparse-matrix SRAM"),
         all_of(write("net.yaml", LINEAR_YAML),
                hw_edits("eie_like.yaml", "eie.yaml", ("size_bytes: 131072  ", "size_bytes: 8  ")))),
    Case("hw-eyeriss-spad-too-small", "Eyeriss v2 weight scratch pad narrower than a filter row", simulate(hw="ey.yaml"),
         ("ey.yaml", "pe.weight_spad_entries", "layer conv1", "wider than the PE's scratch pad", "got 2"),
         hw_edits("eyeriss_v2.yaml", "ey.yaml", ("weight_spad_entries: 192 ", "weight_spad_entries: 2 "))),
    Case("hw-fifo", "hardware path that is a FIFO (would block forever)", simulate(hw="hw.fifo"),
         ("hw.fifo", "cannot read the file", "not a regular file but a FIFO"), fifo("hw.fifo")),
    Case("workload-fifo", "workload path that is a FIFO", simulate_workload("net.csv"),
         ("net.csv", "cannot read the file", "not a regular file but a FIFO"), all_of(GOOD_HW, fifo("net.csv"))),
    Case("masks-fifo", "mask path that is a FIFO", simulate("--masks", "masks.npz"),
         ("masks.npz", "cannot read mask file", "not a regular file but a FIFO"), all_of(GOOD_HW, fifo("masks.npz"))),
    Case("import-fifo", "ONNX model path that is a FIFO", ("import", "m.onnx", "--out", "imp"),
         ("m.onnx", "cannot read the model", "not a regular file but a FIFO"), fifo("m.onnx")),
    Case("import-samples-fifo", "--samples path that is a FIFO",
         ("import", "m.onnx", "--samples", "x.npy", "--out", "imp"),
         ("x.npy", "cannot read samples", "not a regular file but a FIFO"), all_of(onnx_conv(), fifo("x.npy"))),
    Case("masks-duplicate-member", "mask archive with two pw1.npy members", simulate("--masks", "masks.npz"),
         ("masks.npz", "pw1", "two entries for one layer"), all_of(GOOD_HW, duplicate_member_masks)),
    Case("workload-nothing-at-inference", "workload whose every layer has at_inference: false",
         simulate_workload("net.yaml"), ("net.yaml", "layers", "no layer runs at inference"),
         all_of(GOOD_HW, write("net.yaml", WORKLOAD_YAML + "    at_inference: false\n"))),
    Case("csv-gemm-too-large", "GEMM topology row too large", simulate_workload("net.csv"),
         ("net.csv", "line 2 (G1)", "layer too large", "expected at most 268435456 elements per tensor"),
         all_of(GOOD_HW, write("net.csv", "Layer name, M, N, K,\nG1, 100000, 100000, 100000,\n"))),
    Case("prune-out-read-only", "prune into a read-only folder",
         ("prune", *MOBILENET, "--sparsity", "0.5", "--seed", "0", "--out", "ro/m.npz"),
         ("ro/m.npz", "cannot write mask file"), read_only_folder("ro"), cleanup=undo_read_only_folder("ro")),
    Case("prune-force-fifo", "prune --force onto a FIFO (only regular files are replaced)",
         ("prune", *MOBILENET, "--sparsity", "0.5", "--seed", "0", "--out", "m.npz", "--force"),
         ("m.npz", "the path is a FIFO (named pipe)", "expected a new path or a regular file to replace"),
         fifo("m.npz")),
    Case("simulate-out-name-too-long", "--out folder name of 300 characters", simulate()[:-1] + ("d" * 300,),
         ("d" * 300, "--out", "File name too long"), GOOD_HW),
    Case("workload-name-too-long", "--workload file name of 300 characters",
         simulate_workload("w" * 300 + ".yaml"), ("w" * 300 + ".yaml", "--workload", "File name too long"), GOOD_HW),
    Case("prune-out-folder-name-too-long", "prune into a folder whose name has 300 characters",
         ("prune", *MOBILENET, "--sparsity", "0.5", "--seed", "0", "--out", "d" * 300 + "/m.npz"),
         ("d" * 300 + "/m.npz", "--out", "File name too long")),
    Case("plot-dir-name-too-long", "plot of a folder whose name has 300 characters", ("plot", "d" * 300),
         ("d" * 300, "DIR", "File name too long")),
    Case("sweep-out-read-only", "sweep into a read-only folder (refused before simulating)",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--jobs", "1", "--quiet", "--out", "out"),
         ("out", "--out", "output directory is not writable"), all_of(GOOD_HW, read_only_out), cleanup=undo_read_only),
    Case("sweep-out-user-files", "sweep into a folder of the user's files, without --force",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--jobs", "1", "--quiet", "--out", "out"),
         ("out/totals.csv", "--out", "not the results of an accelsim sweep (use --force to write into it)"),
         all_of(GOOD_HW, write("out/totals.csv", "my,own\n1,2\n"))),
    Case("compare-out-user-files", "compare into a folder of the user's files, without --force",
         ("compare", "--family", "mobilenet", "--hw", "hw.yaml", "--jobs", "1", "--quiet", "--out", "out"),
         ("out/compare.csv", "--out", "not the results of an accelsim compare (use --force to write into it)"),
         all_of(GOOD_HW, write("out/compare.csv", "my,own\n1,2\n"))),
    Case("sweep-seeds-negative", "sweep with a negative seed (no empty --out left behind)",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--seeds", "-1", "--quiet", "--out", "out"),
         ("--seeds", "out of range", "expected an integer >= 0", "got -1"), GOOD_HW),
    Case("sweep-scheduler-not-an-address", "sweep with a scheduler that is not an address (no empty --out left)",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--scheduler", "notaurl", "--quiet",
          "--out", "out"), ("--scheduler", "expected [PROTOCOL://]HOST:PORT", "got 'notaurl'"), GOOD_HW),
    Case("sweep-scheduler-not-an-address-with-progress", "the same without --quiet (no progress bar before the error)",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "--scheduler", "notaurl", "--out", "out"),
         ("--scheduler", "expected [PROTOCOL://]HOST:PORT"), GOOD_HW),
    Case("sweep-sparsity-empty", "sweep with an empty sparsity list",
         ("sweep", *MOBILENET, "--sparsity", ",", "--hw", "hw.yaml", "--quiet", "--out", "out"),
         ("--sparsity", "expected comma-separated numbers in [0, 1)", "got ','"), GOOD_HW),
    Case("footprint-sparsity-empty", "footprint with an empty sparsity list", ("footprint", *MOBILENET, "--sparsity", ","),
         ("--sparsity", "expected comma-separated numbers in [0, 1)", "got ','")),
    Case("sweep-sparsity-repeated", "sweep with a sparsity given twice",
         ("sweep", *MOBILENET, "--sparsity", "0.5,0.5", "--hw", "hw.yaml", "--quiet", "--out", "out"),
         ("--sparsity", "repeated value in sparsities", "got 0.5"), GOOD_HW),
    Case("sweep-hw-repeated", "sweep with the same --hw twice",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "hw.yaml", "--quiet", "--out", "out"),
         ("--hw", "two hardware descriptions named 'dense_edge': hw.yaml and hw.yaml"), GOOD_HW),
    Case("sweep-hw-same-name", "sweep of two machines that share a name: key",
         ("sweep", *MOBILENET, "--sparsity", "0.5", "--hw", "hw.yaml", "hw2.yaml", "--quiet", "--out", "out"),
         ("--hw", "two hardware descriptions named 'dense_edge': hw.yaml and hw2.yaml"),
         all_of(GOOD_HW, dense_edge("rows: 32", "rows: 16", name="hw2.yaml"))),
    Case("train-epochs-too-few", "train for 1 epoch: the pruning schedule cannot finish",
         ("train", "--sparsity", "0.9", "--epochs", "1", "--quiet", "--out", "out"),
         ("--epochs", "too few epochs", "got 1")),
    Case("train-structure-unknown", "train with an unknown pruning structure",
         ("train", "--structure", "3:2", "--quiet", "--out", "out"),
         ("--structure", "expected N:M (e.g. 2:4)", "got '3:2'")),
    Case("train-structure-sparsity", "train 2:4 with a final sparsity other than 2:4's",
         ("train", "--structure", "2:4", "--sparsity", "0.9", "--quiet", "--out", "out"),
         ("--sparsity", "2:4 sets its own final sparsity", "expected 0.5", "got 0.9")),
    Case("train-block-no-sparsity", "train block-pruned without a final sparsity",
         ("train", "--structure", "block:4", "--quiet", "--out", "out"),
         ("--sparsity", "no sparsity given", "block:4")),
    Case("train-compare-structures-unknown", "train-compare with an unknown structure in --structures",
         ("train-compare", "--structures", "2:4,diagonal", "--quiet", "--out", "out"),
         ("--structures", "N:M, block:B or channel", "got '2:4,diagonal'")),
    Case("train-compare-structures-twice", "train-compare with a structure listed twice",
         ("train-compare", "--structures", "2:4,2:4", "--quiet", "--out", "out"),
         ("structures[1]", "listed twice", "got '2:4'")),
    Case("train-compare-sparsity-repeated", "train-compare with a sparsity given twice",
         ("train-compare", "--sparsity", "0.9,0.9", "--quiet", "--out", "out"),
         ("--sparsity", "a value is listed twice", "got (0.9, 0.9)")),
    Case("train-compare-seeds-repeated", "train-compare with a seed given twice",
         ("train-compare", "--seeds", "0,0", "--quiet", "--out", "out"), ("--seeds", "a value is listed twice")),
    Case("plot-text-cell", "plot of a layers.csv with a hand-edited text cell", ("plot", "run"),
         ("run/layers.csv", "latency_s, line 3", "text where a number belongs", "got 'slow'"),
         write("run/layers.csv", "layer,kind,latency_s\nconv1,Conv2D,1e-05\nfc,Linear,slow\n")),
    Case("plot-totals-cut-short", "plot of a sweep whose totals.csv was cut short", ("plot", "sweep"),
         ("sweep/totals.csv", "results file is damaged (cut short)", "re-running the command that wrote it"),
         write("sweep/totals.csv", "point,model,family,sparsity,seed,hardware,cycles\nab12,mobilenet_v1_0.25,mobi")),
    Case("plot-totals-header-only", "plot of a sweep whose totals.csv was cut after its header",
         ("plot", "sweep"), ("sweep/totals.csv", "results file is damaged (cut short)", "re-running"),
         write("sweep/totals.csv", "point,model,family,sparsity,seed,hardware,cycles,latency_s\n")),
    Case("plot-totals-emptied", "plot of a sweep whose totals.csv was cut to nothing", ("plot", "sweep"),
         ("sweep/totals.csv", "results file is damaged (cut short)", "re-running"), write("sweep/totals.csv", "")),
]
SPACE_YAML = """hardware:
  base: scnn_like.yaml
  keys:
    pe_array.rows: {low: 2, high: 8, step: 2}
model:
  family: mobilenet_v1
  width: 0.25
  sparsity: {choices: [0.0, 0.5]}
objectives: [energy, latency]
constraints: {sram_kb: 4096}
"""


def space(old: str | None = None, new: str = "") -> Setup:
    """Write SPACE_YAML as space.yaml, with ``old`` replaced by ``new``."""
    if old is not None:
        assert old in SPACE_YAML, old
    return write("space.yaml", SPACE_YAML if old is None else SPACE_YAML.replace(old, new, 1))


EXPLORE = ("explore", "space.yaml", "--trials", "4", "--jobs", "1", "--quiet", "--out", "out")
CASES += [
    # issue 20: the search space of accelsim explore, and accelsim sensitivity --------------------------------
    Case("explore-unknown-key", "search space naming a key the machine does not have", EXPLORE,
         ("space.yaml", "hardware.keys.pe_array.depth", "unknown key"),
         space("pe_array.rows:", "pe_array.depth:")),
    Case("explore-unknown-section", "search space naming a section the machine does not have", EXPLORE,
         ("space.yaml", "hardware.keys.pe_arrays.rows", "unknown key in the base machine"),
         space("pe_array.rows:", "pe_arrays.rows:")),
    Case("explore-inverted-range", "search space with low above high", EXPLORE,
         ("space.yaml", "hardware.keys.pe_array.rows", "inverted range", "low 8, high 2"),
         space("{low: 2, high: 8, step: 2}", "{low: 8, high: 2}")),
    Case("explore-empty-range", "search space with low equal to high", EXPLORE,
         ("space.yaml", "hardware.keys.pe_array.rows", "empty range"), space("{low: 2, high: 8, step: 2}",
                                                                            "{low: 4, high: 4}")),
    Case("explore-empty-choices", "search space with no choices", EXPLORE,
         ("space.yaml", "model.sparsity", "empty choices"), space("[0.0, 0.5]", "[]")),
    Case("explore-value-out-of-range", "search space whose range leaves what the key accepts", EXPLORE,
         ("space.yaml", "hardware.keys.pe_array.rows", "got 0"), space("{low: 2, high: 8, step: 2}",
                                                                        "{low: 0, high: 8}")),
    Case("explore-infeasible", "constraint no machine of the space meets (checked before simulating)", EXPLORE,
         ("space.yaml", "constraints.sram_kb", "excludes every machine of the space", "least on-chip SRAM is 320 KB"),
         space("sram_kb: 4096", "sram_kb: 100")),
    Case("explore-area-infeasible", "area budget no machine of the space meets (checked before simulating)",
         EXPLORE, ("space.yaml", "constraints.area_mm2", "excludes every machine of the space", "least area is"),
         space("sram_kb: 4096", "area_mm2: 0.01")),
    Case("explore-node-outside-tables", "search space naming a technology node the cost tables do not have",
         EXPLORE, ("space.yaml", "hardware.keys.technology_nm", "no cost tables for this node", "got 12"),
         space("pe_array.rows:", "technology_nm: {choices: [45, 12]}\n    pe_array.rows:")),
    Case("explore-accuracy-unknown", "accuracy objective for models with no published accuracy", EXPLORE,
         ("space.yaml", "objectives", "accuracy is known only for a paper's variants"),
         space("[energy, latency]", "[energy, accuracy]")),
    Case("sensitivity-not-a-result", "sensitivity of a folder that is no comparison or exploration",
         ("sensitivity", "stuff"), ("stuff", "DIR", "not the result of accelsim compare or explore"),
         folder_at("stuff")),
]
CASES_BY_ID = {case.id: case for case in CASES}
assert len(CASES_BY_ID) == len(CASES), "case ids must be unique"


# --- running a case ----------------------------------------------------------------------------------------
#
# Each case runs in a process of its own, as ``python -m accelsim.cli ARGS`` runs: the cli module is executed
# as __main__ (runpy), with ARGS as sys.argv, its stdout and stderr on files and an uncaught exception printed
# as the interpreter prints it. A fresh interpreter per case costs half a second of imports (pandas), so by
# default the cases run in forks of one "fork server" that has imported the package once; a few cases, and
# all of them under ``-m slow``, also run in a fresh ``python -m accelsim.cli``.

FORK_SERVER = r"""
import json, os, resource, runpy, signal, sys, time, traceback
import pandas, tqdm   # what accelsim.cli imports, imported once; each fork runs the cli module as __main__
import accelsim, accelsim.hardware, accelsim.pruning, accelsim.reports, accelsim.study.sweep, accelsim.workloads.files

for line in sys.stdin:
    job = json.loads(line)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(job["cwd"])
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
            os.dup2(os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
            signal.alarm(int(job["timeout"]))
            if job["memory_mb"] and os.path.exists("/proc/self/status"):
                with open("/proc/self/status") as status:
                    vm_kb = next(int(l.split()[1]) for l in status if l.startswith("VmSize:"))
                limit = (vm_kb + job["memory_mb"] * 1024) * 1024
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            sys.argv = ["accelsim", *job["argv"]]
            try:
                runpy.run_module("accelsim.cli", run_name="__main__", alter_sys=True)
                code = 0
            except SystemExit as stop:   # what the interpreter does with sys.exit(...)
                if stop.code is None:
                    code = 0
                elif isinstance(stop.code, int):
                    code = stop.code
                else:
                    print(stop.code, file=sys.stderr)
                    code = 1
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    _, wait_status, usage = os.wait4(pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(wait_status), "seconds": time.monotonic() - start,
                      "max_rss_kb": usage.ru_maxrss}), flush=True)
"""


def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONWARNINGS": "default", "COLUMNS": "200"}


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_kb: int
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)


class ForkServer:
    """One interpreter with accelsim imported; runs each command line in a fork of itself."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.process = subprocess.Popen([sys.executable, "-c", FORK_SERVER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=cli_env())

    def run(self, argv: tuple[str, ...], cwd: Path, timeout: float = HANG_TIMEOUT_S, memory_mb: int = 0) -> Outcome:
        out, err = self.scratch / "stdout", self.scratch / "stderr"
        job = {"argv": list(argv), "cwd": str(cwd), "stdout": str(out), "stderr": str(err), "timeout": timeout,
               "memory_mb": memory_mb}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        return Outcome(reply["status"], out.read_text(errors="replace"), err.read_text(errors="replace"),
                       reply["seconds"], reply["max_rss_kb"])

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_fresh(argv: tuple[str, ...], cwd: Path, timeout: float = HANG_TIMEOUT_S) -> Outcome:
    """``python -m accelsim.cli ARGS`` in ``cwd``, in a new interpreter."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen([*CLI, *argv], cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   env=cli_env())
        while True:   # wait4: the peak memory of this child alone
            pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                process.kill()
                pid, wait_status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Outcome(process.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                       seconds, usage.ru_maxrss)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


def run_case(case: Case, folder: Path, runner: Callable[..., Outcome]) -> Outcome:
    """Prepare ``folder`` (new) for ``case``, run it with ``runner`` and record the folder before and after."""
    folder.mkdir(parents=True)
    try:
        if case.setup is not None:
            case.setup(folder)
        before = snapshot(folder)
        kwargs = {"memory_mb": 1024} if case.bounded and runner is not run_fresh else {}
        outcome = runner(case.argv, folder, **kwargs)
        outcome.before, outcome.after = before, snapshot(folder)
    finally:
        if case.cleanup is not None:
            case.cleanup(folder)
    return outcome


def check(case: Case, outcome: Outcome, baseline_kb: int) -> None:
    """The contract: exit 2, one line naming what is wrong, no traceback, nothing written; bounded cases
    refused in little memory."""
    lines = outcome.stderr.splitlines()
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.status == 2, outcome.stderr
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith("accelsim: error: ")
    for fragment in case.expect:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert outcome.after == outcome.before, "files were created, changed or removed"
    if case.bounded:
        assert outcome.max_rss_kb < baseline_kb + BOUNDED_EXTRA_KB, (outcome.max_rss_kb, baseline_kb)


class Cases:
    """Runs cases once each (the test and the document check share the outcomes)."""

    def __init__(self, base: Path, runner: Callable[..., Outcome]) -> None:
        self.base, self.runner = base, runner
        self.outcomes: dict[str, Outcome] = {}
        (base / "baseline").mkdir()
        self.baseline_kb = runner(simulate(hw="nope.yaml"), base / "baseline").max_rss_kb   # an ordinary refusal

    def outcome(self, case: Case) -> Outcome:
        if case.id not in self.outcomes:
            self.outcomes[case.id] = run_case(case, self.base / case.id, self.runner)
        return self.outcomes[case.id]


@pytest.fixture(scope="module")
def forked(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad_inputs")
    (base / "io").mkdir()
    server = ForkServer(base / "io")
    yield Cases(base, server.run)
    server.close()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    return Cases(tmp_path_factory.mktemp("bad_inputs_fresh"), run_fresh)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(forked, case):
    check(case, forked.outcome(case), forked.baseline_kb)


#: Run in a new interpreter by default too: the bounded cases (their memory is measured without a parent's
#: pages) and a case of each input kind.
FRESH_BY_DEFAULT = ("hw-bomb", "hw-100mb", "workload-bomb", "workload-100mb", "hw-python-tag", "masks-pickle",
                    "csv-negative", "out-results-exist", "import-oversized")


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.id, marks=[] if c.id in FRESH_BY_DEFAULT else [pytest.mark.slow])
    for c in CASES])
def test_bad_input_in_a_fresh_interpreter(fresh, case):
    check(case, fresh.outcome(case), fresh.baseline_kb)


def test_table_has_every_kind_of_bad_input_the_issue_lists():
    assert len(CASES) >= 40
    ids = set(CASES_BY_ID)
    for needed in ("hw-not-yaml", "hw-bomb", "hw-100mb", "hw-duplicate-key", "hw-unknown-key", "hw-text-for-number",
                   "hw-clock-zero", "hw-bandwidth-nan", "hw-size-absurd", "hw-buffer-too-small", "sparsity-one",
                   "masks-text", "masks-pickle", "masks-missing-layer", "masks-wrong-shape", "masks-integer",
                   "masks-nan", "csv-missing-columns", "csv-negative", "model-unknown", "model-unknown-flag",
                   "out-results-exist", "out-is-file", "out-not-writable", "import-not-onnx", "import-truncated",
                   "import-oversized", "import-external-outside", "import-external-missing", "import-dynamic",
                   "import-samples-shape", "import-samples-dtype", "import-strict"):
        assert needed in ids, needed


# --- the document ------------------------------------------------------------------------------------------

DOC_INTRO = """# Bad inputs and the message each gets

Each row is one case of `tests/test_bad_inputs.py`, run through the `accelsim` command line in an empty
folder holding only the files the case needs (`hw.yaml` is `hwconfigs/dense_edge.yaml`, edited as the
case says). Every one exits with status 2, prints exactly the one line shown on stderr (no traceback) and
creates, changes or removes no file. The YAML bomb and the 100 MB files are refused without reading them
into memory (`benchmarks/bench_refusal.py` times the refusals). Regenerate with `python tests/test_bad_inputs.py > docs/bad_inputs.md`;
a test fails when this table no longer matches what the command prints.

| case | bad input | command | message on stderr |
|---|---|---|---|
"""


def doc_row(case: Case, message: str) -> str:
    command = "accelsim " + shlex.join(case.argv)
    cells = [case.id, case.what, f"`{command}`", f"`{message}`"]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def doc_message(outcome: Outcome) -> str:
    lines = outcome.stderr.splitlines()
    return lines[0] if len(lines) == 1 else " / ".join(lines[-1:]) + " (and a traceback)"


def test_doc_matches_what_the_command_line_prints(forked):
    text = DOC.read_text()
    for case in CASES:
        try:
            outcome = forked.outcome(case)
        except pytest.skip.Exception:
            continue
        assert doc_row(case, doc_message(outcome)) in text, f"docs/bad_inputs.md is out of date for {case.id}"


def main() -> None:
    """Print docs/bad_inputs.md: every case run in a temporary folder."""
    with tempfile.TemporaryDirectory() as base:
        (Path(base) / "io").mkdir()
        server = ForkServer(Path(base) / "io")
        cases = Cases(Path(base), server.run)
        rows = []
        for case in CASES:
            try:
                rows.append(doc_row(case, doc_message(cases.outcome(case))))
            except pytest.skip.Exception as skipped:
                rows.append(doc_row(case, f"(not run here: {skipped})"))
        server.close()
    sys.stdout.write(DOC_INTRO + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
