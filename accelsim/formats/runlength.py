"""Run-length storage: each stored entry is (value, zeros before it), with padding entries (layer 2).

The rule, as in EIE (Han et al., ISCA 2016, Sec. III-B: relative-indexed CSC) and SCNN (Parashar et al.,
ISCA 2017: 4-bit zero-run index vector with placeholder zeros): with ``b = index_bits``, each stored entry
holds a value and a b-bit count of the zeros between it and the previous stored entry of its stream (or
the stream's start). A run longer than ``2**b - 1`` zeros is broken by padding entries (value 0, count
``2**b - 1``); a padding entry stands in the position after its ``2**b - 1`` zeros, so a gap of ``g`` zeros
before a non-zero needs ``g >> b == floor(g / 2**b)`` padding entries, and the non-zero keeps the count
``g - (g >> b) * 2**b``. Zeros after a stream's last non-zero are not stored.

EIE's example (b = 4): ``[0, 0, 1, 2, 18 zeros, 3]`` -> values ``[1, 2, 0, 3]``, counts ``[2, 0, 15, 2]``.

The stream functions here work on many streams at once (rows of a 2-D array) and are what
:mod:`accelsim.formats.compressed` uses for its columns or rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.formats.base import Format, readonly
from accelsim.schema import Int, field_spec

MAX_INDEX_BITS = 32
"""Widest zero-run count accepted (bits); wider counts never pad any tile that fits in memory."""


def csrc_paper_bits(nnz: int, index_bits: int = 4) -> int:
    """CSR(C) overhead as Zhu & Gupta 2017 count it (Sec. 5, Table 5): ``index_bits`` per non-zero (bits).

    Padding entries are ignored, so this equals :class:`RunLength` ``metadata_bits`` only when no run of
    zeros exceeds ``2**index_bits - 1``; the real cost of a mask is ``RunLength.measure``.
    """
    return nnz * index_bits


def _layout(masks: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the entries of each row of boolean ``masks`` (n_streams, length) go, all as int64.

    Returns ``(positions, gaps, padding, stored_per_stream)``: the flat (C-order) positions of the True
    elements; for each, the False elements since the previous True of its stream (or the stream's start)
    and the padding entries stored before it; and each stream's stored entries (non-zeros + padding).
    """
    length = masks.shape[1]
    nnz = np.count_nonzero(masks, axis=1).astype(np.int64)
    end = np.cumsum(nnz)
    positions = np.flatnonzero(masks)
    gaps = np.empty_like(positions)
    np.subtract(np.diff(positions), 1, out=gaps[1:])  # within a stream: zeros since the previous entry
    first = (end - nnz)[nnz > 0]  # each non-empty stream's first entry: count from the stream's start
    gaps[first] = positions[first] - np.flatnonzero(nnz) * length
    padding = gaps >> index_bits
    if not padding.any():   # no run needs padding (dense or mildly sparse streams): one pass less
        return positions, gaps, padding, nnz
    padding_so_far = np.zeros(padding.size + 1, np.int64)
    np.cumsum(padding, out=padding_so_far[1:])
    return positions, gaps, padding, nnz + padding_so_far[end] - padding_so_far[end - nnz]


def count_stored(masks: np.ndarray, index_bits: int) -> np.ndarray:
    """Stored entries (non-zeros + padding) of each row of boolean ``masks`` (n_streams, length), as int64."""
    return _layout(masks, index_bits)[3]


def encode_streams(values: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Encode each row of ``values`` (n_streams, length) as a zero-run stream, all streams concatenated.

    Returns ``(stored_values, zero_runs, stored_per_stream)``: the stored values (padding entries are
    zeros of ``values.dtype``), each entry's zero count (int64, < ``2**index_bits``) and the number of
    entries of each stream (int64, shape (n_streams,)).
    """
    positions, gaps, padding, stored_per_stream = _layout(values != 0, index_bits)
    slots = np.arange(positions.size) + np.cumsum(padding)
    n_stored = int(stored_per_stream.sum())
    stored_values = np.zeros(n_stored, values.dtype)
    stored_values[slots] = values.reshape(-1)[positions]
    zero_runs = np.full(n_stored, (1 << index_bits) - 1, np.int64)
    zero_runs[slots] = gaps - (padding << index_bits)
    return stored_values, zero_runs, stored_per_stream


def stream_entries(masks: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every stored entry of the zero-run streams of boolean ``masks`` (n_streams, length), padding
    included, in storage order: its stream and its position in the stream (int64), whether it is a
    non-zero (bool); and each stream's stored entries (int64, shape (n_streams,)).

    A padding entry stands ``2**index_bits`` positions after the entry before it, so the ``k``-th padding
    entry before a non-zero with ``g`` zeros before it (previous entry at ``q = position - g - 1``) is at
    ``q + k * 2**index_bits``.
    """
    length = masks.shape[1]
    positions, gaps, padding, stored_per_stream = _layout(masks, index_bits)
    stream, position = np.divmod(positions, length)
    n_padding = int(padding.sum())
    if n_padding == 0:
        return stream, position, np.ones(positions.size, bool), stored_per_stream
    padding_through = np.cumsum(padding)
    slots = np.arange(positions.size) + padding_through          # each non-zero's place among the entries
    owner = np.repeat(np.arange(positions.size), padding)         # the non-zero each padding entry precedes
    nth = np.arange(n_padding) - (padding_through - padding)[owner] + 1     # k = 1 .. its non-zero's padding
    all_stream = np.empty(positions.size + n_padding, np.int64)
    all_position = np.empty_like(all_stream)
    real = np.zeros(all_stream.size, bool)
    real[slots] = True
    all_stream[slots], all_position[slots] = stream, position
    pad_slots = slots[owner] - padding[owner] + nth - 1
    all_stream[pad_slots] = stream[owner]
    all_position[pad_slots] = position[owner] - gaps[owner] - 1 + (nth << index_bits)
    return all_stream, all_position, real, stored_per_stream


def decode_streams(stored_values: np.ndarray, zero_runs: np.ndarray, pointers: np.ndarray,
                   length: int) -> np.ndarray:
    """Inverse of :func:`encode_streams`: ``pointers`` (n_streams + 1) delimit each stream's entries.

    Returns the streams as rows of an array (n_streams, length) of ``stored_values.dtype``.
    """
    stored_per_stream = np.diff(pointers)
    out = np.zeros((stored_per_stream.size, length), stored_values.dtype)
    ends = np.cumsum(zero_runs + 1)  # 1 + each entry's position, were all streams one
    stream_offsets = np.concatenate(([0], ends))[pointers[:-1]]
    rows = np.repeat(np.arange(stored_per_stream.size), stored_per_stream)
    out[rows, ends - np.repeat(stream_offsets, stored_per_stream) - 1] = stored_values
    return out


@dataclass(frozen=True)
class RunLengthTile:
    """One run-length tile: stored ``values`` and ``zero_runs`` (entries, padding included), and the tile
    ``length`` (elements), which keeps the trailing zeros the stream leaves out."""

    values: np.ndarray
    zero_runs: np.ndarray
    length: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", readonly(self.values))
        object.__setattr__(self, "zero_runs", readonly(self.zero_runs, np.int64))


@dataclass(frozen=True)
class RunLength(Format):
    """(value, b-bit zero count) entries with padding: stored = nnz + padding (entries),
    metadata = stored * ``index_bits`` (bits). The format of SCNN, and of each EIE column."""

    name = "runlength"

    index_bits: int = field_spec(Int(1, MAX_INDEX_BITS, "bits"), default=4, help="one zero-run count")

    def _count(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        stored = count_stored(masks, self.index_bits)
        return stored, stored * self.index_bits

    def _encode(self, values: np.ndarray) -> RunLengthTile:
        stored_values, zero_runs, _ = encode_streams(values[np.newaxis], self.index_bits)
        return RunLengthTile(stored_values, zero_runs, values.size)

    def decode(self, encoded: RunLengthTile) -> np.ndarray:
        pointers = np.array([0, encoded.values.size])
        return decode_streams(encoded.values, encoded.zero_runs, pointers, encoded.length)[0]
