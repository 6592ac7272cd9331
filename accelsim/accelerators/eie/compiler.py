"""Compiling a layer for EIE (Han et al., ISCA 2016) into a :class:`Program` (layer 3).

EIE multiplies a compressed sparse matrix by a sparse vector on N PEs. What is modelled, and the paper's
words it rests on (Sec. III-IV, VI; docs/eie.md has the full discussion):

**Storage.** Row i of W (out x in) belongs to PE i mod N. Each PE stores its rows column by column (CSC):
per stored entry a ``codebook_bits`` weight index and an ``index_bits`` count of the zeros before it in the
PE's slice of the column; after 2**index_bits - 1 zeros a padding entry is stored (counted by
:mod:`accelsim.formats.runlength` from the real mask). ``w[o, p, j]`` = stored entries (padding included)
of column j in PE p's slice of pass o (below). Column pointers are ``pointer_bits`` wide, one per column and
pass, plus one.

**One SpMV pass.** The non-zero input activations j (ascending) are broadcast to every PE's activation
FIFO of depth D; the broadcast is disabled while any PE's FIFO is full, and at most one activation is
broadcast per cycle (the leading-non-zero-detection tree finds one per cycle). A PE processes the entry at
the head of its FIFO and frees that slot when it has finished it ("at any point in time each PE processes
the activation at the head of its queue"). It spends ``max(1, w[o, p, j])`` cycles on column j: one (v, x)
MAC per stored entry and cycle; the pointer read (p_j and p_j+1 from the even and odd banks in one cycle) is
a pipeline stage that overlaps the previous column's MACs, but it handles one column per cycle, so a column
with no entry in this PE still occupies it for a cycle. The schedule is the exact max-plus recurrence of
:func:`fifo_schedule` (item k, PE p; b = broadcast time, F = finish time)::

    b_k    = max(b_{k-1} + 1 + gap_k,  max_p F_{k-D, p})      # one per cycle; a slot free in every FIFO
    F_k,p  = max(b_k, F_{k-1, p}) + c_{k, p}                  # the PE pops when it is free

with c = max(1, w); F_{k-D} frees the slot item k needs. Load-balance efficiency = 1 - idle / total
= sum of busy cycles / (N x pass cycles) (EIE Sec. VI-C).

**Activation storage.** Each PE has a source and a destination activation register file (the smaller buffer
holding activations; EIE: 64 16-bit activations each) backed by an activation SRAM (the larger; EIE: 2 KB).
With N PEs the register files hold vectors of ``64 N`` (4096 for 64 PEs). Longer vectors are split into
batches (the paper: "the M x V will be completed in several batches, where each batch is of length 4K or
less"): an input longer than 64 N is processed in input batches of 64 N columns, and before each the
source registers are reloaded from the activation SRAM (``reload_cycles``, the broadcast pauses meanwhile;
the PEs keep working through their FIFOs); an output longer than 64 N is computed in passes of 64 rows per
PE, each pass a complete broadcast of the input, ending with the destination registers written to the
activation SRAM (``writeback``). Each pass is stored as its own CSC (zero counts restart at the pass).

**Weights on chip or streamed.** A layer whose compressed slices fit every PE's sparse-matrix SRAM (entries)
and sparse-matrix + pointer SRAM together (pointers may overflow into free sparse-matrix rows, an
assumption: VGG-6's 25,089 pointers per PE exceed the 32 KB pointer SRAM the paper runs it from), beside the
layers of the same inference already resident (``held``), is resident: EIE loads it once in its I/O mode
("this is one time cost"), so no DRAM traffic per inference unless ``preload_weights`` is False (then it is
read once per inference). Layers claim the SRAM in network order (:class:`accelsim.engines.eie.EieEngine`).
A layer that does not fit is cut, per pass, into column tiles of at most half the SRAM (double-buffered: the
next tile loads while one computes), streamed from DRAM for every input vector; the PEs drain at tile boundaries.

**Steps of the Program.** One step per (input vector, pass, tile); ``pe_cycles[s, p]`` is PE p's finish
time in that step (its busy cycles plus its FIFO-empty idle cycles, plus the pipeline's fill and drain,
``pipeline_cycles``, and the pass's write-back); every step ends in a barrier, so the base engine's per-PE
processes reproduce the recurrence's total exactly. ``notes`` carry ``busy_pe_cycles`` (sum over steps and
PEs of the cycles a PE's pipeline was occupied) and ``reload_idle_pe_cycles`` (FIFO-empty cycles while the
broadcaster reloaded source registers), from which the engine reports idle cycles as imbalance or memory
stall, not work; and ``load_balance_efficiency``, ``fifo_full_cycles``. Steps with equal activation masks
have equal schedules and counts: each distinct vector is computed once and replayed in order.

**Layers.** Linear: one vector per step. LSTM: the gate matrix (4H x (I+H)) of each direction times
[x_t, h_{t-1}] per time step (the activation mask's row t). Embedding: the table stored as its transpose
(dim x vocab), one one-hot column per token (a lookup reads the stored entries of that column; no MACs).
Attention: its GEMMs (:func:`accelsim.compile.gemm.lower`) as dense matrices times dense vectors.

**Counts** (``Program.counts``): ``mac.op`` useful products (stored non-padding entries x non-zero
activations), ``mac.padding_op`` padding entries processed, ``<spmat>.read_words`` 64-bit rows read (a row
buffer keeps the last row, so consecutive columns sharing a row read it once), ``<ptr>.read_words`` two
pointers per (column, PE), ``<act rf>`` accumulator read + write per processed entry, source reads by the
leading-non-zero detection (every input element of the pass) and source writes at a reload, ``<act sram>``
reload reads and write-back writes, ``fifo.push`` one per (broadcast, PE).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from accelsim.compile.gemm import lower
from accelsim.compile.masks import checked_mask
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.errors import ConfigError, WorkloadError
from accelsim.formats.runlength import count_stored
from accelsim.hardware.schema import HardwareConfig
from accelsim.units import ceil_div
from accelsim.workloads.layers import LSTM, Attention, Embedding, Layer, Linear

#: Children per node of the leading-non-zero-detection tree (EIE Sec. IV: a quadtree of LNZD nodes).
LNZD_FANIN = 4
#: PE pipeline stages after the activation FIFO: pointer read, sparse-matrix read and the four arithmetic
#: stages of Sec. VI (codebook lookup + address accumulation, activation read + multiply, shift and add,
#: activation write). They add fill/drain latency once per pass, never throughput.
PE_PIPELINE_STAGES = 6
#: Elements of the schedule's cost array built at once (bounds memory on long sequences).
CHUNK_ELEMENTS = 1 << 22


# --- the hardware, as EIE sees it -------------------------------------------------------------------------

@dataclass(frozen=True)
class EieConfig:
    """The EIE parameters of a hardware description (see the module docstring for their roles).

    ``rf_activations``: activations in one register file of one PE (the smallest buffer holding
    activations, split in a source and a destination file); ``sram_activations``: activations the largest
    such buffer (the activation SRAM) holds per PE; ``spmat_bytes``/``ptr_bytes``: sparse-matrix and
    pointer SRAM per PE; ``row_entries``: entries per sparse-matrix SRAM word.
    """

    n_pes: int
    fifo_depth: int
    index_bits: int
    codebook_bits: int
    pointer_bits: int
    weight_bits: int
    activation_bits: int
    spmat_bytes: int
    ptr_bytes: int
    row_entries: int
    rf_activations: int
    sram_activations: int
    act_width_bits: int
    spmat: str
    ptr: str
    rf: str
    sram: str

    @classmethod
    def from_hw(cls, hw: HardwareConfig) -> EieConfig:
        spmat, ptr = hw.buffers_holding("weights")[0], hw.buffers_holding("pointers")[0]
        acts = sorted(hw.buffers_holding("input_activations"), key=lambda b: (b.size_bytes, b.name))
        rf, sram = acts[0], acts[-1]
        widths = hw.data_widths
        entry_bits = widths.codebook_bits + widths.index_bits
        act_bytes = widths.activation_bits / 8
        rf_acts = int(rf.size_bytes / 2 / act_bytes)        # a source and a destination file
        if rf_acts < 1 or spmat.width_bits < entry_bits:
            raise ConfigError("buffers too small for EIE", file=hw.source, key=f"buffers.{rf.name}",
                              expected="room for two activations and one sparse-matrix entry per word")
        return cls(n_pes=hw.pe_count, fifo_depth=hw.pe.activation_fifo_depth, index_bits=widths.index_bits,
                   codebook_bits=widths.codebook_bits, pointer_bits=widths.pointer_bits,
                   weight_bits=widths.weight_bits, activation_bits=widths.activation_bits,
                   spmat_bytes=spmat.size_bytes, ptr_bytes=ptr.size_bytes,
                   row_entries=spmat.width_bits // entry_bits, rf_activations=rf_acts,
                   sram_activations=int(sram.size_bytes / act_bytes), act_width_bits=sram.width_bits,
                   spmat=spmat.name, ptr=ptr.name, rf=rf.name, sram=sram.name)

    @property
    def entry_bits(self) -> int:
        """Bits of one stored (v, z) entry."""
        return self.codebook_bits + self.index_bits

    @property
    def vector_batch(self) -> int:
        """Longest vector the register files hold across all PEs (activations)."""
        return self.rf_activations * self.n_pes

    @property
    def reload_cycles(self) -> int:
        """Cycles to refill one PE's source registers from its activation SRAM."""
        return ceil_div(self.rf_activations * self.activation_bits, self.act_width_bits)

    @property
    def pipeline_cycles(self) -> int:
        """Fill + drain latency of one pass: the LNZD tree levels and the PE's pipeline stages."""
        levels = math.ceil(math.log(self.n_pes, LNZD_FANIN) - 1e-9) if self.n_pes > 1 else 0
        return levels + PE_PIPELINE_STAGES


# --- the exact FIFO schedule ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FifoSchedule:
    """The recurrence's result for S independent segments of N PEs.

    ``finish`` (S, N): cycle each PE finished its last item (0 if none); ``busy`` (S, N): sum of its item
    costs; ``broadcast_end`` (S,): cycle the broadcaster finished (last broadcast + 1 + trailing gap);
    ``total`` (S,): the segment's length, max(finish, broadcast_end); ``full_stall`` (S,): cycles the
    broadcast was held by a full FIFO; ``gap_idle`` (S, N): the part of each PE's idle cycles spent while
    the broadcaster sat in a gap (reloading source registers), not waiting for another PE.
    """

    finish: np.ndarray
    busy: np.ndarray
    broadcast_end: np.ndarray
    total: np.ndarray
    full_stall: np.ndarray
    gap_idle: np.ndarray

    @property
    def idle(self) -> np.ndarray:
        """(S, N) cycles each PE waited within its segment (FIFO empty, or done before the others)."""
        return self.total[:, None] - self.busy

    @property
    def efficiency(self) -> float:
        """EIE's load-balance efficiency, 1 - idle / total, over all segments and PEs."""
        total = float(self.total.sum()) * self.busy.shape[1]
        return float(self.busy.sum()) / total if total else 1.0


def fifo_schedule(costs, depth: int, gaps=None, lengths=None, tail=None) -> FifoSchedule:
    """Exact schedule of activations broadcast to N PEs through FIFOs of ``depth`` (module docstring).

    ``costs`` (K, S, N) or (K, N): cycles PE p spends on item k of segment s (>= 0, integers). ``gaps``
    (K, S) or (K,): extra cycles the broadcaster waits before item k (e.g. reloading source registers).
    ``lengths`` (S,): items of each segment (the rest of its K rows is padding and ignored); default K.
    ``tail`` (S,): cycles the broadcaster works after its last item. Vectorised over segments and PEs; one
    numpy step per item.
    """
    costs = np.asarray(costs)
    if costs.ndim == 2:
        costs = costs[:, None, :]
    if depth < 1:
        raise ValueError("FIFO depth must be >= 1")
    n_items, n_seg, n_pes = costs.shape
    gaps = np.zeros((n_items, n_seg), np.int64) if gaps is None else np.asarray(gaps, np.int64)
    gaps = np.broadcast_to(gaps if gaps.ndim == 2 else gaps[:, None], (n_items, n_seg))
    lengths = np.full(n_seg, n_items, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    tail = np.zeros(n_seg, np.int64) if tail is None else np.asarray(tail, np.int64)
    ragged = bool((lengths < n_items).any())
    finish = np.zeros((n_seg, n_pes), np.int64)
    broadcast = np.full(n_seg, -1, np.int64)
    slowest = np.zeros((n_items, n_seg), np.int64)      # max_p F[k, p]
    full_stall = np.zeros(n_seg, np.int64)
    gap_idle = np.zeros((n_seg, n_pes), np.int64)
    in_gap = gaps.any(axis=1)
    for k in range(n_items):
        window = broadcast + 1                          # the broadcaster is free from here on
        earliest = window + gaps[k]
        issue = np.maximum(earliest, slowest[k - depth]) if k >= depth else earliest
        if ragged:
            valid = k < lengths
            if k >= depth:
                full_stall += np.where(valid, issue - earliest, 0)
            broadcast = np.where(valid, issue, broadcast)
            start = np.maximum(finish, np.where(valid, issue, -1)[:, None])
        else:
            if k >= depth:
                full_stall += issue - earliest
            broadcast = issue
            start = np.maximum(finish, issue[:, None])
        if in_gap[k]:       # the PE's idle time before this item that falls in the gap's window
            overlap = np.minimum(start, earliest[:, None]) - np.maximum(finish, window[:, None])
            gap_idle += np.maximum(overlap * valid[:, None] if ragged else overlap, 0)
        finish = start + costs[k]
        slowest[k] = finish.max(axis=1)
    busy = costs.sum(axis=0, dtype=np.int64)
    last_broadcast = np.where(lengths > 0, broadcast + 1, 0)
    broadcast_end = last_broadcast + tail
    total = np.maximum(finish.max(axis=1, initial=0), broadcast_end)
    gap_idle += np.maximum(broadcast_end[:, None] - np.maximum(finish, last_broadcast[:, None]), 0)
    return FifoSchedule(finish=finish, busy=busy, broadcast_end=broadcast_end, total=total,
                        full_stall=full_stall, gap_idle=gap_idle)


# --- the matrix, sliced over PEs and passes ---------------------------------------------------------------

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
    start: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        start = np.cumsum(self.stored, axis=1, dtype=np.int64) - self.stored
        object.__setattr__(self, "start", start.astype(np.int32) if start.max(initial=0) < 2**31 else start)

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
    """Stored entries and non-zeros of boolean ``mask`` (rows x cols) per (pass, column, PE), the entries
    counted by :func:`accelsim.formats.runlength.count_stored` on each PE's slice of each column."""
    mask = np.asarray(mask, dtype=bool)
    n_rows, n_cols = mask.shape
    rows = _pass_rows(n_rows, n_pes, pass_rows)
    n_pass = rows.shape[0]
    depth = min(pass_rows, ceil_div(n_rows, n_pes))     # local rows of one pass (the stream length)
    padded = np.zeros((n_pass * depth * n_pes, n_cols), dtype=bool)
    padded[:n_rows] = mask
    # global row p + N (o depth + r) -> [o, r, p, j]; streams [o, j, p] of length depth, transposed in two
    # cache-friendly moves: [o, r, (p j)] -> [o, (p j), r], then whole streams [o, p, j] -> [o, j, p]
    by_stream = np.ascontiguousarray(padded.reshape(n_pass, depth, n_pes * n_cols).transpose(0, 2, 1))
    del padded
    streams = np.ascontiguousarray(by_stream.reshape(n_pass, n_pes, n_cols, depth).transpose(0, 2, 1, 3))
    del by_stream
    stored = count_stored(streams.reshape(-1, depth), index_bits).astype(np.int32)
    nnz = np.count_nonzero(streams, axis=3).astype(np.int32)
    return SlicedMatrix(n_rows, n_cols, stored.reshape(n_pass, n_cols, n_pes), nnz, rows)


def dense_slice(n_rows: int, n_cols: int, n_pes: int, pass_rows: int) -> SlicedMatrix:
    """:func:`slice_matrix` of an all-True mask, without building it."""
    rows = _pass_rows(n_rows, n_pes, pass_rows)
    full = np.ascontiguousarray(np.broadcast_to(rows[:, None, :].astype(np.int32),
                                                (rows.shape[0], n_cols, n_pes)))
    return SlicedMatrix(n_rows, n_cols, full, full, rows)


# --- lowering layers to matrix x vectors ------------------------------------------------------------------

@dataclass(frozen=True)
class _Work:
    """One weight matrix times a sequence of input vectors: ``vectors`` holds the distinct ones (U x cols,
    bool) and ``order`` the index of each step's vector in it (equal vectors have equal schedules and
    counts, so each is computed once). A ``lookup`` (Embedding) broadcasts token indices given from
    outside: no input vector in the activation registers (no scan, no batches, no reloads) and no MACs."""

    matrix: SlicedMatrix
    vectors: np.ndarray
    order: np.ndarray
    lookup: bool = False

    @classmethod
    def of(cls, matrix: SlicedMatrix, vectors: np.ndarray, lookup: bool = False) -> _Work:
        distinct, order = np.unique(vectors, axis=0, return_inverse=True)
        return cls(matrix, distinct, order.reshape(-1).astype(np.int64), lookup)


def _slice(mask, n_rows: int, n_cols: int, cfg: EieConfig) -> SlicedMatrix:
    if mask is None:
        return dense_slice(n_rows, n_cols, cfg.n_pes, cfg.rf_activations)
    return slice_matrix(mask, cfg.n_pes, cfg.rf_activations, cfg.index_bits)


def _lower(layer: Layer, masks, activations, cfg: EieConfig) -> list[_Work]:
    if masks is not None and not isinstance(layer, Attention):
        masks = checked_mask(layer, "weight mask", masks, layer.weight_shape)
    if isinstance(layer, Linear):
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, layer.in_features))
        return [_Work.of(_slice(masks, layer.out_features, layer.in_features, cfg), acts)]
    if isinstance(layer, LSTM):
        width, gates = layer.input_size + layer.hidden_size, 4 * layer.hidden_size
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, width))
        return [_Work.of(_slice(None if masks is None else masks[d * gates:(d + 1) * gates], gates, width,
                                cfg), acts) for d in range(layer.directions)]
    if isinstance(layer, Embedding):
        if activations is None:     # evenly spaced tokens: deterministic, spread over the table
            acts = np.zeros((layer.steps, layer.vocab_size), bool)
            acts[np.arange(layer.steps), np.arange(layer.steps) * layer.vocab_size // layer.steps] = True
        else:
            acts = checked_mask(layer, "one-hot token mask", activations, (layer.steps, layer.vocab_size))
        table = None if masks is None else np.ascontiguousarray(masks.T)
        return [_Work.of(_slice(table, layer.dim, layer.vocab_size, cfg), acts, lookup=True)]
    if isinstance(layer, Attention):
        return [_Work(_slice(None, g.M, g.K, cfg), np.ones((1, g.K), bool),
                      np.zeros(g.E * g.repeats, np.int64)) for g in lower(layer)]
    raise WorkloadError("EIE runs matrix-vector layers only", key=layer.name,
                        expected="a Linear, LSTM, Embedding or Attention layer", got=layer.kind)


# --- tiles, segments and the plan -------------------------------------------------------------------------

def _tiles(matrix: SlicedMatrix, cfg: EieConfig, resident: bool) -> list[list[tuple[int, int]]]:
    """Per pass, the column ranges loaded together: the whole pass when resident, else greedy tiles whose
    entries fit half the sparse-matrix SRAM and entries + pointers half of both SRAMs, on every PE."""
    n_cols = matrix.n_cols
    if resident:
        return [[(0, n_cols)] for _ in range(matrix.passes)]
    entry_bytes = matrix.stored.transpose(0, 2, 1) * (cfg.entry_bits / 8)               # [o, p, j]
    limit_entries, limit_all = cfg.spmat_bytes / 2, (cfg.spmat_bytes + cfg.ptr_bytes) / 2
    ptr_bytes = cfg.pointer_bits / 8
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
                raise ConfigError("one column slice does not fit half the sparse-matrix SRAM",
                                  key=f"buffers.{cfg.spmat}.size_bytes")
            tiles.append((lo, lo + count))
            lo += count
        out.append(tiles)
    return out


def _matrix_bytes(matrix: SlicedMatrix, cfg: EieConfig, o: int, lo: int, hi: int) -> int:
    """DRAM bytes of columns lo..hi of pass o on all PEs: entries and pointers."""
    entries = int(matrix.stored[o, lo:hi].sum(dtype=np.int64))
    pointers = (hi - lo + 1) * cfg.n_pes
    return ceil_div(entries * cfg.entry_bits + pointers * cfg.pointer_bits, 8)


def _codebook_bytes(cfg: EieConfig) -> int:
    """DRAM bytes of one layer's codebook in every PE (2**codebook_bits shared weights)."""
    return ceil_div((2 ** cfg.codebook_bits) * cfg.weight_bits * cfg.n_pes, 8)


@dataclass(frozen=True)
class _Segments:
    """The steps of one distinct input vector after another: per segment (a pass's tile for a vector) its
    pass, items (active columns), broadcaster gaps and memory traffic; ``first[v]`` is the first segment
    of distinct vector v (its segments are first[v] .. first[v + 1] - 1)."""

    pass_: np.ndarray       # (S,)
    offsets: np.ndarray     # (S + 1,) into columns / gaps
    columns: np.ndarray     # concatenated active columns
    gaps: np.ndarray        # concatenated broadcaster gaps
    tail: np.ndarray        # (S,)
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


def _segments(work: _Work, cfg: EieConfig, tiles, streamed: bool) -> _Segments:
    matrix, vectors = work.matrix, work.vectors
    n_batches = 1 if work.lookup else ceil_div(matrix.n_cols, cfg.vector_batch)
    reload = cfg.reload_cycles if n_batches > 1 else 0
    batched_out = matrix.passes > 1
    wb_bits = matrix.rows * cfg.activation_bits                             # (O, N) destination bits
    wb_cycles = ceil_div(wb_bits, cfg.act_width_bits) if batched_out else np.zeros_like(wb_bits)
    capacity = cfg.sram_activations * cfg.n_pes                              # activations on chip
    act_bytes = cfg.activation_bits / 8
    in_dram = 0 if work.lookup else math.ceil(max(0, matrix.n_cols - capacity) * act_bytes)   # per pass
    out_dram = math.ceil(max(0, matrix.n_rows - capacity) * act_bytes)         # per vector
    tile_bytes = [[_matrix_bytes(matrix, cfg, o, lo, hi) if streamed else 0 for lo, hi in tiles[o]]
                  for o in range(matrix.passes)]
    pas, cols, gaps, tail, load, store, wb, first, offsets = [], [], [], [], [], [], [], [0], [0]
    for vector in vectors:
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
                load.append(tile_bytes[o][t] + (in_dram if t == 0 else 0))
                store.append(out_dram if last and o == matrix.passes - 1 else 0)
                wb.append(wb_cycles[o] if last else np.zeros(cfg.n_pes, np.int64))
                offsets.append(offsets[-1] + cols[-1].size)
        first.append(len(pas))
    return _Segments(pass_=np.array(pas, np.int64), offsets=np.array(offsets, np.int64),
                     columns=np.concatenate(cols).astype(np.int64),
                     gaps=np.concatenate(gaps).astype(np.int64), tail=np.array(tail, np.int64),
                     load_bytes=np.array(load, np.int64), store_bytes=np.array(store, np.int64),
                     writeback=np.array(wb, np.int64).reshape(-1, cfg.n_pes), first=np.array(first, np.int64))


def _chunks(lengths: np.ndarray, n_pes: int):
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


def _gather(segs: _Segments, lo: int, hi: int):
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


def _take(array: np.ndarray, pass_: np.ndarray, column: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(K, S, N) values of ``array`` [o, j, p] at the items, zero where padding."""
    out = array[pass_, column]
    if not valid.all():
        out *= valid[:, :, None]
    return out


def _sram_rows(stored: np.ndarray, start: np.ndarray, row_entries: int) -> np.ndarray:
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


@dataclass(frozen=True)
class _SegmentCounts:
    """Timing-independent quantities of each segment (S,), for one run of it."""

    processed: np.ndarray   # stored entries processed (padding included)
    useful: np.ndarray      # real non-zeros processed
    items: np.ndarray       # activations broadcast
    empty: np.ndarray       # (item, PE) pairs with no entry: a pointer-read cycle, no MAC
    sram_words: np.ndarray  # sparse-matrix SRAM words read


def _segment_counts(work: _Work, segs: _Segments, cfg: EieConfig) -> _SegmentCounts:
    parts = []
    for lo, hi in _chunks(segs.lengths, cfg.n_pes):
        pass_, column, valid, _, lengths = _gather(segs, lo, hi)
        stored = _take(work.matrix.stored, pass_, column, valid)
        processed = stored.sum(axis=(0, 2), dtype=np.int64)
        useful = _take(work.matrix.nnz, pass_, column, valid).sum(axis=(0, 2), dtype=np.int64)
        empty = lengths * cfg.n_pes - np.count_nonzero(stored, axis=(0, 2))
        words = _sram_rows(stored, _take(work.matrix.start, pass_, column, valid), cfg.row_entries)
        parts.append((processed, useful, lengths, empty, words))
    return _SegmentCounts(*(np.concatenate(column).astype(np.int64) for column in zip(*parts)))


def _work_counts(work: _Work, segs: _Segments, per_segment: _SegmentCounts, cfg: EieConfig):
    """(counts, useful MACs, fragmentation slots) of one work item over all its steps."""
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
    return counts, (0 if work.lookup else useful), processed - useful + total["empty"]


def _concat(parts: list[FifoSchedule]) -> FifoSchedule:
    """The schedules of consecutive segments as one."""
    return FifoSchedule(*(np.concatenate([getattr(s, f.name) for s in parts]) for f in fields(FifoSchedule)))


@dataclass(frozen=True)
class EiePlan:
    """A layer compiled for EIE up to the FIFO schedule, which :meth:`program` runs at any depth.

    Everything that does not depend on the FIFO depth (slices, tiles, steps, counts) is computed once, so
    a sweep over depths (:meth:`schedule`) only repeats the recurrence.
    """

    layer: str
    cfg: EieConfig
    works: tuple[_Work, ...]
    segments: tuple[_Segments, ...]
    preload_bytes: tuple[int, ...]      # per work: DRAM bytes before its first step (codebook, weights)
    resident: bool
    sram: WeightSram                    # the weight SRAM the layer takes if resident
    counts: Counts
    useful_macs: int
    fragmentation_slots: int
    notes: tuple[tuple[str, object], ...] = field(default=())

    def _schedules(self, depth: int):
        """Per work: its segments' schedule (distinct vectors only)."""
        for work, segs in zip(self.works, self.segments):
            cycles = np.maximum(work.matrix.stored, 1)      # c = max(1, w): an empty column takes a cycle
            parts = []
            for lo, hi in _chunks(segs.lengths, self.cfg.n_pes):
                pass_, column, valid, gaps, lengths = _gather(segs, lo, hi)
                costs = _take(cycles, pass_, column, valid)
                parts.append(fifo_schedule(costs, depth, gaps, lengths, segs.tail[lo:hi]))
            yield work, segs, _concat(parts)

    def schedule(self, depth: int | None = None) -> FifoSchedule:
        """The schedule of every step, in order, at FIFO ``depth`` (default: the hardware's)."""
        parts = []
        for work, segs, sched in self._schedules(depth or self.cfg.fifo_depth):
            steps = segs.expand(work.order)
            parts.append(FifoSchedule(*(getattr(sched, f.name)[steps] for f in fields(FifoSchedule))))
        return _concat(parts)

    def program(self, depth: int | None = None) -> Program:
        """The :class:`Program` at FIFO ``depth`` (default: the hardware's)."""
        depth = depth or self.cfg.fifo_depth
        pipeline = self.cfg.pipeline_cycles
        cycles, loads, stores = [], [], []
        busy_total = work_busy = work_total = full = reload_idle = 0
        for (work, segs, sched), preload in zip(self._schedules(depth), self.preload_bytes):
            fill = np.where(segs.lengths > 0, pipeline, 0)[:, None]           # passes that broadcast
            end = np.maximum(sched.finish + segs.writeback, sched.broadcast_end[:, None]) + fill
            steps = segs.expand(work.order)
            runs = segs.occurrences(work.order)
            cycles.append(end[steps])
            load = segs.load_bytes[steps]
            load[0] += preload
            loads.append(load)
            stores.append(segs.store_bytes[steps])
            busy_total += int(((sched.busy + segs.writeback + fill).sum(axis=1) * runs).sum())
            work_busy += int((sched.busy.sum(axis=1) * runs).sum())
            work_total += int((sched.total * runs).sum()) * self.cfg.n_pes
            full += int((sched.full_stall * runs).sum())
            reload_idle += int((sched.gap_idle.sum(axis=1) * runs).sum())
        efficiency = work_busy / work_total if work_total else 1.0
        notes = self.notes + (("fifo_depth", depth), ("load_balance_efficiency", efficiency),
                              ("fifo_full_cycles", full), ("busy_pe_cycles", busy_total),
                              ("reload_idle_pe_cycles", reload_idle))
        return Program(self.layer, load_bytes=np.concatenate(loads), pe_cycles=np.concatenate(cycles),
                       store_bytes=np.concatenate(stores), barrier=True, counts=self.counts,
                       useful_macs=self.useful_macs, fragmentation_slots=self.fragmentation_slots, notes=notes)


@dataclass(frozen=True)
class WeightSram:
    """What resident layers hold of the PEs' weight SRAMs (bytes): compressed entries per PE, and pointers
    (the same number on every PE). :data:`EMPTY_SRAM` before the first layer of an inference."""

    entry_bytes: np.ndarray | float
    pointer_bytes: float

    def fits(self, cfg: EieConfig) -> bool:
        """Every PE's entries fit its sparse-matrix SRAM, and entries + pointers fit sparse-matrix + pointer
        SRAM together (pointers may overflow into free sparse-matrix rows, see the module docstring)."""
        entries = float(np.max(self.entry_bytes))
        return entries <= cfg.spmat_bytes and entries + self.pointer_bytes <= cfg.spmat_bytes + cfg.ptr_bytes

    def __add__(self, other: WeightSram) -> WeightSram:
        return WeightSram(self.entry_bytes + other.entry_bytes, self.pointer_bytes + other.pointer_bytes)


EMPTY_SRAM = WeightSram(0.0, 0.0)


def plan_eie(layer: Layer, hw: HardwareConfig, masks=None, activations=None, *,
             preload_weights: bool = True, held: WeightSram = EMPTY_SRAM) -> EiePlan:
    """Everything of :func:`compile_eie` but the FIFO schedule (see the module docstring). ``held``: the
    weight SRAM already taken by resident layers of the same inference; the layer is resident only if it
    fits beside them."""
    cfg = EieConfig.from_hw(hw)
    works = _lower(layer, masks, activations, cfg)
    entries = sum(w.matrix.entries_per_pe() for w in works)                             # per PE
    pointers = sum(w.matrix.passes * (w.matrix.n_cols + 1) for w in works)
    needs = WeightSram(entries * cfg.entry_bits / 8, pointers * cfg.pointer_bits / 8)
    resident = (held + needs).fits(cfg)
    segments, preloads, counts, useful, fragmentation = [], [], Counts(), 0, 0
    for i, work in enumerate(works):
        segs = _segments(work, cfg, _tiles(work.matrix, cfg, resident), streamed=not resident)
        preload = _codebook_bytes(cfg) if (not resident or not preload_weights) and i == 0 else 0
        if resident and not preload_weights:
            preload += sum(_matrix_bytes(work.matrix, cfg, o, 0, work.matrix.n_cols)
                           for o in range(work.matrix.passes))
        c, u, f = _work_counts(work, segs, _segment_counts(work, segs, cfg), cfg)
        segments.append(segs)
        preloads.append(preload)
        counts, useful, fragmentation = counts + c, useful + u, fragmentation + f
    notes = (("resident", resident), ("passes", max(w.matrix.passes for w in works)),
             ("input_batches", max(1 if w.lookup else ceil_div(w.matrix.n_cols, cfg.vector_batch)
                                   for w in works)),
             ("steps", sum(len(s.expand(w.order)) for s, w in zip(segments, works))))
    return EiePlan(layer=layer.name, cfg=cfg, works=tuple(works), segments=tuple(segments),
                   preload_bytes=tuple(preloads), resident=resident, sram=needs, counts=counts,
                   useful_macs=useful, fragmentation_slots=fragmentation, notes=notes)


def compile_eie(layer: Layer, hw: HardwareConfig, masks=None, activations=None, *,
                preload_weights: bool = True) -> Program:
    """``layer`` on the EIE of ``hw`` (engine ``eie``) with weight ``masks`` and input ``activations``
    (boolean, see :meth:`accelsim.sim.Engine.compile`; an Embedding takes a one-hot (steps, vocab) token
    mask, by default evenly spaced tokens), as a :class:`Program` of ``hw.pe_count`` PEs."""
    return plan_eie(layer, hw, masks, activations, preload_weights=preload_weights).program()


__all__ = ["EMPTY_SRAM", "EieConfig", "EiePlan", "FifoSchedule", "SlicedMatrix", "WeightSram", "compile_eie",
           "dense_slice", "fifo_schedule", "plan_eie", "slice_matrix"]
