"""Eyeriss v2's mapping search (layer 5): each layer's weight block (``M0 x C0``), the output rows of a tile,
the PE clusters it uses and whether its input stays in the GLB, chosen for the least simulated latency (ties:
less energy, then fewer DRAM bytes, then the earlier candidate).

**Candidates.** ``M0`` in :func:`.mapper.m0_options` and ``C0`` in :func:`.mapper.c0_options` (halvings of the
psum and iact scratch pads) whose blocks fit the weight pad (:func:`.mapper.fits`); ``rows`` in
``{min(E, 2**k)}`` (balanced); the first ``clusters / 2**k`` clusters (a sub-array: the other PEs idle); the
input streamed, or resident if it fits the GLB's iact banks (:func:`.schedule.plan`). Partial sums stay in the
GLB: a candidate whose largest tile round holds more partial sums than the GLB's psum banks
(:func:`.schedule.footprint`) is not offered, unless no candidate fits, when those of the least footprint are
(the paper: psums go to the GLB; a latency-first search at unlimited DRAM bandwidth would otherwise spill
them to DRAM and back for a few percent of time, at many times the energy).

**Never slower by construction.** Every set above only grows when a scratch pad, the GLB, the PE array or a
router port grows (doubling a pad keeps its halvings and adds one; a larger array keeps every sub-array of a
smaller one; the least footprint is the same on both machines, its candidate, ``M0`` = the smallest option,
one row, one cluster, being offered on both), and a fixed candidate's latency does not grow with the machine
(its rounds, NoC bits and DRAM bytes are the same or fewer; the weight addresses the NoC carries are as wide
as the layer's blocks need, not as the pad). So the exact argmin on the larger machine is at most the
smaller machine's.

**Exact, by branch and bound.** Every (``M0``, ``C0``, rows, clusters) first gets a lower bound on its latency
(:func:`_bound`: the passes' MAC and address cycles from per-``M0`` column tallies plus the weights the routers
must deliver, spread over the PEs that can hold work at once; plus the weights DRAM must deliver once, which
no round overlaps: a step's weights are read after the step before has ended, ``Program.late_load_bytes``),
without the per-pass model. They are modelled in order of that bound until it exceeds the best latency found:
the passes of a block once (:func:`.mapper.blocks`) only if the rounds' slowest pass floors
(:func:`.mapper.row_floor`: the address and MAC cycles per output row, without the pipeline) add up to no
more than the best, a tiling's rounds only if their slowest passes, and the kernel's simulation only if its rounds
do (each bounds the latency from below).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from accelsim.accelerators.eyeriss_v2.mapper import (Blocks, Pe, block_entries, blocks, c0_options,
                                                     check_window, columns, dense_row_work, fits, m0_options, no_fit,
                                                     present_rows, row_floor, window)
from accelsim.accelerators.eyeriss_v2.schedule import (Array, Schedule, block_bits, footprint, passes_per_round, plan,
                                                       round_floor, tile_work)
from accelsim.accelerators.eyeriss_v2.view import ConvView
from accelsim.lru import Lru
from accelsim.units import bits_to_bytes, ceil_div

#: (cycles, DRAM bytes read, written) of a schedule on a (sub-)array as the kernel simulates it.
Simulate = Callable[[Schedule, Array], tuple[int, float, float]]
#: Dynamic energy (pJ) of blocks and their schedule on a (sub-)array, its DRAM bytes read and written given.
Price = Callable[[Blocks, Schedule, Array, float, float], float]


def _work(v: ConvView, pe: Pe, m0: int, entries: np.ndarray | None, present: np.ndarray | None) -> int:
    """A lower bound on the PE cycles of all the layer's passes with ``m0`` output channels per block (any
    ``C0``): a sparse pass takes at least one address cycle per non-zero iact and at least
    ``ceil(entries / simd)`` MAC cycles per non-zero iact's column; a dense pass is exact."""
    mb = ceil_div(v.m, m0)
    m_real = np.minimum(m0, v.m - m0 * np.arange(mb))
    if not pe.sparse:
        return int((-(-m_real // pe.simd)).sum()) * v.groups * v.c * v.s * v.r * v.e * v.f
    mac = int(((-(-entries // pe.simd)) * present[:, None]).sum())
    return max(mac, mb * int(present.sum()))


def _bound(v: ConvView, arr: Array, m0: int, c0: int, rows: int, work: int, weight_bits: float) -> float:
    """A lower bound on the cycles the rounds of ``m0 x c0`` blocks in tiles of ``rows`` output rows take on
    ``arr``. A PE's round lasts at least the load of its own weight block through its weight router plus its
    passes, so the rounds add up to at least that summed over every (tile, reduction block) (each block's
    weights once per tile of its output channels), over the most PEs that can hold one at once,
    ``min(PE columns, tiles) x min(PE rows, reduction blocks)``."""
    mb, cb, ny = ceil_div(v.m, m0), ceil_div(v.c, c0), ceil_div(v.e, rows)
    active = min(arr.n_columns, v.groups * mb * ny) * min(arr.lanes, cb * v.r)
    return (work + ny * weight_bits / arr.weight_port_bits) / active


def _row_options(e: int) -> list[int]:
    """Output rows per tile: ``min(E, 2**k)``, each balanced to the fewest rows giving as many tiles."""
    return sorted({ceil_div(e, ceil_div(e, min(e, 2 ** k))) for k in range(e.bit_length() + 1)}, reverse=True)


def sub_arrays(arr: Array) -> list[Array]:
    """``arr`` and its first ``clusters / 2**k`` clusters (at least one), largest first."""
    return [replace(arr, clusters=n) for n in sorted({arr.clusters >> k for k in range(arr.clusters.bit_length())},
                                                     reverse=True)]


def _distinct_arrays(arrays: list[Array], tiles: int) -> list[Array]:
    """The sub-arrays (largest first) that give ``tiles`` output tiles distinct schedules: all those too small
    to hold every tile in one round, and the smallest that does (a larger one runs the same rounds with more
    clusters idle)."""
    holding = [a for a in arrays if a.n_columns >= tiles]
    return [a for a in arrays if a.n_columns < tiles] + holding[-1:]


def fitting_m0(v: ConvView, pe: Pe, arrays: list[Array]) -> list[int]:
    """``M0`` values that fill a share of the GLB's psum banks: for each sub-array and each ``glb / 2**k``, the
    ``M0`` (found by bisection, balanced as :func:`.mapper.halvings`) past which one-row tiles' partial sums
    no longer fit it, those within the psum pad. Each value depends on the layer, the sub-array and the share
    only; doubling the GLB keeps every share and adds one, a larger array keeps every sub-array, a larger pad
    keeps every value it held: the set only grows."""
    if pe.fixed_m0:
        return []
    out = set()
    for a in arrays:
        for k in range(int(a.glb_psum_bytes).bit_length()):
            room = a.glb_psum_bytes >> k
            if footprint(v, 1, 1, a) > room:
                break
            low, high = 1, v.m                      # footprint(low) fits; find the last that does
            while low < high:
                mid = (low + high + 1) // 2
                low, high = (mid, high) if footprint(v, mid, 1, a) <= room else (low, mid - 1)
            out.add(ceil_div(v.m, ceil_div(v.m, low)))
    return [m0 for m0 in out if m0 <= pe.psum_entries]


def search(v: ConvView, pe: Pe, arr: Array, simulate: Simulate, price: Price,
           bytes_per_cycle: float) -> tuple[Blocks, Schedule, Array]:
    """The blocks, schedule and (sub-)array of ``v`` with the least latency (module doc)."""
    check_window(v.name, v.s, pe)
    rows_present = present_rows(v) if pe.sparse else None
    present = rows_present.sum(axis=-1) if pe.sparse else None
    arrays, row_options = sub_arrays(arr), _row_options(v.e)
    options = sorted(set(m0_options(v, pe)) | set(fitting_m0(v, pe, arrays)), reverse=True)
    sizes = {(m0, rows, a.clusters): footprint(v, m0, rows, a) for m0 in options for rows in row_options
             for a in arrays}
    room = max(arr.glb_psum_bytes, min(sizes.values()))
    # a layer's columns and blocks can take hundreds of MB (a large fully connected layer with small blocks):
    # a few are kept at a time, the rest recomputed when needed
    cols, made = Lru(2), Lru(2)
    candidates = []
    for m0 in options:
        entries = cols.get(m0, lambda: columns(v, m0, pe.count_bits))[0]
        work = _work(v, pe, m0, entries, present)
        for c0 in c0_options(v, pe):
            per_block = block_entries(v, c0, entries)
            if not fits(v, pe, m0, c0, per_block if pe.sparse else None):
                continue
            bits = float(block_bits(v, m0, c0, per_block, arr).sum())
            for rows in row_options:
                for a in _distinct_arrays(arrays, v.groups * ceil_div(v.m, m0) * ceil_div(v.e, rows)):
                    if sizes[m0, rows, a.clusters] <= room:
                        late = bits_to_bytes(bits) / bytes_per_cycle
                        candidates.append((_bound(v, a, m0, c0, rows, work, bits) + late, len(candidates), m0, c0,
                                           rows, a, late))
    if not candidates:
        raise no_fit(v, pe)
    best, best_key = None, None
    per_rows, works, windows = Lru(2), Lru(4), Lru(2)

    def blocks_of(m0: int, c0: int) -> Blocks:
        return made.get((m0, c0), lambda: blocks(v, pe, m0, c0, cols.get(m0, lambda: columns(v, m0, pe.count_bits)),
                                                 windows.get(c0, lambda: window(v, c0))))

    def row_work(m0: int, c0: int, exact: bool) -> np.ndarray:
        """The passes' cycles (``exact``) or their floors summed per output row (a dense PE's are known
        without the blocks)."""
        if not pe.sparse:
            return dense_row_work(v, pe, m0, c0)
        if exact:
            return blocks_of(m0, c0).cycles.sum(axis=-1)
        return row_floor(v, pe, c0, cols.get(m0, lambda: columns(v, m0, pe.count_bits))[0], rows_present)

    def work_of(m0: int, c0: int, rows: int, exact: bool) -> np.ndarray:
        """:func:`.schedule.tile_work` of :func:`row_work`."""
        return works.get((m0, c0, rows, exact), lambda: tile_work(
            per_rows.get((m0, c0, exact), lambda: row_work(m0, c0, exact)), rows))

    for bound, rank, m0, c0, rows, a, late in sorted(candidates, key=lambda c: c[:2]):
        if best_key is not None and bound > best_key[0]:
            break
        if best_key is not None and pe.sparse and (m0, c0) not in made \
                and round_floor(work_of(m0, c0, rows, False), a) + late > best_key[0]:
            continue                                       # its rounds' pass floors alone outlast the best
        compute = passes_per_round(work_of(m0, c0, rows, True), a)
        if best_key is not None and int(compute.max(axis=(2, 3)).sum()) + late > best_key[0]:
            continue                                       # its rounds' passes alone outlast the best
        b = blocks_of(m0, c0)
        for option, s in enumerate(plan(v, b, a, rows, compute)):
            if best_key is not None and int(s.cycles.max(axis=1).sum()) + late > best_key[0]:
                break                                      # the input options share their rounds
            cycles, read, written = simulate(s, a)
            if best_key is not None and cycles > best_key[0]:
                continue
            key = [cycles, None, read + written, (rank, option), (read, written)]
            if best_key is not None and cycles == best_key[0]:
                if best_key[1] is None:
                    best_key[1] = price(*best, *best_key[4])
                key[1] = price(b, s, a, read, written)
                if key[:4] > best_key[:4]:
                    continue
            best, best_key = (b, s, a), key
    return best
