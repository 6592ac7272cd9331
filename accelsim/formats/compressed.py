"""Compressed sparse columns or rows (CSC/CSR), written once for both axes (layer 2).

EIE's format (Han et al., ISCA 2016, Sec. III-B): each column of a matrix is a run-length stream of
(value, ``index_bits`` zero count) entries with padding (:mod:`accelsim.formats.runlength`), and a pointer
array of n_columns + 1 entries, ``pointer_bits`` each, gives where each column's entries start (EIE: 4-bit
relative indices, 16-bit column pointers). Rows are the same thing on the transpose, as in scipy.sparse.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.formats.base import Format, readonly
from accelsim.formats.runlength import MAX_INDEX_BITS, count_stored, decode_streams, encode_streams
from accelsim.schema import Int, OneOf, field_spec

AXES = ("columns", "rows")


@dataclass(frozen=True)
class CompressedTile:
    """One compressed 2-D tile: stored ``values`` and ``zero_runs`` of all streams (columns for CSC, rows
    for CSR) one after another, ``pointers`` (n_streams + 1 entry offsets: stream k is entries
    ``pointers[k]:pointers[k + 1]``) and the tile ``shape`` (rows, columns)."""

    values: np.ndarray
    zero_runs: np.ndarray
    pointers: np.ndarray
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", readonly(self.values))
        object.__setattr__(self, "zero_runs", readonly(self.zero_runs, np.int64))
        object.__setattr__(self, "pointers", readonly(self.pointers, np.int64))
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))


@dataclass(frozen=True)
class Compressed(Format):
    """CSC (``axis="columns"``) or CSR (``axis="rows"``) with run-length streams and pointers.

    stored = non-zeros + padding over all streams (entries); metadata = stored * ``index_bits``
    + (n_streams + 1) * ``pointer_bits`` (bits). Tiles are 2-D: masks are (n_tiles, rows, columns).
    """

    name = "compressed"
    tile_ndim = 2

    index_bits: int = field_spec(Int(1, MAX_INDEX_BITS, "bits"), default=4, help="one zero-run count")
    pointer_bits: int = field_spec(Int(1, None, "bits"), default=16, help="one stream pointer")
    axis: str = field_spec(OneOf(AXES), default="columns", help="streams along columns (CSC) or rows (CSR)")

    def _streams(self, tiles: np.ndarray) -> np.ndarray:
        """``tiles`` (..., rows, columns) -> (..., streams, stream length); its own inverse."""
        return tiles.swapaxes(-1, -2) if self.axis == "columns" else tiles

    def _count(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        streams = self._streams(masks)
        n_tiles, n_streams, length = streams.shape
        stored = count_stored(streams.reshape(n_tiles * n_streams, length), self.index_bits)
        stored = stored.reshape(n_tiles, n_streams).sum(axis=1)
        return stored, stored * self.index_bits + (n_streams + 1) * self.pointer_bits

    def _encode(self, values: np.ndarray) -> CompressedTile:
        stored_values, zero_runs, stored_per_stream = encode_streams(self._streams(values), self.index_bits)
        pointers = np.concatenate(([0], np.cumsum(stored_per_stream)))
        return CompressedTile(stored_values, zero_runs, pointers, values.shape)

    def decode(self, encoded: CompressedTile) -> np.ndarray:
        length = encoded.shape[0] if self.axis == "columns" else encoded.shape[1]
        streams = decode_streams(encoded.values, encoded.zero_runs, encoded.pointers, length)
        return np.ascontiguousarray(self._streams(streams))
