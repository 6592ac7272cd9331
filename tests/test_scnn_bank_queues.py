"""SCNN's accumulator banks with queues behind the arbitrated crossbar (``pe.bank_queue_entries``): the
recurrence worked by hand on tiny streams, and on a layer (docs/scnn.md, "Bank queues")."""
import numpy as np
import pytest
from conftest import hw_variant

from accelsim.accelerators.scnn.engine import compile_scnn
from accelsim.accelerators.scnn.queues import queued_cycles
from accelsim.workloads.layers import Conv2D


@pytest.mark.parametrize("depth, cycles", [(0, 6), (1, 5), (2, 5), (8, 5)])
def test_three_steps_on_two_banks(depth, cycles):
    """Steps (3 products on bank 0), (1 on bank 1), (2 on bank 0), one issued per cycle at best, each bank
    adding one product per cycle. Depth 0: each step waits for its busiest bank, 3 + 1 + 2 = 6 cycles.
    Depth 1: cycle 0 issues step 1, bank 0 adds one, 2 wait > 1 fit: stall one cycle (bank 0 adds one, 1
    waits); cycle 2 issues step 2 (bank 0 adds its last, bank 1 its one); cycle 3 issues step 3, bank 0
    adds one, one left, added in cycle 4: 5 cycles, which bank 0's 5 products need at least, so deeper
    queues give 5 too."""
    counts = np.array([[3, 0], [0, 1], [2, 0]])
    assert queued_cycles(counts, np.zeros(3, int), depth).tolist() == [cycles]


def test_queues_hide_a_burst_and_sequences_are_independent():
    """Sequence 0: 4 products on bank 0, then three steps of 1 product on banks 1, 2, 3. Depth 0: 4 + 1 + 1
    + 1 = 7. Depth 3: the burst leaves 3 waiting (they fit), the next steps issue in cycles 1, 2, 3 while
    bank 0 drains its queue by cycle 3: 4 cycles. Sequence 1 (one step of 2 on bank 1) runs alone: 2
    cycles at any depth."""
    counts = np.array([[4, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 2, 0, 0]])
    sequence = np.array([0, 0, 0, 0, 1])
    assert queued_cycles(counts, sequence, 0).tolist() == [7, 2]
    assert queued_cycles(counts, sequence, 3).tolist() == [4, 2]
    assert queued_cycles(counts, sequence, 1).tolist() == [6, 2]     # stall 2 after the burst, then 1 each


def test_depth_zero_is_the_busiest_bank_and_deeper_is_never_slower():
    """Random steps: depth 0 gives the sum of the busiest banks; cycles never rise with depth, and never
    fall below the number of steps or the busiest bank's total."""
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 4, size=(200, 8))
    sequence = np.sort(rng.integers(0, 5, size=200))
    sequence = np.unique(sequence, return_inverse=True)[1].reshape(-1)
    previous = None
    for depth in range(0, 12):
        cycles = queued_cycles(counts, sequence, depth)
        if depth == 0:
            assert cycles.tolist() == [int(np.maximum(counts[sequence == s].max(axis=1), 1).sum())
                                       for s in range(sequence.max() + 1)]
        for s in range(sequence.max() + 1):
            assert cycles[s] >= max((sequence == s).sum(), counts[sequence == s].sum(axis=0).max())
        if previous is not None:
            assert (cycles <= previous).all()
        previous = cycles


@pytest.mark.parametrize("depth, cycles", [(0, 4), (1, 3)])
def test_a_layer_whose_steps_collide_on_one_bank_each(largest_groups, depth, cycles):
    """1x1 convolution, 2 -> 64 channels on 8 x 8 (one pixel, one activation per PE and channel). Channel 0's
    weights: output channels 0 and 32, channel 1's: 1 and 33; stored with a placeholder after 15 zeros
    (k = 16, 17), each channel is one F-vector, and each step's 2 products land on one bank (k mod 32 = 32
    banks: 0 and 32 share one, 1 and 33 the next). Depth 0: 2 + 2 = 4 cycles per PE; depth 1: channel 0's
    second product waits in the queue while channel 1's step issues, whose second product is added in the
    third cycle: 3."""
    layer = Conv2D("q", in_channels=2, out_channels=64, in_h=8, in_w=8)
    weights = np.zeros(layer.weight_shape, bool)
    weights[[0, 32], 0] = True
    weights[[1, 33], 1] = True
    hw = hw_variant("scnn", {"pe.bank_queue_entries": depth})
    program = compile_scnn(layer, hw, weights)
    assert program.pe_cycles.sum(axis=0).tolist() == [cycles] * 64
    assert program.useful_macs == 4 * 64
