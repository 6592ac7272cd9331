"""Eyeriss v2's mapping search (layer 5): each layer's weight block (``M0 x C0``), the output rows of a tile
and whether its input stays in the GLB, chosen to minimise the layer's simulated latency (ties: fewer DRAM
bytes, then fewer rounds).

The candidates are ``M0`` in :func:`.mapper.m0_options`, ``C0`` in :func:`.mapper.c0_options` (fractions
``1/2**k`` of the psum and iact scratch pads), the pairs whose blocks fit the weight pad (:func:`.mapper.fits`),
``rows`` in ``{min(E, 2**k)}`` and the input options of :func:`.schedule.plan` (streamed; resident if it fits
the GLB's iact banks). Every one of these sets only grows when a scratch pad or a GLB bank group doubles, and
the latency of a fixed candidate does not get worse on the larger machine, so the exact argmin over them
makes a larger machine never slower than a smaller one.

The argmin is exact, by branch and bound: every ``(M0, C0)`` first gets a lower bound on the latency of all
its candidates (:func:`lower_bound`: the passes' MAC and address cycles from per-``M0`` column tallies, spread
over the PEs the blocks can occupy, plus the weights the routers and DRAM must at least deliver), computed
without the per-pass model; the pairs are then modelled exactly (passes, rounds, the kernel's simulation via
``latency``) in order of their bound until the next bound exceeds the best latency found. Within a pair a
tiling is planned only if its rounds' slowest passes, and simulated only if its rounds, add up to no more
than the best latency (both are lower bounds on its latency).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from accelsim.accelerators.eyeriss_v2.mapper import (Blocks, Pe, address_bits, block_entries, blocks, c0_options, check_window,
                                                     columns, fits, m0_options, no_fit, window)
from accelsim.accelerators.eyeriss_v2.schedule import Array, Schedule, passes_per_round, plan
from accelsim.accelerators.eyeriss_v2.view import ConvView
from accelsim.units import ceil_div

#: (cycles, DRAM bytes) of a schedule as the kernel simulates it.
Latency = Callable[[Schedule], tuple[int, float]]


def present_counts(v: ConvView) -> np.ndarray:
    """Output positions whose window item (channel, filter row, filter column) is a non-zero iact, (G, C, R, S)."""
    st = v.stride
    out = np.empty((v.groups, v.c, v.r, v.s), np.int64)
    for r in range(v.r):
        for s in range(v.s):
            out[:, :, r, s] = v.acts[:, :, r:r + st * (v.e - 1) + 1:st, s:s + st * (v.f - 1) + 1:st].sum(axis=(-2, -1))
    return out


def _work(v: ConvView, pe: Pe, m0: int, entries: np.ndarray, present: np.ndarray | None) -> int:
    """A lower bound on the PE cycles of all the layer's passes with ``m0`` output channels per block (any
    ``C0``): a sparse pass takes at least one address cycle per non-zero iact and ``ceil(entries / simd)``
    MAC cycles per non-zero iact's column; a dense pass is exact."""
    mb = ceil_div(v.m, m0)
    m_real = np.minimum(m0, v.m - m0 * np.arange(mb))
    if not pe.sparse:
        return int((-(-m_real // pe.simd)).sum()) * v.groups * v.c * v.s * v.r * v.e * v.f
    mac = int(((-(-entries // pe.simd)) * present[:, None]).sum())
    return max(mac, mb * int(present.sum()))


def _weight_bits(v: ConvView, pe: Pe, arr: Array, m0: int, c0: int, per_block: np.ndarray | None) -> float:
    """Bits of all the layer's weight blocks, each once (as the routers carry them: the smaller of CSC and
    uncompressed on a sparse PE)."""
    mb, cb = ceil_div(v.m, m0), ceil_div(v.c, c0)
    m_real = np.minimum(m0, v.m - m0 * np.arange(mb))[None, :, None, None]
    c_real = np.minimum(c0, v.c - c0 * np.arange(cb))[None, None, :, None]
    dense = np.broadcast_to(m_real * c_real * v.s * arr.weight_bits, (v.groups, mb, cb, v.r))
    if not pe.sparse:
        return float(dense.sum())
    compressed = per_block * (arr.weight_bits + arr.count_bits) + (c0 * v.s + 1) * address_bits(per_block)
    return float(np.minimum(compressed, dense).sum())


def lower_bound(v: ConvView, arr: Array, m0: int, c0: int, rows: int, work: int, weight_bits: float,
                bytes_per_cycle: float) -> float:
    """A lower bound on the simulated cycles of ``m0 x c0`` blocks in tiles of ``rows`` output rows. A PE's
    round lasts at least the load of its own weight block through its weight router plus its passes, so the
    rounds add up to at least that summed over every (tile, reduction block), each block's weights once per
    tile of its output channels, over the most PEs that can hold one at once, ``min(PE columns, tiles)`` x
    ``min(PE rows, reduction blocks)``; and DRAM delivers every block once at ``bytes_per_cycle``."""
    mb, cb, ny = ceil_div(v.m, m0), ceil_div(v.c, c0), ceil_div(v.e, rows)
    active = min(arr.n_columns, v.groups * mb * ny) * min(arr.lanes, cb * v.r)
    return max((work + ny * weight_bits / arr.weight_port_bits) / active, weight_bits / 8 / bytes_per_cycle)


def search(v: ConvView, pe: Pe, arr: Array, latency: Latency, bytes_per_cycle: float) -> tuple[Blocks, Schedule]:
    """The blocks and schedule of ``v`` with the least latency (ties: fewer DRAM bytes, then fewer rounds)."""
    check_window(v.name, v.s, pe)
    present = present_counts(v) if pe.sparse else None
    cols = {m0: columns(v, m0, pe.count_bits) for m0 in m0_options(v, pe)}
    options = sorted({min(v.e, 2 ** k) for k in range(v.e.bit_length() + 1)}, reverse=True)
    pairs = []
    for m0, (entries, _) in cols.items():
        work = _work(v, pe, m0, entries, present)
        for c0 in c0_options(v, pe):
            per_block = block_entries(v, c0, entries) if pe.sparse else None
            if fits(v, pe, m0, c0, per_block):
                bits = _weight_bits(v, pe, arr, m0, c0, per_block)
                bounds = [lower_bound(v, arr, m0, c0, rows, work, bits, bytes_per_cycle) for rows in options]
                pairs.append((min(bounds), -m0 * c0, -m0, c0, bounds))
    if not pairs:
        raise no_fit(v, pe)
    best, best_cost = None, None
    windows: dict[int, np.ndarray] = {}
    for bound, _, neg_m0, c0, bounds in sorted(pairs):
        if best_cost is not None and bound > best_cost[0]:
            break
        if c0 not in windows:
            windows[c0] = window(v, c0)
        b = blocks(v, pe, -neg_m0, c0, cols[-neg_m0], windows[c0])
        row_work = b.cycles.sum(axis=-1)
        for rows, rows_bound in zip(options, bounds):
            if best_cost is not None and rows_bound > best_cost[0]:
                continue
            compute = passes_per_round(row_work, arr, rows)
            if best_cost is not None and int(compute.max(axis=(2, 3)).sum()) > best_cost[0]:
                continue                                   # its rounds alone outlast the best
            for s in plan(v, b, arr, rows, compute):
                if best_cost is not None and int(s.cycles.max(axis=1).sum()) > best_cost[0]:
                    break                                  # the input options share their rounds
                cycles, dram = latency(s)
                cost = (cycles, dram, s.cycles.shape[0])
                if best_cost is None or cost < best_cost:
                    best, best_cost = (b, s), cost
    return best
