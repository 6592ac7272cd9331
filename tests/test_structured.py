"""Structured pruning (N:M, block, channel) and its formats (N:M compressed, BSR): hand-worked masks, the
reduction order of convolutions, Mishra et al. 2021's metadata accounting (Sec. 3.1: 12.5% at 16-bit, 25% at
8-bit for 2:4; Fig. 1's positions), exact round trips, and the footprint columns worked by hand."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accelsim.compile.footprint import footprint
from accelsim.errors import InputError, MaskError
from accelsim.formats import BlockSparse, NMCompressed, get_format
from accelsim.pruning.structured import (Structure, block_mask, channel_mask, nm_complies, nm_mask,
                                         parse_structure, prune_structured, reduction_rows)
from accelsim.workloads import Conv2D, Embedding, Linear, Model

FAST = settings(max_examples=60, deadline=None)


# --- masks, by hand ---------------------------------------------------------------------------------------

def test_nm_keeps_two_largest_of_every_four_and_all_of_a_short_last_group():
    row = np.array([[3, 1, -4, 1, 5, 9, 2, 6, 5, 3]], float)
    # groups |3 1 4 1| -> 3, -4; |5 9 2 6| -> 9, 6; last group of 2 <= N keeps both
    assert nm_mask(row, 2, 4).astype(int).tolist() == [[1, 0, 1, 0, 0, 1, 0, 1, 1, 1]]
    # a last group of 3 keeps its 1 largest at 1:4
    assert nm_mask(np.array([[1, 2, 3, 4, 7, 9, 8.0]]), 1, 4).astype(int).tolist() == [[0, 0, 0, 1, 0, 1, 0]]


def test_nm_ties_prune_the_lowest_column_first():
    assert nm_mask(np.ones((1, 4)), 2, 4).astype(int).tolist() == [[0, 0, 1, 1]]


def test_conv_groups_run_along_input_channels_at_each_kernel_position():
    w = np.zeros((1, 4, 1, 2))                       # (out, in, kh, kw)
    w[0, :, 0, 0] = [1, 2, 3, 4]                     # kernel position 0, channels 0..3
    w[0, :, 0, 1] = [8, 7, 6, 5]                     # kernel position 1
    assert reduction_rows(w).tolist() == [[1, 2, 3, 4, 8, 7, 6, 5]]
    mask = nm_mask(w, 2, 4)
    assert mask[0, :, 0, 0].astype(int).tolist() == [0, 0, 1, 1]
    assert mask[0, :, 0, 1].astype(int).tolist() == [1, 1, 0, 0]
    assert nm_complies(mask, 2, 4) and not nm_complies(mask, 1, 4) and not nm_complies(np.ones((1, 4, 1, 2), bool), 2, 4)


def test_block_prunes_blocks_of_smallest_l2_norm():
    w = np.array([[1, 1, 0, 0], [1, 1, 0, 0.5], [3, 0, 0, 0]])
    # 2x2 blocks (edge blocks smaller): norms (0,0)=2, (0,1)=0.5, (1,0)=3, (1,1)=0; half of 4 -> prune 2
    assert block_mask(w, 2, 0.5).astype(int).tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]]


def test_channel_prunes_whole_output_channels_of_smallest_l1_norm():
    w = np.array([[1, -1], [0, 3], [0.5, 0]])        # L1 = 2, 3, 0.5; a third of 3 rows -> prune 1
    assert channel_mask(w, 1 / 3).astype(int).tolist() == [[1, 1], [1, 1], [0, 0]]
    conv = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    assert channel_mask(conv, 0.5)[0].sum() == 0 and channel_mask(conv, 0.5)[1].all()


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 13)),
              elements=st.floats(-10, 10, allow_nan=False)), st.sampled_from([(1, 2), (2, 4), (4, 8), (1, 4)]))
@FAST
def test_nm_mask_properties(weights, nm):
    n, m = nm
    mask = nm_mask(weights, n, m)
    k = weights.shape[1]
    assert nm_complies(mask, n, m)
    assert (mask.sum(axis=1) == k // m * n + min(n, k % m)).all()     # exactly N kept per group
    # every kept weight is at least as large as every pruned one of its group
    for start in range(0, k, m):
        group, kept = np.abs(weights[:, start:start + m]), mask[:, start:start + m]
        for g, keep in zip(group, kept):
            if keep.any() and (~keep).any():
                assert g[keep].min() >= g[~keep].max()


@pytest.mark.parametrize("text,expected", [
    ("2:4", Structure("nm", n=2, m=4)), ("1:2", Structure("nm", n=1, m=2)), ("block:4", Structure("block", block=4)),
    ("channel", Structure("channel")), ("unstructured", Structure()), (" 4:8 ", Structure("nm", n=4, m=8))])
def test_parse_structure(text, expected):
    assert parse_structure(text) == expected
    assert str(expected) == text.strip()


@pytest.mark.parametrize("text", ["5:4", "0:4", "2:", "block:0", "block", "rows", "2:4:8"])
def test_parse_structure_refuses(text):
    with pytest.raises(InputError, match="--structure"):
        parse_structure(text)


def tiny_model():
    return Model("tiny", "test", (
        Conv2D("conv", in_channels=8, out_channels=4, kernel_h=3, kernel_w=3, in_h=6, in_w=6),
        Linear("fc", in_features=16, out_features=3),
        Embedding("emb", vocab_size=10, dim=4)))


def test_prune_structured_nm_sets_its_sparsity_and_leaves_embeddings_dense():
    masks = prune_structured(tiny_model(), parse_structure("2:4"), seed=0)
    assert masks.sparsity("conv") == 0.5 and masks.sparsity("fc") == 0.5 and masks.sparsity("emb") == 0.0
    assert nm_complies(masks["conv"], 2, 4) and nm_complies(masks["fc"], 2, 4)
    with pytest.raises(InputError, match="--sparsity"):
        prune_structured(tiny_model(), parse_structure("2:4"), 0.5, seed=0)
    with pytest.raises(InputError, match="--sparsity"):
        prune_structured(tiny_model(), parse_structure("channel"), seed=0)
    channels = prune_structured(tiny_model(), parse_structure("channel"), 0.5, seed=0)
    assert channels.sparsity("conv") == 0.5 and channels["conv"].reshape(4, -1).all(axis=1).sum() == 2


# --- formats ------------------------------------------------------------------------------------------------

def test_mishra_metadata_accounting_for_2of4():
    half = np.tile([True, False], (6, 8))               # 2 of every 4 kept
    for value_bits, overhead in ((16, 0.125), (8, 0.25)):
        stats = NMCompressed(value_bits=value_bits, n=2, m=4).measure(half).totals()
        assert stats["metadata_bits"] / stats["payload_bits"] == overhead
    # 16-bit: 2 x 16 + 2 x 2 = 36 bits instead of 64 per group, about 44% saved (Mishra Sec. 3.1)
    stats = NMCompressed(value_bits=16, n=2, m=4).measure(half).totals()
    assert stats["total_bits"] / (half.size * 16) == 36 / 64


def test_mishra_figure1_positions():
    row = np.array([5, 0, 0, 7, 0, 3, 2, 0])          # non-zeros at 0, 3 | 1, 2 of their groups
    tile = NMCompressed(n=2, m=4).encode(row)
    assert tile.positions.tolist() == [0, 3, 1, 2] and tile.values.tolist() == [5, 7, 3, 2]


def test_nm_pads_groups_with_fewer_than_n_and_refuses_more():
    fmt = NMCompressed(value_bits=16, n=2, m=4)
    row = np.array([0, 3, 0, 5, 1, 0, 0, 0, 0, 0, 0, 0, 7, 8])     # 4 groups: 2, 1, 0 and 2 (last of 2)
    stats = fmt.measure(row != 0).totals()
    assert (stats["nnz"], stats["stored"], stats["metadata_bits"]) == (5, 8, 16)
    assert fmt.decode(fmt.encode(row)).tolist() == row.tolist()
    with pytest.raises(MaskError, match="2:4"):
        fmt.measure(np.array([True, True, True, False]))
    with pytest.raises(InputError, match="nm.n"):
        get_format("nm", n=5, m=4)


def test_bsr_hand_example():
    values = np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 2], [0, 0, 0, 0, 0]])
    fmt = BlockSparse(value_bits=16, block=2, index_bits=16, pointer_bits=32)
    tile = fmt.encode(values)
    assert tile.indices.tolist() == [0, 2] and tile.pointers.tolist() == [0, 2, 2]
    stats = fmt.measure(values != 0).totals()
    # 2 blocks of 4 stored; 2 x 16-bit indices + 3 x 32-bit pointers
    assert (stats["stored"], stats["metadata_bits"]) == (8, 2 * 16 + 3 * 32)
    assert fmt.decode(tile).tolist() == values.tolist()
    with pytest.raises(InputError, match="bsr.block"):
        get_format("bsr", block=0)


@given(arrays(np.int32, st.tuples(st.integers(1, 4), st.integers(1, 11)), elements=st.integers(-3, 3)),
       st.sampled_from([(1, 2), (2, 4), (4, 8)]), st.integers(1, 4))
@FAST
def test_round_trips(values, nm, block):
    n, m = nm
    pruned = values * nm_mask(values, n, m)
    fmt = NMCompressed(n=n, m=m)
    for row in pruned:
        assert fmt.decode(fmt.encode(row)).tolist() == row.tolist()
    bsr = BlockSparse(block=block)
    assert bsr.decode(bsr.encode(values)).tolist() == values.tolist()


def test_footprint_columns_by_hand():
    model = Model("fc_only", "test", (Linear("fc", in_features=8, out_features=2, bias=False),))
    masks = prune_structured(model, parse_structure("2:4"), seed=0)
    fp = footprint(model, 0.5, masks, nm=(2, 4), block=4)
    # 2 rows x 2 groups x 2 values x 2 bits = 16 bits; no padding (every group has 2 non-zeros)
    assert fp.nm_overhead_mb == pytest.approx(2 / 1e6)
    # BSR 4x4 over a 2x8 matrix: 2 blocks (both hold non-zeros) of 16 entries, 8 of them real:
    # 2 x 16-bit indices + 2 x 32-bit pointers + 24 padded zeros x 32 bits
    assert fp.bsr_overhead_mb == pytest.approx((2 * 16 + 2 * 32 + 24 * 32) / 8 / 1e6)
    assert np.isnan(footprint(model, 0.5, masks).nm_overhead_mb)
