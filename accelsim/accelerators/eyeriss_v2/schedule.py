"""The array half of Eyeriss v2's mapper: which PE runs which passes in which round, and what the
hierarchical-mesh NoC, the global buffer and DRAM must deliver per round (layer 5).

Spatial mapping (row-stationary-plus on the 8 x 2 clusters of 3 x 4 PEs, Chen et al., JETCAS 2019, Sec. II-III):
an *output tile* is ``M0`` output channels x ``rows`` output rows of one group; a *reduction block* is one
(``C0``-channel block, filter row). Each PE column of a cluster (one psum router each) owns an output tile;
the PEs of the column (one iact and one weight router per PE row) take different reduction blocks and
accumulate their partial sums down the column, so one psum per output leaves the column per round. A round
is one reduction block per PE; every PE waits for the slowest at its end (barrier).

Delivery per round, from the mode the tiling implies: PEs of a cluster row with the same output channels
share a weight block (weights multicast; all distinct: unicast), PEs with the same output rows share their
iacts (iacts multicast; all the same: broadcast). A router delivers ``port_bits`` per cycle: a weight or
iact router the distinct CSC data (12-bit count-data pairs, or 8-bit words when uncompressed is smaller) of
its PE row's tiles, a psum router its column's ``psum_bits`` partial sums. Weights are not stored in the GLB
(Sec. IV): they come from DRAM through the weight routers into the weight scratch pad, which holds one
block, so a round starts with its weight load (as long as the weight routers take); then the PE's passes run, overlapped with its iact and psum traffic (the PE's I/O FIFOs), as long
as the longest of the three. The GLB serves each round's iact reads and partial-sum writes and reads through
its banks and ports (``*_round_*``: the kernel stalls a step its banks cannot serve, ``accelsim.sim.sram``).
``rows``, the clusters a layer uses and whether its input stays in the GLB are chosen by :mod:`.search`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from accelsim.accelerators.eyeriss_v2.mapper import Blocks, address_bits, channel_blocks, pad_to
from accelsim.accelerators.eyeriss_v2.view import ConvView
from accelsim.units import bits_to_bytes, bytes_to_bits, ceil_div


@dataclass(frozen=True)
class Array:
    """The PE array and its NoC: ``clusters`` clusters of ``lanes`` x ``columns`` PEs, router ports, widths
    (bits) and GLB capacities (bytes)."""

    clusters: int
    lanes: int
    columns: int
    iact_port_bits: int
    weight_port_bits: int
    psum_port_bits: int
    weight_bits: int
    act_bits: int
    psum_bits: int
    count_bits: int
    glb_iact_bytes: int
    glb_psum_bytes: int
    sparse: bool

    @property
    def n_columns(self) -> int:
        return self.clusters * self.columns

    @property
    def n_pes(self) -> int:
        return self.n_columns * self.lanes


@dataclass(frozen=True)
class Schedule:
    """Per round (rows) and PE (columns, ``column * lanes + lane``): ``compute`` and ``round`` cycles (the
    latter with the NoC deliveries); per round the DRAM ``load_bytes`` / ``store_bytes`` and the part of the
    loads that are weights (``weight_load_bytes``: no buffer holds them ahead of their round); NoC and GLB
    totals in bits or elements; per round the iact bits the GLB reads (``iact_round_bits``) and the partial
    sums it writes and reads back (``psum_round_writes``, ``psum_round_reads``); the rows per tile, whether
    the input stays in the GLB and how many PEs share an iact / weight stream."""

    compute: np.ndarray
    cycles: np.ndarray
    load_bytes: np.ndarray
    store_bytes: np.ndarray
    weight_load_bytes: np.ndarray
    weight_bits: float
    iact_bits: float
    psums: float
    psum_reads: float
    spilled_bytes: float
    glb_iact_write_bits: float
    iact_round_bits: np.ndarray
    psum_round_writes: np.ndarray
    psum_round_reads: np.ndarray
    rows: int
    resident: bool
    iact_sharing: float
    weight_sharing: float


def _chunks(per_row: np.ndarray, rows: int, axis: int = -1) -> np.ndarray:
    """Sum ``per_row`` (output rows on ``axis``) over consecutive chunks of ``rows`` rows."""
    per_row = np.moveaxis(per_row, axis, -1)
    n = ceil_div(per_row.shape[-1], rows)
    return np.moveaxis(pad_to(per_row, -1, n * rows).reshape(*per_row.shape[:-1], n, rows).sum(-1), -1, axis)


def _distinct(keys: np.ndarray) -> np.ndarray:
    """True where a key (last axis: one group of columns) is its first occurrence in the group (-1: none)."""
    order = np.argsort(keys, axis=-1, kind="stable")
    ranked = np.take_along_axis(keys, order, axis=-1)
    first = np.ones(keys.shape, bool)
    first[..., 1:] = ranked[..., 1:] != ranked[..., :-1]
    out = np.empty(keys.shape, bool)
    np.put_along_axis(out, order, first & (ranked >= 0), axis=-1)
    return out


def _per_cluster(first: np.ndarray, keys: np.ndarray, bits: np.ndarray, arr: Array) -> np.ndarray:
    """Bits each (tile round, cluster, reduction round, lane) router delivers: the distinct keys' data."""
    gathered = bits[np.maximum(keys, 0)] * first[..., None]            # (TR, NC, CC, BR*lanes)
    per = gathered.sum(axis=2)
    return per.reshape(*per.shape[:2], -1, arr.lanes)


def block_bits(v: ConvView, m0: int, c0: int, per_block: np.ndarray, arr: Array) -> np.ndarray:
    """Bits of each weight block, (G*MB, CB*R): CSC pairs and addresses, or uncompressed if smaller (always on a
    dense PE); ``per_block``: the blocks' CSC entries, (G, MB, CB, R)."""
    m_real = np.minimum(m0, v.m - m0 * np.arange(per_block.shape[1]))[None, :, None, None]
    c_real = np.minimum(c0, v.c - c0 * np.arange(per_block.shape[2]))[None, None, :, None]
    dense = m_real * c_real * v.s * arr.weight_bits
    compressed = per_block * (arr.weight_bits + arr.count_bits) + (c0 * v.s + 1) * address_bits(per_block)
    bits = np.minimum(compressed, dense) if arr.sparse else np.broadcast_to(dense, per_block.shape)
    return bits.reshape(bits.shape[0] * bits.shape[1], -1)


def iact_bits(v: ConvView, c0: int, rows: int, arr: Array) -> np.ndarray:
    """Bits of the iacts each (group, row chunk) x (C block, filter row) stream carries, (G*NY, CB*R)."""
    row_nnz = channel_blocks(v.acts.sum(axis=-1), c0, 1).sum(axis=2)       # (G, CB, padded H)
    channels = channel_blocks(np.ones((v.groups, v.c), int), c0, 1).sum(axis=2)
    idx = np.arange(v.e)[None, :] * v.stride_h + np.arange(v.r)[:, None]  # (R, E)
    nnz = _chunks(row_nnz[:, :, idx], rows)                            # (G, CB, R, NY)
    dense = _chunks(np.ones(v.e), rows)[None, None, None, :] * channels[:, :, None, None] \
        * v.acts.shape[-1] * arr.act_bits
    bits = np.minimum(nnz * (arr.act_bits + arr.count_bits), dense) if arr.sparse else np.broadcast_to(dense, nnz.shape)
    g, cb, r, ny = bits.shape
    return bits.transpose(0, 3, 1, 2).reshape(g * ny, cb * r)


def tile_psums(v: ConvView, m0: int, rows: int) -> np.ndarray:
    """Partial sums of each output tile of ``m0`` channels x ``rows`` output rows, in tile order (group, M
    block, row chunk), (tiles,)."""
    ny = ceil_div(v.e, rows)
    rows_real = np.minimum(rows, v.e - rows * np.arange(ny))
    m_real = np.minimum(m0, v.m - m0 * np.arange(ceil_div(v.m, m0)))
    return np.tile(np.outer(m_real, rows_real).ravel() * v.f, v.groups).astype(np.int64)


def per_round(per_tile: np.ndarray, n_columns: int) -> np.ndarray:
    """(tile rounds, PE columns) of a per-tile array (tile order), zeros where a round has no tile."""
    return pad_to(per_tile, 0, ceil_div(per_tile.size, n_columns) * n_columns).reshape(-1, n_columns)


def _tile_psums(v: ConvView, m0: int, rows: int, arr: Array) -> np.ndarray:
    """Partial sums of each output tile, by tile round and column, (TR, columns)."""
    return per_round(tile_psums(v, m0, rows), arr.n_columns)


def _lanes(per_cluster: np.ndarray, arr: Array) -> np.ndarray:
    """(TR, clusters, BR, lanes) -> (TR, BR, columns, lanes): a cluster's router figure for each PE."""
    return np.repeat(per_cluster, arr.columns, axis=1).transpose(0, 2, 1, 3)


def sub_arrays(arr: Array) -> list[Array]:
    """``arr`` and its first ``clusters / 2**k`` clusters (at least one), largest first."""
    return [replace(arr, clusters=n) for n in sorted({arr.clusters >> k for k in range(arr.clusters.bit_length())},
                                                     reverse=True)]


def tile_work(row_work: np.ndarray, rows: int) -> np.ndarray:
    """Pass cycles per (output tile, reduction block) with output tiles of ``rows`` rows, (tiles, blocks);
    ``row_work``: the passes' cycles summed per output row, (G, M blocks, C blocks, R, E)."""
    g, mb, cb, r, e = row_work.shape
    work = _chunks(row_work, rows)                                      # (G, MB, CB, R, NY)
    return work.transpose(0, 1, 4, 2, 3).reshape(g * mb * work.shape[-1], cb * r)


def passes_per_round(work: np.ndarray, arr: Array) -> np.ndarray:
    """Each PE's pass cycles per round, (TR, BR, PE columns, lanes), of :func:`tile_work` ``work`` on ``arr``."""
    n_tiles, n_blocks = work.shape
    tr, br = ceil_div(n_tiles, arr.n_columns), ceil_div(n_blocks, arr.lanes)
    work = pad_to(pad_to(work, 0, tr * arr.n_columns), 1, br * arr.lanes)
    return work.reshape(tr, arr.n_columns, br, arr.lanes).transpose(0, 2, 1, 3)


def _rounds(v: ConvView, m0: int, arr: Array, rows: int, compute: np.ndarray, w_bits: np.ndarray,
            i_bits: np.ndarray):
    """Per round: the tiles' weight and row keys (TR, clusters, columns), the weight blocks' bits (padded to the
    rounds), the bits each weight and iact router delivers, the tiles' partial sums and every PE's cycles (TR,
    BR, columns, lanes) with passes of ``compute`` cycles; ``w_bits``: :func:`block_bits`, ``i_bits``:
    :func:`iact_bits`."""
    mb = w_bits.shape[0] // v.groups
    ny = ceil_div(v.e, rows)
    tr, br = compute.shape[:2]
    tile = np.arange(tr * arr.n_columns)
    valid = tile < v.groups * mb * ny
    m_key = np.where(valid, tile // ny, -1).reshape(tr, arr.clusters, arr.columns)
    row_key = np.where(valid, (tile // (mb * ny)) * ny + tile % ny, -1).reshape(tr, arr.clusters, arr.columns)
    w_bits = pad_to(w_bits, 1, br * arr.lanes)
    i_bits = pad_to(i_bits, 1, br * arr.lanes)
    w_router = _per_cluster(_distinct(m_key), m_key, w_bits, arr)      # (TR, NC, BR, lanes)
    i_router = _per_cluster(_distinct(row_key), row_key, i_bits, arr)
    tile_psums = _tile_psums(v, m0, rows, arr)
    psum_cycles = np.ceil(tile_psums * arr.psum_bits / arr.psum_port_bits)
    weight_load = _lanes(np.ceil(w_router / arr.weight_port_bits), arr)
    streams = np.maximum(compute, _lanes(np.ceil(i_router / arr.iact_port_bits), arr))
    cycles = weight_load + np.maximum(streams, psum_cycles[:, None, :, None])
    return m_key, row_key, w_bits, w_router, i_router, tile_psums, cycles


def round_cycles(v: ConvView, m0: int, arr: Array, rows: int, compute: np.ndarray, w_bits: np.ndarray,
                 i_bits: np.ndarray) -> int:
    """The rounds' slowest PE summed over rounds, as :func:`plan`'s schedules have them, with passes of
    ``compute`` cycles (:func:`passes_per_round`; a floor of them gives a lower bound); ``w_bits``:
    :func:`block_bits`, ``i_bits``: :func:`iact_bits`."""
    return int(_rounds(v, m0, arr, rows, compute, w_bits, i_bits)[-1].max(axis=(2, 3)).sum())


def plan(v: ConvView, b: Blocks, arr: Array, rows: int, compute: np.ndarray) -> list[Schedule]:
    """The rounds of ``v`` with output tiles of ``rows`` output rows, whose passes take ``compute``
    (:func:`passes_per_round`): one schedule per way the input may cross DRAM (:func:`_input_loads`:
    streamed, and resident in the GLB's iact banks if it fits there)."""
    mb, tr, br = b.cycles.shape[1], compute.shape[0], compute.shape[1]
    m_key, row_key, w_bits, w_router, i_router, tile_psums, cycles = _rounds(
        v, b.m0, arr, rows, compute, block_bits(v, b.m0, b.c0, b.entries.sum(-1), arr), iact_bits(v, b.c0, rows, arr))
    valid = m_key >= 0
    w_first, i_first = _distinct(m_key), _distinct(row_key)
    spill_loads, stores, spilled, weight_bytes = _dram(v, b, arr, m_key, w_bits, tile_psums, br)

    shape = (tr * br, arr.n_pes)
    round_psums = np.repeat(tile_psums.sum(axis=1), br).astype(float)
    reads_back = round_psums * (np.arange(tr * br) % br > 0)
    out = []
    for resident, iacts in _input_loads(v, arr, rows, row_key, mb, br):
        loads = np.ceil((iacts + spill_loads).ravel())
        out.append(Schedule(
            compute=compute.reshape(shape), cycles=cycles.reshape(shape).astype(np.int64),
            load_bytes=loads + weight_bytes.ravel(), store_bytes=stores, weight_load_bytes=weight_bytes.ravel(),
            weight_bits=float(w_router.sum()),
            iact_bits=float(i_router.sum()), psums=float(round_psums.sum()), psum_reads=float(reads_back.sum()),
            spilled_bytes=spilled,
            glb_iact_write_bits=float(bytes_to_bits(loads.sum())),
            iact_round_bits=i_router.sum(axis=(1, 3)).ravel(), psum_round_writes=round_psums,
            psum_round_reads=reads_back, rows=rows, resident=resident,
            iact_sharing=float(valid.sum() / max(i_first.sum(), 1)),
            weight_sharing=float(valid.sum() / max(w_first.sum(), 1))))
    return out


def _input_loads(v: ConvView, arr: Array, rows: int, row_key: np.ndarray, mb: int,
                 br: int) -> list[tuple[bool, np.ndarray]]:
    """Input bytes each round loads from DRAM, (TR, BR), per option (resident?, bytes): *streamed* (each tile
    round loads the input rows of its distinct output-row chunks, ``C`` channels of the padded width, again in
    every tile round that needs them; a row no chunk reads, with the first round: the input crosses DRAM at
    least once) and, if the input fits the GLB's iact banks, *resident* (each input row
    is loaded once, with the first tile round whose output rows span it; a row below every window, with the
    first round)."""
    tr = row_key.shape[0]
    in_rows = min(v.acts.shape[2], (rows - 1) * v.stride_h + v.r)
    slab = bits_to_bytes(v.c * in_rows * v.acts.shape[3] * arr.act_bits)
    top, height = v.real_rows
    h = np.arange(top, top + height)                                       # padded index of each input row
    step = rows * v.stride_h
    input_bytes = bits_to_bytes(v.input_elements * arr.act_bits)
    streamed = np.zeros((tr, br))
    streamed[:, 0] = _distinct(row_key.reshape(tr, -1)).sum(axis=1) * slab
    unread = ((h % step) >= in_rows) | (h >= ceil_div(v.e, rows) * step)  # in no chunk's slab
    streamed[0, 0] += unread.sum() * input_bytes / height
    if input_bytes > arr.glb_iact_bytes:
        return [(False, streamed)]
    chunk = np.maximum(0, -(-(h - (rows - 1) * v.stride_h - v.r + 1) // step))   # the first chunk reading row h
    ny = ceil_div(v.e, rows)
    read = (chunk < ny) & (chunk * step <= h) & (h < (v.e - 1) * v.stride_h + v.r)
    groups = np.arange(v.groups)[:, None]
    first = np.where(read[None, :], (groups * mb * ny + chunk[None, :]) // arr.n_columns, 0)   # (G, rows)
    resident = np.zeros((tr, br))
    resident[:, 0] = np.bincount(first.ravel(), minlength=tr)[:tr] * (input_bytes / (v.groups * height))
    return [(False, streamed), (True, resident)]


def _dram(v: ConvView, b: Blocks, arr: Array, m_key, w_bits, tile_psums, br: int):
    """DRAM bytes per round but the input's (:func:`_input_loads`): loads, the partial sums beyond what the
    GLB's psum banks hold, back in every reduction round but the first; stores, those partial sums out after
    every reduction round but the last, and the outputs, ``act_bits`` uncompressed, after a tile round's last;
    spilled bytes in all; and the weight bytes each round reads (its distinct weight blocks), (TR, BR)."""
    tr = m_key.shape[0]
    flat = m_key.reshape(tr, -1)
    first = _distinct(flat)
    per_lane = (w_bits[np.maximum(flat, 0)] * first[..., None]).sum(axis=1)          # (TR, BR*lanes)
    weights = bits_to_bytes(per_lane.reshape(tr, br, arr.lanes).sum(-1))
    active = bits_to_bytes(tile_psums.sum(axis=1) * arr.psum_bits)                  # (TR,)
    spill = np.maximum(active - arr.glb_psum_bytes, 0.0)                            # what the GLB cannot hold
    loads = np.zeros((tr, br))
    loads[:, 1:] += spill[:, None]
    stores = np.zeros((tr, br))
    stores[:, :-1] += spill[:, None]
    stores[:, -1] += bits_to_bytes(tile_psums.sum(axis=1) * arr.act_bits)
    return loads, np.ceil(stores.ravel()), float(spill.sum() * (br - 1)), np.ceil(weights.ravel())
