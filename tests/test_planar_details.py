"""The per-layer details SCNN and DCNN declare (docs/scnn.md, "Details"), on layers small enough to derive
every value by hand from the shipped 8 x 8-PE, F x I = 4 x 4 machines (1,024 accumulator entries per
buffer, 10 KB IARAM): each test's docstring gives the derivation. The values reach ``layers.csv`` as
columns; a layer without a detail (an Embedding's utilisation) has none."""
import pathlib

import numpy as np
import pytest

import accelsim as acs
from accelsim.accelerators.dcnn.engine import compile_dcnn
from accelsim.accelerators.scnn import mapper
from accelsim.accelerators.scnn.engine import ScnnEngine, compile_scnn
from accelsim.workloads import Model
from accelsim.workloads.layers import LSTM, Conv2D, Embedding, Linear

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCNN = acs.load_hardware(ROOT / "hwconfigs" / "scnn_like.yaml")
DCNN = acs.load_hardware(ROOT / "hwconfigs" / "dcnn.yaml")


def test_dense_pointwise_layer_on_scnn_fills_every_multiplier(largest_groups):
    """1x1 convolution, 1 -> 8 channels on 16x16: 2x2-pixel tiles on 64 PEs, one pass. A tile's partial sums
    are 4 per channel, so kc = min(8, 1024 // 4) = 8: one group. Per PE: 8 weights = two F-vectors, 4 pixels =
    one I-vector: 2 steps of 16 products, 4 consecutive channels x 4 pixels of a 2x2 block hit 16 distinct
    banks (no conflict): 2 cycles. Utilisation = 8 x 256 useful / (16 x 64 PEs x 2 cycles) = 1; no PE waits;
    no halo (1x1 kernel); no placeholder and no output off the plane: nothing wasted; a layer alone keeps no
    activations on chip."""
    program = compile_scnn(Conv2D("p", in_channels=1, out_channels=8, in_h=16, in_w=16), SCNN)
    assert program.details == {
        "busy_multiplier_utilization": 1.0, "barrier_idle_fraction": 0.0, "halo_stall_cycles": 0.0,
        "pe_rows": 8, "pe_cols": 8, "weight_lanes": 4, "kc": 8,
        "groups": 1, "passes": 1, "input_blocks": 1, "tile_w_pixels": 2, "tile_h_pixels": 2, "resident_inputs": 1,
        "wasted_products": 0, "inputs_on_chip": 0, "outputs_on_chip": 0}


def test_one_pixel_per_pe_feeds_one_activation_lane(largest_groups):
    """1 -> 4 channels on 8x8: one pixel per PE, one step of 4 weights x 1 activation: 4 of 16 multipliers."""
    program = compile_scnn(Conv2D("p", in_channels=1, out_channels=4, in_h=8, in_w=8), SCNN)
    assert program.details["busy_multiplier_utilization"] == 4 / 16


def test_products_off_the_plane_are_wasted_and_the_halo_drain_is_exposed():
    """3x3 SAME, 1 -> 1 channel on 8x8, dense: one pixel per PE, its 9 weights meet its 1 activation: 64 x 9
    = 576 products fed. Per axis the kernel's rows 0, 1, 2 meet 7, 8, 7 image rows, so (7 + 8 + 7)^2 = 484
    land on the plane; 576 - 484 = 92 are wasted. Each tile owns 1 output and sends at most 1 partial sum to
    each neighbour: the drain of the only group (kc = 1 x 1 halo output) is 1 cycle on every PE, exposed."""
    program = compile_scnn(Conv2D("s", in_channels=1, out_channels=1, kernel_h=3, kernel_w=3, in_h=8, in_w=8,
                                  padding=(1, 1, 1, 1)), SCNN)
    assert program.useful_macs == 484
    assert program.details["wasted_products"] == 92
    assert program.details["halo_stall_cycles"] == 1.0


def test_hand_traced_dcnn_convolution_details(largest_groups):
    """tests/test_dcnn.py::test_hand_traced_convolution: 72 compute cycles + 16 exposed drain cycles on every
    PE, 64 x 1152 MACs: utilisation 72 / 88 = 9 / 11, halo stall 16 cycles, kc = 8 (one group, one pass)."""
    program = compile_dcnn(Conv2D("hand", in_channels=4, out_channels=8, kernel_h=3, kernel_w=3, in_h=16, in_w=16,
                                  padding=(1, 1, 1, 1)), DCNN)
    assert program.details["busy_multiplier_utilization"] == pytest.approx(9 / 11, rel=1e-15)
    assert program.details["halo_stall_cycles"] == 16.0
    assert program.details["barrier_idle_fraction"] == 0.0
    assert (program.details["kc"], program.details["groups"], program.details["passes"]) == (8, 1, 1)


def test_edge_tiles_idle_at_the_barrier():
    """14x14 plane, 1x1, 16 -> 16 on DCNN: 7 x 7 full 2x2-pixel tiles, so 49 PEs work 4 x 16 x 16 = 1024 MACs
    = 64 cycles each (utilisation 1) and 15 of 64 PEs wait for them: barrier idle 15 / 64."""
    program = compile_dcnn(Conv2D("edge", in_channels=16, out_channels=16, in_h=14, in_w=14), DCNN)
    assert program.details["busy_multiplier_utilization"] == 1.0
    assert program.details["barrier_idle_fraction"] == 15 / 64


def test_fully_connected_details_on_both_engines(largest_groups):
    """Linear 2048 -> 1024 dense, the whole array and the largest group (the mapper may pick smaller groups
    of this DRAM-bound layer, a few cycles apart): 16 outputs per PE, kc = min(16, 1024 // 1) = 16: one
    group; the inputs
    (2048 x 20 bits on SCNN, x 16 on DCNN) fit the 81,920-bit IARAM, so 16 input blocks. SCNN feeds one
    activation lane of 4 (utilisation 1/4, paper: ~25% of peak); DCNN fills its multipliers: 16 x 128
    channels per block = 128 cycles (utilisation 1). Every PE has the same work: no barrier idle."""
    layer = Linear("fc", in_features=2048, out_features=1024)
    mapping = {"pe_rows": 8, "pe_cols": 8, "weight_lanes": 4, "kc": 16, "groups": 1, "outputs_per_pe": 16,
               "input_blocks": 16, "resident_inputs": 1, "barrier_idle_fraction": 0.0}
    sparse, dense = compile_scnn(layer, SCNN), compile_dcnn(layer, DCNN)
    assert sparse.details == {**mapping, "busy_multiplier_utilization": 0.25, "wasted_products": 0}
    assert dense.details == {**mapping, "busy_multiplier_utilization": 1.0}


def test_uneven_fully_connected_layer_on_dcnn():
    """tests/test_dcnn.py::test_fully_connected_outputs_over_pes: 50 PEs own 2 outputs and work 11 blocks of
    11 cycles + 10 = 131 cycles, 14 PEs none; one barrier after the last block: idle 14 / 64. Utilisation
    100,000 MACs / (16 x 50 x 131)."""
    program = compile_dcnn(Linear("fc", in_features=1000, out_features=100), DCNN)
    assert program.details["barrier_idle_fraction"] == 14 / 64
    assert program.details["busy_multiplier_utilization"] == pytest.approx(100_000 / (16 * 50 * 131), rel=1e-15)


def test_both_directions_of_an_lstm_report_one_mapping(largest_groups):
    """Bidirectional LSTM, 16 inputs + 16 hidden, dense on SCNN's whole array: each direction's 64 gate rows
    give 1 output per PE (kc 1, one group); per time step a PE multiplies 32 channels x one weight x one
    activation: 32 steps of 1 product in 16 slots: utilisation 1/16, the same for both directions together."""
    program = compile_scnn(LSTM("r", input_size=16, hidden_size=16, steps=4, bidirectional=True), SCNN)
    assert program.details == {"pe_rows": 8, "pe_cols": 8, "weight_lanes": 4, "kc": 1, "groups": 1,
                               "outputs_per_pe": 1, "wasted_products": 0,
                               "busy_multiplier_utilization": 1 / 16, "barrier_idle_fraction": 0.0}


def test_a_small_lstm_uses_the_fewest_pes_that_fill_the_weight_lanes(monkeypatch):
    """The same LSTM as the mapper maps it (docs/scnn.md, "Fully connected and sequence layers"): 64 PEs of 1
    output and 16 PEs of 4 outputs both take one step per input channel (an F = 4 weight vector holds a
    PE's 4 outputs of the channel), 32 per time step, but the 16 PEs write each input vector into 16 IARAMs,
    not 64: as fast, less energy, so 16 PEs win the tie; 8 x 2 is the first 16-PE grid in the mapper's
    order (columns halved before rows). Utilisation 4 / 16, no PE of the grid idle at a barrier."""
    program = compile_scnn(LSTM("r", input_size=16, hidden_size=16, steps=4, bidirectional=True), SCNN)
    assert program.details == {"pe_rows": 8, "pe_cols": 2, "weight_lanes": 4, "kc": 4, "groups": 1,
                               "outputs_per_pe": 4, "wasted_products": 0,
                               "busy_multiplier_utilization": 4 / 16, "barrier_idle_fraction": 0.0}
    assert program.pe_cycles.shape == (2 * 4, 64) and (program.pe_cycles[:, :16] == 32).all()
    assert not program.pe_cycles[:, 16:].any()
    engine = ScnnEngine(SCNN)
    monkeypatch.setattr(mapper, "grids", lambda rows, cols: [(rows, cols)])
    monkeypatch.setattr(mapper, "weight_lanes", lambda f: [f])
    mapper.clear()
    whole = compile_scnn(LSTM("r", input_size=16, hidden_size=16, steps=4, bidirectional=True), SCNN)
    assert engine.execute(whole).cycles == engine.execute(program).cycles
    assert whole.counts[("iaram", "write_words")] == 4 * program.counts[("iaram", "write_words")]


def test_details_reach_layers_csv_and_absent_ones_are_nan(largest_groups):
    """An Embedding has no multipliers at work: its utilisation column is empty (NaN)."""
    layers = (Conv2D("c", in_channels=1, out_channels=8, in_h=16, in_w=16), Embedding("e", vocab_size=10, dim=4))
    result = acs.simulate(Model("m", "test", layers), SCNN, seed=0).layers.set_index("layer")
    assert result.loc["c", "busy_multiplier_utilization"] == 1.0 and result.loc["c", "kc"] == 8
    assert np.isnan(result.loc["e", "busy_multiplier_utilization"])
