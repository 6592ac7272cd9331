"""Eyeriss v2's mapping search (layer 5): each layer's weight block (``M0 x C0``), the output rows of a tile,
the PE clusters it uses and whether its input stays in the GLB, chosen for the least simulated latency (ties:
less energy, then fewer DRAM bytes, then the earlier candidate).

**Candidates.** ``M0`` in :func:`.mapper.m0_options` and ``C0`` in :func:`.mapper.c0_options` (halvings of the
psum and iact scratch pads) whose blocks fit the weight pad (:func:`.mapper.fits`); ``rows`` in
``{min(E, 2**k)}`` (balanced); the first ``clusters / 2**k`` clusters (a sub-array: the other PEs idle); the
input streamed, or resident if it fits the GLB's iact banks (:func:`.schedule.plan`). Partial sums stay in the
GLB: a candidate whose largest tile round holds more partial sums than the GLB's psum banks
(:meth:`.bounds.Tallies.psum_rounds`) is not offered, unless no candidate fits, when those of the least footprint are
(the paper: psums go to the GLB; a latency-first search at unlimited DRAM bandwidth would otherwise spill
them to DRAM and back for a few percent of time, at many times the energy).

**Never slower by construction.** Every set above only grows when a scratch pad, the GLB, the PE array or a
router port grows (doubling a pad keeps its halvings and adds one; a larger array keeps every sub-array of a
smaller one; the least footprint is the same on both machines, its candidate, ``M0`` = the smallest option,
one row, one cluster, being offered on both), and a fixed candidate's latency does not grow with the machine
(its rounds, NoC bits and DRAM bytes are the same or fewer; the weight addresses the NoC carries are as wide
as the layer's blocks need, not as the pad). So the exact argmin on the larger machine is at most the
smaller machine's.

**Exact, by branch and bound.** Every (``M0``, ``C0``, rows, clusters) first gets a closed-form lower bound
on its latency (:meth:`.bounds.Tallies.coarse`, counting each weight at least once at ``weight_bits``); a
candidate is refined each time its bound is the lowest left: with its blocks' real entries (whether they fit
the weight pad, their bits) and a bound per tile round (:meth:`.bounds.Tallies.per_tile`), then its rounds
with every pass at its floor (:func:`.schedule.round_cycles`), then modelled: its passes
(:func:`.mapper.blocks`, kept for the next candidate of the same block), its rounds' slowest passes (a bound
again), its schedules and the kernel's simulation. The search stops when the lowest bound left exceeds the
best latency found, so every candidate as fast as the best is simulated and the result is the exact argmin
(ties broken as above; a candidate's rank is its place in the order of the lists above).
"""
from __future__ import annotations

import heapq
from typing import Callable

import numpy as np

from accelsim.accelerators.eyeriss_v2.bounds import Tallies
from accelsim.accelerators.eyeriss_v2.mapper import (Blocks, Pe, blocks, c0_options, check_window,
                                                     fits, m0_options, no_fit)
from accelsim.accelerators.eyeriss_v2.schedule import (Array, Schedule, block_bits, iact_bits, passes_per_round, plan,
                                                       round_cycles, sub_arrays, tile_work)
from accelsim.accelerators.eyeriss_v2.view import ConvView
from accelsim.lru import Lru
from accelsim.units import bits_to_bytes, ceil_div

#: (cycles, DRAM bytes read, written) of a schedule on a (sub-)array as the kernel simulates it.
Simulate = Callable[[Schedule, Array], tuple[int, float, float]]
#: Dynamic energy (pJ) of blocks and their schedule on a (sub-)array, its DRAM bytes read and written given.
Price = Callable[[Blocks, Schedule, Array, float, float], float]


def _row_options(e: int) -> list[int]:
    """Output rows per tile: ``min(E, 2**k)``, each balanced to the fewest rows giving as many tiles."""
    return sorted({ceil_div(e, ceil_div(e, min(e, 2 ** k))) for k in range(e.bit_length() + 1)}, reverse=True)


def _distinct_arrays(arrays: list[Array], tiles: int) -> list[Array]:
    """The sub-arrays (largest first) that give ``tiles`` output tiles distinct schedules: all those too small
    to hold every tile in one round, and the smallest that does (a larger one runs the same rounds with more
    clusters idle)."""
    holding = [a for a in arrays if a.n_columns >= tiles]
    return [a for a in arrays if a.n_columns < tiles] + holding[-1:]


def fitting_m0(v: ConvView, pe: Pe, arrays: list[Array], tallies: Tallies) -> list[int]:
    """``M0`` values that fill a share of the GLB's psum banks: for each sub-array and each ``glb / 2**k``, the
    ``M0`` (found by bisection, balanced as :func:`.mapper.halvings`) past which one-row tiles' partial sums
    no longer fit it, those within the psum pad. Each value depends on the layer, the sub-array and the share
    only; doubling the GLB keeps every share and adds one, a larger array keeps every sub-array, a larger pad
    keeps every value it held: the set only grows."""
    if pe.fixed_m0:
        return []

    def footprint(m0: int, a: Array) -> float:
        return tallies.psum_rounds(m0, 1, a)[0]
    out = set()
    for a in arrays:
        for k in range(int(a.glb_psum_bytes).bit_length()):
            room = a.glb_psum_bytes >> k
            if footprint(1, a) > room:
                break
            low, high = 1, v.m                      # footprint(low) fits; find the last that does
            while low < high:
                mid = (low + high + 1) // 2
                low, high = (mid, high) if footprint(mid, a) <= room else (low, mid - 1)
            out.add(ceil_div(v.m, ceil_div(v.m, low)))
    return [m0 for m0 in out if m0 <= pe.psum_entries]


def candidates(v: ConvView, pe: Pe, arr: Array, tallies: Tallies) -> list[tuple[tuple, int, int, int, Array]]:
    """Every candidate (rank, ``M0``, ``C0``, rows, sub-array) the module doc lists but the weight pad's fit,
    in rank order (the rank: indices into the lists of ``M0``, ``C0``, rows and sub-arrays)."""
    arrays, row_options = sub_arrays(arr), _row_options(v.e)
    options = sorted(set(m0_options(v, pe)) | set(fitting_m0(v, pe, arrays, tallies)), reverse=True)
    sizes = {(m0, rows, a.clusters): tallies.psum_rounds(m0, rows, a)[0] for m0 in options
             for rows in row_options for a in arrays}
    room = max(arr.glb_psum_bytes, min(sizes.values()))
    return [((i, j, k, n), m0, c0, rows, a)
            for i, m0 in enumerate(options) for j, c0 in enumerate(c0_options(v, pe))
            for k, rows in enumerate(row_options)
            for n, a in enumerate(_distinct_arrays(arrays, v.groups * ceil_div(v.m, m0) * ceil_div(v.e, rows)))
            if sizes[m0, rows, a.clusters] <= room]


def search(v: ConvView, pe: Pe, arr: Array, simulate: Simulate, price: Price,
           bytes_per_cycle: float) -> tuple[Blocks, Schedule, Array]:
    """The blocks, schedule and (sub-)array of ``v`` with the least latency (module doc)."""
    check_window(v.name, v.s, pe)
    # a layer's blocks can take hundreds of MB (a large fully connected layer with small blocks): a few are
    # kept at a time, the rest recomputed when needed
    made, works, iact = Lru(2), Lru(4), Lru(4)
    tallies = Tallies(v, pe, arr)
    # each candidate's bound first counts every weight at least once at ``weight_bits`` (a block's bits, CSC or
    # not, are at least that); its blocks' entries (whether they fit the weight pad) and bits when it is first
    # the lowest
    least_bits = float(v.weights.sum(dtype=np.int64)) * arr.weight_bits
    least_late = bits_to_bytes(least_bits) / bytes_per_cycle
    found, heap = {}, []
    for rank, m0, c0, rows, a in candidates(v, pe, arr, tallies):
        heap.append((tallies.coarse(m0, c0, rows, a, tallies.totals(m0, c0), least_bits) + least_late, rank, 0))
        found[rank] = (m0, c0, rows, a)
    heapq.heapify(heap)
    weights = {}

    def weights_of(m0: int, c0: int):
        """(fits the pad, every block's bits, each (group, M block)'s blocks' bits, their DRAM cycles)."""
        if (m0, c0) not in weights:
            per_block = tallies.block_entries(m0, c0)
            block_set = block_bits(v, m0, c0, per_block, arr)
            weights[m0, c0] = (fits(v, pe, m0, c0, per_block if pe.sparse else None), float(block_set.sum()),
                               block_set.sum(axis=1), bits_to_bytes(float(block_set.sum())) / bytes_per_cycle)
        return weights[m0, c0]

    def blocks_of(m0: int, c0: int) -> Blocks:
        return made.get((m0, c0), lambda: blocks(v, pe, m0, c0, tallies.columns(m0), tallies.window(c0)))

    def work_of(m0: int, c0: int, rows: int) -> np.ndarray:
        """:func:`.schedule.tile_work` of the passes' cycles (a dense PE's known without the blocks)."""
        if not pe.sparse:
            return tallies.tile_floor(m0, c0, rows)
        return works.get((m0, c0, rows), lambda: tile_work(blocks_of(m0, c0).cycles.sum(axis=-1), rows))

    best, best_key = None, None
    while heap:
        bound, rank, level = heapq.heappop(heap)
        if best_key is not None and bound > best_key[0]:
            break
        m0, c0, rows, a = found[rank]
        fit, bits, set_bits, late = weights_of(m0, c0)
        if not fit:
            continue
        if level == 0:
            finer = max(tallies.coarse(m0, c0, rows, a, tallies.totals(m0, c0), bits),
                        tallies.per_tile(m0, c0, rows, a, set_bits))
            heapq.heappush(heap, (max(bound, finer + late), rank, 1))
            continue
        if level == 1:
            floor = passes_per_round(tallies.tile_floor(m0, c0, rows), a)
            w_bits = block_bits(v, m0, c0, tallies.block_entries(m0, c0), arr)
            i_bits = iact.get((c0, rows), lambda: iact_bits(v, c0, rows, arr))
            heapq.heappush(heap, (max(bound, round_cycles(v, m0, a, rows, floor, w_bits, i_bits) + late), rank, 2))
            continue
        compute = passes_per_round(work_of(m0, c0, rows), a)
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
    if best is None:
        raise no_fit(v, pe)
    return best
