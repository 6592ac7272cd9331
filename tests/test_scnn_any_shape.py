"""SCNN on any multiplier array F x I and any number of accumulator banks A (issue 16): closed forms derived
by hand here from the layer's shape, never from the module under test."""
import numpy as np
import pytest
from conftest import hw_variant

from accelsim.accelerators.engines import engine_for
from accelsim.accelerators.scnn.engine import compile_scnn
from accelsim.pruning import activation_shape
from accelsim.workloads.layers import LSTM, Conv2D, Linear


@pytest.mark.parametrize("f", [2, 4, 5, 8])
@pytest.mark.parametrize("i", [2, 4, 5, 8])
def test_dense_layer_runs_in_work_over_f_times_i_cycles(largest_groups, f, i):
    """Dense 3x3 convolution (padding 1) of C = 3 channels on a 20 x 8 plane over 2 x 2 PEs: each PE's tile
    is 10 x 4 = 40 pixels (a multiple of 2, 4, 5 and 8, so I-vectors fill up, some wrapping onto the next
    tile row), K = F output channels: one F-vector per kernel position. A PE's Cartesian products are
    C x 40 pixels x K x 9 weights = 1080 F, fed F x I per cycle when the A = 2FI banks take every step
    without conflict: 1080 F / (F I) = 1080 / I cycles per PE (the layer is one step), no conflict cycle, no
    idle multiplier slot. The last halo drain (exposed after the products) is added on top: the halo ring of
    a tile is at most (10 + 2) x (4 + 2) - 10 x 4 = 32 outputs, at most 10 + 2 of them (a row) on one link."""
    layer = Conv2D("dense", in_channels=3, out_channels=f, kernel_h=3, kernel_w=3, in_h=8, in_w=20,
                   padding=(1, 1, 1, 1))
    hw = hw_variant("scnn", {"pe_array.rows": 2, "pe_array.cols": 2, "pe.multipliers_f": f,
                             "pe.multipliers_i": i, "pe.accumulator_banks": 2 * f * i,
                             "pe.accumulator_entries": 64, "pe.weight_fifo_entries": 64})
    program = compile_scnn(layer, hw)
    products = 3 * 40 * f * 9
    assert products % (f * i) == 0
    assert program.conflict_cycles == 0
    assert program.fragmentation_slots == 0
    assert program.details["kc"] == f
    halo = program.details["halo_stall_cycles"]
    assert 0 < halo <= f * 12
    assert program.pe_cycles.sum() == 4 * products // (f * i) + 4 * halo


@pytest.mark.parametrize("f, i, banks", [(4, 4, 8), (5, 2, 4), (8, 8, 16)])
def test_fewer_banks_than_products_serialise_evenly(largest_groups, f, i, banks):
    """With A < F x I banks a dense step's F x I products must take at least ceil(F I / A) cycles; the bank
    function spreads them evenly, so a 1x1 dense layer (tile 2 x 4 = 8 pixels, I | 8 or one partial
    vector) takes ceil(F I / A) cycles per step: C = 1 channel, K = F, ceil(8 / I) activation vectors."""
    layer = Conv2D("few", in_channels=1, out_channels=f, in_h=4, in_w=2)
    hw = hw_variant("scnn", {"pe_array.rows": 1, "pe_array.cols": 1, "pe.multipliers_f": f,
                             "pe.multipliers_i": i, "pe.accumulator_banks": banks, "pe.accumulator_entries": 64})
    program = compile_scnn(layer, hw)
    vectors = -(-8 // i)
    per_step = [-(-f * min(i, 8 - v * i) // banks) for v in range(vectors)]
    assert program.pe_cycles.sum() == sum(per_step)


@pytest.mark.parametrize("engine, bandwidth", [("dcnn", 16), ("dcnn", 64), ("scnn", 4), ("scnn", 16)])
def test_weights_streamed_through_the_fifo_overlap_compute(engine, bandwidth):
    """Dense 1x1 convolution, 256 -> 256 channels, on a 2 x 2 plane over 2 x 2 PEs (one pixel each): one
    group of Kc = 256 (1,024 accumulator entries >= 256 x 1 pixel), whose 65,536 weights far exceed the
    50-entry FIFO. Compute per PE: DCNN 256 x 256 products / 16 multipliers = 4,096 cycles; SCNN 256
    channels x 64 weight vectors x 1 activation vector (one pixel: one lane of I = 4) = 16,384 cycles. DRAM (no latency):
    weights 65,536 x (16 bits + 4 index bits on SCNN) = 131,072 or 163,840 B, inputs 256 x 4 pixels x 2 or
    2.5 B, outputs as many, at ``bandwidth`` B/cycle. Loading the group before computing would take their
    sum; streaming it through the FIFO takes their maximum, up to the stream's resolution: the first of at
    most 16 blocks loads before any PE starts and the last block computes after the last load (each at most
    1/16 of its total, docs/scnn.md "Weight streaming"), and the outputs are written after."""
    layer = Conv2D("stream", in_channels=256, out_channels=256, in_h=2, in_w=2)
    hw = hw_variant(engine, {"pe_array.rows": 2, "pe_array.cols": 2, "dram.latency_cycles": 0,
                             "dram.bandwidth_gb_per_s": bandwidth})
    run = engine_for(hw).execute(engine_for(hw).compile(layer))
    entry_bytes = 2.5 if engine == "scnn" else 2
    compute = 256 * 256 // 16 if engine == "dcnn" else 256 * 64
    weights = 65536 * entry_bytes / bandwidth
    inputs = outputs = 256 * 4 * entry_bytes / bandwidth
    dram = weights + inputs + outputs
    assert run.cycles >= max(compute, dram)
    assert run.cycles <= max(compute + inputs, weights + inputs) + (weights + compute) / 16 + outputs + 2
    assert run.cycles < 0.75 * (compute + dram)


@pytest.mark.parametrize("engine", ["scnn", "dcnn"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", ["conv", "linear", "lstm"])
def test_mapper_is_never_slower_than_the_largest_groups(engine, seed, kind, monkeypatch):
    """The mapper simulates the largest groups on the whole array and keeps another candidate only if its
    simulation is faster (docs/scnn.md, "Mapper"): on DRAM-bound pointwise layers (outputs written per group),
    fully connected layers and LSTMs larger than the exhaustive search's limit, its choice is never slower
    than the largest groups, and the chosen PE grid and Kc are reported."""
    from accelsim.accelerators.scnn import mapper
    from accelsim.accelerators.scnn.plane import group_size
    rng = np.random.default_rng(seed)
    layer = {"conv": lambda: Conv2D("pw", in_channels=int(rng.integers(32, 96)),
                                    out_channels=int(rng.integers(64, 200)), in_h=14, in_w=14),
             "linear": lambda: Linear("fc", in_features=int(rng.integers(200, 400)),
                                      out_features=int(rng.integers(300, 600)), steps=int(rng.integers(2, 9))),
             "lstm": lambda: LSTM("lstm", input_size=int(rng.integers(32, 96)), hidden_size=int(rng.integers(64, 128)),
                                  steps=3)}[kind]()
    assert layer.macs > mapper.EXHAUSTIVE_MACS
    few_entries = {} if kind == "conv" else {"pe.accumulator_entries": 4}      # several groups to choose from
    hw = hw_variant(engine, {"pe_array.rows": 4, "pe_array.cols": 4, **few_entries})
    weights = rng.random(layer.weight_shape) < 0.3
    acts = rng.random(activation_shape(layer)) < 0.5
    engine_ = engine_for(hw)
    chosen = engine_.execute(engine_.compile(layer, masks=weights, activations=acts))
    monkeypatch.setattr(mapper, "kc_candidates",
                        lambda channels, most, f: [group_size(channels, most, f)])
    monkeypatch.setattr(mapper, "grids", lambda rows, cols: [(rows, cols)])
    monkeypatch.setattr(mapper, "capacities", lambda capacity: [capacity])
    largest = engine_.execute(engine_.compile(layer, masks=weights, activations=acts))
    assert chosen.cycles <= largest.cycles
    assert (largest.details["pe_rows"], largest.details["pe_cols"]) == (4, 4)
    if (chosen.details["pe_rows"], chosen.details["pe_cols"]) == (4, 4):
        assert chosen.details["kc"] <= largest.details["kc"]


def test_fewer_weight_lanes_when_wider_vectors_collide(monkeypatch):
    """Linear 7 -> 1 on 2 positions, weights at channels 2 and 3, activations at channel 2 of both positions,
    F = 2, I = 2, A = 2 banks, one PE (docs/scnn.md, "Weight lanes"). Channel 2's weight (k = 0) meets its two
    activations (x = 0, 1) in one step. Fed on both weight lanes the bank stride is F = 2: banks (0 + 2x) mod 2
    are both 0, 2 cycles. Fed on one lane the stride is 1: banks 0 and 1, 1 cycle; the mapper feeds one, as a
    machine with F = 1 would run it, and reports it."""
    from accelsim.accelerators.scnn import mapper
    layer = Linear("fc", in_features=7, out_features=1, steps=2)
    weights = np.zeros((1, 7), bool)
    weights[0, 2:4] = True
    acts = np.zeros((2, 7), bool)
    acts[:, 2] = True
    hw = hw_variant("scnn", {"pe_array.rows": 1, "pe_array.cols": 1, "pe.multipliers_f": 2, "pe.multipliers_i": 2,
                             "pe.accumulator_banks": 2, "pe.bank_queue_entries": 0})
    chosen = compile_scnn(layer, hw, weights, acts)
    assert chosen.details["weight_lanes"] == 1 and int(chosen.pe_cycles.sum()) == 1
    assert chosen.details["busy_multiplier_utilization"] == 2 / 4          # 2 products in the 4 multipliers
    monkeypatch.setattr(mapper, "weight_lanes", lambda f: [f])
    mapper.clear()
    both = compile_scnn(layer, hw, weights, acts)
    assert both.details["weight_lanes"] == 2 and int(both.pe_cycles.sum()) == 2


def test_twice_f_on_dcnn_keeps_every_group_size():
    """A grouped 1x1 convolution (3 -> 9 channels, 3 groups, one pixel) on one DCNN PE found by the slow
    property test: with group sizes aligned to F and F/2 only, F = 2 -> 4 lost the size aligned to one lane
    and took 177 cycles instead of 175. Aligned to every halving of F (``kc_candidates``), the machine with
    F = 4 has every size of the one with F = 2, and a dense step on it is never longer."""
    from accelsim.accelerators.scnn import mapper
    layer = Conv2D("conv", in_channels=3, out_channels=9, groups=3, in_h=1, in_w=1)
    changes = {"pe_array.rows": 1, "pe_array.cols": 1, "pe.multipliers_i": 1,
               "dram": {"bandwidth_bytes_per_cycle": 0.25, "latency_cycles": 1, "outstanding_requests": 1},
               "pe.accumulator_banks": 1, "pe.accumulator_entries": 16, "pe.weight_fifo_entries": 1,
               "pe.halo_link_bits": 8, "buffers.iaram.size_bytes": 640, "buffers.oaram.size_bytes": 640}
    runs = {}
    for f in (2, 4):
        hw = hw_variant("dcnn", {**changes, "pe.multipliers_f": f})
        runs[f] = engine_for(hw).execute(engine_for(hw).compile(layer))
        runs[f, "sizes"] = {kc for most in range(1, 17) for kc in mapper.kc_candidates(9, most, f)}
    assert runs[2, "sizes"] <= runs[4, "sizes"]
    assert runs[4].cycles <= runs[2].cycles == 175


def test_twice_f_can_send_two_products_to_one_bank():
    """The one resource whose doubling may cost cycles on SCNN, a behaviour of the bank function
    (docs/scnn.md, "Bank function"; found by the slow property test). A 2x3 kernel at stride (1, 2) on a 4x3
    plane (outputs 3 high, 1 wide), weights at kernel (0, 2) and (1, 0), activations at (y, x) = (0, 2) and
    (3, 0): one step of 2 weights x 2 activations, two products useful, at outputs (x, y) = (0, 0) and
    (0, 2). With Wp = ceil(3 / 2) = 2 their banks are F (0 + 2 x 2) mod 32 apart: 16 with F = 4 (one cycle),
    32 = 0 with F = 8 (both on bank 0: two cycles)."""
    layer = Conv2D("conv", in_channels=1, out_channels=1, kernel_h=2, kernel_w=3, in_h=4, in_w=3, stride=(1, 2))
    weights = np.zeros((1, 1, 2, 3), bool)
    weights[0, 0, 0, 2] = weights[0, 0, 1, 0] = True
    acts = np.zeros((1, 4, 3), bool)
    acts[0, 0, 2] = acts[0, 3, 0] = True
    busy = {}
    for f in (4, 8):
        hw = hw_variant("scnn", {"pe_array.rows": 1, "pe_array.cols": 1, "pe.multipliers_f": f,
                                 "pe.multipliers_i": 2, "pe.accumulator_banks": 32, "pe.bank_queue_entries": 0})
        program = compile_scnn(layer, hw, weights, acts)
        assert program.useful_macs == 2 and program.details["wasted_products"] == 2
        busy[f] = (int(program.pe_cycles.sum()), program.conflict_cycles)
    assert busy == {4: (1, 0), 8: (2, 1)}
