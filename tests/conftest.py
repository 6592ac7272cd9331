"""Helpers shared by the tests: the shipped hardware descriptions as plain data, variants of them with some
values changed, Hypothesis strategies for small random machines of each engine, the command line run in
process, and a tiny classification data set."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import settings
from hypothesis import strategies as st

from accelsim import cli
from accelsim.accelerators import ACCELERATORS
from accelsim.hardware.variants import variant
from accelsim.hardware.schema import HardwareConfig

# The property tests draw the same examples on every run (a suite that passes once passes again, CI included);
# HYPOTHESIS_PROFILE=explore draws new ones each run and keeps failures in .hypothesis/ to replay them.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parent.parent
HWCONFIGS = ROOT / "hwconfigs"

#: The shipped description of each engine: its accelerator's example machine.
SHIPPED = {name: spec.example for name, spec in ACCELERATORS.items()}
_RAW: dict[str, dict] = {}


def raw_config(name: str) -> dict:
    """A fresh copy of the YAML data of ``hwconfigs/<name>`` (an engine name picks its shipped file)."""
    name = SHIPPED.get(name, name)
    if name not in _RAW:
        _RAW[name] = yaml.safe_load((HWCONFIGS / name).read_text())
    return copy.deepcopy(_RAW[name])


def hw_variant(base: str, changes: dict[str, object] | None = None, **more: object) -> HardwareConfig:
    """The shipped description ``base`` (file or engine name) with values changed: keys are dotted or
    ``__``-separated paths (``pe_array__rows=4``, ``{"dram.latency_cycles": 0}``)."""
    return variant(raw_config(base), {**(changes or {}), **more}, f"{SHIPPED.get(base, base)} (variant)")


@st.composite
def small_hw(draw, engine: str) -> dict[str, object]:
    """Changes (for :func:`hw_variant`) that make a small random machine of ``engine``, read from its
    accelerator's declarations, never from a branch per engine: a few PEs, each of its parameters drawn from
    the values it declares typical, every buffer of its example machine with 1, 2 or 4 banks of 1 or 2 read
    and write ports and 1/16 to all of its words, DRAM bandwidth, latency and requests in flight. Kept small
    so that one layer simulates in milliseconds;
    examples whose machine cannot hold a layer are rejected by the tests."""
    changes: dict[str, object] = {
        "pe_array.rows": draw(st.integers(1, 4)), "pe_array.cols": draw(st.integers(1, 8)),
        "dram": {"bandwidth_bytes_per_cycle": draw(st.sampled_from([0.25, 0.5, 1, 2, 3, 4, 8, 12.5, 16, 64, 1000])),
                 "latency_cycles": draw(st.integers(0, 300)), "outstanding_requests": draw(st.integers(1, 32))}}
    for param in ACCELERATORS[engine].params:
        if param.typical:
            changes[param.path] = draw(st.sampled_from(param.typical))
    for name, buffer in raw_config(engine)["buffers"].items():
        banks = draw(st.sampled_from([1, 2, 4]))
        changes[f"buffers.{name}.read_ports"] = draw(st.sampled_from([1, 2]))
        changes[f"buffers.{name}.write_ports"] = draw(st.sampled_from([1, 2]))
        word_bytes = buffer["width_bits"] // 8
        words_per_bank = buffer["size_bytes"] // (word_bytes * banks)
        changes[f"buffers.{name}.banks"] = banks
        changes[f"buffers.{name}.size_bytes"] = draw(
            st.integers(max(1, words_per_bank // 16), max(1, words_per_bank))) * word_bytes * banks
    return changes


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """``accelsim ARGV`` in this process: (exit status, stdout, stderr); argparse's exits included."""
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def blobs():
    """Three Gaussian blobs in 8 dimensions: 120 training and 60 test samples (x_train, y_train, x_test,
    y_test)."""
    rng = np.random.default_rng(11)
    centres = rng.normal(scale=2.0, size=(3, 8))

    def draw(count):
        y = np.arange(count) % 3
        return centres[y] + rng.normal(size=(count, 8)), y

    x_train, y_train = draw(120)
    x_test, y_test = draw(60)
    return x_train, y_train, x_test, y_test


@pytest.fixture
def largest_groups(monkeypatch):
    """SCNN's and DCNN's mapper offers one mapping only, the whole PE array (every weight lane fed) with the
    largest group that fits (Kc of ``plane.group_size``): for hand traces that assume it."""
    from accelsim.accelerators.scnn import mapper
    from accelsim.accelerators.scnn.plane import group_size
    monkeypatch.setattr(mapper, "kc_candidates", lambda channels, most, f: [group_size(channels, most, f)])
    monkeypatch.setattr(mapper, "grids", lambda rows, cols: [(rows, cols)])
    monkeypatch.setattr(mapper, "weight_lanes", lambda f: [f])
    monkeypatch.setattr(mapper, "capacities", lambda capacity: [capacity])


@pytest.fixture(autouse=True)
def fresh_layer_memo():
    """Each test starts with an empty memo of simulated layers (``accelsim.study.memo``): a run memoised by
    one test never answers another that patched the code the run depends on (``largest_groups``); the same
    for the SCNN/DCNN mapper's kept choices."""
    from accelsim.accelerators.scnn import mapper
    from accelsim.study import memo
    memo.clear()
    mapper.clear()
