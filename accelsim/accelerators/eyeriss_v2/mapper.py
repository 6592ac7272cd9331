"""The per-PE half of Eyeriss v2's mapper: the weight block each PE holds (``M0`` output channels x ``C0``
input channels x ``S`` filter columns) and the cycles of every pass it runs (layer 5).

Row-stationary-plus (Chen et al., JETCAS 2019, Sec. II and IV-A): a PE keeps ``M0`` partial sums (the psum
scratch pad bounds ``M0``), a window of ``C0 x S`` input activations (the iact scratch pad bounds it,
nominally) and the block's weights in CSC, which must fit the weight scratch pad *compressed* ("sparsity-aware
weight mapping": Table III lists blocks of up to 480 nominal weights in the 192-entry pad). This module
offers the blocks a PE may hold (:func:`m0_options`, :func:`c0_options`, :func:`fits`) and models the passes
of one; :mod:`.search` chooses among them (``mapping_m0`` / ``mapping_c0`` fix one side).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.eyeriss_v2.pe import column_entries, dense_pass_cycles, pass_cycles
from accelsim.accelerators.eyeriss_v2.view import ConvView
from accelsim.errors import ConfigError
from accelsim.units import ceil_div


@dataclass(frozen=True)
class Pe:
    """What the mapper needs of one PE (the machine's ``pe`` section and widths)."""

    simd: int
    iact_entries: int
    weight_entries: int
    psum_entries: int
    count_bits: int
    sparse: bool
    fixed_m0: int
    fixed_c0: int


@dataclass(frozen=True)
class Blocks:
    """A layer cut into weight blocks and passes. ``entries``: CSC entries of each item's weight column,
    (groups, M blocks, C blocks, R, C0*S); ``nonzeros``: its non-zero weights (same shape); ``present``:
    the item's iact is non-zero, (groups, 1, C blocks, R, E*F, C0*S); ``cycles``: each pass' cycles,
    (groups, M blocks, C blocks, R, E, F)."""

    m0: int
    c0: int
    entries: np.ndarray
    nonzeros: np.ndarray
    present: np.ndarray
    cycles: np.ndarray

    @property
    def items(self) -> int:
        return self.entries.shape[-1]


def pad_to(array: np.ndarray, axis: int, size: int) -> np.ndarray:
    """``array`` with zeros appended along ``axis`` up to ``size``."""
    if array.shape[axis] == size:
        return array
    shape = list(array.shape)
    shape[axis] = size
    out = np.zeros(shape, array.dtype)
    out[(slice(None),) * (axis % array.ndim) + (slice(0, array.shape[axis]),)] = array
    return out


def columns(v: ConvView, m0: int, count_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(entries, non-zeros) of each weight column of ``m0`` output channels: (G, M blocks, C, R, S)."""
    mb = ceil_div(v.m, m0)
    w = pad_to(v.weights, 1, mb * m0).reshape(v.groups, mb, m0, v.c, v.r, v.s)
    nonzeros = w.sum(axis=2, dtype=np.int32)
    if m0 <= 2 ** count_bits:                      # no run of zeros can outgrow the count: no placeholder
        return nonzeros, nonzeros
    return column_entries(np.moveaxis(w, 2, -1), count_bits).astype(np.int32), nonzeros


def channel_blocks(per_channel: np.ndarray, c0: int, channel_axis: int) -> np.ndarray:
    """Group channels into blocks of ``c0`` and put (channel in block, filter column) last as the items."""
    cb = ceil_div(per_channel.shape[channel_axis], c0)
    a = pad_to(per_channel, channel_axis, cb * c0)
    shape = a.shape[:channel_axis] + (cb, c0) + a.shape[channel_axis + 1:]
    return a.reshape(shape)


def check_window(name: str, kernel_w: int, pe: Pe) -> None:
    """A layer whose filter row does not fit the iact or weight scratch pad (even with one channel) cannot
    be mapped: a :class:`ConfigError` naming the layer and the scratch pad's key (the caller names the file)."""
    limit, key = min((pe.iact_entries, "pe.iact_spad_entries"), (pe.weight_entries, "pe.weight_spad_entries"))
    if kernel_w > limit:
        raise ConfigError(f"layer {name}: filter row of {kernel_w} wider than the PE's scratch pad", key=key,
                          expected=f">= {kernel_w} entries", got=limit)


def halvings(extent: int, most: int) -> list[int]:
    """Block sizes for ``extent`` (output or input channels) when a block holds at most ``most``: for each
    ``most / 2**k`` (rounded down, at least 1), the smallest size that cuts ``extent`` into as many blocks
    (``ceil(extent / ceil(extent / size))``: no block emptier than it must be), largest first. Doubling
    ``most`` adds one value and keeps every other, so a larger pad offers every block a smaller one does."""
    sizes = {min(extent, most >> k) for k in range(most.bit_length())} - {0}
    return sorted({ceil_div(extent, ceil_div(extent, size)) for size in sizes}, reverse=True)


def m0_options(v: ConvView, pe: Pe) -> list[int]:
    """The ``M0`` the mapper may choose: ``mapping_m0`` if fixed, else :func:`halvings` of the psum pad."""
    return [pe.fixed_m0] if pe.fixed_m0 else halvings(v.m, pe.psum_entries)


def c0_options(v: ConvView, pe: Pe) -> list[int]:
    """The ``C0`` the mapper may choose: ``mapping_c0`` if fixed, else :func:`halvings` of the channels a
    window of ``S`` filter columns leaves in the iact pad."""
    return [pe.fixed_c0] if pe.fixed_c0 else halvings(v.c, pe.iact_entries // v.s)


def address_bits(per_block: np.ndarray) -> int:
    """Bits of a column address in the weight pad's address vector, as the NoC carries it: enough for the
    largest block of the layer (``per_block``: the blocks' CSC entries, (G, MB, CB, R)), two entries per pad
    word (the paper's 7-bit addresses for its 96 words). ASSUMPTION: the paper gives the address pad's width, not what crosses
    the NoC; a block never needs more, and a larger pad then costs no extra bits for the same blocks."""
    return max(1, (ceil_div(int(np.max(per_block, initial=0)), 2) - 1).bit_length())


def fits(v: ConvView, pe: Pe, m0: int, c0: int, per_block: np.ndarray | None) -> bool:
    """Whether blocks of ``m0 x c0`` fit the weight pad: compressed (``per_block``: the blocks' CSC entries) on a
    sparse PE, all ``m0 x c0 x S`` weights on a dense one. A larger pad fits every block a smaller one does."""
    if not pe.sparse:
        return m0 * c0 * v.s <= pe.weight_entries
    return int(per_block.max(initial=0)) <= pe.weight_entries


def no_fit(v: ConvView, pe: Pe) -> ConfigError:
    """The error of a layer none of whose candidate blocks fits the weight pad."""
    m0, c0 = m0_options(v, pe)[-1], c0_options(v, pe)[-1]
    return ConfigError(f"layer {v.name}: no weight block fits the weight scratch pad (the smallest, "
                       f"M0={m0} C0={c0}, does not)", key="pe.weight_spad_entries",
                       expected="a column of compressed weights within it", got=pe.weight_entries)


def _as_items(blocked: np.ndarray) -> np.ndarray:
    """(G, MB, CB, C0, R, S) -> (G, MB, CB, R, C0*S)."""
    g, mb, cb, c0, r, s = blocked.shape
    return blocked.transpose(0, 1, 2, 4, 3, 5).reshape(g, mb, cb, r, c0 * s)


def window(v: ConvView, c0: int) -> np.ndarray:
    """Non-zero iacts each pass' items read: (G, 1, C blocks, R, E*F, C0*S)."""
    sh, sw = v.stride_h, v.stride_w
    rows = [[v.acts[:, :, r:r + sh * (v.e - 1) + 1:sh, s:s + sw * (v.f - 1) + 1:sw] for s in range(v.s)]
            for r in range(v.r)]
    a = np.array(rows, bool).transpose(2, 3, 0, 1, 4, 5)              # (G, C, R, S, E, F)
    a = channel_blocks(a, c0, 1)                                              # (G, CB, C0, R, S, E, F)
    g, cb = a.shape[:2]
    a = a.transpose(0, 1, 3, 5, 6, 2, 4).reshape(g, cb, v.r, v.e * v.f, c0 * v.s)
    return a[:, None]


def dense_passes(v: ConvView, pe: Pe, m0: int, c0: int) -> np.ndarray:
    """Cycles of one pass of each (M block, C block) on a dense PE, (M blocks, C blocks)."""
    mb, cb = ceil_div(v.m, m0), ceil_div(v.c, c0)
    m_real = np.minimum(m0, v.m - m0 * np.arange(mb))[:, None]
    c_real = np.minimum(c0, v.c - c0 * np.arange(cb))[None, :]
    return dense_pass_cycles(c_real * v.s, m_real, pe.simd)


def dense_tile_work(v: ConvView, pe: Pe, m0: int, c0: int, rows: int) -> np.ndarray:
    """A dense PE's pass cycles per (output tile, reduction block) with output tiles of ``rows`` rows,
    (tiles, blocks), as :func:`.schedule.tile_work` of the blocks' cycles, without the blocks: a tile's
    passes of one block are its rows x ``F`` times the block's pass."""
    ny = ceil_div(v.e, rows)
    rows_real = np.minimum(rows, v.e - rows * np.arange(ny))
    per_pass = np.repeat(dense_passes(v, pe, m0, c0), v.r, axis=1)             # (MB, CB*R)
    work = per_pass[:, None, :] * (rows_real * v.f)[None, :, None]            # (MB, NY, CB*R)
    return np.tile(work.reshape(-1, work.shape[-1]), (v.groups, 1))


def present_rows(v: ConvView) -> np.ndarray:
    """Non-zero iacts each window item (channel, filter row, filter column) meets along each output row,
    (G, C, R, S, E)."""
    sh, sw = v.stride_h, v.stride_w
    out = np.empty((v.groups, v.c, v.r, v.s, v.e), np.int64)
    for r in range(v.r):
        for s in range(v.s):
            out[:, :, r, s] = v.acts[:, :, r:r + sh * (v.e - 1) + 1:sh, s:s + sw * (v.f - 1) + 1:sw].sum(axis=-1)
    return out


def blocks(v: ConvView, pe: Pe, m0: int, c0: int, cols: tuple[np.ndarray, np.ndarray],
           present: np.ndarray) -> Blocks:
    """The layer's ``m0 x c0`` blocks and the cycles of each pass on ``pe`` (a dense PE multiplies every pair).
    ``cols``: :func:`columns` of ``m0``; ``present``: :func:`window` of ``c0``."""
    entries, nonzeros = cols
    g, _, cb = present.shape[:3]
    mb = ceil_div(v.m, m0)
    nonzeros = _as_items(channel_blocks(nonzeros, c0, 2))
    if pe.sparse:
        entries = _as_items(channel_blocks(entries, c0, 2))
        cycles = pass_cycles(entries[:, :, :, :, None, :], present, pe.simd)
    else:
        m_real = np.minimum(m0, v.m - m0 * np.arange(mb))[:, None]
        entries = np.broadcast_to(np.broadcast_to(m_real, (mb, cb))[None, :, :, None, None], nonzeros.shape)
        cycles = np.broadcast_to(dense_passes(v, pe, m0, c0)[None, :, :, None, None], (g, mb, cb, v.r, v.e * v.f))
    return Blocks(m0, c0, entries, nonzeros, present, cycles.reshape(g, mb, cb, v.r, v.e, v.f))
