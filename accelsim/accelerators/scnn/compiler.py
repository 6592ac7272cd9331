"""Compiling a layer for SCNN (Parashar et al., ISCA 2017), dataflow PT-IS-CP-sparse, into a
:class:`Program` (layer 3). The mapping and every modelling choice are explained in ``docs/scnn.md``; in short:

**Planar tiling (PT), convolutions.** The unpadded input plane is cut into tiles of ``tile_w`` x ``tile_h``
pixels, ``ceil(in / (PEs per axis x factor))``; tile (tx, ty) runs on PE (tx mod cols, ty mod rows) in pass
(tx div cols, ty div rows). A tile's products land on every output whose window overlaps it; it owns the
outputs whose window centre lies in it and accumulates the others (output halos, on all sides) for its
neighbours, to which it sends them after each output-channel group. One pass (factor 1) is used unless a
tile's partial sums or its compressed inputs (all channels, the real activation mask) do not fit the
accumulators or the IARAM; then the plane is cut into more, smaller tiles processed pass after pass.

**Output-channel groups (IS).** ``kc`` = accumulator entries (banks x entries) // the partial sums one output
channel of a tile needs, halos included; a group is ``kc`` consecutive output channels. Steps of the Program
are (pass, group), each ending in a barrier (the PEs synchronise at group boundaries).

**Cartesian product (CP).** For PE p, input channel c and group g the F x I array multiplies every F-vector
of the (c, g) weights (stored entries, padding included, in storage order r, s, k: a vector holds
consecutive output channels) by every I-vector of the
PE's channel-c activations (raster order): ``ceil(w/F) x ceil(a/I)`` steps. A strided layer splits both
lists by stride phase (X mod s, Y mod s) and multiplies matching phases only. Each product's output
coordinate (k, (X-r)/s, (Y-s)/s) is hashed to one of A accumulator banks (:func:`bank_of`); a step lasts as
many cycles as its busiest bank receives products. Padding entries and products whose output falls outside
the output plane occupy a multiplier but reach no bank.

**Fully connected layers** (Linear, a 1x1 convolution on a 1x1 plane, LSTM gates, Attention): a 1x1 plane
cannot be split over PEs, so output channels are: PE p owns ``ceil(M / PEs)`` consecutive outputs, every PE
holds the whole (broadcast) input vector, and each input channel has one activation per input vector:
with batch 1 only one of the I activation lanes is fed, hence SCNN's ~25% of peak on FC layers.

Everything is computed with vectorised numpy over all (PE, channel, group) steps at once (processed in
blocks of steps to bound memory); nothing iterates per product in Python.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from accelsim.compile.gemm import Gemm, embedding_rows, lower
from accelsim.compile.masks import checked_mask
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.errors import ConfigError
from accelsim.formats import RunLength
from accelsim.formats.runlength import encode_streams
from accelsim.hardware.schema import Buffer, HardwareConfig
from accelsim.units import ceil_div
from accelsim.workloads.layers import LSTM, Attention, Conv2D, Embedding, Layer, Linear

#: Steps evaluated together when computing bank conflicts (bounds memory: ~70 MB per block).
STEPS_PER_BLOCK = 1 << 18
#: Input-channel blocks an FC layer is cut into at least, so that weight streaming overlaps compute.
FC_BLOCKS = 16


# --- the machine ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Machine:
    """SCNN's PE organisation (shared with its dense baseline DCNN), read from a hardware config."""

    rows: int
    cols: int
    f: int                      # weights per multiplier-array step (F)
    i: int                      # activations per multiplier-array step (I)
    banks: int                  # accumulator banks (A)
    entries: int                # entries per bank (one buffer of the double-buffered pair)
    fifo_entries: int           # weight FIFO depth
    iaram: Buffer
    oaram: Buffer
    weight_bits: int
    activation_bits: int
    psum_bits: int
    index_bits: int             # 0 for a dense machine

    @property
    def n_pes(self) -> int:
        return self.rows * self.cols

    @property
    def lanes(self) -> int:
        """Multipliers per PE (F x I)."""
        return self.f * self.i

    @property
    def accumulator_capacity(self) -> int:
        """Partial sums one accumulator buffer holds (banks x entries)."""
        return self.banks * self.entries

    @property
    def weight_entry_bits(self) -> int:
        return self.weight_bits + self.index_bits

    @property
    def activation_entry_bits(self) -> int:
        return self.activation_bits + self.index_bits

    def pe_of_tile(self, tx: np.ndarray, ty: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
        """(physical PE, pass) of planar tiles (tx, ty) when each axis has ``factor`` x PEs tiles."""
        pe = (ty % self.rows) * self.cols + (tx % self.cols)
        return pe, (ty // self.rows) * factor + (tx // self.cols)


def machine(hw: HardwareConfig, sparse: bool) -> Machine:
    """The SCNN/DCNN organisation of ``hw``; ``sparse`` machines store a zero-run index per entry."""
    pe = hw.pe
    needed = {"pe.multipliers_f": pe.multipliers_f, "pe.multipliers_i": pe.multipliers_i,
              "pe.accumulator_banks": pe.accumulator_banks, "pe.accumulator_entries": pe.accumulator_entries,
              "pe.weight_fifo_entries": pe.weight_fifo_entries}
    if sparse:
        needed["data_widths.index_bits"] = hw.data_widths.index_bits
    for key, value in needed.items():
        if value is None:
            raise ConfigError("missing key", file=hw.source, key=key, expected=f"set for engine {hw.engine}")
    return Machine(rows=hw.pe_array.rows, cols=hw.pe_array.cols, f=pe.multipliers_f, i=pe.multipliers_i,
                   banks=pe.accumulator_banks, entries=pe.accumulator_entries,
                   fifo_entries=pe.weight_fifo_entries, iaram=_buffer(hw, "input_activations"),
                   oaram=_buffer(hw, "output_activations"), weight_bits=hw.data_widths.weight_bits,
                   activation_bits=hw.data_widths.activation_bits, psum_bits=hw.data_widths.psum_bits,
                   index_bits=hw.data_widths.index_bits if sparse else 0)


def _buffer(hw: HardwareConfig, kind: str) -> Buffer:
    holding = hw.buffers_holding(kind)
    if holding[0].level != "pe":
        raise ConfigError("SCNN's activation RAMs are per PE", file=hw.source, key=f"buffers.{holding[0].name}.level",
                          expected="pe", got=holding[0].level)
    return holding[0]


def bank_of(k: np.ndarray, x: np.ndarray, y: np.ndarray, banks: int) -> np.ndarray:
    """Accumulator bank of output (channel k, column x, row y).

    The paper (as summarised) gives A = 2FI banks but not the function. We use the one of DNNsim's SCNN model
    (Edo et al., an open re-implementation): bits 0-1 = k mod 4, bit 2 = y mod 2, bit 3 = x mod 2, bit 4 =
    k bit 2 xor x bit 1 xor y bit 1, modulo ``banks``. It depends on k mod 8, x mod 4, y mod 4 only, and two
    outputs collide or not independently of a common shift of x or y, so global and tile-local coordinates
    give the same conflicts.
    """
    k, x, y = np.asarray(k), np.asarray(x), np.asarray(y)
    return ((((k & 4) << 2) ^ ((x & 2) << 3) ^ ((y & 2) << 3)) + ((x & 1) << 3) + ((y & 1) << 2) + (k & 3)) % banks


# --- planar tiling ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Axis:
    """One axis of a planar tiling, per tile: input pixels [x_lo, x_hi), outputs it produces partial sums
    for [p_lo, p_hi) and outputs it owns [o_lo, o_hi) (owned is within produced)."""

    x_lo: np.ndarray
    x_hi: np.ndarray
    p_lo: np.ndarray
    p_hi: np.ndarray
    o_lo: np.ndarray
    o_hi: np.ndarray

    @property
    def produced(self) -> np.ndarray:
        return self.p_hi - self.p_lo

    @property
    def pixels(self) -> np.ndarray:
        return self.x_hi - self.x_lo

    @property
    def owned(self) -> np.ndarray:
        return self.o_hi - self.o_lo

    @property
    def before(self) -> np.ndarray:
        """Halo outputs before the owned ones (owned by the previous tile)."""
        return np.maximum(0, np.minimum(self.o_lo, self.p_hi) - self.p_lo)

    @property
    def after(self) -> np.ndarray:
        """Halo outputs after the owned ones (owned by the next tile)."""
        return np.maximum(0, self.p_hi - np.maximum(self.o_hi, self.p_lo))


def _axis(n_in: int, tile: int, pad: int, kernel: int, stride: int, n_out: int) -> Axis:
    """Tiles of ``tile`` input pixels along an axis. Output o's window covers padded inputs
    [o*stride, o*stride + kernel); its home tile holds its window's centre pixel (clipped to the image)."""
    t = np.arange(ceil_div(n_in, tile))
    x_lo = t * tile
    x_hi = np.minimum(x_lo + tile, n_in)
    p_lo = np.clip(-(-(x_lo + pad - (kernel - 1)) // stride), 0, n_out)
    p_hi = np.clip((x_hi - 1 + pad) // stride + 1, 0, n_out)
    home = np.clip(np.arange(n_out) * stride - pad + (kernel - 1) // 2, 0, n_in - 1) // tile
    return Axis(x_lo, x_hi, p_lo, p_hi, np.searchsorted(home, t, "left"), np.searchsorted(home, t, "right"))


@dataclass(frozen=True)
class Plane:
    """How a convolution's input plane is split over the PEs (x = columns/width, y = rows/height).

    The unpadded input plane is cut into tiles of ``tile_w`` x ``tile_h`` pixels (``ceil(in / (PEs per axis
    x factor))``); a tile's products land on the outputs whose windows overlap it; the outputs whose window
    centre lies in the tile are its own, the others (output halos) are sent to the neighbouring tiles."""

    stride: int
    kernel_w: int
    kernel_h: int
    pad_left: int
    pad_top: int
    in_w: int
    in_h: int
    out_w: int
    out_h: int
    factor: int                 # passes per axis: (cols x factor) x (rows x factor) tiles, one pass per PE grid
    tile_w: int
    tile_h: int
    kc: int
    out_channels: int
    resident: bool              # a pass's inputs stay in the IARAM for all its groups

    @property
    def x(self) -> Axis:
        return _axis(self.in_w, self.tile_w, self.pad_left, self.kernel_w, self.stride, self.out_w)

    @property
    def y(self) -> Axis:
        return _axis(self.in_h, self.tile_h, self.pad_top, self.kernel_h, self.stride, self.out_h)

    @property
    def tiles_x(self) -> int:
        return ceil_div(self.in_w, self.tile_w)

    @property
    def tiles_y(self) -> int:
        return ceil_div(self.in_h, self.tile_h)

    @property
    def n_tiles(self) -> int:
        return self.tiles_x * self.tiles_y

    @property
    def passes(self) -> int:
        return self.factor * self.factor

    @property
    def groups(self) -> int:
        return ceil_div(self.out_channels, self.kc)

    def group_sizes(self) -> np.ndarray:
        """Output channels in each group."""
        g = np.arange(self.groups)
        return np.minimum(self.kc, self.out_channels - g * self.kc)

    def tile_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """(tx, ty) of tile t = ty * tiles_x + tx."""
        t = np.arange(self.n_tiles)
        return t % self.tiles_x, t // self.tiles_x

    def per_tile(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Product of an x quantity and a y quantity for every tile (t = ty * tiles_x + tx)."""
        return (y[:, None] * x[None, :]).ravel()

    def owned_outputs(self) -> np.ndarray:
        """Outputs (one channel) each tile owns."""
        return self.per_tile(self.x.owned, self.y.owned)

    def tile_pixels(self) -> np.ndarray:
        """Input pixels (one channel) in each tile."""
        return self.per_tile(self.x.pixels, self.y.pixels)

    def pixel_tiles(self) -> tuple[np.ndarray, np.ndarray]:
        """Per input pixel (raster order, unpadded) its tile, and the tiles' pixels as an index array
        (n_tiles, most pixels) of flat pixel indices in raster order, -1 where a tile is smaller."""
        tx = np.arange(self.in_w) // self.tile_w
        ty = np.arange(self.in_h) // self.tile_h
        tile = (ty[:, None] * self.tiles_x + tx[None, :]).ravel()
        order = np.argsort(tile, kind="stable")
        counts = np.bincount(tile, minlength=self.n_tiles)
        rank = np.arange(tile.size) - np.repeat(np.cumsum(counts) - counts, counts)
        index = np.full((self.n_tiles, int(counts.max())), -1, dtype=np.int64)
        index[tile[order], rank] = order
        return tile, index

    def halos(self) -> tuple[np.ndarray, np.ndarray]:
        """Per tile and each of its 8 neighbours (dx, dy in -1..1 but not 0, 0): the outputs (one channel)
        it accumulates for that neighbour, (n_tiles, 8), and the neighbour's tile index (-1: none). A halo
        wider than a tile is relayed on, and counted as sent to the adjacent tile."""
        ax, ay = self.x, self.y
        tx, ty = self.tile_xy()
        sizes_x = {-1: ax.before, 0: ax.owned, 1: ax.after}
        sizes_y = {-1: ay.before, 0: ay.owned, 1: ay.after}
        areas, to = [], []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dx == 0 and dy == 0:
                    continue
                areas.append(self.per_tile(sizes_x[dx], sizes_y[dy]))
                nx, ny = tx + dx, ty + dy
                inside = (nx >= 0) & (nx < self.tiles_x) & (ny >= 0) & (ny < self.tiles_y)
                to.append(np.where(inside, ny * self.tiles_x + nx, -1))
        return np.stack(areas, axis=1), np.stack(to, axis=1)


def plan_plane(layer: Conv2D, m: Machine, input_bits: Callable[[Plane], np.ndarray]) -> Plane:
    """The planar tiling of ``layer``: the fewest passes such that a tile's partial sums (one output channel,
    halos included) fit one accumulator buffer and its inputs (``input_bits(plane)`` per tile) fit the IARAM.
    If even 1x1 tiles' inputs do not fit, inputs are re-streamed from DRAM for every group
    (``resident=False``)."""
    capacity = m.accumulator_capacity
    iaram_bits = m.iaram.size_bytes * 8
    factor = 1
    while True:
        tile_w = ceil_div(layer.in_w, m.cols * factor)
        tile_h = ceil_div(layer.in_h, m.rows * factor)
        plane = Plane(stride=layer.stride, kernel_w=layer.kernel_w, kernel_h=layer.kernel_h,
                      pad_left=layer.padding[2], pad_top=layer.padding[0], in_w=layer.in_w, in_h=layer.in_h,
                      out_w=layer.out_w, out_h=layer.out_h, factor=factor, tile_w=tile_w, tile_h=tile_h, kc=1,
                      out_channels=layer.out_channels, resident=True)
        footprint = int(plane.x.produced.max()) * int(plane.y.produced.max())
        last = tile_w == 1 and tile_h == 1
        if footprint <= capacity:
            plane = replace(plane, kc=min(layer.out_channels, capacity // footprint))
            if input_bits(plane).max() <= iaram_bits:
                return plane
            if last:
                return replace(plane, resident=False)
        elif last:
            raise ConfigError(f"layer {layer.name}: one output channel's partial sums of a one-pixel tile "
                              f"({footprint}) do not fit the accumulators", key="pe.accumulator_entries",
                              expected=f">= {ceil_div(footprint, m.banks)} entries per bank")
        factor += 1


# --- streams, chunks and the Cartesian product ---------------------------------------------------------

def _stream_entries(streams: np.ndarray, index_bits: int):
    """Stored entries of the run-length streams (rows of boolean ``streams``), padding included:
    (stream id, position in the stream, is a real non-zero) per entry, and stored entries per stream."""
    values, zero_runs, stored = encode_streams(streams.view(np.uint8), index_bits)
    if values.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, bool), stored
    ends = np.cumsum(zero_runs + 1)
    first = np.cumsum(stored) - stored
    base = np.where(first > 0, ends[np.maximum(first - 1, 0)], 0)
    sid = np.repeat(np.arange(stored.size), stored)
    position = ends - 1 - base[sid]
    return sid, position, values.astype(bool), stored


@dataclass(frozen=True)
class Chunks:
    """Operand vectors fed to the multiplier array: F weights or I activations each.

    ``key``: the chunk's (stream, phase) key; ``codes``: (n, lanes) table codes (``discard`` for padding
    entries and empty lanes); ``entries``: stored entries in the chunk (padding included); ``first``: the
    chunk is the first of its key."""

    key: np.ndarray
    codes: np.ndarray
    entries: np.ndarray
    first: np.ndarray


def _chunk(key: np.ndarray, codes: np.ndarray, lanes: int, discard: int, presorted: bool) -> Chunks:
    """Cut entries (in storage order) into vectors of ``lanes`` entries per ``key``."""
    if not presorted:
        order = np.argsort(key, kind="stable")
        key, codes = key[order], codes[order]
    n = key.size
    if n == 0:
        return Chunks(np.zeros(0, np.int64), np.zeros((0, lanes), np.int32), np.zeros(0, np.int64),
                      np.zeros(0, bool))
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[start, n])
    group = np.repeat(np.arange(start.size), sizes)
    rank = np.arange(n) - start[group]
    per_key = -(-sizes // lanes)
    base = np.cumsum(per_key) - per_key
    chunk = base[group] + rank // lanes
    total = int(per_key.sum())
    out = np.full((total, lanes), discard, dtype=np.int32)
    out[chunk, rank % lanes] = codes
    first = np.zeros(total, bool)
    first[base] = True
    return Chunks(np.repeat(key[start], per_key), out, np.bincount(chunk, minlength=total), first)


@dataclass(frozen=True)
class BankTable:
    """Bank (or ``discard``) of the product of a weight code and an activation code.

    Weight code: (k mod 8, kernel row, kernel column). Activation code: (x class, y class), where a
    coordinate's class keeps exactly what decides validity and bank: its exact value near the borders,
    its residue mod 4 x stride inside (see :func:`_coordinate_classes`)."""

    table: np.ndarray           # flat (n_weight_codes + 1) x (n_activation_codes + 1), uint8 (uint16 if A > 255)
    n_act: int                  # activation codes, discard included
    x_class: np.ndarray         # padded x -> class
    y_class: np.ndarray
    n_y: int
    weight_discard: int
    act_discard: int
    discard: int                # the bank value meaning "reaches no bank"


def _coordinate_classes(padded: int, kernel: int, out: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Class of each padded coordinate and a representative coordinate per class (-1: none).

    Left border (X < kernel - 1): its own class (some kernel offsets give an output < 0). Right border
    (X > (out - 1) * stride): its own class (some offsets give an output >= out). Interior: class by
    X mod 4*stride (every offset valid; the bank needs (X - r) / stride mod 4)."""
    x = np.arange(max(padded, 1))
    period = 4 * stride
    left = x < kernel - 1
    right = ~left & (x > (out - 1) * stride)
    cls = np.where(left, x, np.where(right, kernel - 1 + period + x - (out - 1) * stride - 1,
                                     kernel - 1 + x % period))
    rep = np.full(int(cls.max()) + 1, -1, dtype=np.int64)
    rep[cls] = x
    return cls, rep


def bank_table(kernel_w: int, kernel_h: int, stride: int, padded_w: int, padded_h: int, out_w: int, out_h: int,
               banks: int) -> BankTable:
    x_class, x_rep = _coordinate_classes(padded_w, kernel_w, out_w, stride)
    y_class, y_rep = _coordinate_classes(padded_h, kernel_h, out_h, stride)
    k = np.arange(8)[:, None, None, None, None]
    ry = np.arange(kernel_h)[None, :, None, None, None]
    rx = np.arange(kernel_w)[None, None, :, None, None]
    vx = x_rep[None, None, None, :, None]
    vy = y_rep[None, None, None, None, :]
    dx, dy = vx - rx, vy - ry
    ox, oy = dx // stride, dy // stride
    valid = ((vx >= 0) & (vy >= 0) & (dx % stride == 0) & (dy % stride == 0)
             & (ox >= 0) & (ox < out_w) & (oy >= 0) & (oy < out_h))
    bank = np.where(valid, bank_of(k, ox, oy, banks), banks)
    n_w, n_x, n_y = 8 * kernel_h * kernel_w, x_rep.size, y_rep.size
    # one byte per entry while the bank ids and the discard value `banks` fit in it (A = 32 in SCNN)
    table = np.full((n_w + 1, n_x * n_y + 1), banks, dtype=np.min_scalar_type(banks))
    table[:n_w, :n_x * n_y] = bank.reshape(n_w, n_x * n_y)
    return BankTable(table.ravel(), n_x * n_y + 1, x_class, y_class, n_y, n_w, n_x * n_y, banks)


@dataclass
class Tally:
    """What the Cartesian products of a layer add up to."""

    pe_cycles: np.ndarray       # (buckets, PEs): multiplier-array cycles, conflicts included
    useful: int = 0             # products of two non-zeros reaching a bank
    fed: int = 0                # products computed (entries x entries), padding and out-of-plane included
    slots: int = 0              # multiplier slots of all steps (steps x F x I)
    conflicts: int = 0          # cycles beyond one per step
    steps: int = 0
    weight_reads: int = 0       # weight FIFO entries read
    activation_reads: int = 0   # IARAM activation entries read


def busiest_bank(banks: np.ndarray, discard: int) -> np.ndarray:
    """Cycles of each step (row of ``banks``, one bank per product, ``discard`` for none): the products its
    busiest bank receives, at least 1. Rows are sorted, so a bank's products are a run; a product's run
    length so far is its index minus the index where its run started."""
    rows, width = banks.shape
    if width == 1:
        return np.ones(rows, dtype=np.int64)
    ordered = np.sort(banks, axis=1)
    column = np.arange(width, dtype=np.int16)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    run_start = np.maximum.accumulate(np.where(starts, column, 0).astype(np.int16), axis=1)
    run = np.where(ordered != discard, column - run_start + 1, 0)
    return np.maximum(run.max(axis=1), 1).astype(np.int64)


def _pairs(w_key: np.ndarray, a_key: np.ndarray, n_keys: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every (weight chunk, activation chunk) with the same key, in blocks of about STEPS_PER_BLOCK."""
    w_order = np.argsort(w_key, kind="stable")
    a_order = np.argsort(a_key, kind="stable")
    nw = np.bincount(w_key, minlength=n_keys)
    na = np.bincount(a_key, minlength=n_keys)
    w_start, a_start = np.cumsum(nw) - nw, np.cumsum(na) - na
    count = nw * na
    cum = np.cumsum(count)
    k0 = 0
    while k0 < n_keys:
        before = cum[k0] - count[k0]
        k1 = max(int(np.searchsorted(cum, before + STEPS_PER_BLOCK, side="right")), k0 + 1)
        block = count[k0:k1]
        total = int(block.sum())
        if total:
            key = np.repeat(np.arange(k0, k1), block)
            offset = np.arange(total) - np.repeat(np.cumsum(block) - block, block)
            n_a = na[key]
            yield w_order[w_start[key] + offset // n_a], a_order[a_start[key] + offset % n_a]
        k0 = k1


def cartesian(w: Chunks, a: Chunks, w_pair_key: np.ndarray, a_pair_key: np.ndarray, n_keys: int,
              w_pe: np.ndarray, a_pe: np.ndarray, w_bucket: np.ndarray, a_bucket: np.ndarray,
              w_fits: np.ndarray, table: BankTable, m: Machine, n_buckets: int) -> Tally:
    """Run every step (weight chunk x activation chunk of the same pair key): its cycles are those of its
    busiest accumulator bank (at least one). A step belongs to PE ``w_pe + a_pe`` and to Program step
    ``w_bucket + a_bucket``. Operand reads follow the loop order: activation vector outer when the (c, g)
    weights fit the weight FIFO (``w_fits``), weight vector outer otherwise."""
    p = m.n_pes
    cycles = np.zeros(n_buckets * p, dtype=np.float64)
    tally = Tally(pe_cycles=np.zeros((n_buckets, p)))
    slots_per_step = m.lanes
    for wi, ai in _pairs(w_pair_key, a_pair_key, n_keys):
        n = wi.size
        flat = w.codes[wi][:, :, None] * table.n_act + a.codes[ai][:, None, :]
        banks = table.table[flat].reshape(n, slots_per_step)
        tally.useful += int(np.count_nonzero(banks != table.discard))
        step_cycles = busiest_bank(banks, table.discard)
        tally.conflicts += int(step_cycles.sum()) - n
        tally.steps += n
        ew, ea = w.entries[wi], a.entries[ai]
        tally.fed += int((ew * ea).sum())
        fits = w_fits[wi]
        tally.weight_reads += int((ew * np.where(fits, 1, a.first[ai])).sum())
        tally.activation_reads += int((ea * np.where(fits, w.first[wi], 1)).sum())
        cycles += np.bincount((w_bucket[wi] + a_bucket[ai]) * p + w_pe[wi] + a_pe[ai], weights=step_cycles,
                              minlength=n_buckets * p)
    tally.slots = tally.steps * slots_per_step
    tally.pe_cycles = cycles.reshape(n_buckets, p).astype(np.int64)
    return tally


# --- convolutions --------------------------------------------------------------------------------------

def _conv_weight_streams(layer: Conv2D, mask: np.ndarray, kc: int):
    """The (c, g) weight streams of a (grouped) convolution: boolean (n_streams, length) in storage order
    (kernel row, kernel column, k): consecutive entries are consecutive output channels at one kernel
    position. Per stream: its input channel c, group g, first output channel and number of output channels
    (the k of group g that read channel c: all of them, or those of c's convolution group)."""
    k_total, cg = layer.out_channels, layer.in_channels_per_group
    kpg = k_total // layer.groups
    rs = layer.kernel_h * layer.kernel_w
    n_groups = ceil_div(k_total, kc)
    g = np.arange(n_groups)
    j_lo, j_hi = (g * kc) // kpg, (np.minimum((g + 1) * kc, k_total) - 1) // kpg
    seg_g = np.repeat(g, j_hi - j_lo + 1)
    seg_j = np.repeat(j_lo, j_hi - j_lo + 1) + (np.arange(seg_g.size) - np.repeat(np.cumsum(j_hi - j_lo + 1)
                                                                                 - (j_hi - j_lo + 1), j_hi - j_lo + 1))
    k_lo = np.maximum(seg_g * kc, seg_j * kpg)
    k_hi = np.minimum(np.minimum((seg_g + 1) * kc, k_total), (seg_j + 1) * kpg)
    length = k_hi - k_lo
    span = int(length.max())
    kk = np.arange(span)[None, :]
    inside = kk < length[:, None]                                # (segments, span)
    w = mask.reshape(k_total, cg, rs)
    gathered = w[np.minimum(k_lo[:, None] + kk, k_total - 1)]     # (segments, span, cg, rs)
    gathered = gathered.transpose(0, 2, 3, 1)                     # (segments, cg, rs, span)
    column = np.arange(rs)[:, None] * length[:, None, None] + kk[:, None, :]   # (segments, rs, span)
    seg_idx, r_idx, k_idx = np.nonzero(np.broadcast_to(inside[:, None, :], column.shape))
    streams = np.zeros((seg_g.size, cg, span * rs), dtype=bool)
    streams[seg_idx, :, column[seg_idx, r_idx, k_idx]] = gathered[seg_idx, :, r_idx, k_idx]
    c = (seg_j[:, None] * cg + np.arange(cg)[None, :]).ravel()
    return (streams.reshape(-1, span * rs), c, np.repeat(seg_g, cg), np.repeat(k_lo, cg),
            np.repeat(length, cg))


def _activation_streams(acts: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Per (tile, channel) stream (raster order within the tile): boolean (n_tiles * C, longest tile)."""
    c = acts.shape[0]
    flat = acts.reshape(c, -1)
    gathered = flat[:, np.maximum(index, 0)] & (index >= 0)[None]          # (C, tiles, L)
    return np.ascontiguousarray(gathered.transpose(1, 0, 2)).reshape(-1, index.shape[1])


def _tile_bits(streams: np.ndarray, n_tiles: int, entry_bits: int, index_bits: int) -> np.ndarray:
    stored = RunLength(value_bits=entry_bits - index_bits, index_bits=index_bits).measure(streams).stored
    return stored.reshape(n_tiles, -1).sum(axis=1) * entry_bits


def compile_conv(layer: Conv2D, m: Machine, weights: np.ndarray, acts: np.ndarray) -> Program:
    """A convolution on SCNN's planar tiling, from the real weight and activation masks."""
    ib = m.index_bits
    tiles_cache: dict[int, tuple] = {}

    def input_bits(plane: Plane) -> np.ndarray:
        tile, index = plane.pixel_tiles()
        streams = _activation_streams(acts, index)
        tiles_cache[plane.factor] = (index, streams)
        return _tile_bits(streams, plane.n_tiles, m.activation_entry_bits, ib)

    plane = plan_plane(layer, m, input_bits)
    index, a_streams = tiles_cache[plane.factor]
    s, kw, kh = plane.stride, layer.kernel_w, layer.kernel_h
    n_phase = s * s
    cin = layer.in_channels
    table = bank_table(kw, kh, s, layer.padded_w, layer.padded_h, layer.out_w, layer.out_h, m.banks)

    # activations: entries of every (tile, channel) stream -> I-vectors per (tile, channel, phase)
    sid, pos, real, a_stored = _stream_entries(a_streams, ib)
    pixel = index[sid // cin, pos]
    big_x = pixel % layer.in_w + plane.pad_left
    big_y = pixel // layer.in_w + plane.pad_top
    phase = (big_x % s) * s + big_y % s
    a_code = np.where(real, table.x_class[big_x] * table.n_y + table.y_class[big_y], table.act_discard)
    a = _chunk(sid * n_phase + phase, a_code, m.i, table.act_discard, presorted=n_phase == 1)
    a_sid, a_phase = a.key // n_phase, a.key % n_phase
    a_tile, a_c = a_sid // cin, a_sid % cin
    tx, ty = plane.tile_xy()
    tile_pe, tile_pass = m.pe_of_tile(tx, ty, plane.factor)

    # weights: entries of every (c, g) stream -> F-vectors per (c, g, phase)
    w_streams, w_c, w_g, w_k0, w_len = _conv_weight_streams(layer, weights, plane.kc)
    wsid, wpos, wreal, w_stored = _stream_entries(w_streams, ib)
    rs = kh * kw
    k = w_k0[wsid] + wpos % w_len[wsid]
    kernel_pos = wpos // w_len[wsid]
    ry, rx = kernel_pos // kw, kernel_pos % kw
    w_phase = (rx % s) * s + ry % s
    w_code = np.where(wreal, (k & 7) * rs + ry * kw + rx, table.weight_discard)
    w = _chunk(wsid * n_phase + w_phase, w_code, m.f, table.weight_discard, presorted=n_phase == 1)
    w_sid, w_ph = w.key // n_phase, w.key % n_phase
    n_groups = plane.groups
    fits = (w_stored <= m.fifo_entries)[w_sid]

    tally = cartesian(w, a, w_c[w_sid] * n_phase + w_ph, a_c * n_phase + a_phase, cin * n_phase,
                      w_pe=np.zeros(w.key.size, np.int64), a_pe=tile_pe[a_tile], w_bucket=w_g[w_sid],
                      a_bucket=tile_pass[a_tile] * n_groups, w_fits=fits, table=table, m=m,
                      n_buckets=plane.passes * n_groups)

    # DRAM: per (pass, group) the group's weights; a pass's inputs with its first group (every group if
    # they do not stay in the IARAM); outputs compressed at the layer's own activation density (assumed).
    w_bits = np.bincount(w_g, weights=w_stored * m.weight_entry_bits, minlength=n_groups)
    tile_in_bits = (a_stored.reshape(plane.n_tiles, cin).sum(axis=1) * m.activation_entry_bits)
    pass_in_bits = np.bincount(tile_pass, weights=tile_in_bits, minlength=plane.passes)
    out_density = float(acts.mean()) if acts.size else 1.0
    owned = plane.owned_outputs()
    pass_outputs = np.bincount(tile_pass, weights=owned, minlength=plane.passes)
    sizes = plane.group_sizes()
    out_bits = pass_outputs[:, None] * sizes[None, :] * out_density * m.activation_entry_bits
    loads = np.tile(w_bits, plane.passes).reshape(plane.passes, n_groups)
    reload = pass_in_bits[:, None] * input_groups(n_groups, plane.resident)[None, :]
    halo = halo_exchange(plane, m, tile_pe, tile_pass, sizes)
    load_bits = loads + reload
    load_bits.ravel()[1:] += halo["spill_bits"].ravel()[:-1]
    store_bits = out_bits + halo["spill_bits"]
    pe_cycles, halo_stall = overlap_drain(tally.pe_cycles, halo["drain"])

    useful = tally.useful
    halo_psums = int(halo["psums"].sum())
    iaram_w, oaram_w = m.iaram.width_bits, m.oaram.width_bits
    counts = Counts({
        ("mac", "op"): useful,
        ("accumulator", "update"): useful + halo_psums,
        ("crossbar", "transfer"): useful,
        ("index", "decode"): tally.fed,
        ("halo", "transfer"): halo_psums,
        ("weight_fifo", "read_entries"): tally.weight_reads,
        (m.iaram.name, "read_words"): tally.activation_reads * m.activation_entry_bits / iaram_w,
        (m.iaram.name, "write_words"): float(reload.sum()) / iaram_w,
        (m.oaram.name, "write_words"): float(out_bits.sum()) / oaram_w,
        (m.oaram.name, "read_words"): float(out_bits.sum()) / oaram_w,
    })
    notes = (("mapping", "planar"), ("tile", (plane.tile_w, plane.tile_h)),
             ("halo_psums_per_channel", int(plane.halos()[0].sum())),
             ("passes", plane.passes), ("kc", plane.kc), ("groups", n_groups), ("resident_inputs", plane.resident),
             ("products_fed", tally.fed), ("wasted_products", tally.fed - useful),
             ("multiplier_steps", tally.steps), ("halo_stall_cycles", halo_stall),
             ("weight_padding_entries", int(w_stored.sum() - weights.sum())),
             ("activation_padding_entries", int(a_stored.sum() - acts.sum())))
    return Program(layer.name, load_bytes=np.ceil(load_bits.ravel() / 8), pe_cycles=pe_cycles,
                   store_bytes=np.ceil(store_bits.ravel() / 8), barrier=True, counts=counts, useful_macs=useful,
                   conflict_cycles=tally.conflicts, fragmentation_slots=tally.slots - tally.fed, notes=notes)


def input_groups(n_groups: int, resident: bool) -> np.ndarray:
    """Per output-channel group, 1.0 if the inputs (of a pass, or of an FC input block) come from DRAM with
    it: with the first group only when they stay in the IARAM (``resident``), with every group otherwise."""
    return np.where((np.arange(n_groups) == 0) | (not resident), 1.0, 0.0)


def halo_exchange(plane: Plane, m: Machine, tile_pe: np.ndarray, tile_pass: np.ndarray, sizes: np.ndarray) -> dict:
    """Output-halo exchange per (pass, group): partial sums sent (every accumulator entry of the halo
    regions), the drain cycles per PE (one partial sum per cycle on each neighbour link, links in parallel)
    and the bits of halos whose owner tile runs in another pass (spilled to DRAM and read back)."""
    areas, to = plane.halos()
    n_groups = sizes.size
    per_tile = areas.sum(axis=1)
    crossing = np.where((to >= 0) & (tile_pass[np.maximum(to, 0)] != tile_pass[:, None]), areas, 0).sum(axis=1)
    psums = np.bincount(tile_pass, weights=per_tile, minlength=plane.passes)[:, None] * sizes[None, :]
    spill = (np.bincount(tile_pass, weights=crossing, minlength=plane.passes)[:, None] * sizes[None, :]
             * m.psum_bits)
    longest = np.zeros((plane.passes, m.n_pes), dtype=np.int64)
    np.maximum.at(longest, (tile_pass, tile_pe), areas.max(axis=1))
    drain = (longest[:, None, :] * sizes[None, :, None]).reshape(plane.passes * n_groups, m.n_pes)
    return {"psums": psums, "drain": drain, "spill_bits": spill}


def overlap_drain(compute: np.ndarray, drain: np.ndarray) -> tuple[np.ndarray, int]:
    """The accumulators are double-buffered: a step's halo drain overlaps the next step's products; the last
    drain is exposed. Returns the PE cycles per step and the cycles the drain added."""
    cycles = compute.copy()
    if len(cycles) > 1:
        cycles[1:] = np.maximum(compute[1:], drain[:-1])
    cycles[-1] += drain[-1]
    return cycles, int((cycles - compute).sum())


# --- fully connected layers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FcPlan:
    """Output channels over PEs for a matrix product y = W x on ``positions`` input vectors at once."""

    out_features: int
    in_features: int
    positions: int
    per_pe: int                 # output channels per PE
    kc: int                     # output channels per group (of one PE)
    blocks: int                 # input-channel blocks (Program steps per group)
    resident: bool              # all inputs stay in the IARAM for every group

    @property
    def groups(self) -> int:
        return ceil_div(self.per_pe, self.kc)

    def block_of(self, c: np.ndarray) -> np.ndarray:
        return c // ceil_div(self.in_features, self.blocks)

    def owned(self, n_pes: int) -> np.ndarray:
        """Output channels of each (group, PE)."""
        owned = np.clip(self.out_features - np.arange(n_pes) * self.per_pe, 0, self.per_pe)
        g = np.arange(self.groups)
        return np.clip(owned[None, :] - g[:, None] * self.kc, 0, self.kc)


def plan_fc(m: Machine, out_features: int, in_features: int, positions: int, channel_bits: np.ndarray,
            name: str) -> FcPlan:
    """``channel_bits``: IARAM bits of each input channel's activations (all positions)."""
    capacity = m.accumulator_capacity
    if positions > capacity:
        raise ConfigError(f"layer {name}: {positions} input vectors at once do not fit the accumulators",
                          key="pe.accumulator_entries", expected=f">= {ceil_div(positions, m.banks)}")
    per_pe = ceil_div(out_features, m.n_pes)
    kc = min(per_pe, capacity // positions)
    iaram_bits = m.iaram.size_bytes * 8
    total = float(channel_bits.sum())
    resident = total <= iaram_bits
    blocks = min(in_features, FC_BLOCKS)
    while blocks < in_features:
        size = ceil_div(in_features, blocks)
        sums = np.add.reduceat(channel_bits, np.arange(0, in_features, size))
        if resident or sums.max() <= iaram_bits / 2:
            break
        blocks = min(in_features, blocks * 2)
    return FcPlan(out_features, in_features, positions, per_pe, kc, blocks, resident)


def _fc_weight_streams(mask: np.ndarray, plan: FcPlan, n_pes: int) -> np.ndarray:
    """(c, PE, group) streams of a (M x K) weight mask: boolean (K * PEs * groups, kc), output order."""
    m_out, k_in = mask.shape
    padded = np.zeros((k_in, n_pes * plan.per_pe), dtype=bool)
    padded[:, :m_out] = mask.T
    padded = padded.reshape(k_in, n_pes, plan.per_pe)
    full = np.zeros((k_in, n_pes, plan.groups * plan.kc), dtype=bool)
    full[:, :, :plan.per_pe] = padded
    return full.reshape(k_in * n_pes * plan.groups, plan.kc)


def _fc_weight_chunks(weights: np.ndarray, plan: FcPlan, m: Machine, table: BankTable):
    """F-vectors of the (c, PE, group) weight streams of an FC layer: chunks, each chunk's c, PE and group,
    and each stream's stored entries."""
    p, n_groups = m.n_pes, plan.groups
    wsid, wpos, wreal, w_stored = _stream_entries(_fc_weight_streams(weights, plan, p), m.index_bits)
    k = ((wsid // n_groups) % p) * plan.per_pe + (wsid % n_groups) * plan.kc + wpos
    w = _chunk(wsid, np.where(wreal, k & 7, table.weight_discard), m.f, table.weight_discard, presorted=True)
    return w, w.key // (p * n_groups), (w.key // n_groups) % p, w.key % n_groups, w_stored


def compile_fc(name: str, m: Machine, weights: np.ndarray, acts: np.ndarray) -> Program:
    """y = W x for all ``positions = acts.shape[0]`` input vectors at once (a Linear layer: a 1x1
    convolution over a plane of ``positions`` pixels); output channels split over the PEs, the input
    broadcast to every PE; cut into input-channel blocks so that weight streaming overlaps compute."""
    m_out, k_in = weights.shape
    positions = acts.shape[0]
    p = m.n_pes
    table = bank_table(1, 1, 1, positions, 1, positions, 1, m.banks)
    channel_bits = _channel_bits(acts, m)
    plan = plan_fc(m, m_out, k_in, positions, channel_bits, name)
    n_groups = plan.groups

    # activations: each channel's real non-zeros (positions in order), I per vector
    t, c = np.nonzero(acts)
    order = np.lexsort((t, c))
    t, c = t[order], c[order]
    a = _chunk(c, table.x_class[t] * table.n_y + table.y_class[0], m.i, table.act_discard, presorted=True)
    w, w_c, w_pe, w_g, w_stored = _fc_weight_chunks(weights, plan, m, table)
    n_chunks_a = a.key.size
    tally = cartesian(w, a, w_c, a.key, k_in, w_pe=w_pe, a_pe=np.zeros(n_chunks_a, np.int64),
                      w_bucket=w_g * plan.blocks + plan.block_of(w_c), a_bucket=np.zeros(n_chunks_a, np.int64),
                      w_fits=(w_stored <= m.fifo_entries)[w.key], table=table, m=m,
                      n_buckets=n_groups * plan.blocks)

    sid = np.arange(w_stored.size)
    stream_c, stream_g = sid // (p * n_groups), sid % n_groups
    w_bits = np.bincount(stream_g * plan.blocks + plan.block_of(stream_c), weights=w_stored * m.weight_entry_bits,
                         minlength=n_groups * plan.blocks).reshape(n_groups, plan.blocks)
    in_bits = np.bincount(plan.block_of(np.arange(k_in)), weights=channel_bits, minlength=plan.blocks)
    reload = input_groups(n_groups, plan.resident)[:, None] * in_bits[None, :]
    density = float(acts.mean()) if acts.size else 1.0
    out_bits = np.zeros((n_groups, plan.blocks))
    out_bits[:, -1] = plan.owned(p).sum(axis=1) * positions * density * m.activation_entry_bits
    barrier = np.zeros((n_groups, plan.blocks), bool)
    barrier[:, -1] = True
    useful = tally.useful
    counts = Counts({
        ("mac", "op"): useful, ("accumulator", "update"): useful, ("crossbar", "transfer"): useful,
        ("index", "decode"): tally.fed, ("weight_fifo", "read_entries"): tally.weight_reads,
        (m.iaram.name, "read_words"): tally.activation_reads * m.activation_entry_bits / m.iaram.width_bits,
        (m.iaram.name, "write_words"): float(reload.sum()) * p / m.iaram.width_bits,
        (m.oaram.name, "write_words"): float(out_bits.sum()) / m.oaram.width_bits,
        (m.oaram.name, "read_words"): float(out_bits.sum()) / m.oaram.width_bits,
    })
    notes = (("mapping", "fc"), ("outputs_per_pe", plan.per_pe), ("kc", plan.kc), ("groups", n_groups),
             ("input_blocks", plan.blocks), ("resident_inputs", plan.resident), ("products_fed", tally.fed),
             ("wasted_products", tally.fed - useful), ("multiplier_steps", tally.steps),
             ("weight_padding_entries", int(w_stored.sum() - weights.sum())))
    return Program(name, load_bytes=np.ceil((w_bits + reload).ravel() / 8), pe_cycles=tally.pe_cycles,
                   store_bytes=np.ceil(out_bits.ravel() / 8), barrier=barrier.ravel(), counts=counts,
                   useful_macs=useful, conflict_cycles=tally.conflicts,
                   fragmentation_slots=tally.slots - tally.fed, notes=notes)


def _channel_bits(acts: np.ndarray, m: Machine) -> np.ndarray:
    """IARAM bits of each input channel's activations over all positions (run-length per channel)."""
    stored = RunLength(value_bits=m.activation_bits, index_bits=m.index_bits).measure(
        np.ascontiguousarray(acts.T)).stored
    return (stored * m.activation_entry_bits).astype(np.float64)


def compile_serial_fc(name: str, m: Machine, weights: np.ndarray, acts: np.ndarray, out_elements: int) -> Program:
    """y_t = W x_t for input vectors that must run one after another (LSTM gates: x_t includes h_t; the
    decoder steps of Attention): one Program step per vector and group, each ending in a barrier, the
    weights streamed from DRAM again for every vector (SCNN has no weight buffer beside the FIFO).

    With one activation per channel every product of a step shares it, so a weight vector's bank
    conflicts do not depend on which vector it meets (shift invariance of :func:`bank_of`): they are
    computed once per weight vector and summed per vector with a matrix product over the activation mask.
    ``out_elements``: values written back per vector (dense: gate and attention outputs are not ReLU'd).
    """
    m_out, k_in = weights.shape
    steps = acts.shape[0]
    p = m.n_pes
    table = bank_table(1, 1, 1, 1, 1, 1, 1, m.banks)
    plan = plan_fc(m, m_out, k_in, 1, np.zeros(k_in), name)
    n_groups = plan.groups
    w, w_c, w_pe, w_g, w_stored = _fc_weight_chunks(weights, plan, m, table)
    a_code = table.x_class[0] * table.n_y + table.y_class[0]
    cycles = busiest_bank(table.table[w.codes * table.n_act + a_code], table.discard)
    per_cpg = np.zeros((k_in, p, n_groups))
    np.add.at(per_cpg, (w_c, w_pe, w_g), cycles)
    chunks_c = np.bincount(w_c, minlength=k_in)
    conflicts_c = np.bincount(w_c, weights=cycles - 1, minlength=k_in)
    a = acts.astype(np.float64)
    pe_cycles = np.einsum("tc,cpg->tgp", a, per_cpg).reshape(steps * n_groups, p)
    nnz_c = weights.sum(axis=0).astype(np.float64)
    stored_c = w_stored.reshape(k_in, p * n_groups).sum(axis=1).astype(np.float64)
    readers_c = (w_stored.reshape(k_in, p * n_groups) > 0).sum(axis=1)
    used = a.sum(axis=0)
    useful = int(used @ nnz_c)
    fed = int(used @ stored_c)
    slots = int(used @ chunks_c) * m.lanes
    row_bits = (RunLength(value_bits=m.activation_bits, index_bits=m.index_bits).measure(acts).stored
                * m.activation_entry_bits)
    g_bits = np.bincount(np.arange(w_stored.size) % n_groups, weights=w_stored * m.weight_entry_bits,
                         minlength=n_groups)
    load_bits = np.tile(g_bits, steps).reshape(steps, n_groups)
    load_bits[:, 0] += row_bits
    store_bits = np.zeros((steps, n_groups))
    store_bits[:, -1] = out_elements * m.activation_bits
    counts = Counts({
        ("mac", "op"): useful, ("accumulator", "update"): useful, ("crossbar", "transfer"): useful,
        ("index", "decode"): fed, ("weight_fifo", "read_entries"): fed,
        (m.iaram.name, "read_words"): float(used @ readers_c) * m.activation_entry_bits / m.iaram.width_bits,
        (m.iaram.name, "write_words"): float(row_bits.sum()) * p / m.iaram.width_bits,
        (m.oaram.name, "write_words"): float(store_bits.sum()) / m.oaram.width_bits,
        (m.oaram.name, "read_words"): float(store_bits.sum()) / m.oaram.width_bits,
    })
    notes = (("mapping", "serial fc"), ("vectors", steps), ("outputs_per_pe", plan.per_pe), ("kc", plan.kc),
             ("groups", n_groups), ("products_fed", fed), ("wasted_products", fed - useful))
    return Program(name, load_bytes=np.ceil(load_bits.ravel() / 8), pe_cycles=np.rint(pe_cycles).astype(np.int64),
                   store_bytes=np.ceil(store_bits.ravel() / 8), barrier=True, counts=counts, useful_macs=useful,
                   conflict_cycles=int(used @ conflicts_c), fragmentation_slots=slots - fed, notes=notes)


def concat(name: str, programs: list[Program]) -> Program:
    """Programs run one after another as one layer."""
    notes = tuple((f"part{i}.{key}", value) for i, prog in enumerate(programs) for key, value in prog.notes)
    return Program(name, load_bytes=np.concatenate([q.load_bytes for q in programs]),
                   pe_cycles=np.concatenate([q.pe_cycles for q in programs]),
                   store_bytes=np.concatenate([q.store_bytes for q in programs]),
                   barrier=np.concatenate([q.barrier for q in programs]),
                   counts=sum((q.counts for q in programs), Counts()),
                   useful_macs=sum(q.useful_macs for q in programs),
                   conflict_cycles=sum(q.conflict_cycles for q in programs),
                   fragmentation_slots=sum(q.fragmentation_slots for q in programs), notes=notes)


def attention(layer: Attention, fc: Callable[[str, Gemm], Program],
              serial_fc: Callable[[str, Gemm], Program]) -> Program:
    """Attention as its GEMMs (:func:`accelsim.compile.gemm.lower`) one after another: ``fc(name, gemm)`` for
    a GEMM of several vectors at once (the memory projection), ``serial_fc(name, gemm)`` for the decoder
    steps' GEMMs (one vector after another)."""
    return concat(layer.name, [(fc if gemm.repeats == 1 and gemm.E > 1 else serial_fc)(f"{layer.name}#{i}", gemm)
                               for i, gemm in enumerate(lower(layer))])


def lookup(layer: Embedding, m: Machine, mask: np.ndarray | None) -> Program:
    """An Embedding: ``steps`` rows read from DRAM and written back as the layer's output, no MACs. A
    compressed table row costs its mean stored bits (which rows are looked up is unknown)."""
    rows = embedding_rows(layer)
    if mask is None or m.index_bits == 0:
        row_bits = layer.dim * m.weight_bits
    else:
        stored = RunLength(value_bits=m.weight_bits, index_bits=m.index_bits).measure(mask).stored
        row_bits = float(stored.mean()) * m.weight_entry_bits
    n_bytes = int(np.ceil(rows * row_bits / 8))
    words = rows * row_bits / m.oaram.width_bits
    return Program(layer.name, load_bytes=[n_bytes], pe_cycles=np.zeros((1, m.n_pes), np.int64),
                   store_bytes=[n_bytes], barrier=True, useful_macs=0,
                   counts=Counts({(m.oaram.name, "write_words"): words, (m.oaram.name, "read_words"): words}),
                   notes=(("mapping", "row lookup"),))


def is_fc_conv(layer: Conv2D) -> bool:
    """A 1x1 convolution on a 1x1 map with no groups: a fully connected layer."""
    return (layer.in_h == layer.in_w == 1 and layer.kernel_h == layer.kernel_w == 1 and layer.groups == 1
            and not any(layer.padding))


def check_scnn(layer: Layer, hw: HardwareConfig, sparse: bool = True) -> None:
    """The errors :func:`compile_scnn` (``sparse``) or ``compile_dcnn`` would raise for ``layer`` that do not
    depend on its masks, raised without compiling: keys missing for the engine, activation RAMs not per PE,
    partial sums of a one-pixel tile or of all input vectors at once that do not fit the accumulators."""
    m = machine(hw, sparse)
    if isinstance(layer, Conv2D) and not is_fc_conv(layer):
        plan_plane(layer, m, lambda plane: np.zeros(1))
    elif isinstance(layer, (Conv2D, Linear)):
        out_features, in_features = layer.weight_shape[:2]
        plan_fc(m, out_features, in_features, getattr(layer, "steps", 1), np.zeros(in_features), layer.name)


def compile_scnn(layer: Layer, hw: HardwareConfig, masks=None, activations=None) -> Program:
    """``layer`` on SCNN (engine ``scnn``) from its weight mask (``layer.weight_shape``) and input-activation
    mask (``accelsim.pruning.activation_shape(layer)``); None = dense."""
    m = machine(hw, sparse=True)
    if isinstance(layer, Embedding):
        weights = None if masks is None else checked_mask(layer, "weight mask", masks, layer.weight_shape)
        return lookup(layer, m, weights)
    if isinstance(layer, Attention):    # kept dense by the paper: dense operands
        return attention(
            layer, lambda name, g: compile_fc(name, m, np.ones((g.M, g.K), bool), np.ones((g.E, g.K), bool)),
            lambda name, g: compile_serial_fc(name, m, np.ones((g.M, g.K), bool),
                                              np.ones((g.repeats * g.E, g.K), bool), g.M))
    weights = checked_mask(layer, "weight mask", masks, layer.weight_shape)
    if isinstance(layer, Conv2D):
        acts = checked_mask(layer, "activation mask", activations, (layer.in_channels, layer.in_h, layer.in_w))
        if is_fc_conv(layer):
            return compile_fc(layer.name, m, weights.reshape(layer.out_channels, layer.in_channels),
                              acts.reshape(1, layer.in_channels))
        return compile_conv(layer, m, weights, acts)
    if isinstance(layer, Linear):
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, layer.in_features))
        return compile_fc(layer.name, m, weights, acts)
    if isinstance(layer, LSTM):
        width = layer.input_size + layer.hidden_size
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, width))
        rows = 4 * layer.hidden_size
        return concat(layer.name, [compile_serial_fc(layer.name, m, weights[d * rows:(d + 1) * rows], acts,
                                                     layer.hidden_size) for d in range(layer.directions)])
    raise TypeError(f"SCNN has no mapping for {type(layer).__name__}")
