"""EIE's weight storage: a matrix sliced over N PEs and output passes, counted entry by entry (layer 5).

Row i of W (out x in) belongs to PE i mod N. Each PE stores its rows column by column (CSC): per stored entry
a ``codebook_bits`` weight index and an ``index_bits`` count of the zeros before it in the PE's slice of the
column; after 2**index_bits - 1 zeros a padding entry is stored (the rule of
:mod:`accelsim.formats.runlength`, counted here from the real mask). An output longer than the destination
registers is computed in passes of at most ``pass_rows`` rows per PE, each pass its own CSC (zero counts
restart at the pass). ``docs/eie.md`` has the paper's words.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from accelsim.units import ceil_div


@dataclass(frozen=True)
class SlicedMatrix:
    """A weight matrix (rows x cols) stored EIE's way on N PEs in passes of at most ``pass_rows`` rows per PE.

    Arrays are indexed [pass o, column j, PE p] (PEs last, so the items of a schedule gather contiguously):
    ``stored``: entries (padding included) of column j in PE p's rows of pass o; ``nnz``: its real
    non-zeros; ``start``: the offset of its first entry in PE p's entry array of pass o (the CSC pointer
    p_j). ``rows[o, p]``: PE p's rows in pass o. Local row r of PE p is global row p + N r; pass o holds
    local rows [o * pass_rows, (o + 1) * pass_rows).
    """

    n_rows: int
    n_cols: int
    stored: np.ndarray
    nnz: np.ndarray
    rows: np.ndarray

    @cached_property
    def start(self) -> np.ndarray:
        start = np.cumsum(self.stored, axis=1, dtype=np.int64) - self.stored
        return start.astype(np.int32) if start.max(initial=0) < 2**31 else start

    @property
    def passes(self) -> int:
        return self.stored.shape[0]

    def entries_per_pe(self) -> np.ndarray:
        """(N,) stored entries of each PE over all passes."""
        return self.stored.sum(axis=(0, 1), dtype=np.int64)


def _pass_rows(n_rows: int, n_pes: int, pass_rows: int) -> np.ndarray:
    """(O, N) rows of PE p in pass o."""
    per_pe = np.array([len(range(p, n_rows, n_pes)) for p in range(n_pes)], np.int64)
    n_pass = max(1, ceil_div(int(per_pe.max()), pass_rows))
    first = np.arange(n_pass)[:, None] * pass_rows
    return np.clip(per_pe[None, :] - first, 0, pass_rows)


def slice_matrix(mask, n_pes: int, pass_rows: int, index_bits: int) -> SlicedMatrix:
    """Stored entries and non-zeros of boolean ``mask`` (rows x cols) per (pass, column, PE).

    One walk over the mask in its own memory order, N rows (local row r of every PE) at a time; the mask
    is never copied, so it may be a transposed view (an embedding table is stored as its transpose).
    """
    mask = np.asarray(mask, dtype=bool)
    n_rows, n_cols = mask.shape
    rows = _pass_rows(n_rows, n_pes, pass_rows)
    depth = min(pass_rows, ceil_div(n_rows, n_pes))     # local rows of one pass (the stream length)
    stored = np.zeros((rows.shape[0], n_cols, n_pes), np.int32)
    nnz = np.zeros_like(stored)
    for o in range(rows.shape[0]):
        first = o * depth * n_pes
        nnz[o], stored[o] = _count_pass(mask[first:first + depth * n_pes], n_pes, index_bits)
    return SlicedMatrix(n_rows, n_cols, stored, nnz, rows)


def _count_pass(pass_mask: np.ndarray, n_pes: int, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(non-zeros, stored entries), each (cols, N), of one pass whose rows r N + p are local row r of PE p.

    Per stream (column j of PE p) it keeps ``seen``, 1 + the local row of its latest entry (0: none yet):
    an entry at row r follows r - seen zeros and stores (r - seen) >> index_bits padding entries before it.
    A stream of ``depth`` rows stores at most ``depth`` entries, so bytes hold every counter of a pass of
    fewer than 256 rows; the mask is read as bytes too (numpy's bool is one byte), so no operation casts.
    """
    n_cols = pass_mask.shape[1]
    order = "F" if pass_mask.strides[0] < pass_mask.strides[1] else "C"      # the mask's memory order
    depth = ceil_div(pass_mask.shape[0], n_pes)
    dtype = np.dtype(np.uint8 if depth < 2**8 else np.int64)
    count, padding, seen, scratch = (np.zeros((n_pes, n_cols), dtype, order=order) for _ in range(4))
    for r in range(depth):
        block = pass_mask[r * n_pes:(r + 1) * n_pes].view(np.uint8)
        k = block.shape[0]
        np.add(count[:k], block, out=count[:k])
        if r >> index_bits:                     # only from row 2**index_bits on can a gap need padding
            np.subtract(dtype.type(r), seen[:k], out=scratch[:k])
            np.right_shift(scratch[:k], index_bits, out=scratch[:k])
            np.multiply(scratch[:k], block, out=scratch[:k])
            np.add(padding[:k], scratch[:k], out=padding[:k])
        np.multiply(block, dtype.type(r + 1), out=scratch[:k])
        np.maximum(seen[:k], scratch[:k], out=seen[:k])
    return count.T, (count + padding).T


def dense_slice(n_rows: int, n_cols: int, n_pes: int, pass_rows: int) -> SlicedMatrix:
    """:func:`slice_matrix` of an all-True mask, without building it."""
    rows = _pass_rows(n_rows, n_pes, pass_rows)
    full = np.ascontiguousarray(np.broadcast_to(rows[:, None, :].astype(np.int32),
                                                (rows.shape[0], n_cols, n_pes)))
    return SlicedMatrix(n_rows, n_cols, full, full, rows)
