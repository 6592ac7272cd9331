"""Compiling a layer for a dense systolic array (WS, OS or IS) into a :class:`Program` (layer 3), mapped as a
:class:`Mapping` says: SCALE-Sim's fixed mapping (:func:`scalesim_mapping`, described below) or one chosen by
:mod:`.mapper` (the part of the array, fold order, stream tiles, kept operands, partial sums, DRAM step).

**Compute** with SCALE-Sim's mapping follows SCALE-Sim 3.0.0 exactly (``docs/scalesim_crosscheck.md``): a
GEMM (E x K) . (K x M) maps ``Sr`` onto the ``Ra`` array rows and ``Sc`` onto the ``Ca`` columns and streams ``T`` in time
(ws: Sr=K, Sc=M, T=E; os: Sr=E, Sc=M, T=K; is: Sr=K, Sc=E, T=M). Folds run column folds outer, row folds
inner, one after another, each costing the full array whatever part of it is used:
``2*Ra + Ca + T - 2`` cycles (ws, is: weight/input preload, fill, stream, drain) or ``Ra + Ca + T - 2``
(os). A layer's compute cycles are the sum over its folds (SCALE-Sim reports one cycle less per simulated
layer: the 0-based index of its last cycle).

**Memory.** Each fold touches one slice of each operand, named by a key (ws: weights by (row, col) fold,
inputs by row fold; os: inputs by row fold, weights by column fold; is: inputs by (row, col) fold, weights by
row fold). A fold fetches its slice from DRAM when the slice differs from the previous fold's, unless the
whole operand fits in half of its buffer and the slice was fetched before (it is still on chip). Outputs
accumulate over row folds in the output buffer when one column fold's partial sums fit in half of it;
otherwise every row fold but the last spills its partial sums to DRAM and every one but the first reads
them back. Final outputs are written once. Every layer reads its inputs from DRAM and writes its outputs
back (layer by layer, no fusion).

**Steps.** The DRAM stream is cut into steps of at most half the smallest operand buffer (the double
buffer's half): a fold whose fetch is larger is split into equal sub-steps, consecutive small folds share a
step. SimPy then overlaps each step's fetch with the previous step's compute.

**Counts** (words of the buffer's width): input-buffer reads ``T*rows`` per fold (ws; SCALE-Sim's SRAM
IFMAP reads), weight-buffer reads, output-buffer writes of every fold's partial sums and reads of the
partial sums accumulated into, one ``mac.op`` per MAC.

**Buffer bandwidth.** The words the array itself reads and writes in each step (the counts above without the
DRAM fills and write-backs) are the Program's ``sram_words``: a step lasts at least as long as its buffers'
banks and ports need to serve them (:func:`accelsim.sim.sram.sram_step_cycles`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from accelsim.accelerators.systolic.tiles import Occupancy, accumulation_ends, live_folds
from accelsim.compile.gemm import Gemm, embedding_rows, lower
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.errors import ConfigError
from accelsim.hardware.schema import Buffer, HardwareConfig
from accelsim.units import bits_to_bytes, bytes_holding_bits, ceil_div
from accelsim.workloads.layers import Embedding, Layer


def _words(elements: float, bits: int, buffer: Buffer) -> float:
    return elements * bits / buffer.width_bits


@dataclass(frozen=True)
class Mapping:
    """How one layer runs on the array (``docs/scalesim_crosscheck.md``, "Mapping").

    ``rows`` x ``cols``: the part of the array its folds use (a fold costs this part's preload, fill and
    drain; the other PEs are bypassed). ``rows_outer``: row folds outer, column folds inner (False: SCALE-Sim's
    column folds outer). ``stream_tiles``: the streamed dimension T cut into this many near-equal tiles,
    outermost, each running every fold again (ws, is; 1 for os). ``keep_inputs`` / ``keep_weights``: an
    operand that fits half its buffer stays on chip and each slice is fetched once. ``spill``: partial sums
    go to DRAM and back between row folds even when they would fit half the output buffer. ``step_bytes``:
    the most one DRAM step fetches (at most half the smaller operand buffer)."""

    rows: int
    cols: int
    rows_outer: bool = False
    stream_tiles: int = 1
    keep_inputs: bool = True
    keep_weights: bool = True
    spill: bool = False
    step_bytes: float = 0.0

    def details(self, spilled: bool) -> dict[str, float]:
        """Its ``layers.csv`` columns (``MAPPING_DETAILS``); ``spilled``: partial sums went to DRAM."""
        return {"map_rows_outer": int(self.rows_outer), "map_rows": self.rows, "map_cols": self.cols,
                "map_stream_tiles": self.stream_tiles, "map_psum_spill": int(spilled),
                "map_step_bytes": self.step_bytes}


def fold_dims(gemm: Gemm, dataflow: str) -> tuple[int, int, int]:
    """(Sr, Sc, T): the GEMM dimensions on the array rows, on its columns and streamed in time."""
    return {"ws": (gemm.K, gemm.M, gemm.E), "os": (gemm.E, gemm.M, gemm.K),
            "is": (gemm.K, gemm.E, gemm.M)}[dataflow]


def fold_cycles(dataflow: str, rows: int, cols: int, t: int) -> int:
    """Cycles of one fold streaming ``t`` on a ``rows`` x ``cols`` array (SCALE-Sim 3.0.0): preload, fill,
    stream and drain (ws, is) or fill, stream (os)."""
    return (rows + cols + t - 2) if dataflow == "os" else (2 * rows + cols + t - 2)


def _fold_grid(gemm: Gemm, dataflow: str, mapping: Mapping):
    """Per fold, in execution order (stream tiles outermost, then column and row folds in the mapping's
    order): rows used, cols used, row index, col index, stream tile index, streamed length; and rf."""
    sr, sc, t = fold_dims(gemm, dataflow)
    rows, cols = mapping.rows, mapping.cols
    rf, cf = ceil_div(sr, rows), ceil_div(sc, cols)
    nt = min(mapping.stream_tiles, t) if dataflow != "os" else 1
    inner, outer = (np.tile(np.arange(cf), rf), np.repeat(np.arange(rf), cf)) if mapping.rows_outer else \
        (np.tile(np.arange(rf), cf), np.repeat(np.arange(cf), rf))
    row_idx, col_idx = (outer, inner) if mapping.rows_outer else (inner, outer)
    tile_idx = np.repeat(np.arange(nt), rf * cf)
    row_idx, col_idx = np.tile(row_idx, nt), np.tile(col_idx, nt)
    used_r = np.minimum(rows, sr - row_idx * rows)
    used_c = np.minimum(cols, sc - col_idx * cols)
    tile_t = t // nt + (tile_idx < t % nt)
    return used_r, used_c, row_idx, col_idx, tile_idx, tile_t, rf, cf


def _fetch_mask(keys: np.ndarray, resident: bool, live: np.ndarray | None = None) -> np.ndarray:
    """Folds that fetch their operand slice: the fold runs (``live``; None: all do), the key changed since the
    previous fold that ran, and (when the whole operand stays on chip) the key was never fetched before."""
    if live is not None and not live.all():
        fetch = np.zeros(len(keys), dtype=bool)
        fetch[live] = _fetch_mask(keys[live], resident, live[live])
        return fetch
    changed = np.ones(len(keys), dtype=bool)
    changed[1:] = keys[1:] != keys[:-1]
    if resident:
        first = np.zeros(len(keys), dtype=bool)
        first[np.unique(keys, return_index=True)[1]] = True
        return changed & first
    return changed


@dataclass(frozen=True)
class Streams:
    """How the array streams its operands, beyond the dense defaults (an N:M array changes both):
    ``ifmap_read_factor`` multiplies the input-buffer reads (each input word is read that many times);
    ``weight_dram_bits`` is the bits one stored weight occupies in DRAM and in its buffer (value plus its
    metadata; None: ``weight_bits``); ``occupancy``: the non-zero weights of the layer's one GEMM, whose
    all-zero tiles the array skips (ws only, :mod:`.tiles`; None: every fold runs)."""

    dataflow: str = "ws"
    ifmap_read_factor: float = 1.0
    weight_dram_bits: int | None = None
    occupancy: Occupancy | None = None


def held_psum_bytes(gemm: Gemm, hw: HardwareConfig, dataflow: str, mapping: Mapping) -> float:
    """Bytes of partial sums the output buffer holds between row folds (0: none accumulate): one column
    fold's (column folds outer) or every column fold's (row folds outer), of the longest stream tile."""
    sr, sc, t = fold_dims(gemm, dataflow)
    if dataflow == "os" or ceil_div(sr, mapping.rows) == 1:
        return 0.0
    tile = ceil_div(t, min(mapping.stream_tiles, t))
    return bits_to_bytes(tile * (sc if mapping.rows_outer else min(sc, mapping.cols)) * hw.data_widths.psum_bits)


def operand_bytes(gemm: Gemm, hw: HardwareConfig, streams: Streams) -> tuple[float, float]:
    """(input bytes, weight bytes) of one repeat of ``gemm`` as stored on chip."""
    wb = streams.weight_dram_bits or hw.data_widths.weight_bits
    return bits_to_bytes(gemm.ifmap_elements * hw.data_widths.activation_bits), bits_to_bytes(gemm.weight_elements * wb)


class _FoldWork(NamedTuple):
    """What one repeat of a GEMM does per fold on one structure (rows, cols, fold order, stream tiles), the
    same whichever operands stay on chip: cycles, elements and slice keys of each operand, words the array
    reads, outputs written, the first and last fold of each accumulation, and the folds that run."""

    cycles: np.ndarray
    i_el: np.ndarray
    i_key: np.ndarray
    w_el: np.ndarray
    w_key: np.ndarray
    i_reads: np.ndarray
    w_reads: np.ndarray
    out_slice: np.ndarray
    first: np.ndarray
    last_row: np.ndarray
    live: np.ndarray | None
    accumulating: bool


@lru_cache(maxsize=64)
def _fold_work(gemm: Gemm, streams: Streams, rows: int, cols: int, rows_outer: bool, tiles: int) -> _FoldWork:
    """:class:`_FoldWork` of ``gemm`` on a structure; cached, so that the memory choices a mapping search
    tries on one structure share it (its arrays are read-only)."""
    df = streams.dataflow
    mapping = Mapping(rows, cols, rows_outer, tiles)
    used_r, used_c, row_idx, col_idx, tile_idx, tile_t, rf, cf = _fold_grid(gemm, df, mapping)
    live = None if streams.occupancy is None else live_folds(streams.occupancy, rows, cols, row_idx, col_idx)
    cycles = fold_cycles(df, rows, cols, tile_t).astype(np.int64)
    t = fold_dims(gemm, df)[2]
    if df == "ws":      # weights stationary (K rows x M cols); inputs E x K streamed
        w_el, w_key = used_r * used_c, row_idx * cf + col_idx
        i_el, i_key = used_r * (gemm.ifmap_elements / gemm.K) * (tile_t / t), tile_idx * rf + row_idx
        i_reads, w_reads = tile_t * used_r, used_r * used_c
        out_slice = tile_t * used_c     # partial sums of one fold
    elif df == "is":    # inputs stationary (K rows x E cols); weights K x M streamed
        i_el, i_key = used_r * used_c * (gemm.ifmap_elements / (gemm.K * gemm.E)), row_idx * cf + col_idx
        w_el, w_key = used_r * tile_t, tile_idx * rf + row_idx
        i_reads, w_reads = used_r * used_c, tile_t * used_r
        out_slice = tile_t * used_c
    else:               # os: outputs stationary (E rows x M cols); inputs and weights streamed over K
        i_el, i_key = used_r * (gemm.ifmap_elements / gemm.E), row_idx
        w_el, w_key = t * used_c, col_idx
        i_reads, w_reads = used_r * t, t * used_c
        out_slice = used_r * used_c
    # Outputs: ws/is accumulate over the rf row folds of a column fold; os finishes each fold's outputs.
    first, last_row = row_idx == 0, (row_idx == rf - 1) if df != "os" else np.ones(len(row_idx), dtype=bool)
    if live is not None:    # all-zero tiles (:mod:`.tiles`): their folds only write a column's outputs once
        cycles, i_reads, w_reads = cycles * live, i_reads * live, w_reads * live
        ran, first, last_row = accumulation_ends(live, tile_idx * cf + col_idx, row_idx, rf)
        out_slice, first = out_slice * ran, first | ~live
    work = _FoldWork(cycles, i_el, i_key, w_el, w_key, i_reads, w_reads, out_slice, first, last_row, live,
                     df != "os" and rf > 1)
    for array in work:
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    return work


def _gemm_folds(gemm: Gemm, hw: HardwareConfig, buffers: dict[str, Buffer], streams: Streams, mapping: Mapping):
    """Per-fold cycles, DRAM load and store bytes, SRAM word counts of one GEMM (one repeat), per fold the
    words the array reads and writes itself (``ARRAY_WORDS``, columns in that order), and whether its partial
    sums spilled."""
    ab, pb = hw.data_widths.activation_bits, hw.data_widths.psum_bits
    wb = streams.weight_dram_bits or hw.data_widths.weight_bits
    work = _fold_work(gemm, streams, mapping.rows, mapping.cols, mapping.rows_outer, mapping.stream_tiles)
    out_slice, first, last_row, accumulating = work.out_slice, work.first, work.last_row, work.accumulating
    half = {name: b.size_bytes / 2 for name, b in buffers.items()}
    in_bytes, w_bytes = operand_bytes(gemm, hw, streams)
    i_fetch = _fetch_mask(work.i_key, mapping.keep_inputs and in_bytes <= half["in"], work.live)
    w_fetch = _fetch_mask(work.w_key, mapping.keep_weights and w_bytes <= half["w"], work.live)
    load = bits_to_bytes(i_fetch * work.i_el * ab) + bits_to_bytes(w_fetch * work.w_el * wb)
    spill = accumulating and (mapping.spill or held_psum_bytes(gemm, hw, streams.dataflow, mapping) > half["out"])
    store = bits_to_bytes(last_row * out_slice * ab)
    psum_reads = ~first * out_slice if accumulating else np.zeros_like(out_slice)
    reloaded = np.zeros_like(out_slice)
    if spill:
        store = store + bits_to_bytes((~last_row) * out_slice * pb)
        reloaded = ~first * out_slice
        load = load + bits_to_bytes(reloaded * pb)
    sram = {("in", "read_words"): _words(work.i_reads.sum() * streams.ifmap_read_factor, ab, buffers["in"]),
            ("in", "write_words"): _words((i_fetch * work.i_el).sum(), ab, buffers["in"]),
            ("w", "read_words"): _words(work.w_reads.sum(), hw.data_widths.weight_bits, buffers["w"]),
            ("w", "write_words"): _words((w_fetch * work.w_el).sum(), hw.data_widths.weight_bits, buffers["w"]),
            ("out", "write_words"): _words(out_slice.sum(), pb if accumulating else ab, buffers["out"])
            + _words(reloaded.sum(), pb, buffers["out"]),
            ("out", "read_words"): _words(psum_reads.sum() + (last_row * out_slice).sum(), pb, buffers["out"])}
    array = np.stack([_words(work.i_reads * streams.ifmap_read_factor, ab, buffers["in"]),
                      _words(work.w_reads, hw.data_widths.weight_bits, buffers["w"]),
                      _words(out_slice, pb if accumulating else ab, buffers["out"]),
                      _words(psum_reads, pb, buffers["out"])], axis=1).astype(float)
    return work.cycles, np.ceil(load).astype(np.int64), np.ceil(store).astype(np.int64), sram, array, spill


#: The buffer words the array itself moves in a fold (the columns of ``_gemm_folds``'s array words).
ARRAY_WORDS = (("in", "read_words"), ("w", "read_words"), ("out", "write_words"), ("out", "read_words"))


def sram_demand(words: np.ndarray, buffers: dict[str, Buffer]) -> dict[tuple[str, str], np.ndarray]:
    """A Program's ``sram_words`` from per-step array words (steps, ``ARRAY_WORDS``): by (buffer, action)."""
    demand: dict[tuple[str, str], np.ndarray] = {}
    for column, (b, action) in enumerate(ARRAY_WORDS):      # the output buffer: writes and reads apart
        key = (buffers[b].name, action)
        demand[key] = demand.get(key, 0) + words[:, column]
    return demand


def chunk_steps(load: np.ndarray, cycles: np.ndarray, store: np.ndarray, words: np.ndarray, half_bytes: float):
    """Cut the fold stream into steps of at most ``half_bytes`` of fetch (split big folds, merge small);
    ``words`` (folds, ``ARRAY_WORDS``) are split in proportion to the parts, like the cycles."""
    parts = np.maximum(1, np.ceil(load / half_bytes)).astype(np.int64)
    if parts.max(initial=1) == 1:       # no fold to split
        sub_load, sub_cycles, sub_store, sub_words = load, cycles, store, words
    else:
        idx = np.repeat(np.arange(len(load)), parts)
        first = np.r_[0, np.cumsum(parts)[:-1]]
        offset = np.arange(len(idx)) - np.repeat(first, parts)
        sub_load = load[idx] // parts[idx] + (offset < load[idx] % parts[idx])
        sub_cycles = cycles[idx] // parts[idx] + (offset < cycles[idx] % parts[idx])
        sub_store = np.where(offset == parts[idx] - 1, store[idx], 0)
        sub_words = words[idx] / parts[idx, None]
    start = np.cumsum(sub_load) - sub_load
    group = np.floor(start / half_bytes).astype(np.int64)
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return (np.add.reduceat(sub_load, bounds), np.add.reduceat(sub_cycles, bounds),
            np.add.reduceat(sub_store, bounds), np.add.reduceat(sub_words, bounds, axis=0))


#: The operand each dataflow keeps stationary in the array, its buffer and its word width.
STATIONARY = {"ws": ("w", "weight_bits"), "is": ("in", "activation_bits"), "os": ("out", "psum_bits")}


#: Most DRAM-fetch steps one layer's program may have (about 6 s of simulation): each step costs SimPy events,
#: so a buffer of a few bytes would make a run take many minutes and gigabytes. A zoo layer on the shipped
#: dense_edge machine has at most 1,142 (87 times fewer: buffers down to about 750 bytes are fine).
MAX_STEPS = 100_000


def buffers_of(hw: HardwareConfig) -> dict[str, Buffer]:
    """The buffers holding the inputs, the weights and the outputs, as ``in``, ``w``, ``out``."""
    return {"in": hw.buffers_holding("input_activations")[0], "w": hw.buffers_holding("weights")[0],
            "out": hw.buffers_holding("output_activations")[0]}


def half_step_bytes(hw: HardwareConfig) -> float:
    """Half the smaller operand buffer: the largest DRAM step the double buffer takes, in bytes."""
    buffers = buffers_of(hw)
    return min(buffers["in"].size_bytes, buffers["w"].size_bytes) / 2


def scalesim_mapping(hw: HardwareConfig) -> Mapping:
    """SCALE-Sim 3.0.0's fixed mapping: the whole array, column folds outer, no stream tiles, operands kept
    and partial sums accumulated whenever they fit, DRAM steps of half the smaller operand buffer."""
    return Mapping(hw.pe_array.rows, hw.pe_array.cols, step_bytes=half_step_bytes(hw))


def stationary_tile_fits(hw: HardwareConfig, dataflow: str, rows: int, cols: int) -> bool:
    """A ``rows`` x ``cols`` stationary tile fits half of its buffer (the other half fills for the next fold)."""
    which, width = STATIONARY[dataflow]
    return bits_to_bytes(rows * cols * getattr(hw.data_widths, width)) <= buffers_of(hw)[which].size_bytes / 2


def least_operand_bytes(layer: Layer, hw: HardwareConfig) -> float:
    """Bytes of the layer's operands, each fetched once."""
    widths = hw.data_widths
    return bits_to_bytes(sum(g.repeats * (g.ifmap_elements * widths.activation_bits
                                          + g.weight_elements * widths.weight_bits) for g in lower(layer)))


def check_systolic(layer: Layer, hw: HardwareConfig, dataflow: str | None = None) -> None:
    """What compiling refuses, checked without compiling (a ConfigError naming the buffer):

    * the stationary tile (the whole array's with ``mapping: scalesim``, one PE's with ``search``, which
      can use part of the array) must fit half of its buffer (the other half is filling for the next fold);
    * the layer's operands, each fetched at least once, must take at most ``MAX_STEPS`` steps of half the
      smaller operand buffer (``docs`` "Steps" above).

    ``dataflow``: the array's (None: the machine's ``dataflow`` key)."""
    dataflow = dataflow or hw.dataflow
    buffers = buffers_of(hw)
    rows, cols = (hw.pe_array.rows, hw.pe_array.cols) if hw.mapping == "scalesim" else (1, 1)
    if not stationary_tile_fits(hw, dataflow, rows, cols):
        buffer = buffers[STATIONARY[dataflow][0]]
        tile_bytes = bits_to_bytes(rows * cols * getattr(hw.data_widths, STATIONARY[dataflow][1]))
        raise ConfigError(f"layer {layer.name}: the {rows}x{cols} stationary tile "
                          f"of the {dataflow} dataflow does not fit half of buffer {buffer.name}",
                          file=hw.source, key=f"buffers.{buffer.name}.size_bytes",
                          expected=f">= {int(2 * tile_bytes)} bytes", got=buffer.size_bytes)
    least_bytes = least_operand_bytes(layer, hw)
    smaller = min(buffers["in"], buffers["w"], key=lambda b: (b.size_bytes, b.name))
    if least_bytes / (smaller.size_bytes / 2) > MAX_STEPS:
        raise ConfigError(f"layer {layer.name}: buffer {smaller.name} is so small that fetching the layer's "
                          f"{int(least_bytes)} operand bytes takes over {MAX_STEPS} simulation steps",
                          file=hw.source, key=f"buffers.{smaller.name}.size_bytes",
                          expected=f">= {ceil_div(int(2 * least_bytes), MAX_STEPS)} bytes", got=smaller.size_bytes)


def fold_stream(gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams, mapping: Mapping):
    """Every fold of ``gemms`` in execution order: its cycles, DRAM load and store bytes and array words
    (``ARRAY_WORDS`` columns) as arrays; the SRAM word counts by buffer name; whether partial sums spilled."""
    buffers = buffers_of(hw)
    loads, cycles, stores, arrays, sram, spilled = [], [], [], [], Counts(), False
    for gemm in gemms:
        c, l, s, words, array, spill = _gemm_folds(gemm, hw, buffers, streams, mapping)
        reps = gemm.repeats
        cycles.append(np.tile(c, reps))
        loads.append(np.tile(l, reps))
        stores.append(np.tile(s, reps))
        arrays.append(np.tile(array, (reps, 1)))
        sram += Counts({(buffers[b].name, action): v * reps for (b, action), v in words.items()})
        spilled |= spill
    return (np.concatenate(loads), np.concatenate(cycles), np.concatenate(stores), np.concatenate(arrays), sram,
            spilled)


def live_work(gemms: tuple[Gemm, ...], streams: Streams, mapping: Mapping) -> dict[str, int]:
    """What the folds of ``gemms`` on ``mapping`` do, all repeats: ``folds`` (each reads its tile's non-empty
    bit when ``streams.occupancy`` is set), ``skipped`` (all-zero tiles), ``macs`` of the folds that run, and
    ``weights`` loaded into the array (the tiles that run, once each: the first stream tile's)."""
    work = {"folds": 0, "skipped": 0, "macs": 0, "weights": 0}
    for g in gemms:
        used_r, used_c, row_idx, col_idx, tile_idx, tile_t, _, _ = _fold_grid(g, streams.dataflow, mapping)
        live = live_folds(streams.occupancy, mapping.rows, mapping.cols, row_idx, col_idx)
        work["folds"] += g.repeats * len(live)
        work["skipped"] += g.repeats * int(np.count_nonzero(~live))
        work["macs"] += g.repeats * int((live * used_r * used_c * tile_t).sum())
        work["weights"] += g.repeats * int((live * (tile_idx == 0) * used_r * used_c).sum())
    return work


def build_program(layer: Layer, gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams, mapping: Mapping,
                  *, useful_macs: int, counts: Counts = Counts(), details: dict | None = None) -> Program:
    """``gemms`` (``layer``'s lowering, or a machine's own version of it) on the array of ``hw`` streamed as
    ``streams`` says, mapped as ``mapping`` says; ``counts`` and ``details`` are added to the Program's (with
    the mapping's own details). One ``mac.op`` per product of the GEMMs."""
    buffers = buffers_of(hw)
    names = {"in": buffers["in"].name, "w": buffers["w"].name, "out": buffers["out"].name}
    if isinstance(layer, Embedding):
        row_bytes = bytes_holding_bits(layer.dim * hw.data_widths.weight_bits)
        n = embedding_rows(layer)
        out_words = _words(n * layer.dim, hw.data_widths.weight_bits, buffers["out"])
        return Program(layer.name, load_bytes=[n * row_bytes], pe_cycles=[[0]], store_bytes=[n * row_bytes],
                       barrier=True, useful_macs=0, details={**mapping.details(False), **(details or {})},
                       counts=Counts({(names["out"], "write_words"): out_words,
                                      (names["out"], "read_words"): out_words}))
    load, cyc, store, words, sram, spilled = fold_stream(gemms, hw, streams, mapping)
    load, cyc, store, words = chunk_steps(load, cyc, store, words, mapping.step_bytes)
    macs = sum(g.macs for g in gemms) if streams.occupancy is None else live_work(gemms, streams, mapping)["macs"]
    return Program(layer.name, load_bytes=load, pe_cycles=cyc[:, None], store_bytes=store, barrier=True,
                   useful_macs=useful_macs, counts=sram + counts + Counts.of(mac={"op": macs}),
                   sram_words=sram_demand(words, buffers), details={**mapping.details(spilled), **(details or {})})
