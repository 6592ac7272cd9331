"""A layer's matrix work cut into the steps of its Program: weight tiles and segments (layer 5).

**Weight tiles.** A resident layer's passes are loaded whole. A layer that does not fit the weight SRAM is
cut, per pass, into column tiles of at most half the SRAM (double-buffered: the next tile loads while one
computes), streamed from DRAM for every input vector; the PEs drain at tile boundaries.

**Segments.** One per (distinct input vector, pass, tile): the non-zero input columns of the tile (the
items the broadcaster sends), the broadcaster's pauses (reloading the source registers before each input
batch of ``vector_batch`` columns), the DRAM bytes loaded before it (streamed weights, the part of a long
input beyond the activation SRAM) and stored after it (the part of a long output beyond it), and the
destination write-back that ends a pass of a multi-pass output. The steps of a Program replay the segments
of each step's vector in order (:meth:`Segments.expand`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.eie.config import EieConfig
from accelsim.accelerators.eie.lowering import MatrixWork
from accelsim.accelerators.eie.storage import SlicedMatrix
from accelsim.errors import ConfigError
from accelsim.units import bits_to_bytes, bytes_holding_bits, ceil_div

#: Elements of the schedule's cost array built at once (bounds memory on long sequences).
CHUNK_ELEMENTS = 1 << 22

Tiles = list[list[tuple[int, int]]]


def column_tiles(matrix: SlicedMatrix, cfg: EieConfig, resident: bool, layer: str) -> Tiles:
    """Per pass, the column ranges loaded together: the whole pass when resident, else greedy tiles whose
    entries fit half the sparse-matrix SRAM and entries + pointers half of both SRAMs, on every PE. A
    column slice too large for that is a ConfigError naming ``layer`` (it depends on the layer's masks, so
    no check before the run can find it)."""
    n_cols = matrix.n_cols
    if resident:
        return [[(0, n_cols)] for _ in range(matrix.passes)]
    entry_bytes = matrix.stored.transpose(0, 2, 1) * bits_to_bytes(cfg.entry_bits)     # [o, p, j]
    limit_entries, limit_all = cfg.spmat_bytes / 2, (cfg.spmat_bytes + cfg.ptr_bytes) / 2
    ptr_bytes = bits_to_bytes(cfg.pointer_bits)
    out = []
    for o in range(matrix.passes):
        cum = np.zeros((cfg.n_pes, n_cols + 1))
        np.cumsum(entry_bytes[o], axis=1, out=cum[:, 1:])
        tiles, lo = [], 0
        while lo < n_cols:
            used = cum[:, lo + 1:] - cum[:, lo:lo + 1]                      # (N, n_cols - lo)
            with_ptr = used + (np.arange(1, n_cols - lo + 1) + 1) * ptr_bytes
            fits = (used.max(axis=0) <= limit_entries) & (with_ptr.max(axis=0) <= limit_all)
            count = int(np.argmin(fits)) if not fits.all() else n_cols - lo
            if count == 0:
                raise ConfigError(f"layer {layer}: one column slice does not fit half the sparse-matrix SRAM",
                                  key=f"buffers.{cfg.spmat}.size_bytes",
                                  expected="half of it to hold one column slice's entries and pointers",
                                  got=f"{int(used[:, 0].max())} bytes of entries in a slice, "
                                      f"{cfg.spmat_bytes} bytes of SRAM")
            tiles.append((lo, lo + count))
            lo += count
        out.append(tiles)
    return out


def matrix_bytes(matrix: SlicedMatrix, cfg: EieConfig, o: int, lo: int, hi: int) -> int:
    """DRAM bytes of columns lo..hi of pass o on all PEs: entries and pointers."""
    entries = int(matrix.stored[o, lo:hi].sum(dtype=np.int64))
    pointers = (hi - lo + 1) * cfg.n_pes
    return bytes_holding_bits(entries * cfg.entry_bits + pointers * cfg.pointer_bits)


@dataclass(frozen=True)
class Segments:
    """The steps of one distinct input vector after another: per segment (a pass's tile for a vector) its
    pass, items (active columns), broadcaster gaps and memory traffic; ``first[v]`` is the first segment
    of distinct vector v (its segments are first[v] .. first[v + 1] - 1)."""

    pass_: np.ndarray       # (S,)
    offsets: np.ndarray     # (S + 1,) into columns / gaps
    columns: np.ndarray     # concatenated active columns
    gaps: np.ndarray        # concatenated broadcaster gaps (cycles)
    tail: np.ndarray        # (S,) cycles the broadcaster reloads after the segment's last item
    load_bytes: np.ndarray  # (S,)
    store_bytes: np.ndarray  # (S,)
    writeback: np.ndarray   # (S, N) destination write-back cycles at the end of the step
    first: np.ndarray       # (U + 1,)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def expand(self, order: np.ndarray) -> np.ndarray:
        """Segment indices of the steps of vectors ``order``, in order."""
        begin, count = self.first[order], np.diff(self.first)[order]
        within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        return np.repeat(begin, count) + within

    def occurrences(self, order: np.ndarray) -> np.ndarray:
        """(S,) how many times each segment runs."""
        per_vector = np.bincount(order, minlength=len(self.first) - 1)
        return np.repeat(per_vector, np.diff(self.first))


def build_segments(work: MatrixWork, cfg: EieConfig, tiles: Tiles, streamed: bool) -> Segments:
    """The segments of ``work`` cut into ``tiles`` (streamed from DRAM when ``streamed``)."""
    matrix = work.matrix
    n_batches = 1 if work.lookup else ceil_div(matrix.n_cols, cfg.vector_batch)
    reload = cfg.reload_cycles if n_batches > 1 else 0
    wb_bits = matrix.rows * cfg.activation_bits                             # (O, N) destination bits
    wb_cycles = cfg.writeback_cycles(wb_bits) if matrix.passes > 1 else np.zeros_like(wb_bits)
    capacity = cfg.sram_activations * cfg.n_pes                              # activations on chip
    in_dram = 0 if work.lookup else math.ceil(max(0, matrix.n_cols - capacity) * cfg.activation_bytes)
    out_dram = math.ceil(max(0, matrix.n_rows - capacity) * cfg.activation_bytes)      # per vector
    tile_bytes = [[matrix_bytes(matrix, cfg, o, lo, hi) if streamed else 0 for lo, hi in tiles[o]]
                  for o in range(matrix.passes)]
    pas, cols, gaps, tail, load, store, wb, first, offsets = [], [], [], [], [], [], [], [0], [0]
    for vector in work.vectors:
        columns = np.flatnonzero(vector)
        batch = columns // cfg.vector_batch
        pass_gaps = reload * np.diff(batch, prepend=-1)
        pass_tail = reload * (n_batches - 1 - (int(batch[-1]) if batch.size else -1))
        for o in range(matrix.passes):
            for t, (lo, hi) in enumerate(tiles[o]):
                inside = slice(*np.searchsorted(columns, [lo, hi]))
                last = t == len(tiles[o]) - 1
                pas.append(o)
                cols.append(columns[inside])
                gaps.append(pass_gaps[inside])
                tail.append(pass_tail if last else 0)
                load.append(tile_bytes[o][t] + (in_dram if t == 0 else 0))      # the input: once per pass
                store.append(out_dram if last and o == matrix.passes - 1 else 0)
                wb.append(wb_cycles[o] if last else np.zeros(cfg.n_pes, np.int64))
                offsets.append(offsets[-1] + cols[-1].size)
        first.append(len(pas))
    return Segments(pass_=np.array(pas, np.int64), offsets=np.array(offsets, np.int64),
                    columns=np.concatenate(cols).astype(np.int64),
                    gaps=np.concatenate(gaps).astype(np.int64), tail=np.array(tail, np.int64),
                    load_bytes=np.array(load, np.int64), store_bytes=np.array(store, np.int64),
                    writeback=np.array(wb, np.int64).reshape(-1, cfg.n_pes), first=np.array(first, np.int64))


def chunks(lengths: np.ndarray, n_pes: int):
    """Consecutive segment ranges whose padded cost arrays stay under CHUNK_ELEMENTS."""
    start, n = 0, len(lengths)
    while start < n:
        stop, longest = start, 0
        while stop < n:
            longest_next = max(longest, int(lengths[stop]), 1)
            if stop > start and longest_next * (stop - start + 1) * n_pes > CHUNK_ELEMENTS:
                break
            longest, stop = longest_next, stop + 1
        yield start, stop
        start = stop


def gather(segs: Segments, lo: int, hi: int):
    """Item indices of segments lo..hi, padded to the longest: (pass, column) index arrays (K, S), the
    validity mask (K, S), the broadcaster gaps (K, S) and the lengths (S,)."""
    lengths = segs.lengths[lo:hi]
    k_max = int(lengths.max(initial=0))
    valid = np.arange(k_max)[:, None] < lengths[None, :]
    column = np.zeros((hi - lo, k_max), np.int64)
    column[valid.T] = segs.columns[segs.offsets[lo]:segs.offsets[hi]]
    gaps = np.zeros((hi - lo, k_max), np.int64)
    gaps[valid.T] = segs.gaps[segs.offsets[lo]:segs.offsets[hi]]
    pass_ = np.broadcast_to(segs.pass_[lo:hi][None, :], (k_max, hi - lo))
    return pass_, column.T, valid, gaps.T, lengths


def take(array: np.ndarray, pass_: np.ndarray, column: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(K, S, N) values of ``array`` [o, j, p] at the items, zero where padding."""
    out = array[pass_, column]
    if not valid.all():
        out *= valid[:, :, None]
    return out
