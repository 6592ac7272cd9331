"""Skipping all-zero weight tiles on the N:M array (``skip_empty_tiles: true``; docs/structured.md, "Block
sparsity"): closed forms worked by hand, and block pruning against unstructured pruning at equal sparsity."""
import numpy as np
import pytest

import accelsim as acs
from accelsim.accelerators.engines import engine_for
from accelsim.pruning import synthetic_weights
from accelsim.pruning.structured import Structure, nm_mask, prune_structured
from accelsim.workloads import Linear
from conftest import hw_variant

#: 32 x 32 array, SCALE-Sim's mapping, DRAM fast enough that only the folds count.
FAST = {"mapping": "scalesim", "dram.bandwidth_bytes_per_cycle": 1000, "dram.latency_cycles": 0}


def skipping(**changes):
    return hw_variant("nm_systolic", {"nm_patterns": ["2:4"], "skip_empty_tiles": True, **FAST, **changes})


def run(layer, hw, mask):
    engine = engine_for(hw)
    program = engine.compile(layer, masks=mask)
    return program, engine.execute(program)


def fc():
    """K = 256 inputs (8 row folds of 32), M = 64 outputs (2 column folds of 32), T = 64 streamed rows."""
    return Linear("fc", in_features=256, out_features=64, steps=64)


def zero_tiles(mask, tiles, rows=32, cols=32):
    """``mask`` (outputs x K) with the (row fold, column fold) tiles of the K x M weight matrix zeroed."""
    mask = mask.copy()
    for r, c in tiles:
        mask[c * cols:(c + 1) * cols, r * rows:(r + 1) * rows] = False
    return mask


@pytest.mark.parametrize("k", [1, 3, 7])
def test_k_empty_tiles_take_k_folds_off(k):
    """Dense: 8 x 2 = 16 folds of 2*32 + 32 + 64 - 2 = 158 cycles each = 2528. Zeroing k of the 16 tiles
    (the rest dense, so no N:M pattern fits and the layer runs uncondensed) skips their folds: (16 - k) x 158.
    Each skipped tile's 32 x 32 one-byte weights are not fetched (k x 1024 bytes less from DRAM) and its
    32 x 32 x 64 MACs not done; the 64 x 64 outputs are still written once; every fold's non-empty bit is read
    (16 bits)."""
    layer, hw = fc(), skipping()
    tiles = [(r, r % 2) for r in (0, 3, 6, 1, 4, 7, 2)][:k]
    full = np.ones(layer.weight_shape, dtype=bool)
    dense_program, dense = run(layer, hw, full)
    program, skipped = run(layer, hw, zero_tiles(full, tiles))
    assert dense.busy_cycles == 16 * 158 and skipped.busy_cycles == (16 - k) * 158
    assert (program.details["nm_n"], program.details["skipped_folds"]) == (0, k)
    assert dense.dram_read_bytes - skipped.dram_read_bytes == k * 1024
    assert skipped.dram_write_bytes == dense.dram_write_bytes == 64 * 64
    assert skipped.counts[("mac", "op")] == (16 - k) * 32 * 32 * 64
    assert skipped.counts[("metadata", "read_bits")] == 16


def test_a_column_of_empty_tiles_still_writes_its_outputs():
    """Outputs 32..63 have no weight: their 8 folds are skipped (8 x 158 cycles left), and their 64 x 32
    outputs (zeros) are still written to DRAM: 64 x 64 bytes in all, as dense."""
    layer, hw = fc(), skipping()
    mask = np.ones(layer.weight_shape, dtype=bool)
    mask[32:] = False
    program, result = run(layer, hw, mask)
    assert result.busy_cycles == 8 * 158 and program.details["skipped_folds"] == 8
    assert result.dram_write_bytes == 64 * 64


def test_a_row_of_empty_tiles_fetches_no_inputs():
    """Inputs 32..63 feed no output: both tiles of row fold 1 are skipped (14 x 158 cycles), and neither
    their 2 x 1024 weight bytes nor that fold's input slice (64 streamed rows x 32 inputs = 2048 bytes) is
    fetched."""
    layer, hw = fc(), skipping()
    full = np.ones(layer.weight_shape, dtype=bool)
    dense, result = run(layer, hw, full)[1], run(layer, hw, zero_tiles(full, [(1, 0), (1, 1)]))[1]
    assert result.busy_cycles == 14 * 158
    assert dense.dram_read_bytes - result.dram_read_bytes == 2 * 1024 + 64 * 32


def test_empty_tiles_of_the_condensed_matrix_skip_under_n_m():
    """2:4 condenses K = 256 to 128 slots: 4 x 2 = 8 folds of 158 cycles. Pruning inputs 0..63 for outputs
    0..31 empties slots 0..31 of those outputs (2 slots per group of 4 inputs), the condensed tile (0, 0):
    7 folds run."""
    layer, hw = fc(), skipping()
    mask = nm_mask(synthetic_weights(layer, 0), 2, 4)
    mask[:32, :64] = False
    program, result = run(layer, hw, mask)
    assert (program.details["nm_n"], program.details["nm_m"]) == (2, 4)
    assert result.busy_cycles == 7 * 158 and program.details["skipped_folds"] == 1


def test_without_the_key_nothing_is_skipped():
    layer = fc()
    mask = zero_tiles(np.ones(layer.weight_shape, dtype=bool), [(0, 0), (5, 1)])
    program, result = run(layer, skipping(skip_empty_tiles=False), mask)
    assert result.busy_cycles == 16 * 158 and program.details["skipped_folds"] == 0
    assert ("metadata", "read_bits") not in result.counts


def test_block_pruning_runs_faster_and_unstructured_gains_nothing():
    """MobileNet v1 0.25 at 50% on the N:M array with tile skipping (its searched mapping): blocks of the
    array's 32 x 32 leave whole tiles empty, so it runs faster than unmasked; unstructured pruning at the same
    sparsity leaves no 32 x 32 tile empty (each would need 1024 zeros at once, probability 2^-1024 per tile),
    so it takes exactly the unmasked cycles; blocks of 4 x 4 at 50% empty a tile with probability 2^-64: no
    gain either."""
    model = acs.zoo.mobilenet_v1(0.25)
    hw = hw_variant("nm_systolic", {"skip_empty_tiles": True})
    cycles = {name: acs.simulate(model, hw, masks=masks).total["cycles"] for name, masks in (
        ("none", None), ("block:32", prune_structured(model, Structure("block", block=32), 0.5, seed=0)),
        ("block:4", prune_structured(model, Structure("block", block=4), 0.5, seed=0)),
        ("unstructured", acs.prune(model, 0.5, seed=0)))}
    assert cycles["block:32"] < cycles["none"] == cycles["unstructured"] == cycles["block:4"]
