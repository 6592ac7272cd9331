"""Compiling a layer for a dense systolic array (WS, OS or IS) into a :class:`Program` (layer 3).

**Compute** follows SCALE-Sim 3.0.0 exactly (``docs/scalesim_crosscheck.md``): a GEMM (E x K) . (K x M)
maps ``Sr`` onto the ``Ra`` array rows and ``Sc`` onto the ``Ca`` columns and streams ``T`` in time
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

import numpy as np

from accelsim.compile.gemm import Gemm, embedding_rows, lower
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.errors import ConfigError
from accelsim.hardware.schema import Buffer, HardwareConfig
from accelsim.units import bits_to_bytes, ceil_div
from accelsim.workloads.layers import Embedding, Layer


def _words(elements: float, bits: int, buffer: Buffer) -> float:
    return elements * bits / buffer.width_bits


def _fold_grid(gemm: Gemm, dataflow: str, rows: int, cols: int):
    """Per fold (column folds outer, rows inner): rows used, cols used, row index, col index; and T."""
    sr, sc, t = {"ws": (gemm.K, gemm.M, gemm.E), "os": (gemm.E, gemm.M, gemm.K),
                 "is": (gemm.K, gemm.E, gemm.M)}[dataflow]
    rf, cf = ceil_div(sr, rows), ceil_div(sc, cols)
    row_idx = np.tile(np.arange(rf), cf)
    col_idx = np.repeat(np.arange(cf), rf)
    used_r = np.minimum(rows, sr - row_idx * rows)
    used_c = np.minimum(cols, sc - col_idx * cols)
    return used_r, used_c, row_idx, col_idx, t, rf


def _fetch_mask(keys: np.ndarray, resident: bool) -> np.ndarray:
    """Folds that fetch their operand slice: the key changed since the previous fold, and (when the whole
    operand stays on chip) the key was never fetched before."""
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
    metadata; None: ``weight_bits``)."""

    dataflow: str = "ws"
    ifmap_read_factor: float = 1.0
    weight_dram_bits: int | None = None


def _gemm_folds(gemm: Gemm, hw: HardwareConfig, buffers: dict[str, Buffer], streams: Streams):
    """Per-fold cycles, DRAM load and store bytes, SRAM word counts of one GEMM (one repeat), and per fold
    the words the array reads and writes itself (``ARRAY_WORDS``, columns in that order)."""
    df = streams.dataflow
    ra, ca = hw.pe_array.rows, hw.pe_array.cols
    ab, pb = hw.data_widths.activation_bits, hw.data_widths.psum_bits
    wb = streams.weight_dram_bits or hw.data_widths.weight_bits
    used_r, used_c, row_idx, col_idx, t, rf = _fold_grid(gemm, df, ra, ca)
    cycles = np.full(len(used_r), (ra + ca + t - 2) if df == "os" else (2 * ra + ca + t - 2), dtype=np.int64)
    n_cf = int(col_idx.max()) + 1
    if df == "ws":      # weights stationary (K rows x M cols); inputs E x K streamed
        w_el, w_key = used_r * used_c, row_idx * n_cf + col_idx
        i_el, i_key = used_r * (gemm.ifmap_elements / gemm.K), row_idx
        i_reads, w_reads = t * used_r, used_r * used_c
        out_slice = t * used_c          # partial sums of one fold
    elif df == "is":    # inputs stationary (K rows x E cols); weights K x M streamed
        i_el, i_key = used_r * used_c * (gemm.ifmap_elements / (gemm.K * gemm.E)), row_idx * n_cf + col_idx
        w_el, w_key = used_r * t, row_idx
        i_reads, w_reads = used_r * used_c, t * used_r
        out_slice = t * used_c
    else:               # os: outputs stationary (E rows x M cols); inputs and weights streamed over K
        i_el, i_key = used_r * (gemm.ifmap_elements / gemm.E), row_idx
        w_el, w_key = t * used_c, col_idx
        i_reads, w_reads = used_r * t, t * used_c
        out_slice = used_r * used_c
    half = {name: b.size_bytes / 2 for name, b in buffers.items()}
    i_fetch = _fetch_mask(i_key, bits_to_bytes(gemm.ifmap_elements * ab) <= half["in"])
    w_fetch = _fetch_mask(w_key, bits_to_bytes(gemm.weight_elements * wb) <= half["w"])
    load = bits_to_bytes(i_fetch * i_el * ab) + bits_to_bytes(w_fetch * w_el * wb)
    # Outputs: ws/is accumulate over the rf row folds of a column fold; os finishes each fold's outputs.
    accumulating = df != "os" and rf > 1
    last_row = (row_idx == rf - 1) if df != "os" else np.ones(len(row_idx), dtype=bool)
    spill = accumulating and bits_to_bytes(float(out_slice.max()) * pb) > half["out"]
    store = bits_to_bytes(last_row * out_slice * ab)
    psum_reads = (row_idx > 0) * out_slice if accumulating else np.zeros_like(out_slice)
    reloaded = np.zeros_like(out_slice)
    if spill:
        store = store + bits_to_bytes((~last_row) * out_slice * pb)
        reloaded = (row_idx > 0) * out_slice
        load = load + bits_to_bytes(reloaded * pb)
    sram = {("in", "read_words"): _words(i_reads.sum() * streams.ifmap_read_factor, ab, buffers["in"]),
            ("in", "write_words"): _words((i_fetch * i_el).sum(), ab, buffers["in"]),
            ("w", "read_words"): _words(w_reads.sum(), hw.data_widths.weight_bits, buffers["w"]),
            ("w", "write_words"): _words((w_fetch * w_el).sum(), hw.data_widths.weight_bits, buffers["w"]),
            ("out", "write_words"): _words(out_slice.sum(), pb if accumulating else ab, buffers["out"])
            + _words(reloaded.sum(), pb, buffers["out"]),
            ("out", "read_words"): _words(psum_reads.sum() + (last_row * out_slice).sum(), pb, buffers["out"])}
    array = np.stack([_words(i_reads * streams.ifmap_read_factor, ab, buffers["in"]),
                      _words(w_reads, hw.data_widths.weight_bits, buffers["w"]),
                      _words(out_slice, pb if accumulating else ab, buffers["out"]),
                      _words(psum_reads, pb, buffers["out"])], axis=1).astype(float)
    return cycles, np.ceil(load).astype(np.int64), np.ceil(store).astype(np.int64), sram, array


#: The buffer words the array itself moves in a fold (the columns of ``_gemm_folds``'s last result).
ARRAY_WORDS = (("in", "read_words"), ("w", "read_words"), ("out", "write_words"), ("out", "read_words"))


def _chunk(load: np.ndarray, cycles: np.ndarray, store: np.ndarray, words: np.ndarray, half_bytes: float):
    """Cut the fold stream into steps of at most ``half_bytes`` of fetch (split big folds, merge small);
    ``words`` (folds, q) are split in proportion to the parts, like the cycles."""
    parts = np.maximum(1, np.ceil(load / half_bytes)).astype(np.int64)
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


def _buffers(hw: HardwareConfig) -> dict[str, Buffer]:
    return {"in": hw.buffers_holding("input_activations")[0], "w": hw.buffers_holding("weights")[0],
            "out": hw.buffers_holding("output_activations")[0]}


def check_systolic(layer: Layer, hw: HardwareConfig, dataflow: str | None = None) -> None:
    """What :func:`compile_systolic` refuses, checked without compiling (a ConfigError naming the buffer):

    * the array's stationary tile (rows x cols words) must fit half of its buffer (the other half is filling
      for the next fold);
    * the layer's operands, each fetched at least once, must take at most ``MAX_STEPS`` steps of half the
      smaller operand buffer (``docs`` "Steps" above).

    ``dataflow``: the array's (None: the machine's ``dataflow`` key)."""
    dataflow = dataflow or hw.dataflow
    buffers = _buffers(hw)
    which, width = STATIONARY[dataflow]
    buffer = buffers[which]
    tile_bytes = bits_to_bytes(hw.pe_array.rows * hw.pe_array.cols * getattr(hw.data_widths, width))
    if tile_bytes > buffer.size_bytes / 2:
        raise ConfigError(f"layer {layer.name}: the {hw.pe_array.rows}x{hw.pe_array.cols} stationary tile "
                          f"of the {dataflow} dataflow does not fit half of buffer {buffer.name}",
                          file=hw.source, key=f"buffers.{buffer.name}.size_bytes",
                          expected=f">= {int(2 * tile_bytes)} bytes", got=buffer.size_bytes)
    widths = hw.data_widths
    least_bytes = bits_to_bytes(sum(g.repeats * (g.ifmap_elements * widths.activation_bits
                                                  + g.weight_elements * widths.weight_bits) for g in lower(layer)))
    smaller = min(buffers["in"], buffers["w"], key=lambda b: (b.size_bytes, b.name))
    if least_bytes / (smaller.size_bytes / 2) > MAX_STEPS:
        raise ConfigError(f"layer {layer.name}: buffer {smaller.name} is so small that fetching the layer's "
                          f"{int(least_bytes)} operand bytes takes over {MAX_STEPS} simulation steps",
                          file=hw.source, key=f"buffers.{smaller.name}.size_bytes",
                          expected=f">= {ceil_div(int(2 * least_bytes), MAX_STEPS)} bytes", got=smaller.size_bytes)


def compile_systolic(layer: Layer, hw: HardwareConfig) -> Program:
    """``layer`` on the systolic array of ``hw`` (engine ``systolic``), as a :class:`Program` of one PE
    (the whole array) whose steps are DRAM-fetch chunks."""
    return compile_gemms(layer, lower(layer), hw, Streams(hw.dataflow), useful_macs=layer.macs)


def compile_gemms(layer: Layer, gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams, *,
                  useful_macs: int, counts: Counts = Counts(), details: dict | None = None) -> Program:
    """``gemms`` (``layer``'s lowering, or a machine's own version of it) on the array of ``hw`` streamed as
    ``streams`` says; ``counts`` and ``details`` are added to the Program's. One ``mac.op`` per product of
    the GEMMs."""
    check_systolic(layer, hw, streams.dataflow)
    buffers = _buffers(hw)
    half = min(buffers["in"].size_bytes, buffers["w"].size_bytes) / 2
    names = {"in": buffers["in"].name, "w": buffers["w"].name, "out": buffers["out"].name}
    if isinstance(layer, Embedding):
        row_bytes = ceil_div(layer.dim * hw.data_widths.weight_bits, 8)
        n = embedding_rows(layer)
        out_words = _words(n * layer.dim, hw.data_widths.weight_bits, buffers["out"])
        return Program(layer.name, load_bytes=[n * row_bytes], pe_cycles=[[0]], store_bytes=[n * row_bytes],
                       barrier=True, useful_macs=0, details=details or {},
                       counts=Counts({(names["out"], "write_words"): out_words,
                                      (names["out"], "read_words"): out_words}))
    loads, cycles, stores, arrays, sram = [], [], [], [], Counts()
    for gemm in gemms:
        c, l, s, words, array = _gemm_folds(gemm, hw, buffers, streams)
        reps = gemm.repeats
        cycles.append(np.tile(c, reps))
        loads.append(np.tile(l, reps))
        stores.append(np.tile(s, reps))
        arrays.append(np.tile(array, (reps, 1)))
        sram += Counts({(names[b], action): v * reps for (b, action), v in words.items()})
    load, cyc, store, array = _chunk(np.concatenate(loads), np.concatenate(cycles), np.concatenate(stores),
                                     np.concatenate(arrays), half)
    demand: dict[tuple[str, str], np.ndarray] = {}
    for column, (b, action) in enumerate(ARRAY_WORDS):      # the output buffer: writes and reads apart
        key = (names[b], action)
        demand[key] = demand.get(key, 0) + array[:, column]
    macs = sum(g.macs for g in gemms)
    return Program(layer.name, load_bytes=load, pe_cycles=cyc[:, None], store_bytes=store, barrier=True,
                   useful_macs=useful_macs, counts=sram + counts + Counts.of(mac={"op": macs}),
                   sram_words=demand, details=details or {})
