"""Choosing each layer's mapping on a systolic array (``mapping: search``; ``docs/scalesim_crosscheck.md``,
"Mapping").

The candidates are every combination of: fold order (column or row folds outer); rows and columns used,
each from the machine's count halved zero or more times, plus the balanced count of the same folds
(ceil(S / folds)); stream tiles 1, 2, 4 or 8 (ws, is, when partial sums accumulate); each operand kept on chip
or re-fetched (kept where it fits half its buffer); partial sums accumulated on chip (where they fit half
the output buffer) or spilled; DRAM steps of half of either operand buffer halved zero or more times down to
``MIN_STEP_BYTES`` (and one below). A candidate's program depends on the candidate and the layer only, and
every candidate of a machine is one of a machine with twice any resource (rows, columns, a buffer), so the
best over the candidates is never slower on the bigger machine (but for operand buffers of under
``MIN_STEP_BYTES``, whose ladder is their half alone: docs/DESIGN.md); SCALE-Sim's own mapping is a
candidate, so the search is never slower than ``mapping: scalesim``.

The best is found exactly, not guessed: branch and bound on lower bounds of the simulated cycles, each
computed cheaply from the candidate (compute cycles in closed form; then its DRAM bytes over the bandwidth,
a structure's first memory choice's standing for the others' until they are refined, since keeping an operand
on chip never fetches more and spilling only adds; then its first fetch and last write around its compute),
refining the most promising candidate until the least bound left exceeds the best simulated latency (the
SimPy kernel, :meth:`Engine.execute`); a program's bound also follows its double buffer (a step's read starts
only once the step two before is computed). Ties in cycles go to less dynamic energy (the YAML's pJ per count;
leakage is equal at equal cycles), then fewer DRAM bytes, then the first candidate in the order above,
whatever order the bounds bring them in.
"""
from __future__ import annotations

import heapq
import itertools
import math
from functools import lru_cache

import numpy as np

from accelsim.accelerators.systolic.folds import (
    MAX_STEPS, Mapping, Streams, build_program, buffers_of, check_systolic, chunk_steps, fold_cycles,
    fold_dims, fold_stream, half_step_bytes, held_psum_bytes, operand_bytes, scalesim_mapping, sram_demand,
    stationary_tile_fits)
from accelsim.accelerators.systolic.tiles import tile_live
from accelsim.compile.gemm import Gemm, lower
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.energy.table import EnergyTable
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine
from accelsim.units import ceil_div, transfer_cycles
from accelsim.workloads.layers import Embedding, Layer

#: Smallest DRAM step the search halves down to, in bytes (one step below it is still tried): a bound on
#: simulation time, not hardware (1 KB made dense MobileNet on dense_edge 0.09% faster and its search 2.7x
#: the CPU; docs/DESIGN.md).
MIN_STEP_BYTES = 8192
STREAM_TILES = (1, 2, 4, 8)


def halvings(n: float, floor: float = 1) -> list[float]:
    """``n``, n/2, n/4 ... (whole numbers: floor division) while at least ``floor``, then one more (if >= 1)."""
    out = [n]
    while out[-1] >= floor and out[-1] > 1:
        out.append(out[-1] // 2 if isinstance(n, int) else out[-1] / 2)
    return out


def _array_parts(total: int, extent: int) -> list[int]:
    """Rows (or columns) a fold may use: ``total`` (SCALE-Sim's) and its halvings up to ``extent`` (a fold
    never needs more), and for each the balanced count of the same number of folds over ``extent``."""
    parts = {total}
    for n in halvings(total):
        parts.add(ceil_div(extent, ceil_div(extent, n)))
        if n <= extent:
            parts.add(n)
    return sorted(parts, reverse=True)


def _compute_cycles(gemms: tuple[Gemm, ...], streams: Streams, rows: int, cols: int, tiles: int) -> int:
    """Cycles of every fold that runs (closed form of :func:`fold_cycles` summed over folds and stream
    tiles; all-zero tiles skipped)."""
    total, dataflow = 0, streams.dataflow
    for g in gemms:
        sr, sc, t = fold_dims(g, dataflow)
        nt = min(tiles, t) if dataflow != "os" else 1
        folds = ceil_div(sr, rows) * ceil_div(sc, cols) if streams.occupancy is None else \
            int(np.count_nonzero(tile_live(streams.occupancy, rows, cols)))
        total += g.repeats * folds * (nt * fold_cycles(dataflow, rows, cols, 0) + t)
    return total


def candidates(gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams):
    """Every structural candidate (rows, cols, order, stream tiles) the machine allows, as a :class:`Mapping`
    with the default memory choices; each takes the :func:`memory_choices` and :func:`dram_steps` it allows:
    the search space of the module doc."""
    df = streams.dataflow
    dims = [fold_dims(g, df) for g in gemms]
    sr, sc = max(d[0] for d in dims), max(d[1] for d in dims)
    longest = max(d[2] for d in dims)
    for rows in _array_parts(hw.pe_array.rows, sr):
        for cols in _array_parts(hw.pe_array.cols, sc):
            if not stationary_tile_fits(hw, df, rows, cols):
                continue
            accumulates = df != "os" and any(ceil_div(d[0], rows) > 1 for d in dims)
            orders = (False, True) if accumulates and any(ceil_div(d[1], cols) > 1 for d in dims) else (False,)
            tiles_allowed = [n for n in STREAM_TILES if n <= longest] if accumulates else [1]
            for rows_outer, tiles in itertools.product(orders, tiles_allowed):
                yield Mapping(rows, cols, rows_outer, tiles)


def memory_choices(gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams,
                   base: Mapping) -> list[tuple[bool, bool, bool]]:
    """(keep inputs, keep weights, spill) choices of the structure ``base``: keeping an operand where one fits
    half its buffer, spilling partial sums where they accumulate and could stay (they fit half the output
    buffer). The first keeps all it can and spills nothing, so it moves the fewest DRAM bytes of them."""
    df, half = streams.dataflow, {k: b.size_bytes / 2 for k, b in buffers_of(hw).items()}
    fits_in = any(operand_bytes(g, hw, streams)[0] <= half["in"] for g in gemms)
    fits_w = any(operand_bytes(g, hw, streams)[1] <= half["w"] for g in gemms)
    accumulates = df != "os" and any(ceil_div(fold_dims(g, df)[0], base.rows) > 1 for g in gemms)
    fits_out = accumulates and any(held_psum_bytes(g, hw, df, base) <= half["out"] for g in gemms)
    return [(ki, kw, sp) for ki in ((True, False) if fits_in else (False,))
            for kw in ((True, False) if fits_w else (False,))
            for sp in ((False, True) if fits_out else (False,))]


def dram_steps(hw: HardwareConfig) -> list[float]:
    """The DRAM step sizes every candidate tries, in bytes, largest first: halvings of half of either operand
    buffer down to ``MIN_STEP_BYTES`` (and one below), none above half the smaller operand buffer."""
    half = {k: b.size_bytes / 2 for k, b in buffers_of(hw).items()}
    return sorted({v for h in (half["in"], half["w"]) for v in halvings(h, MIN_STEP_BYTES)
                   if v <= half_step_bytes(hw)}, reverse=True)


def _pipeline_bound(steps, bw: float, latency: int) -> int:
    """A lower bound on a program's simulated cycles: step s starts after every fetch up to its own has
    crossed the bus (one at a time) and its latency passed, then it and every later step compute in turn;
    the last step's results then cross the bus."""
    load, cycles, store = steps
    bus = np.ceil(load / bw - 1e-9).astype(np.int64)    # as transfer_cycles rounds
    arrive = np.cumsum(bus) + np.where(load > 0, latency, 0)
    after = np.cumsum(cycles[::-1])[::-1]
    last = transfer_cycles(int(store[-1]), bw) + latency if store[-1] else 0
    return int((arrive + after).max()) + last


def _buffered_bound(steps, bw: float, latency: int) -> int:
    """A lower bound on a program's simulated cycles from its double buffer and its shared DRAM bus (0 when a
    step lasts no cycle, where the kernel's order of requests is not fixed). The kernel reads steps 0 and 1
    at cycle 0 and step s+2 right after asking for step s's write, once step s is computed; a transfer asked
    for at t crosses the bus (in request order) after the transfers before it and no earlier than the latency
    after t, so it completes no earlier than max(t + latency, bus) + bytes / bandwidth (as if every request
    could be in flight; one cycle less for the float schedule's rounding); a step computes once its read has
    arrived and the previous step is done."""
    load, cycles, store = (x.tolist() for x in steps)
    if min(cycles) < 1:
        return 0
    bus = 0.0                       # when the bus has carried every transfer asked for so far

    def transfer(t: int, n_bytes: float) -> int:
        nonlocal bus
        if n_bytes <= 0:
            return t
        bus = max(bus, t + latency) + n_bytes / bw
        return max(t, math.floor(bus) - 1)

    arrival = [transfer(0, b) for b in load[:2]]
    end = written = 0
    for s, c in enumerate(cycles):
        end = max(end, arrival[s]) + c
        written = max(written, transfer(end, store[s]))
        if s + 2 < len(load):
            arrival.append(transfer(end, load[s + 2]))
    return max(end, written)


@lru_cache(maxsize=4096)
def choose_mapping(gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams) -> Mapping:
    """The mapping of least simulated latency (then energy, then DRAM bytes) over :func:`candidates`
    (module doc); computed once per distinct layer shape and machine.

    Best-first search over a heap of (lower bound, order, stage, rank, state). An item's stage says which
    bound it carries: each pop refines the item by one stage (a finer, dearer bound, or its children with the
    parent's bound) and pushes the result back, so a bound is computed only for items that reach the top
    while their bound is at most the best latency simulated so far. The stages: ``structure`` (compute
    cycles) -> one child per memory choice, the first at ``folds`` (its fold stream; the bound gains its DRAM
    bytes over the bandwidth, the fewest of the structure's, which the others, at ``memory``, inherit until
    they reach ``folds`` themselves) -> ``step`` (one child per DRAM step) -> ``chunked`` (its steps; the
    pipeline bound) -> ``buffered`` (the double-buffer bound) -> simulated. Every candidate whose latency could
    tie or beat the best is simulated, so the result does not depend on the order of the pops."""
    engine, bw, table, buffers = Engine(hw), hw.dram.bytes_per_cycle, EnergyTable.from_config(hw), buffers_of(hw)
    latency = hw.dram.latency_cycles
    order = itertools.count()
    heap: list = []

    def push(bound: int, stage: str, rank: tuple, state) -> None:
        heapq.heappush(heap, (bound, next(order), stage, rank, state))

    def folds(mapping: Mapping) -> tuple[int, tuple]:
        """The fold stream of ``mapping`` and the cycles its DRAM bytes take on the bus."""
        load, cycles, store, words, sram, _ = fold_stream(gemms, hw, streams, mapping)
        moved = int(load.sum()) + int(store.sum())
        return (transfer_cycles(moved, bw) if moved else 0), (load, cycles, store, words, sram)

    steps = dram_steps(hw)
    for rank, base in enumerate(candidates(gemms, hw, streams)):
        push(_compute_cycles(gemms, streams, base.rows, base.cols, base.stream_tiles), "structure", (rank,), base)
    best, best_key = None, None
    while heap and (best_key is None or heap[0][0] <= best_key[0]):
        bound, _, stage, rank, state = heapq.heappop(heap)
        if stage == "structure":
            first, *others = (Mapping(state.rows, state.cols, state.rows_outer, state.stream_tiles, *choice)
                              for choice in memory_choices(gemms, hw, streams, state))
            bus, stream = folds(first)      # the fewest DRAM bytes of the structure's memory choices
            bound = max(bound, bus)
            push(bound, "folds", (*rank, 0), (first, stream))
            for index, mapping in enumerate(others, 1):
                push(bound, "memory", (*rank, index), mapping)
        elif stage == "memory":
            bus, stream = folds(state)
            push(max(bound, bus), "folds", rank, (state, stream))
        elif stage == "folds":
            mapping, stream = state
            for index, step in enumerate(steps):
                stepped = Mapping(mapping.rows, mapping.cols, mapping.rows_outer, mapping.stream_tiles,
                                  mapping.keep_inputs, mapping.keep_weights, mapping.spill, step)
                push(bound, "step", (*rank, index), (stepped, stream))
        elif stage == "step":
            stepped, (load, cycles, store, words, sram) = state
            chunked = chunk_steps(load, cycles, store, words, stepped.step_bytes)
            if len(chunked[0]) <= MAX_STEPS:
                push(max(bound, _pipeline_bound(chunked[:3], bw, latency)), "chunked", rank,
                     (stepped, chunked, sram))
        elif stage == "chunked":
            stepped, chunked, sram = state
            push(max(bound, _buffered_bound(chunked[:3], bw, latency)), "buffered", rank, state)
        else:
            stepped, chunked, sram = state
            program = Program("", load_bytes=chunked[0], pe_cycles=chunked[1][:, None], store_bytes=chunked[2],
                              barrier=True, counts=sram, useful_macs=0, sram_words=sram_demand(chunked[3], buffers))
            run = engine.execute(program)
            dynamic_pj = sum(count * table.pj(*action) for action, count in run.counts.items())
            key = (run.cycles, dynamic_pj, run.dram_read_bytes + run.dram_write_bytes, rank)
            if best_key is None or key < best_key:
                best, best_key = stepped, key
    return best if best is not None else scalesim_mapping(hw)


def compile_gemms(layer: Layer, gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams, *,
                  useful_macs: int, counts: Counts = Counts(), details: dict | None = None) -> Program:
    """``gemms`` (``layer``'s lowering, or a machine's own version of it) on the array of ``hw``, mapped as
    its ``mapping`` key says (SCALE-Sim's fixed mapping, or the searched one)."""
    check_systolic(layer, hw, streams.dataflow)
    return build_program(layer, gemms, hw, streams, mapping_for(layer, gemms, hw, streams), useful_macs=useful_macs,
                         counts=counts, details=details)


def mapping_for(layer: Layer, gemms: tuple[Gemm, ...], hw: HardwareConfig, streams: Streams) -> Mapping:
    """The mapping ``layer`` runs with: SCALE-Sim's fixed one (``mapping: scalesim``, and Embedding lookups)
    or the searched one."""
    if hw.mapping == "scalesim" or isinstance(layer, Embedding):
        return scalesim_mapping(hw)
    return choose_mapping(gemms, hw, streams)


def compile_systolic(layer: Layer, hw: HardwareConfig) -> Program:
    """``layer`` on the systolic array of ``hw`` (engine ``systolic``), as a :class:`Program` of one PE
    (the whole array) whose steps are DRAM-fetch chunks."""
    return compile_gemms(layer, lower(layer), hw, Streams(hw.dataflow), useful_macs=layer.macs)
