"""What a layer's matrix work does on EIE, apart from timing: the actions it counts (layer 5).

``mac.op`` useful products (stored non-padding entries x non-zero activations), ``mac.padding_op`` padding
entries processed, ``<spmat>.read_words`` 64-bit rows read (a row buffer keeps the last row, so consecutive
columns sharing a row read it once), ``<ptr>.read_words`` two pointers per (column, PE), ``<act rf>``
accumulator read + write per processed entry, source reads by the leading-non-zero detection (every input
element of the pass) and source writes at a reload, ``<act sram>`` reload reads and write-back writes,
``fifo.push`` one per (broadcast, PE). Each distinct input vector's segments are counted once and weighted
by how often they run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.eie.config import EieConfig
from accelsim.accelerators.eie.lowering import MatrixWork
from accelsim.accelerators.eie.segments import Segments, chunks, gather, take
from accelsim.counts import Counts
from accelsim.units import ceil_div


@dataclass(frozen=True)
class SegmentCounts:
    """Timing-independent quantities of each segment (S,), for one run of it."""

    processed: np.ndarray   # stored entries processed (padding included)
    useful: np.ndarray      # real non-zeros processed
    items: np.ndarray       # activations broadcast
    empty: np.ndarray       # PE cycles the pointer reads of a column took beyond its entries: no MAC
    sram_words: np.ndarray  # sparse-matrix SRAM words read


@dataclass(frozen=True)
class WorkCounts:
    """One work item over all its steps: its ``counts``, ``useful_macs`` and ``fragmentation_slots``
    (PE cycles that processed no useful product: padding entries and empty columns)."""

    counts: Counts
    useful_macs: int
    fragmentation_slots: int


def sram_rows(stored: np.ndarray, start: np.ndarray, row_entries: int) -> np.ndarray:
    """(S,) sparse-matrix SRAM words read for items (K, S, N), a one-word buffer kept between columns: a
    column reads the words its entries span, minus the first if the PE's previous non-empty column ended
    in it."""
    has = stored > 0
    first = start // row_entries
    last = np.where(has, (start + stored - 1) // row_entries, -1)
    reads = np.where(has, last - first + 1, 0).sum(axis=(0, 2), dtype=np.int64)
    latest = last.reshape(last.shape[0], last[0].size if last.size else 0)   # last word of the latest
    for k in range(1, latest.shape[0]):     # non-empty column so far (row by row: accumulate is slow here)
        np.maximum(latest[k - 1], latest[k], out=latest[k])
    shared = has[1:] & (first[1:] == latest.reshape(last.shape)[:-1])
    return reads - np.count_nonzero(shared, axis=(0, 2))


def segment_counts(work: MatrixWork, segs: Segments, cfg: EieConfig) -> SegmentCounts:
    """The counts of each segment of ``work``, for one run of it."""
    parts = []
    for lo, hi in chunks(segs.lengths, cfg.n_pes):
        pass_, column, valid, _, lengths = gather(segs, lo, hi)
        stored = take(work.matrix.stored, pass_, column, valid)
        processed = stored.sum(axis=(0, 2), dtype=np.int64)
        useful = take(work.matrix.nnz, pass_, column, valid).sum(axis=(0, 2), dtype=np.int64)
        # multiplier cycles without an entry: a column's pointer reads take column_cycles however few it has
        empty = (np.maximum(cfg.column_cycles - stored, 0) * valid[:, :, None]).sum(axis=(0, 2))
        words = sram_rows(stored, take(work.matrix.start, pass_, column, valid), cfg.row_entries)
        parts.append((processed, useful, lengths, empty, words))
    return SegmentCounts(*(np.concatenate(column).astype(np.int64) for column in zip(*parts)))


def work_counts(work: MatrixWork, segs: Segments, cfg: EieConfig) -> WorkCounts:
    """The counts of ``work`` over all its steps."""
    per_segment = segment_counts(work, segs, cfg)
    runs = segs.occurrences(work.order)
    total = {name: int((getattr(per_segment, name) * runs).sum())
             for name in ("processed", "useful", "items", "empty", "sram_words")}
    matrix, n = work.matrix, cfg.n_pes
    passes = len(work.order) * matrix.passes
    batched_in = matrix.n_cols > cfg.vector_batch and not work.lookup
    scanned = 0 if work.lookup else matrix.n_cols * passes      # the LNZD reads every input element per pass
    reloaded = matrix.n_cols * passes if batched_in else 0
    written = int(matrix.rows.sum()) * len(work.order) if matrix.passes > 1 else 0
    processed, useful = total["processed"], total["useful"]
    counts = Counts({
        ("mac", "op"): 0 if work.lookup else useful,
        ("mac", "padding_op"): 0 if work.lookup else processed - useful,
        (cfg.spmat, "read_words"): total["sram_words"],
        (cfg.ptr, "read_words"): 2 * total["items"] * n,
        ("fifo", "push"): total["items"] * n,
        (cfg.rf, "read_words"): (0 if work.lookup else processed) + scanned,
        (cfg.rf, "write_words"): processed + reloaded,
        (cfg.sram, "read_words"): ceil_div(reloaded * cfg.activation_bits, cfg.act_width_bits),
        (cfg.sram, "write_words"): ceil_div(written * cfg.activation_bits, cfg.act_width_bits),
    })
    return WorkCounts(counts, 0 if work.lookup else useful, processed - useful + total["empty"])
