"""Planar tiling (PT) of SCNN and DCNN (layer 5): how a convolution's input plane is cut into tiles over the
PEs and passes, which outputs each tile owns, the output halos it accumulates for its neighbours, and their
exchange after each output-channel group (``docs/scnn.md``, "How a convolution maps")."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.stream import block_of, stream_blocks
from accelsim.errors import ConfigError
from accelsim.units import bytes_to_bits, ceil_div
from accelsim.workloads.layers import Conv2D

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


@lru_cache(maxsize=4096)
def _axis(n_in: int, tile: int, pad: int, kernel: int, stride: int, n_out: int) -> Axis:
    """Tiles of ``tile`` input pixels along an axis (computed once per distinct axis: the mapper's candidates
    share their tilings). Output o's window covers padded inputs
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

    stride_w: int
    stride_h: int
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
    in_channels: int
    blocks: int                 # input-channel blocks a group's weights stream in (Program steps per group)
    weights_outer: bool = False  # DCNN: weight vectors outer even where a (c, group) block fits the weight FIFO

    @property
    def x(self) -> Axis:
        return _axis(self.in_w, self.tile_w, self.pad_left, self.kernel_w, self.stride_w, self.out_w)

    @property
    def y(self) -> Axis:
        return _axis(self.in_h, self.tile_h, self.pad_top, self.kernel_h, self.stride_h, self.out_h)

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

    @property
    def steps(self) -> int:
        """Program steps: (pass, group, input-channel block)."""
        return self.passes * self.groups * self.blocks

    def block_of(self, channel: np.ndarray) -> np.ndarray:
        return block_of(channel, self.in_channels, self.blocks)

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

    def pixel_index(self) -> np.ndarray:
        """The tiles' pixels as an index array (n_tiles, most pixels) of flat pixel indices (raster order,
        unpadded), each tile's in raster order, -1 where a tile is smaller."""
        tx = np.arange(self.in_w) // self.tile_w
        ty = np.arange(self.in_h) // self.tile_h
        tile = (ty[:, None] * self.tiles_x + tx[None, :]).ravel()
        order = np.argsort(tile, kind="stable")
        counts = np.bincount(tile, minlength=self.n_tiles)
        rank = np.arange(tile.size) - np.repeat(np.cumsum(counts) - counts, counts)
        index = np.full((self.n_tiles, int(counts.max())), -1, dtype=np.int64)
        index[tile[order], rank] = order
        return index

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


def plan_plane(layer: Conv2D, m: Machine, input_bits: Callable[[Plane], np.ndarray], weight_density: float = 1.0,
               capacity: int | None = None) -> Plane:
    """The planar tiling of ``layer``: the fewest passes such that a tile's partial sums (one output channel,
    halos included) fit one accumulator buffer (``capacity`` partial sums; default the machine's) and its
    inputs (``input_bits(plane)`` per tile) fit the IARAM; groups of :func:`group_size` output channels.
    If even 1x1 tiles' inputs do not fit, inputs are re-streamed from DRAM for every group
    (``resident=False``). A group's weights (about ``weight_density`` of its dense entries) stream in
    :func:`.stream.stream_blocks` input-channel blocks."""
    capacity = m.accumulator_capacity if capacity is None else capacity
    iaram_bits = bytes_to_bits(m.iaram.size_bytes)
    factor = 1
    while True:
        tile_w = ceil_div(layer.in_w, m.cols * factor)
        tile_h = ceil_div(layer.in_h, m.rows * factor)
        plane = Plane(stride_w=layer.stride_w, stride_h=layer.stride_h, kernel_w=layer.kernel_w, kernel_h=layer.kernel_h,
                      pad_left=layer.padding[2], pad_top=layer.padding[0], in_w=layer.in_w, in_h=layer.in_h,
                      out_w=layer.out_w, out_h=layer.out_h, factor=factor, tile_w=tile_w, tile_h=tile_h, kc=1,
                      out_channels=layer.out_channels, resident=True, in_channels=layer.in_channels, blocks=1)
        psums = footprint(plane)
        last = tile_w == 1 and tile_h == 1
        if psums <= capacity:
            plane = with_kc(plane, group_size(layer.out_channels, capacity // psums, m.f), m, layer,
                            weight_density)
            if input_bits(plane).max() <= iaram_bits:
                return plane
            if last:
                return replace(plane, resident=False)
        elif last:
            raise ConfigError(f"layer {layer.name}: one output channel's partial sums of a one-pixel tile "
                              f"({psums}) do not fit the accumulators", key="pe.accumulator_entries",
                              expected=f">= {ceil_div(psums, m.banks)} entries per bank")
        factor += 1


def footprint(plane: Plane) -> int:
    """Partial sums of one output channel of the largest tile, halos included (accumulator entries)."""
    return int(plane.x.produced.max()) * int(plane.y.produced.max())


def with_kc(plane: Plane, kc: int, m: Machine, layer: Conv2D, weight_density: float) -> Plane:
    """``plane`` with groups of ``kc`` output channels, whose weights (about ``weight_density`` of their
    dense entries) stream in :func:`.stream.stream_blocks` input-channel blocks."""
    entries = kc * layer.in_channels_per_group * layer.kernel_h * layer.kernel_w * weight_density
    return replace(plane, kc=kc, blocks=stream_blocks(m, layer.in_channels, entries))


def group_size(channels: int, most: int, f: int) -> int:
    """Kc: output channels per group when at most ``most`` fit the accumulators. As few groups as fit, of
    equal size (no small last group working alone between two barriers), rounded up to a multiple of F when
    that still fits: a weight vector then holds F channels of one kernel position (stored k innermost),
    the condition for a dense step to fill every weight lane and hit distinct banks."""
    most = min(channels, most)
    aligned = most // f * f if most >= f else most
    kc = ceil_div(channels, ceil_div(channels, aligned))
    return min(aligned, ceil_div(kc, f) * f) if aligned % f == 0 else kc


def group_fits_fifo(plane: Plane, m: Machine) -> bool:
    """A (c, group) weight block, ``kc`` x the kernel's positions dense entries, fits the weight FIFO."""
    return plane.kc * plane.kernel_w * plane.kernel_h <= m.fifo_entries


def input_groups(n_groups: int, resident: bool) -> np.ndarray:
    """Per output-channel group, 1.0 if the inputs (of a pass, or of an FC input block) come from DRAM with
    it: with the first group only when they stay in the IARAM (``resident``), with every group otherwise."""
    return np.where((np.arange(n_groups) == 0) | (not resident), 1.0, 0.0)


@dataclass(frozen=True)
class Halo:
    """The output-halo exchange of a planar tiling, per (pass, group) step."""

    psums: np.ndarray           # (passes, groups): partial sums sent (every accumulator entry of the halos)
    drain: np.ndarray           # (steps, PEs): cycles each PE needs to send its halos
    spill_bits: np.ndarray      # (passes, groups): bits of halos whose owner runs in another pass (via DRAM)


def halo_exchange(plane: Plane, m: Machine, tile_pe: np.ndarray, tile_pass: np.ndarray) -> Halo:
    """Output-halo exchange per (pass, group): partial sums sent (every accumulator entry of the halo
    regions), the drain cycles per PE and the bits of halos whose owner tile runs in another pass (spilled to
    DRAM and read back). The drain reads the halo partial sums out of the A accumulator banks (one entry per
    bank per cycle) and sends each neighbour its own over a link of ``pe.halo_link_bits`` (links in
    parallel): ceil(psum_bits x largest region / link bits) cycles, or ceil(all halo partial sums / A) if
    the banks are slower."""
    areas, to = plane.halos()
    sizes = plane.group_sizes()
    per_tile = areas.sum(axis=1)
    crossing = np.where((to >= 0) & (tile_pass[np.maximum(to, 0)] != tile_pass[:, None]), areas, 0).sum(axis=1)
    psums = np.bincount(tile_pass, weights=per_tile, minlength=plane.passes)[:, None] * sizes[None, :]
    spill = (np.bincount(tile_pass, weights=crossing, minlength=plane.passes)[:, None] * sizes[None, :]
             * m.psum_bits)
    link = np.ceil(areas.max(axis=1)[:, None] * sizes[None, :] * m.psum_bits / m.halo_link_bits)
    banks = np.ceil(per_tile[:, None] * sizes[None, :] / m.banks)
    drain = np.zeros((plane.passes, sizes.size, m.n_pes), dtype=np.int64)
    drain[tile_pass, :, tile_pe] = np.maximum(link, banks)           # one tile per (pass, PE)
    drain = drain.reshape(plane.passes * sizes.size, m.n_pes)
    return Halo(psums=psums, drain=drain, spill_bits=spill)


def overlap_drain(compute: np.ndarray, drain: np.ndarray, blocks: int) -> tuple[np.ndarray, int]:
    """The accumulators are double-buffered: the halo drain of a (pass, group) overlaps the next group's
    products (``blocks`` steps of ``compute`` per group, one row of ``drain`` per group); where it is
    longer, the PE waits for it at the end of that group; the last drain is exposed. Returns the PE cycles
    per step and the cycles the drain added."""
    per_group = compute.reshape(-1, blocks, compute.shape[1]).sum(axis=1)
    extra = np.zeros_like(per_group)
    extra[1:] = np.maximum(0, drain[:-1] - per_group[1:])
    extra[-1] += drain[-1]
    cycles = compute.copy().reshape(-1, blocks, compute.shape[1])
    cycles[:, -1] += extra
    return cycles.reshape(compute.shape), int(extra.sum())
