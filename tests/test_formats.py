"""Formats: hand-worked encodings (EIE's example among them), a sequential reference for the run-length rule,
property tests over random masks, the paper's Table 5 bookkeeping and every input error."""
import dataclasses
import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import accelsim.formats
from accelsim.errors import InputError
from accelsim.formats import (FORMATS, Bitmask, Compressed, Dense, RunLength, TileStats, csrc_paper_bits,
                              get_format)
from accelsim.formats.runlength import stream_entries
from accelsim.units import bits_to_bytes, bytes_to_mb

FAST = settings(max_examples=100, deadline=None)


def reference_runlength(values, index_bits):
    """The rule read literally, one element at a time: a non-zero is stored with the zeros counted since the
    previous entry; a zero met when the count is already 2**b - 1 becomes a padding entry (0, 2**b - 1);
    nothing after the last non-zero is stored."""
    values = list(values)
    last = max((i for i, x in enumerate(values) if x != 0), default=-1)
    stored, zero_runs, run = [], [], 0
    for x in values[: last + 1]:
        if x != 0 or run == 2**index_bits - 1:
            stored.append(x)
            zero_runs.append(run)
            run = 0
        else:
            run += 1
    return stored, zero_runs


def values_for(mask, dtype=np.int32):
    """Distinct non-zero values where ``mask`` is True, zeros elsewhere."""
    return (np.arange(1, mask.size + 1).reshape(mask.shape) * mask).astype(dtype)


# --- hand-worked examples -------------------------------------------------------------------------------

def test_eie_example_runlength():
    """EIE (Han et al., ISCA 2016), Sec. III-B (CSC storage), 4-bit relative indices: the column
    [0, 0, 1, 2, 18 zeros, 3] is stored as v = [1, 2, 0, 3], z = [2, 0, 15, 2]: 1 after 2 zeros, 2 after 0;
    of the 18 zeros, the first 15 are counted and the 16th becomes a padding entry (0, 15), leaving 2 before
    the 3. nnz = 3, stored = 4; with 16-bit values payload = 4 * 16 = 64 bits, metadata = 4 * 4 = 16 bits."""
    column = np.array([0, 0, 1, 2] + [0] * 18 + [3])
    fmt = RunLength(value_bits=16, index_bits=4)
    encoded = fmt.encode(column)
    assert encoded.values.tolist() == [1, 2, 0, 3]
    assert encoded.zero_runs.tolist() == [2, 0, 15, 2]
    np.testing.assert_array_equal(fmt.decode(encoded), column)
    stats = fmt.measure(column != 0)
    assert (stats.nnz.tolist(), stats.stored.tolist()) == ([3], [4])
    assert (stats.payload_bits.tolist(), stats.metadata_bits.tolist(), stats.total_bits.tolist()) == ([64], [16], [80])


def test_eie_example_as_csc_column():
    """The same column as a 23 x 1 matrix in EIE's CSC: 4-bit codebook values, 4-bit indices, 16-bit
    pointers. Pointers [0, 4] (n_cols + 1 = 2 of them). payload = 4 * 4 = 16 bits; metadata = 4 entries *
    4 bits + 2 pointers * 16 bits = 48 bits."""
    matrix = np.array([0, 0, 1, 2] + [0] * 18 + [3]).reshape(23, 1)
    fmt = Compressed(value_bits=4, index_bits=4, pointer_bits=16)
    encoded = fmt.encode(matrix)
    assert encoded.values.tolist() == [1, 2, 0, 3]
    assert encoded.zero_runs.tolist() == [2, 0, 15, 2]
    assert encoded.pointers.tolist() == [0, 4]
    stats = fmt.measure(matrix != 0)
    assert (stats.nnz.tolist(), stats.stored.tolist()) == ([3], [4])
    assert (stats.payload_bits.tolist(), stats.metadata_bits.tolist()) == ([16], [48])


@pytest.mark.parametrize("gap,zero_runs", [
    (15, [15]),            # 15 zeros fit a 4-bit count: no padding
    (16, [15, 0]),         # 16 = 15 counted + 1 padding entry; the non-zero follows it directly
    (31, [15, 15]),        # 31 = (15 + padding) + 15: one padding entry, the non-zero counts 15
    (32, [15, 15, 0]),     # 32 = 2 * (15 + padding): two padding entries, the non-zero counts 0
])
def test_runs_around_the_4bit_limit(gap, zero_runs):
    """b = 4: a gap of g zeros needs floor(g / 16) padding entries (value 0, count 15)."""
    values = np.array([0] * gap + [7])
    fmt = RunLength(index_bits=4)
    encoded = fmt.encode(values)
    assert encoded.zero_runs.tolist() == zero_runs
    assert encoded.values.tolist() == [0] * (len(zero_runs) - 1) + [7]
    assert fmt.measure(values != 0).stored.tolist() == [gap // 16 + 1]
    # the same gap after a non-zero rather than from the tile's start
    after = np.array([5] + [0] * gap + [7])
    assert fmt.encode(after).zero_runs.tolist() == [0] + zero_runs


def test_dense_and_bitmask_hand_example():
    """mask [1, 0, 0, 1, 0], 16-bit values. Dense: stored 5, payload 80 bits, metadata 0.
    Bitmask: stored 2, payload 32 bits, metadata 5 bits (one per element)."""
    mask = np.array([1, 0, 0, 1, 0], bool)
    dense, bitmask = Dense().measure(mask), Bitmask().measure(mask)
    assert (dense.nnz[0], dense.stored[0], dense.payload_bits[0], dense.metadata_bits[0]) == (2, 5, 80, 0)
    assert (bitmask.nnz[0], bitmask.stored[0], bitmask.payload_bits[0], bitmask.metadata_bits[0]) == (2, 2, 32, 5)
    encoded = Bitmask().encode(values_for(mask))
    assert encoded.mask.tolist() == mask.tolist() and encoded.values.tolist() == [1, 4]


def test_empty_all_zero_and_full_tiles():
    """Length 0: nothing anywhere. 40 zeros: dense stores 40, bitmask 40 metadata bits, run-length nothing
    (trailing zeros are not stored). 8 non-zeros: run-length stores 8 entries with count 0, 8 * 4 = 32 bits."""
    rl = RunLength(index_bits=4)
    for fmt in (Dense(), Bitmask(), rl):
        stats = fmt.measure(np.zeros(0, bool))
        assert stats.totals() == dict.fromkeys(("nnz", "stored", "payload_bits", "metadata_bits", "total_bits"), 0)
        assert fmt.decode(fmt.encode(np.zeros(0))).shape == (0,)
    zeros = np.zeros(40, bool)
    assert Dense().measure(zeros).stored.tolist() == [40]
    assert Bitmask().measure(zeros).metadata_bits.tolist() == [40]
    assert rl.measure(zeros).stored.tolist() == [0]
    assert rl.encode(np.zeros(40)).values.size == 0
    assert rl.decode(rl.encode(np.zeros(40))).tolist() == [0] * 40
    full = np.ones(8, bool)
    assert rl.encode(values_for(full)).zero_runs.tolist() == [0] * 8
    assert (rl.measure(full).stored[0], rl.measure(full).metadata_bits[0]) == (8, 32)


def test_gaps_restart_at_each_tile():
    """b = 1 (runs of at most 1 zero). Tile [1, 0, 0, 0, 0]: 1 entry, the trailing zeros are free. Tile
    [0, 0, 0, 0, 1]: 4 zeros -> 4 >> 1 = 2 padding entries + the non-zero = 3. Measured together, the second
    tile's run must start at its own first element, not at the first tile's non-zero."""
    masks = np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]], bool)
    assert RunLength(index_bits=1).measure(masks).stored.tolist() == [1, 3]


def test_csc_and_csr_hand_example():
    """4 x 3 matrix, b = 1, 8-bit pointers:
        [[1, 0, 0],
         [0, 0, 0],
         [0, 0, 2],
         [3, 0, 0]]
    CSC: column 0 = [1, 0, 0, 3]: 1 (count 0), 2 zeros -> 1 padding (0, 1), 3 (count 0); column 1 is empty;
    column 2 = [0, 0, 2, 0]: padding (0, 1), 2 (count 0), trailing zero free. stored = 3 + 0 + 2 = 5,
    pointers [0, 3, 3, 5], metadata = 5 * 1 + 4 * 8 = 37 bits.
    CSR: row 0 = [1, 0, 0]: 1; row 1 empty; row 2 = [0, 0, 2]: padding, 2; row 3 = [3, 0, 0]: 3.
    stored = 4, pointers [0, 1, 1, 3, 4], metadata = 4 * 1 + 5 * 8 = 44 bits."""
    matrix = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 2], [3, 0, 0]])
    csc = Compressed(index_bits=1, pointer_bits=8, axis="columns")
    csr = Compressed(index_bits=1, pointer_bits=8, axis="rows")
    for fmt, values, zero_runs, pointers, metadata in [
            (csc, [1, 0, 3, 0, 2], [0, 1, 0, 1, 0], [0, 3, 3, 5], 37),
            (csr, [1, 0, 2, 3], [0, 1, 0, 0], [0, 1, 1, 3, 4], 44)]:
        encoded = fmt.encode(matrix)
        assert (encoded.values.tolist(), encoded.zero_runs.tolist(), encoded.pointers.tolist()) == \
            (values, zero_runs, pointers)
        np.testing.assert_array_equal(fmt.decode(encoded), matrix)
        stats = fmt.measure(matrix != 0)
        assert (stats.nnz[0], stats.stored[0], stats.metadata_bits[0]) == (3, len(values), metadata)


def test_tile_stats_totals_and_immutability():
    """Two tiles: nnz 1 + 0, stored 1 + 0, payload 16 + 0 bits, metadata 4 + 0 bits."""
    stats = RunLength(index_bits=4).measure(np.array([[0, 1], [0, 0]], bool))
    assert stats.totals() == {"nnz": 1, "stored": 1, "payload_bits": 16, "metadata_bits": 4, "total_bits": 20}
    assert stats.stored.dtype == np.int64 and not stats.stored.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.nnz = np.zeros(2)
    assert not RunLength().encode(np.array([1, 0, 2])).values.flags.writeable


# --- Zhu & Gupta 2017, Table 5 ---------------------------------------------------------------------------

@pytest.mark.parametrize("nnz,bitmask_mb,csrc_mb", [
    (2.13e6, 0.52, 1.06), (1.09e6, 0.52, 0.54), (0.46e6, 0.52, 0.23), (0.25e6, 0.52, 0.13)])
def test_paper_table5_storage_overheads(nnz, bitmask_mb, csrc_mb):
    """Zhu & Gupta 2017, Table 5 (sparse MobileNet, 4.21M elements): bit-mask = 1 bit per element
    (4.21e6 / 8 / 1e6 = 0.526 MB, printed 0.52); CSR(C) = 4 bits per non-zero (e.g. 2.13e6 * 4 / 8 / 1e6 =
    1.065 MB, printed 1.06). The paper's NNZ are rounded to 3 digits, so agreement is to 0.01 MB."""
    elements = 4_210_000
    mask = np.zeros(elements, bool)
    mask[:: elements // int(nnz)] = True   # spread out: no run reaches 16 zeros for these densities
    bitmask_bits = int(Bitmask().measure(mask).metadata_bits[0])
    assert bytes_to_mb(bits_to_bytes(bitmask_bits)) == pytest.approx(bitmask_mb, abs=0.01)
    assert bytes_to_mb(bits_to_bytes(csrc_paper_bits(int(nnz), index_bits=4))) == pytest.approx(csrc_mb, abs=0.01)
    stats = RunLength(index_bits=4).measure(mask)
    assert int(stats.metadata_bits[0]) == csrc_paper_bits(int(stats.nnz[0]))   # no padding: the two agree


# --- properties ------------------------------------------------------------------------------------------

@st.composite
def masks_1d(draw, length=None):
    """Boolean tiles of length 0..300: all empty, all full, a few scattered non-zeros (long runs) or coin flips."""
    length = draw(st.integers(0, 300)) if length is None else length
    kind = draw(st.sampled_from(["empty", "full", "scattered", "coin"]))
    if kind in ("empty", "full"):
        return np.full(length, kind == "full")
    if kind == "coin":
        return draw(arrays(np.bool_, length))
    mask = np.zeros(length, bool)
    if length:
        mask[draw(st.lists(st.integers(0, length - 1), max_size=6))] = True
    return mask


index_bits = st.integers(1, 5)
dtypes = st.sampled_from([np.int16, np.int32, np.float32, np.float64])


@FAST
@given(mask=masks_1d(), b=index_bits, dtype=dtypes)
def test_round_trip_1d(mask, b, dtype):
    values = values_for(mask, dtype)
    for fmt in (Dense(), Bitmask(), RunLength(index_bits=b)):
        decoded = fmt.decode(fmt.encode(values))
        assert decoded.dtype == values.dtype
        np.testing.assert_array_equal(decoded, values)


@FAST
@given(mask=masks_1d(), b=index_bits)
def test_runlength_matches_sequential_reference(mask, b):
    values = values_for(mask)
    encoded = RunLength(index_bits=b).encode(values)
    assert (encoded.values.tolist(), encoded.zero_runs.tolist()) == reference_runlength(values, b)
    assert encoded.zero_runs.max(initial=0) <= 2**b - 1


@FAST
@given(data=st.data(), length=st.integers(1, 300), n_streams=st.integers(1, 5), b=index_bits)
def test_stream_entries_place_every_stored_entry(data, length, n_streams, b):
    """Each stored entry's stream and position, walked from the sequential reference: an entry stands one
    position after its zero run (a padding entry at the position of the zero it replaces)."""
    streams = np.array([data.draw(masks_1d(length)) for _ in range(n_streams)])
    expected = ([], [], [])
    for sid, row in enumerate(streams):
        stored, zero_runs = reference_runlength(values_for(row), b)
        position = -1
        for value, run in zip(stored, zero_runs):
            position += run + 1
            for column, item in zip(expected, (sid, position, value != 0)):
                column.append(item)
    got_stream, got_position, got_real, stored_per_stream = stream_entries(streams, b)
    assert (got_stream.tolist(), got_position.tolist(), got_real.tolist()) == expected
    assert stored_per_stream.tolist() == [expected[0].count(sid) for sid in range(n_streams)]


@FAST
@given(data=st.data(), length=st.integers(0, 300), n_tiles=st.integers(0, 5), b=index_bits)
def test_measure_agrees_with_encode_per_tile(data, length, n_tiles, b):
    """measure() of a stack of tiles equals, tile by tile, the lengths encode() produces."""
    tiles = [data.draw(masks_1d(length)) for _ in range(n_tiles)]
    masks = np.array(tiles, bool).reshape(n_tiles, length)
    for fmt in (Dense(value_bits=8), Bitmask(value_bits=8), RunLength(value_bits=8, index_bits=b)):
        stats = fmt.measure(masks)
        assert stats.nnz.shape == (n_tiles,)
        for i, tile in enumerate(masks):
            encoded = fmt.encode(values_for(tile))
            assert stats.nnz[i] == tile.sum()
            assert stats.stored[i] == encoded.values.size
            assert stats.payload_bits[i] == 8 * encoded.values.size
            expected_metadata = {"dense": 0, "bitmask": length, "runlength": b * encoded.values.size}[fmt.name]
            assert stats.metadata_bits[i] == expected_metadata


@FAST
@given(mask=masks_1d(), b=index_bits)
def test_stored_vs_nnz(mask, b):
    """stored >= nnz, with equality exactly when no gap before a non-zero exceeds 2**b - 1 zeros."""
    stats = RunLength(index_bits=b).measure(mask)
    gaps = np.diff(np.flatnonzero(np.concatenate(([True], mask)))) - 1
    assert stats.stored[0] >= stats.nnz[0]
    assert (stats.stored[0] == stats.nnz[0]) == bool(gaps.max(initial=0) <= 2**b - 1)


@st.composite
def masks_2d(draw):
    rows, cols = draw(st.integers(0, 12)), draw(st.integers(0, 12))
    return draw(masks_1d(rows * cols)).reshape(rows, cols)


@FAST
@given(mask=masks_2d(), b=index_bits, dtype=dtypes)
def test_compressed_properties(mask, b, dtype):
    """Round trip on both axes; measure agrees with encode; CSR of X is CSC of X transposed; each column's
    stream is exactly RunLength's encoding of that column."""
    values = values_for(mask, dtype)
    csc = Compressed(value_bits=8, index_bits=b, pointer_bits=16, axis="columns")
    csr = Compressed(value_bits=8, index_bits=b, pointer_bits=16, axis="rows")
    for fmt, n_streams in ((csc, mask.shape[1]), (csr, mask.shape[0])):
        encoded = fmt.encode(values)
        np.testing.assert_array_equal(fmt.decode(encoded), values)
        assert encoded.pointers.size == n_streams + 1 and encoded.pointers[-1] == encoded.values.size
        stats = fmt.measure(mask)
        assert (stats.nnz[0], stats.stored[0]) == (mask.sum(), encoded.values.size)
        assert stats.metadata_bits[0] == b * encoded.values.size + 16 * (n_streams + 1)
    by_rows, by_columns_of_transpose = csr.encode(values), csc.encode(values.T)
    for name in ("values", "zero_runs", "pointers"):
        np.testing.assert_array_equal(getattr(by_rows, name), getattr(by_columns_of_transpose, name))
    encoded = csc.encode(values)
    rl = RunLength(index_bits=b)
    for j in range(mask.shape[1]):
        column = slice(encoded.pointers[j], encoded.pointers[j + 1])
        assert encoded.zero_runs[column].tolist() == rl.encode(values[:, j]).zero_runs.tolist()


@FAST
@given(data=st.data(), n_tiles=st.integers(0, 4), b=index_bits)
def test_compressed_measure_vectorised_over_tiles(data, n_tiles, b):
    shape = (data.draw(st.integers(0, 8)), data.draw(st.integers(0, 8)))
    masks = np.array([data.draw(masks_1d(shape[0] * shape[1])) for _ in range(n_tiles)], bool)
    masks = masks.reshape(n_tiles, *shape)
    fmt = Compressed(index_bits=b)
    together = fmt.measure(masks)
    for i in range(n_tiles):
        alone = fmt.measure(masks[i])
        assert (together.stored[i], together.metadata_bits[i]) == (alone.stored[0], alone.metadata_bits[0])


# --- registry and input errors ---------------------------------------------------------------------------

def test_registry():
    assert set(FORMATS) == {"dense", "bitmask", "runlength", "compressed", "nm", "bsr"}
    assert get_format("runlength", value_bits=8, index_bits=5) == RunLength(value_bits=8, index_bits=5)
    assert get_format("compressed", axis="rows").axis == "rows"
    assert isinstance(get_format("dense").measure(np.ones(3, bool)), TileStats)


def test_package_docstring_example_runs():
    assert doctest.testmod(accelsim.formats).failed == 0


@pytest.mark.parametrize("name,params,named", [
    ("csr-magic", {}, "format"),
    ("dense", {"index_bits": 4}, "dense.index_bits"),
    ("dense", {"value_bits": 0}, "dense.value_bits"),
    ("bitmask", {"value_bits": -3}, "bitmask.value_bits"),
    ("runlength", {"value_bits": 2.5}, "runlength.value_bits"),
    ("runlength", {"index_bits": 0}, "runlength.index_bits"),
    ("runlength", {"index_bits": True}, "runlength.index_bits"),
    ("runlength", {"index_bits": 33}, "runlength.index_bits"),
    ("compressed", {"index_bits": -1}, "compressed.index_bits"),
    ("compressed", {"pointer_bits": 0}, "compressed.pointer_bits"),
    ("compressed", {"axis": "diagonal"}, "compressed.axis"),
])
def test_bad_format_or_parameter(name, params, named):
    with pytest.raises(InputError) as error:
        get_format(name, **params)
    assert named in str(error.value) and "expected" in str(error.value)


def test_bad_parameter_on_direct_construction():
    with pytest.raises(InputError, match=r"runlength\.index_bits.*expected an integer from 1 to 32"):
        RunLength(index_bits=0)


@pytest.mark.parametrize("fmt,masks,why", [
    (RunLength(), np.array([1, 0, 1]), "boolean"),
    (Bitmask(), np.array([0.0, 1.0]), "boolean"),
    (RunLength(), np.zeros((2, 3, 4), bool), "dimensions"),
    (Dense(), np.bool_(True), "dimensions"),
    (Compressed(), np.zeros(5, bool), "dimensions"),
    (Compressed(), np.zeros((1, 2, 3, 4), bool), "dimensions"),
])
def test_bad_masks(fmt, masks, why):
    with pytest.raises(InputError, match=why) as error:
        fmt.measure(masks)
    assert "masks" in str(error.value)


@pytest.mark.parametrize("fmt,values,why", [
    (RunLength(), np.zeros((2, 2)), "dimension"),
    (Compressed(), np.zeros(4), "dimension"),
    (Bitmask(), np.array(["a", "b"]), "numeric"),
])
def test_bad_values(fmt, values, why):
    with pytest.raises(InputError, match=why) as error:
        fmt.encode(values)
    assert "values" in str(error.value)
