"""Invariants under load: properties of every engine (systolic, dcnn, scnn, eie) on random small layers, masks
and machines (``conftest.small_hw``). Every expected value is derived here by hand from the layer, the masks
and the YAML figures, not by calling the code under test:

* useful MACs equal the number of (non-zero weight, non-zero activation) pairs that meet in some output
  (a dense engine multiplies everything: its useful MACs are the layer's dense MACs);
* cycles >= the compute bound, useful MACs / multipliers, and >= the DRAM bound, compulsory bytes /
  bandwidth, where compulsory bytes are what must cross the DRAM interface at least once (and the engine's
  own traffic, which must be at least that, also fits in the cycles);
* energy equals the sum over counts of count x the YAML's pJ per action, plus the static mW (the YAML's, else the
  cost model's at its technology_nm) over the
  layer's time;
* more DRAM bandwidth never makes a layer slower (and moves the same bytes, but on an engine whose mapping
  is chosen by latency);
* more of any resource (``AcceleratorSpec.resources``: PEs, buffer sizes, banks and ports, DRAM bandwidth and
  requests in flight, and each accelerator's own, e.g. multipliers, accumulator entries, scratch pads) never
  makes a layer slower, nor changes its useful MACs;
* pruning more (masks nested, as magnitude pruning makes them) never increases useful MACs.

Runs ``FAST`` examples per engine and property by default, ``SLOW`` under ``-m slow``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import hw_variant, raw_config, small_hw
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

from accelsim.accelerators import ACCELERATORS
from accelsim.accelerators.eie.engine import EieEngine
from accelsim.accelerators.engines import engine_for
from accelsim.accelerators.systolic.folds import buffers_of
from accelsim.accelerators.systolic.mapper import MIN_STEP_BYTES
from accelsim.energy.model import energy
from accelsim.energy.table import EnergyTable
from accelsim.errors import InputError
from accelsim.hardware.variants import changed
from accelsim.reports.results import layer_row
from accelsim.workloads.layers import LSTM, Conv2D, Linear

ENGINES = tuple(ACCELERATORS)
FAST_EXAMPLES = 25
SLOW_EXAMPLES = 300
_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much]
FAST = settings(max_examples=FAST_EXAMPLES, deadline=None, suppress_health_check=_HEALTH)
SLOW = settings(max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=_HEALTH)
#: Fewer examples per (engine, resource) pair: there are dozens of pairs; no shrinking (shrinking a failing
#: example would take minutes; ``-m slow`` shrinks).
RESOURCE_FAST = settings(max_examples=8, deadline=None, suppress_health_check=_HEALTH,
                         phases=(Phase.explicit, Phase.reuse, Phase.generate))


def budgets(**strategies):
    """The property on every engine: ``FAST`` examples by default, ``SLOW`` ones under ``-m slow``."""
    def make(body):
        fast = pytest.mark.parametrize("engine", ENGINES)(FAST(given(**strategies)(body)))
        slow = pytest.mark.slow(pytest.mark.parametrize("engine", ENGINES)(SLOW(given(**strategies)(body))))
        return fast, slow
    return make


# --- random layers and masks -------------------------------------------------------------------------------

@st.composite
def small_layer(draw, engine: str):
    runs_conv = not ACCELERATORS[engine].unsupported([Conv2D("c")])
    kinds = ["linear", "lstm"] + (["conv", "conv"] if runs_conv else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "linear":
        return Linear("fc", in_features=draw(st.integers(1, 48)), out_features=draw(st.integers(1, 40)),
                      steps=draw(st.integers(1, 3)))
    if kind == "lstm":
        return LSTM("lstm", input_size=draw(st.integers(1, 12)), hidden_size=draw(st.integers(1, 10)),
                    steps=draw(st.integers(1, 3)), bidirectional=draw(st.booleans()))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    kh, kw, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3)), (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, k - 1)) for k in (kh, kh, kw, kw))
    return Conv2D("conv", in_channels=groups * draw(st.integers(1, 3)), out_channels=groups * draw(st.integers(1, 4)),
                  groups=groups, kernel_h=kh, kernel_w=kw, in_h=draw(st.integers(kh, 9)),
                  in_w=draw(st.integers(kw, 9)), stride=stride, padding=padding)


def activation_shape(layer) -> tuple[int, ...]:
    """The input activations one inference multiplies, as the engines take them."""
    if isinstance(layer, Conv2D):
        return (layer.in_channels, layer.in_h, layer.in_w)
    if isinstance(layer, Linear):
        return (layer.steps, layer.in_features)
    return (layer.steps, layer.input_size + layer.hidden_size)


def random_mask(shape, density: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < density


@st.composite
def case(draw, engine: str):
    """(machine, layer, weight mask, activation mask or None for a dense engine)."""
    changes = draw(small_hw(engine))
    layer = draw(small_layer(engine))
    seed = draw(st.integers(0, 2**16))
    weights = random_mask(layer.weight_shape, draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0])), seed)
    acts = random_mask(activation_shape(layer), draw(st.sampled_from([0.0, 0.3, 0.7, 1.0])), seed + 1)
    return changes, layer, weights, acts


def run(engine_name: str, changes: dict, layer, weights, acts, **engine_options):
    """Compile and simulate one layer; examples whose machine cannot hold the layer are rejected."""
    try:
        hw = hw_variant(engine_name, changes)
        engine = EieEngine(hw, **engine_options) if engine_options else engine_for(hw)
        program = engine.compile(layer, masks=weights, activations=acts if hw.accelerator.skips_zeros else None)
        return hw, engine, program, engine.execute(program)
    except InputError:      # e.g. a stationary tile larger than the buffer: a refusal, not these properties'
        reject()


# --- by hand -----------------------------------------------------------------------------------------------

def nonzero_pairs(layer, weights: np.ndarray, acts: np.ndarray) -> int:
    """Sum over outputs of the (non-zero weight, non-zero activation) pairs that meet in it."""
    w, a = weights.astype(np.int64), acts.astype(np.int64)
    if not isinstance(layer, Conv2D):     # Linear and LSTM (both directions multiply the same [x, h])
        return int((a @ w.T).sum())
    top, _, left, _ = layer.padding
    padded = np.zeros((layer.in_channels, layer.padded_h, layer.padded_w), np.int64)
    padded[:, top:top + layer.in_h, left:left + layer.in_w] = a
    sh, sw, oh, ow = layer.stride_h, layer.stride_w, layer.out_h, layer.out_w
    # meets[c, r, q]: non-zero inputs of channel c that kernel position (r, q) reaches over all outputs
    meets = np.array([[padded[:, r:r + sh * (oh - 1) + 1:sh, q:q + sw * (ow - 1) + 1:sw].sum(axis=(1, 2))
                       for q in range(layer.kernel_w)] for r in range(layer.kernel_h)]).transpose(2, 0, 1)
    per_group_in = layer.in_channels // layer.groups
    per_group_out = layer.out_channels // layer.groups
    total = 0
    for k in range(layer.out_channels):
        first = (k // per_group_out) * per_group_in
        total += int((w[k] * meets[first:first + per_group_in]).sum())
    return total


def multipliers(engine: str, changes: dict) -> int:
    """Multipliers of the machine, from the numbers of its description."""
    data = raw_config(engine)
    rows = changes.get("pe_array.rows", data["pe_array"]["rows"])
    cols = changes.get("pe_array.cols", data["pe_array"]["cols"])
    if engine in ("dcnn", "scnn"):
        return rows * cols * changes["pe.multipliers_f"] * changes["pe.multipliers_i"]
    if engine in ("eyeriss_v2", "eyeriss_v1"):
        return rows * cols * changes["pe.simd_width"]
    return rows * cols


def bandwidth(hw_changes: dict, engine: str) -> float:
    dram = hw_changes.get("dram")
    return dram["bandwidth_bytes_per_cycle"] if dram else hw_changes["dram.bandwidth_bytes_per_cycle"]


def input_elements(layer) -> int:
    """Inputs one inference reads at least once (an LSTM's x; its h is made on chip)."""
    if isinstance(layer, Conv2D):
        return layer.in_channels * layer.in_h * layer.in_w
    if isinstance(layer, Linear):
        return layer.steps * layer.in_features
    return layer.steps * layer.input_size


def output_elements(layer) -> int:
    if isinstance(layer, Conv2D):
        return layer.out_channels * layer.out_h * layer.out_w
    if isinstance(layer, Linear):
        return layer.steps * layer.out_features
    return layer.steps * layer.directions * layer.hidden_size


def compulsory_bytes(engine: str, hw, layer, weights, acts) -> tuple[float, float]:
    """(bytes read, bytes written) that must cross the DRAM interface at least once: every weight and input
    once and every output once on a dense machine; the non-zero weights and inputs' values on SCNN (its
    output size is a density assumption, so no write bound); the non-zero weights' codebook index and
    zero-run count on EIE when weights are not preloaded (its small vectors stay on chip); the non-zero
    weights, every input (none when it skips all-zero weight tiles: a slice of inputs whose tiles are all
    empty is never read) and every output on the N:M array; on Eyeriss v2 the non-zero weights' values, every
    input and every output once (activations cross DRAM uncompressed)."""
    widths = hw.data_widths
    if engine in ("systolic", "dcnn", "eyeriss_v1"):
        return (layer.weight_count * widths.weight_bits / 8 + input_elements(layer) * widths.activation_bits / 8,
                output_elements(layer) * widths.activation_bits / 8)
    if engine in ("nm_systolic", "eyeriss_v2"):   # non-zero weights' data, every input, every output
        inputs = 0 if getattr(hw, "skip_empty_tiles", False) else input_elements(layer)
        return (np.count_nonzero(weights) * widths.weight_bits / 8 + inputs * widths.activation_bits / 8,
                output_elements(layer) * widths.activation_bits / 8)
    if engine == "scnn":
        x = acts if not isinstance(layer, LSTM) else acts[:, :layer.input_size]
        return (np.count_nonzero(weights) * widths.weight_bits / 8 + np.count_nonzero(x) * widths.activation_bits / 8,
                0.0)
    return np.count_nonzero(weights) * (widths.codebook_bits + widths.index_bits) / 8, 0.0


# --- the properties ----------------------------------------------------------------------------------------

@budgets(data=st.data())
def check_useful_macs_are_the_nonzero_pairs(engine, data):
    changes, layer, weights, acts = data.draw(case(engine))
    hw, _, program, result = run(engine, changes, layer, weights, acts)
    if hw.accelerator.skips_zeros:
        assert result.useful_macs == nonzero_pairs(layer, weights, acts)
        assert program.counts.get(("mac", "op")) == result.useful_macs
    elif program.details.get("nm_m"):   # N:M: every weight is used equally often, the zero ones skipped
        assert result.useful_macs == layer.macs * np.count_nonzero(weights) // weights.size
    else:   # dense: every product is computed, the masks are ignored
        assert result.useful_macs == layer.macs
        ones = nonzero_pairs(layer, np.ones_like(weights), np.ones_like(acts))
        assert result.useful_macs >= ones and (ones == layer.macs or any(getattr(layer, "padding", ())))


test_useful_macs_are_the_nonzero_pairs, test_useful_macs_are_the_nonzero_pairs_slow = \
    check_useful_macs_are_the_nonzero_pairs


@budgets(data=st.data())
def check_cycles_at_least_compute_and_dram_bounds(engine, data):
    changes, layer, weights, acts = data.draw(case(engine))
    options = {"preload_weights": data.draw(st.booleans())} if engine == "eie" else {}
    hw, _, _, result = run(engine, changes, layer, weights, acts, **options)
    assert result.cycles >= math.ceil(result.useful_macs / multipliers(engine, changes))
    read, written = compulsory_bytes(engine, hw, layer, weights, acts)
    if engine == "eie" and options["preload_weights"]:
        read = 0.0       # preloaded weights cost no DRAM traffic per inference
    assert result.dram_read_bytes >= math.floor(read) and result.dram_write_bytes >= math.floor(written)
    bw = bandwidth(changes, engine)
    assert result.cycles >= (read + written) / bw - 1e-9
    assert result.cycles >= (result.dram_read_bytes + result.dram_write_bytes) / bw - 1e-9
    assert result.cycles == pytest.approx(result.busy_cycles + result.stall_memory_cycles
                                          + result.stall_sram_cycles + result.stall_imbalance_cycles
                                          + result.drain_cycles)


test_cycles_at_least_compute_and_dram_bounds, test_cycles_at_least_compute_and_dram_bounds_slow = \
    check_cycles_at_least_compute_and_dram_bounds


@budgets(data=st.data())
def check_energy_is_counts_times_yaml_figures(engine, data):
    changes, layer, weights, acts = data.draw(case(engine))
    hw, _, _, result = run(engine, changes, layer, weights, acts)
    figures = raw_config(engine)["energy"]
    dynamic = sum(count * figures["dynamic"][component][action]["pj"]
                  for (component, action), count in result.counts.items())
    seconds = result.cycles / hw.clock_hz
    table = EnergyTable.from_config(hw)     # leakage: the YAML's static mW, else the cost model's
    static = sum(entry.value * 1e-3 * seconds * 1e12 for entry in table.static.values())
    joules = energy(result.counts, table, result.cycles, hw.clock_hz)
    assert joules.total_dynamic_pj == pytest.approx(dynamic, rel=1e-9, abs=1e-9)
    assert joules.total_static_pj == pytest.approx(static, rel=1e-9, abs=1e-9)
    row = layer_row(layer, result, joules, hw)
    assert row["energy_pj"] == pytest.approx(dynamic + static, rel=1e-9, abs=1e-9)
    parts = sum(v for k, v in row.items() if k.startswith(("energy_", "static_")) and k.endswith("_pj")
                and k not in ("energy_dynamic_pj", "energy_static_pj", "energy_pj"))
    assert parts == pytest.approx(dynamic + static, rel=1e-9, abs=1e-9)


test_energy_is_counts_times_yaml_figures, test_energy_is_counts_times_yaml_figures_slow = \
    check_energy_is_counts_times_yaml_figures


#: Engines whose mapping is always chosen by simulated latency (Eyeriss's blocks and tiles, EIE's PEs used).
LATENCY_MAPPED = ("eie", "eyeriss_v2", "eyeriss_v1")


@budgets(data=st.data(), factor=st.sampled_from([1.5, 2, 4, 16, 1000]))
def check_more_bandwidth_is_never_slower(engine, data, factor):
    changes, layer, weights, acts = data.draw(case(engine))
    slow = run(engine, changes, layer, weights, acts)[3]
    faster = dict(changes)
    if "dram" in faster:
        faster["dram"] = {**faster["dram"], "bandwidth_bytes_per_cycle": faster["dram"]["bandwidth_bytes_per_cycle"]
                          * factor}
    else:
        faster["dram.bandwidth_bytes_per_cycle"] *= factor
    if bandwidth(faster, engine) > 1e4:
        reject()
    fast = run(engine, faster, layer, weights, acts)[3]
    assert fast.cycles <= slow.cycles
    assert fast.useful_macs == slow.useful_macs
    # a mapping searched by latency may trade DRAM bytes for time; so may SCNN's and DCNN's weight stream, cut
    # into more blocks the longer its transfer (stream.stream_blocks), each block's bytes a whole number
    if changes.get("mapping") != "search" and engine not in LATENCY_MAPPED + ("scnn", "dcnn"):
        assert (fast.dram_read_bytes, fast.dram_write_bytes) == (slow.dram_read_bytes, slow.dram_write_bytes)


test_more_bandwidth_is_never_slower, test_more_bandwidth_is_never_slower_slow = check_more_bandwidth_is_never_slower


def _resources(engine: str) -> list[str]:
    return list(ACCELERATORS[engine].resources(tuple(raw_config(engine)["buffers"])))


def doubled(engine: str, changes: dict, path: str) -> dict:
    """``changes`` with the value at ``path`` (as the machine has it after ``changes``) doubled."""
    data = changed(raw_config(engine), changes)
    value = data
    for key in path.split("."):
        value = value[key]
    return {**changes, "dram": dict(data["dram"]), path: value * 2} if path.startswith("dram.") else \
        {**changes, path: value * 2}


#: Documented behaviour of the modelled hardware (docs/scnn.md, "Bank function"): SCNN's bank function strides
#: by the weight lanes a convolution feeds (all F of them: a convolution's lanes are not searched), so twice F
#: can put two products of a sparse step on one bank that F kept apart (tests/test_scnn_any_shape.py,
#: ``test_twice_f_can_send_two_products_to_one_bank``).
SCNN_F_STRIDE = pytest.mark.xfail(reason="SCNN's bank function strides by F: twice F can collide on a bank",
                                  strict=False)
RESOURCE_CASES = [pytest.param(engine, path, marks=SCNN_F_STRIDE if (engine, path) == ("scnn", "pe.multipliers_f")
                               else ())
                  for engine in ENGINES for path in _resources(engine)]


def _small_operand_buffers(engine: str, changes: dict) -> set[str]:
    """Size paths of the operand buffers under ``MIN_STEP_BYTES``: the searched mapping's DRAM steps are such
    a buffer's half alone, so twice the buffer does not offer the smaller one's step (systolic/mapper.py)."""
    buffers = buffers_of(hw_variant(engine, changes))
    return {f"buffers.{buffers[k].name}.size_bytes" for k in ("in", "w") if buffers[k].size_bytes < MIN_STEP_BYTES}


def check_more_of_a_resource_is_never_slower(engine, path, data):
    """On the machine's default choices (``Param.default``: the systolic arrays' searched mapping; a fixed
    reference mapping such as SCALE-Sim's makes no such promise)."""
    changes, layer, weights, acts = data.draw(case(engine))
    changes.update({p.path: p.default for p in ACCELERATORS[engine].params if p.default is not None})
    small = run(engine, changes, layer, weights, acts)[3]
    if changes.get("mapping") == "search" and path in _small_operand_buffers(engine, changes):
        reject()                    # the mapper's documented exception (test_systolic_mapper.py pins it)
    bigger = doubled(engine, changes, path)
    try:
        hw = hw_variant(engine, bigger)
    except InputError:              # a doubled value outside its declared range, or not a whole number of words
        reject()
    engine_ = engine_for(hw)
    grown = engine_.execute(engine_.compile(layer, masks=weights,
                                            activations=acts if hw.accelerator.skips_zeros else None))
    assert grown.cycles <= small.cycles, f"{path} doubled: {small.cycles} -> {grown.cycles} cycles"
    assert grown.useful_macs == small.useful_macs


test_more_of_a_resource_is_never_slower = pytest.mark.parametrize(("engine", "path"), RESOURCE_CASES)(
    RESOURCE_FAST(given(data=st.data())(check_more_of_a_resource_is_never_slower)))
test_more_of_a_resource_is_never_slower_slow = pytest.mark.slow(pytest.mark.parametrize(
    ("engine", "path"), RESOURCE_CASES)(SLOW(given(data=st.data())(check_more_of_a_resource_is_never_slower))))


@budgets(data=st.data())
def check_more_sparsity_never_adds_useful_macs(engine, data):
    changes, layer, _, acts = data.draw(case(engine))
    seed = data.draw(st.integers(0, 2**16))
    magnitude = np.random.default_rng(seed).random(layer.weight_shape)
    order = np.argsort(magnitude, axis=None, kind="stable")      # smallest first: pruned first
    s_low, s_high = sorted(data.draw(st.lists(st.floats(0, 1), min_size=2, max_size=2)))
    useful = []
    for sparsity in (s_low, s_high):
        mask = np.ones(magnitude.size, bool)
        mask[order[:round(sparsity * magnitude.size)]] = False
        useful.append(run(engine, changes, layer, mask.reshape(layer.weight_shape), acts)[3].useful_macs)
    assert useful[1] <= useful[0]


test_more_sparsity_never_adds_useful_macs, test_more_sparsity_never_adds_useful_macs_slow = \
    check_more_sparsity_never_adds_useful_macs
