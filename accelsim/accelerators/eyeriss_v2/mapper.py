"""The per-PE half of Eyeriss v2's mapper: the weight block each PE holds (``M0`` output channels x ``C0``
input channels x ``S`` filter columns) and the cycles of every pass it runs (layer 5).

Row-stationary-plus (Chen et al., JETCAS 2019, Sec. II and IV-A): a PE keeps ``M0`` partial sums (the psum
scratch pad bounds ``M0``), a window of ``C0 x S`` input activations (the iact scratch pad bounds it,
nominally) and the block's weights in CSC, which must fit the weight scratch pad *compressed* ("sparsity-aware
weight mapping": Table III lists blocks of up to 480 nominal weights in the 192-entry pad). The mapper takes
the largest block (most weights per pass: fewer passes, fewer partial sums) that fits, preferring more output
channels, unless the machine fixes ``mapping_m0`` / ``mapping_c0``.
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


def _columns(v: ConvView, m0: int, count_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(entries, non-zeros) of each weight column of ``m0`` output channels: (G, M blocks, C, R, S)."""
    mb = ceil_div(v.m, m0)
    w = pad_to(v.weights, 1, mb * m0).reshape(v.groups, mb, m0, v.c, v.r, v.s)
    w = np.moveaxis(w, 2, -1)
    return column_entries(w, count_bits), w.sum(axis=-1)


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


def choose_block(v: ConvView, pe: Pe) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(M0, C0, entries, non-zeros) of the largest block that fits the scratch pads (items last)."""
    check_window(v.name, v.s, pe)
    m_top = min(pe.psum_entries, v.m)
    c_top = min(v.c, pe.iact_entries // v.s)
    m_options = [pe.fixed_m0] if pe.fixed_m0 else sorted({m_top, ceil_div(m_top * 3, 4), ceil_div(m_top, 2),
                                                          ceil_div(m_top, 4), ceil_div(m_top, 8), 1}, reverse=True)
    c_options = [pe.fixed_c0] if pe.fixed_c0 else range(c_top, 0, -1)
    pairs = sorted(((m, c) for m in m_options for c in c_options), key=lambda mc: (-mc[0] * mc[1], -mc[0]))
    columns: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for m0, c0 in pairs:
        if m0 not in columns:
            columns[m0] = _columns(v, m0, pe.count_bits) if pe.sparse else (None, None)
        entries, nonzeros = columns[m0]
        if not pe.sparse:
            if m0 * c0 * v.s <= pe.weight_entries:
                return m0, c0, None, None
            continue
        blocked = channel_blocks(entries, c0, 2)                               # (G, MB, CB, C0, R, S)
        if blocked.sum(axis=(3, 5)).max(initial=0) <= pe.weight_entries:
            return m0, c0, blocked, channel_blocks(nonzeros, c0, 2)
    raise ConfigError(f"layer {v.name}: no weight block fits the weight scratch pad (the smallest, "
                      f"M0={pairs[-1][0]} C0={pairs[-1][1]}, does not)", key="pe.weight_spad_entries",
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


def blocks(v: ConvView, pe: Pe) -> Blocks:
    """The layer's blocks and the cycles of each pass on ``pe`` (a dense PE multiplies every pair)."""
    m0, c0, entries, nonzeros = choose_block(v, pe)
    present = window(v, c0)
    g, _, cb = present.shape[:3]
    mb = ceil_div(v.m, m0)
    if pe.sparse:
        entries, nonzeros = _as_items(entries), _as_items(nonzeros)
        cycles = pass_cycles(entries[:, :, :, :, None, :], present, pe.simd)
    else:
        nonzeros = _as_items(channel_blocks(_columns(v, m0, pe.count_bits)[1], c0, 2))
        m_real = np.minimum(m0, v.m - m0 * np.arange(mb))[:, None]
        c_real = np.minimum(c0, v.c - c0 * np.arange(cb))[None, :]
        entries = np.broadcast_to((m_real + 0 * c_real)[None, :, :, None, None], nonzeros.shape)
        per_pass = dense_pass_cycles(c_real * v.s, m_real, pe.simd)          # (MB, CB)
        cycles = np.broadcast_to(per_pass[None, :, :, None, None], (g, mb, cb, v.r, v.e * v.f))
    return Blocks(m0, c0, entries, nonzeros, present, cycles.reshape(g, mb, cb, v.r, v.e, v.f))
