"""SCNN (Parashar et al., ISCA 2017; facts from the shared reference/accelerators.md, a secondary summary of the
paper): exact product identities against an independent direct convolution of the masks, hand-traced steps,
bank conflicts, halos, and the paper's qualitative results (density sweep vs DCNN, FC at ~25% of peak, late
1x1 layers below 20%, imbalance from the masks). Measured numbers are in docs/scnn.md."""
import pathlib
from dataclasses import replace

import numpy as np
import pytest

import accelsim as acs
from accelsim.accelerators.scnn import cartesian, sparse
from accelsim.accelerators.scnn.cartesian import bank_table
from accelsim.accelerators.scnn.queues import queued_cartesian
from accelsim.accelerators.scnn.engine import compile_scnn
from accelsim.accelerators.scnn.fc import plan_fc
from accelsim.accelerators.scnn.machine import bank_of, machine
from accelsim.accelerators.engines import engine_for
from accelsim.errors import MaskError
from accelsim.pruning import activation_mask
from accelsim.workloads import Model
from accelsim.workloads.layers import LSTM, Attention, Conv2D, DepthwiseConv2D, Embedding, Linear

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCNN = acs.load_hardware(ROOT / "hwconfigs" / "scnn_like.yaml")
DCNN = acs.load_hardware(ROOT / "hwconfigs" / "dcnn.yaml")
MULTIPLIERS = 1024


def random_mask(shape, density, seed):
    """Exactly round(density * size) True entries at seeded random places."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    mask = np.zeros(size, bool)
    mask[rng.choice(size, round(density * size), replace=False)] = True
    return mask.reshape(shape)


def direct_products(layer, weights, acts):
    """Sum over outputs of (non-zero weight x non-zero activation) pairs, by a direct convolution of the masks
    (loops over output channel, input channel and kernel position; independent of the engine's code)."""
    pt, _, pl, _ = layer.padding
    padded = np.zeros((layer.in_channels, layer.padded_h, layer.padded_w), bool)
    padded[:, pt:pt + layer.in_h, pl:pl + layer.in_w] = acts
    sh, sw, k_per_group = layer.stride_h, layer.stride_w, layer.out_channels // layer.groups
    total = 0
    for k in range(layer.out_channels):
        for c_local in range(layer.in_channels_per_group):
            c = (k // k_per_group) * layer.in_channels_per_group + c_local
            for r in range(layer.kernel_h):
                for q in range(layer.kernel_w):
                    if weights[k, c_local, r, q]:
                        window = padded[c, r:r + sh * (layer.out_h - 1) + 1:sh, q:q + sw * (layer.out_w - 1) + 1:sw]
                        total += int(window.sum())
    return total


def busiest_bank(banks, discard):
    """Reference: the products the busiest bank of each row of ``banks`` receives (``discard``: none), at least 1."""
    return np.array([max(np.bincount(row[row != discard], minlength=1).max(), 1) for row in banks.astype(int)])


CONVS = [
    Conv2D("same3x3", in_channels=8, out_channels=16, kernel_h=3, kernel_w=3, in_h=13, in_w=11, padding=(1, 1, 1, 1)),
    Conv2D("stride2", in_channels=6, out_channels=10, kernel_h=3, kernel_w=3, in_h=17, in_w=15, stride=2,
           padding=(0, 1, 1, 1)),
    DepthwiseConv2D("depthwise", in_channels=12, out_channels=12, groups=12, kernel_h=3, kernel_w=3, in_h=16, in_w=16,
                    padding=(1, 1, 1, 1)),
    Conv2D("grouped5x3", in_channels=8, out_channels=12, groups=4, kernel_h=5, kernel_w=3, in_h=9, in_w=20,
           padding=(2, 2, 1, 1)),
    Conv2D("pointwise", in_channels=64, out_channels=128, in_h=7, in_w=7),
    Conv2D("stride2_1x1", in_channels=16, out_channels=24, in_h=10, in_w=10, stride=2),
    Conv2D("stride2x1", in_channels=6, out_channels=10, kernel_h=3, kernel_w=3, in_h=16, in_w=13, stride=(2, 1),
           padding=(1, 1, 1, 1)),
    Conv2D("stride1x3", in_channels=4, out_channels=8, kernel_h=1, kernel_w=5, in_h=5, in_w=31, stride=(1, 3)),
    Conv2D("big_kernel", in_channels=3, out_channels=8, kernel_h=7, kernel_w=7, in_h=40, in_w=30, stride=2,
           padding=(3, 3, 3, 3)),
]


@pytest.mark.parametrize("layer", CONVS, ids=lambda layer: layer.name)
def test_useful_products_equal_a_direct_convolution_of_the_masks(layer):
    weights = random_mask(layer.weight_shape, 0.4, 1)
    acts = random_mask((layer.in_channels, layer.in_h, layer.in_w), 0.5, 2)
    program = compile_scnn(layer, SCNN, weights, acts)
    expected = direct_products(layer, weights, acts)
    assert program.useful_macs == expected
    assert program.counts[("mac", "op")] == expected
    assert program.counts[("crossbar", "transfer")] == expected
    # every useful product is fed; padding entries and out-of-plane products are the rest
    assert program.counts[("index", "decode")] >= expected


def test_useful_products_of_fc_and_lstm_equal_the_matrix_products():
    fc = Linear("fc", in_features=300, out_features=200, steps=3)
    w, a = random_mask(fc.weight_shape, 0.2, 3), random_mask((3, 300), 0.4, 4)
    assert compile_scnn(fc, SCNN, w, a).useful_macs == int((a.astype(int) @ w.T.astype(int)).sum())
    lstm = LSTM("lstm", input_size=40, hidden_size=30, steps=5, bidirectional=True)
    w, a = random_mask(lstm.weight_shape, 0.3, 5), random_mask((5, 70), 0.6, 6)
    # both directions multiply the same [x_t, h_t] mask by their own 4H rows
    assert compile_scnn(lstm, SCNN, w, a).useful_macs == int((a.astype(int) @ w.T.astype(int)).sum())


def test_fc_with_equal_columns_equals_its_column_by_column_product(monkeypatch):
    """An FC layer's weight vectors are built once per distinct column of its mask (input channels whose
    columns are equal have equal streams): every output equals the product built for each column on its
    own (the sharing turned off), on a mask with dense, empty and repeated random columns."""
    fc = Linear("fc", in_features=96, out_features=150, steps=4)
    w = random_mask(fc.weight_shape, 0.3, 7)
    w[:, :20] = True                     # dense columns
    w[:, 20:40] = False                  # channels pruned whole
    w[:, 40:60] = w[:, [60]]             # a random column repeated
    a = random_mask((4, 96), 0.5, 8)
    shared = compile_scnn(fc, SCNN, w, a)
    monkeypatch.setattr(sparse, "distinct_columns", lambda mask: (np.arange(mask.shape[1]), np.arange(mask.shape[1])))
    alone = compile_scnn(fc, SCNN, w, a)
    np.testing.assert_array_equal(shared.pe_cycles, alone.pe_cycles)
    assert shared.counts == alone.counts and shared.useful_macs == alone.useful_macs
    assert shared.details == alone.details


def one_activation_cases():
    """(machine, plan, weights) of FC layers whose streams need padding entries (4-bit and 2-bit zero-run
    indices at 2-5% density), have dense, empty and repeated columns, and fit or overflow the weight FIFO:
    scnn_like and a variant of 8 weight lanes, 16 banks, a 16-entry FIFO and 2-bit indices (a dense column's
    stream in a group of 16 fills it exactly); several group sizes and PE grids."""
    base = machine(SCNN, sparse=True)
    variant = replace(base, f=8, banks=16, fifo_entries=16, index_bits=2)
    for seed, (m, (out_features, in_features), density) in enumerate(
            [(base, (300, 96), 0.3), (base, (1000, 40), 0.02), (variant, (150, 60), 0.05),
             (variant.grid(2, 4), (333, 50), 0.4), (base.grid(4, 8), (97, 30), 0.9)]):
        weights = random_mask((out_features, in_features), density, 20 + seed)
        weights[:, :3] = True                      # dense columns
        weights[:, 3:6] = False                    # channels pruned whole
        weights[:, 6:9] = weights[:, [9]]          # a column repeated
        for capacity in (m.accumulator_capacity, 64, 16, 8):
            plan = plan_fc(m, out_features, in_features, 1, np.ones(in_features), "fc", density, capacity)
            yield m, plan, weights


def test_a_linear_layer_at_one_position_does_the_work_of_the_general_cartesian_product():
    """At one position without bank queues each non-zero activation meets every weight vector of its channel
    once, so the compiled walk (``one_position_fc``) and the general Cartesian product (``cartesian_fc``:
    vectors cut from the run-length entries, steps run through the bank model) give the same work: cycles
    per (group, block, PE), useful products, idle slots, conflicts, operand reads and weight bits."""
    for m, plan, weights in one_activation_cases():
        act = random_mask((1, plan.in_features), 0.6, plan.kc)
        fast, general = sparse.one_position_fc(m, plan, weights, act[0]), sparse.cartesian_fc(m, plan, weights, act)
        np.testing.assert_array_equal(fast.pe_cycles, general.pe_cycles)
        np.testing.assert_array_equal(fast.weight_bits, general.weight_bits)
        assert (fast.useful, fast.fragmentation, fast.conflicts, fast.weight_reads, fast.activation_reads) == \
            (general.useful, general.fragmentation, general.conflicts, general.weight_reads, general.activation_reads)
        assert fast.counts == general.counts and fast.details == general.details


def test_serial_vectors_each_do_the_work_of_one_position():
    """An LSTM's input vectors run one after another (``serial_fc``): each vector's cycles per (group, PE)
    are the general Cartesian product's at that one position summed over its input blocks, and the totals
    add up over the vectors (activation reads as when every stream fits the weight FIFO: one per stream)."""
    for m, plan, weights in one_activation_cases():
        acts = random_mask((3, plan.in_features), 0.6, plan.kc)
        serial = sparse.CARTESIAN.serial_fc(m, plan, weights, acts)
        fitting = replace(m, fifo_entries=10**9)
        each = [sparse.cartesian_fc(fitting, plan, weights, acts[t:t + 1]) for t in range(3)]
        per_vector = [w.pe_cycles.reshape(plan.groups, plan.blocks, -1).sum(axis=1) for w in each]
        np.testing.assert_array_equal(serial.pe_cycles, np.concatenate(per_vector))
        for field in ("useful", "fragmentation", "conflicts", "weight_reads", "activation_reads"):
            assert getattr(serial, field) == sum(getattr(w, field) for w in each), field


def test_dense_operands_give_the_dense_mac_count_on_both_engines():
    """At density 1.0/1.0 every product is useful: SCNN's useful MACs equal the layer's MACs and DCNN's
    (VALID padding: with SAME padding the dense count also multiplies the padding zeros, SCNN does not)."""
    for layer in (Conv2D("valid", in_channels=16, out_channels=32, kernel_h=3, kernel_w=3, in_h=20, in_w=18),
                  Conv2D("valid_s2", in_channels=8, out_channels=8, kernel_h=3, kernel_w=3, in_h=21, in_w=21,
                         stride=2),
                  Linear("fc", in_features=256, out_features=100)):
        scnn = engine_for(SCNN).compile(layer)
        dcnn = engine_for(DCNN).compile(layer)
        assert scnn.useful_macs == layer.macs == dcnn.useful_macs == dcnn.counts[("mac", "op")]
    same = Conv2D("same", in_channels=4, out_channels=4, kernel_h=3, kernel_w=3, in_h=6, in_w=6, padding=(1, 1, 1, 1))
    useful = engine_for(SCNN).compile(same).useful_macs
    assert useful == direct_products(same, np.ones(same.weight_shape, bool), np.ones((4, 6, 6), bool))
    # per (output, input) channel pair, kernel rows 0, 1, 2 meet 5, 6, 5 image rows (the 6th is padding),
    # and the same for columns: (5 + 6 + 5)^2 = 256 products instead of 9 x 36 = 324
    assert useful == 4 * 4 * 16 * 16
    assert useful < same.macs


def test_bank_function_spreads_a_dense_step_over_sixteen_banks():
    """F = 4 consecutive output channels x I = 4 consecutive columns land in 16 distinct banks of 32, and so
    do 4 channels x a 2 x 2 block of a tile 2 wide (raster order wraps onto the next row); the same output
    channel 4 times (one kernel row, a row of activations) collides."""
    k = np.arange(4)[:, None]
    x = np.arange(4)[None, :] + 10
    assert np.unique(bank_of(k, x, 3, 4, 8, 32)).size == 16
    assert np.unique(bank_of(k + 5, np.array([[0, 1, 0, 1]]), np.array([[7, 7, 8, 8]]), 4, 2, 32)).size == 16
    assert np.unique(bank_of(np.zeros((4, 4), int), x - np.arange(4)[:, None], 3, 4, 8, 32)).size < 16
    banks = np.array([[3, 3, 3, 32, 5, 5], [32, 32, 32, 32, 32, 32], [1, 2, 3, 4, 5, 6]], np.uint8)
    assert busiest_bank(banks, 32).tolist() == [3, 1, 1]


def test_without_queues_each_step_lasts_its_busiest_bank():
    """Depth 0: the compiled walk gives each (Program step, PE) sequence the sum over its steps of the products
    its busiest bank receives (at least 1), and counts the products that reach a bank, the steps, the products
    fed and the operand reads, as computing every step directly does; so does the walk that computes each
    kind of step once (vectors equal up to a shift of every bank). Random codes, 3 keys, weights in 2
    Program steps, activations on 2 PEs."""
    table = bank_table(cartesian.Window(3, 3, 1, 1, 18, 18, 16, 16, 64, 4), 4, 32)
    rng = np.random.default_rng(5)
    w = cartesian.Chunks(rng.integers(0, 3, 30), rng.integers(0, table.weight_discard + 1, (30, 4)).astype(np.int32),
                         rng.integers(1, 5, 30), rng.random(30) < 0.3)
    a = cartesian.Chunks(rng.integers(0, 3, 12), rng.integers(0, table.n_act, (12, 4)).astype(np.int32),
                         rng.integers(1, 5, 12), rng.random(12) < 0.3)
    w_step, a_pe = rng.integers(0, 2, 30), rng.integers(0, 2, 12)
    fits = (rng.random(6) < 0.5)[w.key * 2 + w_step]       # whether a (c, g) stream fits the FIFO: per run
    cycles, totals = queued_cartesian(w, a, table.table, table.n_act, table.discard,
                                      (w.key, w_step, np.zeros(30, int)), fits, (a.key, np.zeros(12, int), a_pe),
                                      3, 2, 2, 0)
    expected, products, fed, weight_reads, activation_reads = np.zeros(4, int), 0, 0, 0, 0
    for wi in range(30):
        ai = np.flatnonzero(a.key == w.key[wi])
        banks = table.table[w.codes[wi][None, :, None] * table.n_act + a.codes[ai][:, None, :]].reshape(ai.size, -1)
        np.add.at(expected, w_step[wi] * 2 + a_pe[ai], busiest_bank(banks, table.discard))
        products += np.count_nonzero(banks != table.discard)
        fed += int(w.entries[wi] * a.entries[ai].sum())
        weight_reads += int((w.entries[wi] * np.where(fits[wi], 1, a.first[ai])).sum())
        activation_reads += int((a.entries[ai] * np.where(fits[wi], w.first[wi], 1)).sum())
    steps = sum(int((a.key == k).sum()) for k in w.key)
    assert cycles.tolist() == expected.tolist()
    assert totals.tolist() == [products, steps, fed, weight_reads, activation_reads]
    kinds = (cartesian._row_ids(table.shifted_weights(w.codes))[::-1],
             cartesian._row_ids(table.shifted_activations(a.codes))[::-1])
    remembered = queued_cartesian(w, a, table.table, table.n_act, table.discard, (w.key, w_step, np.zeros(30, int)),
                                  fits, (a.key, np.zeros(12, int), a_pe), 3, 2, 2, 0, kinds)
    assert remembered[0].tolist() == cycles.tolist() and remembered[1].tolist() == totals.tolist()


def test_hand_traced_pointwise_layer_one_pixel_per_pe(largest_groups):
    """1x1 convolution, 1 input channel, 4 output channels on an 8x8 plane: one pixel per PE, 4 weights = one
    F-vector, 1 activation: one step of 4 products per PE (4 distinct banks), 12 idle multiplier slots."""
    layer = Conv2D("hand", in_channels=1, out_channels=4, in_h=8, in_w=8)
    program = compile_scnn(layer, SCNN)
    assert program.pe_cycles.tolist() == [[1] * 64]
    assert program.useful_macs == 256
    assert program.fragmentation_slots == 64 * 12
    assert program.conflict_cycles == 0
    assert program.counts[("weight_fifo", "read_entries")] == 256
    # 16x16 plane: 2x2 pixels per PE = one I-vector; 8 channels = two F-vectors: 2 conflict-free cycles (in
    # one group of 8 or two of 4, as the mapper chooses)
    layer = Conv2D("hand2", in_channels=1, out_channels=8, in_h=16, in_w=16)
    program = compile_scnn(layer, SCNN)
    assert program.pe_cycles.sum(axis=0).tolist() == [2] * 64
    assert program.fragmentation_slots == 0


def test_products_landing_on_one_bank_serialise(largest_groups):
    """Weights of output channels 0 and 32 (the same bank: k mod A = 32 banks) at one kernel position times
    one activation: 2 products, one bank -> 2 cycles, 1 conflict cycle."""
    layer = Conv2D("conflict", in_channels=1, out_channels=64, in_h=8, in_w=8)
    weights = np.zeros(layer.weight_shape, bool)
    weights[[0, 32]] = True
    program = compile_scnn(layer, SCNN, weights)
    assert program.pe_cycles.tolist() == [[2] * 64]
    assert program.conflict_cycles == 64


def test_output_halos_are_counted_per_channel_and_group():
    """3x3 SAME on 16x16 over 8x8 PEs: 2x2-pixel tiles produce partial sums for a 4x4 window of outputs
    (3x4 / 3x3 at the borders): 30 x 30 produced - 16 x 16 owned = 644 halo partial sums per channel."""
    layer = Conv2D("halo", in_channels=2, out_channels=5, kernel_h=3, kernel_w=3, in_h=16, in_w=16,
                   padding=(1, 1, 1, 1))
    program = compile_scnn(layer, SCNN)
    assert program.counts[("halo", "transfer")] == 644 * 5
    assert program.counts[("accumulator", "update")] == program.useful_macs + 644 * 5


def test_strided_layers_multiply_matching_stride_phases_only():
    """A 1x1 stride-2 convolution reads one pixel in four: the other activations meet no weight, so no
    product is wasted."""
    layer = Conv2D("s2", in_channels=4, out_channels=8, in_h=16, in_w=16, stride=2)
    program = compile_scnn(layer, SCNN)
    assert program.useful_macs == layer.macs
    assert program.details["wasted_products"] == 0


def test_fully_connected_layers_run_at_a_quarter_of_peak():
    """Paper (accelerators.md): FC layers run at ~25% of peak: one activation per input channel feeds one
    of the I = 4 activation lanes. Compute-bound utilisation of a dense 2048 -> 1024 layer is exactly 25%;
    sparse weights (AlexNet fc7: 9% weights, 35% activations, EIE Table III) leave F-vectors partly empty."""
    fc = Linear("fc", in_features=2048, out_features=1024)
    dense = compile_scnn(fc, SCNN)
    assert dense.useful_macs / (dense.compute_bound_cycles * MULTIPLIERS) == pytest.approx(0.25)
    sparse = compile_scnn(fc, SCNN, random_mask(fc.weight_shape, 0.09, 7), random_mask((1, 2048), 0.35, 8))
    assert sparse.useful_macs / (sparse.compute_bound_cycles * MULTIPLIERS) < 0.25


def test_late_pointwise_layers_use_few_multipliers():
    """Paper: late 1x1 layers with few non-zeros per group stay below 20% multiplier utilisation (7x7 plane:
    one pixel per PE, 49 of 64 PEs, one activation lane of four)."""
    layer = Conv2D("inception_5b_1x1", in_channels=832, out_channels=384, in_h=7, in_w=7)
    program = compile_scnn(layer, SCNN, random_mask(layer.weight_shape, 0.3, 9),
                           random_mask((832, 7, 7), 0.3, 10))
    assert program.useful_macs / (program.compute_bound_cycles * MULTIPLIERS) < 0.2


def conv(name, c_in, c_out, kernel, size, scale):
    pad = (kernel - 1) // 2
    return Conv2D(name, in_channels=c_in // scale, out_channels=c_out // scale, kernel_h=kernel, kernel_w=kernel,
                  in_h=size, in_w=size, padding=(pad,) * 4)


def googlenet_like(scale):
    """The density-sweep stack: GoogLeNet layer shapes (conv2, inception 3a, 4a, 5a; Szegedy et al. 2015),
    channels divided by ``scale`` (and conv2's, 3a's by 2 more) to keep the sweep fast."""
    return [conv("conv2_3x3", 64, 128, 3, 56, scale * 2), conv("3a_3x3", 128, 192, 3, 28, scale * 2),
            conv("3a_1x1", 192, 64, 1, 28, scale), conv("4a_3x3", 96, 208, 3, 14, scale),
            conv("4a_1x1", 480, 192, 1, 14, scale), conv("4a_5x5", 16, 48, 5, 14, scale),
            conv("5a_3x3", 160, 320, 3, 7, scale), conv("5a_1x1", 832, 256, 1, 7, scale)]


def stack_cycles(hw, stack, density, seed=0):
    engine = engine_for(hw)
    total = 0
    for i, layer in enumerate(stack):
        weights = random_mask(layer.weight_shape, density, (seed, i))
        acts = activation_mask(layer, density, seed)
        total += engine.execute(engine.compile(layer, weights, acts)).cycles
    return total


@pytest.fixture(scope="module")
def sweep():
    stack = googlenet_like(scale=2)
    dense = stack_cycles(DCNN, stack, 1.0)
    return {d: dense / stack_cycles(SCNN, stack, d) for d in (1.0, 0.5, 0.3, 0.1)}


def test_density_sweep_against_dcnn(sweep):
    """Paper (accelerators.md): at weight x activation density 1.0/1.0 SCNN reaches 79% of DCNN, break-even
    near 0.85/0.85, speedup growing as density drops. We assert the qualitative facts on a GoogLeNet-like
    stack; our measured numbers (docs/scnn.md): 0.75x at 1.0, break-even near 0.75."""
    assert sweep[1.0] < 1.0
    assert 1.0 < sweep[0.5] < sweep[0.3] < sweep[0.1]


def test_a_mask_concentrated_on_few_output_channels_is_slower():
    """Same density, weights concentrated on the first 10% of output channels: FC output channels live on
    their own PEs, so the PEs owning them work while the others wait (imbalance from the mask)."""
    fc = Linear("fc", in_features=1024, out_features=1024)
    uniform = random_mask(fc.weight_shape, 0.1, 11)
    concentrated = np.zeros(fc.weight_shape, bool)
    concentrated[:102] = True
    concentrated[102, :uniform.sum() - concentrated.sum()] = True
    assert concentrated.sum() == uniform.sum()
    engine = engine_for(SCNN)
    run_u = engine.execute(engine.compile(fc, uniform))
    run_c = engine.execute(engine.compile(fc, concentrated))
    assert run_c.cycles > run_u.cycles
    assert run_c.stall_imbalance_cycles > run_u.stall_imbalance_cycles
    assert run_c.useful_macs == run_u.useful_macs


def test_activations_concentrated_in_one_corner_unbalance_the_pes():
    layer = Conv2D("corner", in_channels=16, out_channels=32, kernel_h=3, kernel_w=3, in_h=32, in_w=32,
                   padding=(1, 1, 1, 1))
    uniform = random_mask((16, 32, 32), 0.25, 12)
    corner = np.zeros((16, 32, 32), bool)
    corner[:, :16, :16] = True
    engine = engine_for(SCNN)
    run_u = engine.execute(engine.compile(layer, None, uniform))
    run_c = engine.execute(engine.compile(layer, None, corner))
    assert run_c.stall_imbalance_cycles > 2 * run_u.stall_imbalance_cycles
    assert run_c.cycles > run_u.cycles


@pytest.fixture(scope="module")
def mobilenet_90():
    model = acs.zoo.mobilenet_v1(width=1.0)
    return acs.simulate(model, SCNN, masks=acs.prune(model, 0.9, seed=0), seed=0)


def test_stall_causes_add_up_and_conflicts_are_reported(mobilenet_90):
    layers = mobilenet_90.layers
    total = (layers["busy_cycles_per_pe"] + layers["stall_imbalance_cycles_per_pe"] + layers["drain_cycles"]
             + layers["stall_memory_cycles_per_pe"] + layers["stall_sram_cycles_per_pe"])
    assert np.allclose(total, layers["cycles"])
    assert (layers["stall_conflict_cycles_per_pe"] <= layers["busy_cycles_per_pe"]).all()
    assert layers["stall_conflict_cycles_per_pe"].sum() > 0 and layers["stall_imbalance_cycles_per_pe"].sum() > 0
    assert (layers["fragmentation_slots"] >= 0).all() and layers["fragmentation_slots"].sum() > 0
    assert (layers["useful_macs"] <= layers["macs"]).all()
    assert mobilenet_90.total["energy_crossbar_pj"] > 0 and mobilenet_90.total["energy_halo_pj"] > 0


def test_same_seed_same_result():
    model = acs.zoo.mobilenet_v1(width=0.25)
    first = acs.simulate(model, SCNN, sparsity=0.5, seed=3).layers
    again = acs.simulate(model, SCNN, sparsity=0.5, seed=3).layers
    assert first.equals(again)
    assert not first.equals(acs.simulate(model, SCNN, sparsity=0.5, seed=4).layers)


def test_every_zoo_layer_type_runs():
    layers = (Conv2D("c", in_channels=3, out_channels=8, kernel_h=3, kernel_w=3, in_h=12, in_w=12),
              Linear("l", in_features=8 * 10 * 10, out_features=10),
              Embedding("e", vocab_size=100, dim=16, steps=4),
              LSTM("r", input_size=16, hidden_size=16, steps=4),
              Attention("a", units=16, query_size=16, memory_size=16, memory_length=5, steps=3))
    result = acs.simulate(Model("mixed", "test", layers), SCNN, seed=0)
    assert list(result.layers["layer"]) == ["c", "l", "e", "r", "a"]
    assert (result.layers["cycles"] > 0).all()
    dense_attention = compile_scnn(layers[-1], SCNN)
    assert dense_attention.useful_macs == layers[-1].macs


def test_a_mask_of_the_wrong_shape_is_named():
    layer = CONVS[0]
    with pytest.raises(MaskError, match="same3x3"):
        compile_scnn(layer, SCNN, np.ones((3, 3), bool))


def test_distinct_columns_of_a_mask():
    """Hand example: columns 0 and 2 are equal, 1 and 3 are equal, 4 is its own: the first index of each
    distinct column in order (0, 1, 4) and every column's distinct one (0, 1, 0, 1, 2)."""
    from accelsim.accelerators.scnn.sparse import distinct_columns
    mask = np.array([[1, 0, 1, 0, 1], [0, 0, 0, 0, 1], [1, 1, 1, 1, 0]], bool)
    first, column_of = distinct_columns(mask)
    assert first.tolist() == [0, 1, 4] and column_of.tolist() == [0, 1, 0, 1, 2]
