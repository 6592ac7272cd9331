"""The contract every accelerator of the registry keeps, run over ``ACCELERATORS`` (adding one adds no test
code): its declarations are complete and consistent, its example machine loads, it runs every layer type it
declares and refuses the others before anything runs, everything it counts is declared and priced, every
detail it reports is declared, its stall causes add up to its cycles, and it is deterministic. The schema
documents itself: ``accelsim engines``, ``accelsim hwconfig --reference`` and ``docs/hardware.md`` are
generated from the same declarations."""
from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from conftest import HWCONFIGS, ROOT, run_cli

from accelsim.accelerators import ACCELERATORS
from accelsim.accelerators.engines import engine_class, engine_for
from accelsim.hardware import load_hardware
from accelsim.hardware.schema import HardwareConfig
from accelsim.pruning import activation_shape
from accelsim.reports.reference import hardware_markdown, hardware_reference
from accelsim.schema import yaml_keys
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import LSTM, Attention, Conv2D, DepthwiseConv2D, Embedding, Linear

NAMES = list(ACCELERATORS)

#: One small layer of every kind the zoo and workload files produce.
LAYERS = (
    Conv2D("conv", in_channels=4, out_channels=6, kernel_h=3, kernel_w=3, in_h=8, in_w=8, padding=(1, 1, 1, 1)),
    DepthwiseConv2D("dw", in_channels=4, out_channels=4, groups=4, kernel_h=3, kernel_w=3, in_h=8, in_w=8),
    Linear("fc", in_features=24, out_features=10, steps=2),
    LSTM("lstm", input_size=6, hidden_size=5, steps=2),
    Embedding("embed", vocab_size=30, dim=8, steps=2),
    Attention("attn", units=6, query_size=8, memory_size=8, memory_length=4, steps=1),
)


def _masks(layer, seed: int):
    """Half-dense weights; 60%-dense activations where the layer has an activation input (None otherwise)."""
    rng = np.random.default_rng(seed)
    weights = rng.random(layer.weight_shape) < 0.5
    if isinstance(layer, (Embedding, Attention)):
        return weights, None
    return weights, rng.random(activation_shape(layer)) < 0.6


def _run(name: str, layer, seed: int = 0):
    hw = load_hardware(HWCONFIGS / ACCELERATORS[name].example)
    engine = engine_for(hw)
    weights, acts = _masks(layer, seed)
    skip = hw.accelerator.skips_zeros
    program = engine.compile(layer, masks=weights if skip else None, activations=acts if skip else None)
    return hw, program, engine.execute(program)


def _runnable(name: str):
    return [layer for layer in LAYERS if not ACCELERATORS[name].unsupported([layer])]


@pytest.mark.parametrize("name", NAMES)
def test_declarations_are_complete(name):
    spec = ACCELERATORS[name]
    assert spec.name == name and spec.summary and (ROOT / spec.doc).is_file()
    assert issubclass(engine_class(name), Engine)
    assert all(p.help and p.spec.describe() for p in spec.params)
    assert all(a.unit and a.help for a in spec.actions) and all(d.unit and d.help for d in spec.details)
    assert len({(a.component, a.action) for a in spec.actions}) == len(spec.actions)
    assert len({d.name for d in spec.details}) == len(spec.details)
    for param in spec.params:      # the value a property test draws must be one the schema accepts
        assert all(param.spec.convert(value) == value for value in param.typical)


@pytest.mark.parametrize("name", NAMES)
def test_example_machine_loads_and_is_its_own(name):
    hw = load_hardware(HWCONFIGS / ACCELERATORS[name].example)
    assert hw.engine == name and hw.accelerator is ACCELERATORS[name]
    for param in ACCELERATORS[name].params:       # generated into the config, typed
        section, _, key = param.path.rpartition(".")
        owner = getattr(hw, section) if section else hw
        assert getattr(owner, key) is not None


def test_every_shipped_machine_names_a_registered_accelerator():
    for path in sorted(HWCONFIGS.glob("*.yaml")):
        assert load_hardware(path).engine in ACCELERATORS


@pytest.mark.parametrize("name", NAMES)
def test_runs_declared_kinds_and_refuses_others(name):
    spec = ACCELERATORS[name]
    runnable = _runnable(name)
    assert runnable, "an accelerator runs some layer"
    if spec.layer_kinds is None:
        assert runnable == list(LAYERS)
    else:
        assert all(isinstance(layer, spec.layer_kinds) == (layer in runnable) for layer in LAYERS)


@pytest.mark.parametrize("name", NAMES)
def test_counts_are_declared_and_priced_details_declared(name):
    hw = load_hardware(HWCONFIGS / ACCELERATORS[name].example)
    declared = hw.accelerator.required_energy(tuple(b.name for b in hw.buffers))
    priced = {(e.component, e.action) for e in hw.energy.dynamic}
    detail_names = {d.name for d in hw.accelerator.details}
    reported: set[str] = set()
    for layer in _runnable(name):
        _, program, run = _run(name, layer)
        counted = {key for key, value in run.counts.items() if value}
        assert counted <= declared == priced
        assert set(run.details) <= detail_names, f"{layer.kind}: undeclared details"
        reported |= set(run.details)
    assert reported == detail_names, "every declared detail is reported by some layer"


@pytest.mark.parametrize("name", NAMES)
def test_stall_causes_add_up_and_counts_are_conserved(name):
    for layer in _runnable(name):
        hw, program, run = _run(name, layer)
        parts = (run.busy_cycles + run.stall_memory_cycles + run.stall_sram_cycles + run.stall_imbalance_cycles
                 + run.drain_cycles)
        assert math.isclose(parts, run.cycles, rel_tol=1e-9, abs_tol=1e-6), layer.kind
        assert run.dram_read_bytes == run.counts.get(("dram", "read_bytes"))
        assert run.dram_write_bytes == run.counts.get(("dram", "write_bytes"))
        assert 0 <= run.useful_macs <= layer.macs


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name):
    for layer in _runnable(name):
        first, second = _run(name, layer, seed=3)[2], _run(name, layer, seed=3)[2]
        assert first == second


# --- the schema documents itself -----------------------------------------------------------------------------

def test_reference_lists_every_key_the_loader_reads():
    """Every field the loader reads (common sections and every accelerator's own keys) has a row with help."""
    table = hardware_reference()
    keys = set(table["key"])
    assert set(yaml_keys(HardwareConfig)) <= keys
    for spec in ACCELERATORS.values():
        assert {p.path for p in spec.params} <= keys
    assert (table["help"].str.len() > 0).all()
    assert {f.name for f in fields(HardwareConfig)} - {"source"} <= keys


def test_reference_of_one_engine(capsys):
    status, out, _ = run_cli(capsys, "hwconfig", "--reference", "eie", "--csv")
    assert status == 0
    assert "pe.activation_fifo_depth" in out and "pe.multipliers_f" not in out
    assert "energy.dynamic.fifo.push.pj" in out


def test_engines_command(capsys):
    status, out, _ = run_cli(capsys, "engines", "--csv")
    lines = out.strip().splitlines()
    assert status == 0 and lines[0].startswith("engine,skips_zeros,layer_types")
    assert [line.split(",")[0] for line in lines[1:]] == NAMES
    assert "eie,True,Linear LSTM Embedding Attention" in out


def test_unknown_engine_is_one_line(capsys):
    status, out, err = run_cli(capsys, "hwconfig", "--reference", "scn")
    assert status == 2 and out == "" and err.count("\n") == 1 and "did you mean 'scnn'" in err


def test_hwconfig_checks_a_file(capsys):
    status, out, _ = run_cli(capsys, "hwconfig", HWCONFIGS / "scnn_like.yaml")
    assert status == 0 and "engine scnn" in out and "64 PEs x 16 multipliers" in out


def test_docs_hardware_md_is_generated():
    """docs/hardware.md is `accelsim hwconfig --markdown`; regenerate it when a declaration changes."""
    assert (ROOT / "docs" / "hardware.md").read_text() == hardware_markdown()


def test_markdown_command_prints_the_page(capsys):
    status, out, _ = run_cli(capsys, "hwconfig", "--markdown")
    assert status == 0 and out == hardware_markdown()
    assert Path(ROOT / "docs" / "hardware.md").read_text() == out
