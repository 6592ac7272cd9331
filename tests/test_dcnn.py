"""DCNN, SCNN's dense baseline (Parashar et al., ISCA 2017; accelerators.md): the same 64 PEs x 4x4
multipliers, buffers and planar tiling as SCNN, dense operands. Hand-traced cycles, edge-tile
fragmentation, every zoo layer type, masks ignored, conservation of MACs."""
import pathlib

import numpy as np
import pytest

import accelsim as acs
from accelsim.accelerators.dcnn.engine import compile_dcnn
from accelsim.accelerators.engines import engine_for
from accelsim.workloads import Model
from accelsim.workloads.layers import LSTM, Attention, Conv2D, DepthwiseConv2D, Embedding, Linear

ROOT = pathlib.Path(__file__).resolve().parent.parent
DCNN = acs.load_hardware(ROOT / "hwconfigs" / "dcnn.yaml")
SCNN = acs.load_hardware(ROOT / "hwconfigs" / "scnn_like.yaml")


def test_hand_traced_convolution(largest_groups):
    """3x3 SAME, 4 -> 8 channels on 16x16 over 8x8 PEs: 2x2-pixel tiles each own 4 outputs and produce partial
    sums for up to 4x4 (16 per channel: kc = min(8, 1024 // 16) = 8, one group). Work per PE: 4 outputs x 8
    channels x 4 x 9 = 1152 MACs = 72 cycles of 16 multipliers; then the halo drain: 8 channels x the largest
    halo region (1 x 2 outputs) = 16 cycles, exposed after the last group: 88 cycles on every PE."""
    layer = Conv2D("hand", in_channels=4, out_channels=8, kernel_h=3, kernel_w=3, in_h=16, in_w=16,
                   padding=(1, 1, 1, 1))
    program = compile_dcnn(layer, DCNN)
    assert program.pe_cycles.tolist() == [[88] * 64]
    assert program.useful_macs == program.counts[("mac", "op")] == layer.macs == 64 * 1152
    assert program.fragmentation_slots == 0
    assert program.counts[("halo", "transfer")] == 644 * 8
    assert program.load_bytes.tolist() == [8 * 4 * 9 * 2 + 4 * 16 * 16 * 2]     # weights + inputs, 16-bit
    assert program.store_bytes.tolist() == [8 * 16 * 16 * 2]


def test_edge_tiles_leave_pes_idle_and_waiting():
    """A 14x14 plane over 8 PEs per axis: ceil(14 / 8) = 2-pixel tiles, 7 per axis: 49 PEs work, 15 idle
    and wait at the barrier (imbalance)."""
    layer = Conv2D("edge", in_channels=16, out_channels=16, in_h=14, in_w=14)
    program = compile_dcnn(layer, DCNN)
    assert int((program.pe_cycles.sum(axis=0) == 0).sum()) == 15
    run = engine_for(DCNN).execute(program)
    assert run.stall_imbalance_cycles > 0
    assert run.cycles == pytest.approx(run.busy_cycles + run.stall_imbalance_cycles + run.stall_memory_cycles
                                       + run.stall_sram_cycles + run.drain_cycles)


def test_fully_connected_outputs_over_pes():
    """Linear 1000 -> 100: ceil(100 / 64) = 2 outputs per PE (50 PEs busy). The weights stream in
    input-channel blocks (docs/scnn.md, "Weight streaming"): 50 PEs x 2 x 1000 16-bit weights = 200,000 B
    = 15,625 cycles at 12.8 B/cycle; with 100 cycles of latency per block, b = floor(sqrt(15,625 / 100)) =
    12 blocks of 84 channels (76 in the last): 2 x 84 = 168 MACs = 11 cycles per block, 2 x 76 = 152 MACs
    = 10 cycles in the last."""
    layer = Linear("fc", in_features=1000, out_features=100)
    program = compile_dcnn(layer, DCNN)
    assert program.n_steps == 12
    assert program.pe_cycles[0, :50].tolist() == [11] * 50 and program.pe_cycles[0, 50:].sum() == 0
    assert program.pe_cycles[-1, 0] == 10
    assert program.useful_macs == layer.macs
    assert program.barrier.tolist() == [False] * 11 + [True]


def test_lstm_runs_step_after_step_and_restreams_its_weights():
    layer = LSTM("lstm", input_size=32, hidden_size=32, steps=3)
    program = compile_dcnn(layer, DCNN)
    assert program.n_steps == 3 and program.barrier.all()
    assert program.pe_cycles[:, 0].tolist() == [8, 8, 8]      # 2 gate rows x 64 inputs = 128 MACs
    assert program.load_bytes.tolist() == [128 * 64 * 2 + 64 * 2] * 3
    assert program.useful_macs == layer.macs


def test_masks_are_ignored():
    layer = Conv2D("c", in_channels=8, out_channels=8, kernel_h=3, kernel_w=3, in_h=10, in_w=10)
    engine = engine_for(DCNN)
    assert DCNN.accelerator.skips_zeros is False and SCNN.accelerator.skips_zeros is True
    sparse = engine.compile(layer, np.zeros(layer.weight_shape, bool), np.zeros((8, 10, 10), bool))
    dense = engine.compile(layer)
    assert np.array_equal(sparse.pe_cycles, dense.pe_cycles) and sparse.counts == dense.counts


def test_every_zoo_layer_type_runs_and_conserves_macs():
    layers = (Conv2D("conv", in_channels=3, out_channels=8, kernel_h=3, kernel_w=3, in_h=12, in_w=12, stride=2),
              DepthwiseConv2D("dw", in_channels=8, out_channels=8, groups=8, kernel_h=3, kernel_w=3, in_h=5, in_w=5,
                              padding=(1, 1, 1, 1)),
              Linear("fc", in_features=200, out_features=10, steps=2),
              Embedding("emb", vocab_size=100, dim=16, steps=4),
              LSTM("lstm", input_size=16, hidden_size=16, steps=4, bidirectional=True),
              Attention("att", units=16, query_size=16, memory_size=16, memory_length=5, steps=3))
    result = acs.simulate(Model("mixed", "test", layers), DCNN, seed=0)
    rows = result.layers.set_index("layer")
    for layer in layers:
        assert rows.loc[layer.name, "useful_macs"] == rows.loc[layer.name, "macs"] == layer.macs
        assert rows.loc[layer.name, "cycles"] > 0
    assert rows.loc["emb", "dram_read_bytes"] == 4 * 16 * 2
    assert result.total["energy_pj"] > 0


def test_dcnn_and_scnn_share_the_organisation(largest_groups):
    """Same multipliers, SRAM and tiling: a dense 3x3 layer whose tiles fill whole vectors takes the same
    compute cycles on both."""
    assert DCNN.total_multipliers == SCNN.total_multipliers == 1024
    layer = Conv2D("same", in_channels=16, out_channels=32, kernel_h=3, kernel_w=3, in_h=32, in_w=32,
                   padding=(1, 1, 1, 1))
    dense = engine_for(DCNN).compile(layer)
    sparse = engine_for(SCNN).compile(layer)
    assert dense.details["kc"] == sparse.details["kc"]
    assert dense.compute_bound_cycles == sparse.compute_bound_cycles


def test_same_inputs_same_result():
    model = acs.zoo.mobilenet_v1(width=0.25)
    assert acs.simulate(model, DCNN, seed=0).layers.equals(acs.simulate(model, DCNN, seed=0).layers)
