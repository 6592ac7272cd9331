"""SCNN's and DCNN's mapper (layer 5; ``docs/scnn.md``, "Mapper"): each convolution's PE grid (the sub-array
of the machine's PEs it uses), tiling and output-channel group size Kc, chosen to minimise the simulated
latency (ties: dynamic energy, then DRAM bytes, then the earlier candidate); fully connected and sequence
layers' grid and group size alike; :func:`map_layer` takes both.

Candidates: PE grids of ``rows >> i`` x ``cols >> j`` PEs (:func:`grids`; the PEs outside it idle) and, for
SCNN's fully connected and sequence layers, the weight lanes fed (:func:`weight_lanes`; the others idle),
the tilings planned for the accumulator capacity and each of its halvings (:func:`capacities`), and the
group sizes of every halving of the largest that fits (:func:`kc_candidates`). A machine with twice the
rows, columns, accumulator banks or entries (or F, but for SCNN's convolutions) has every candidate of the
smaller one among its own, and runs it in no more cycles (the same program; with more banks no bank
receives more products and no halo drains longer): so where the best candidate is found exactly, the
bigger machine is never slower, by construction.

It is found exactly (:func:`search`: branch and bound, candidates compiled and simulated in order of a valid
lower bound until the bound exceeds the best simulated cycles) over every grid for layers of at most
:data:`EXHAUSTIVE_MACS` dense MACs, and over the whole array's tilings and group sizes for every DCNN layer
(dense: its exact program is closed form). Larger SCNN layers use the whole array: the Cartesian product's
exact compile costs tens of milliseconds, so their candidates (at most :data:`MAX_GROUPS` groups) are
pre-screened analytically and at most :data:`EXACT_CANDIDATES` are simulated (:func:`choose`); the choice is
never slower than the largest groups, and monotonicity there is measured (``docs/resource_doubling.md``),
not proven."""
from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np
from numba import njit

from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.plane import Plane, group_size
from accelsim.compile.program import Program
from accelsim.lru import Lru
from accelsim.sim.engine import Engine, LayerRun
from accelsim.sim.sram import sram_step_cycles

#: Most candidates of a large SCNN layer compiled exactly and simulated, the best by the estimate first.
EXACT_CANDIDATES = 2
#: Most output-channel groups of a large SCNN layer's candidates (the largest groups always one): a bound on
#: the pre-screen's time (its estimates cost in proportion to the steps), not a hardware quantity.
MAX_GROUPS = 16
#: SCNN layers of at most this many dense MACs are mapped by the exact search over every candidate: a bound
#: on simulation time (each candidate's Cartesian product compiled), not a hardware quantity. Small layers
#: are latency-bound, so the bounds prune few of their candidates: MobileNet 0.25 at 90% on scnn_like took
#: 2.5 s of CPU with dw12 (56,448 MACs, about 320 candidates) searched exhaustively, 1.1 s with it
#: pre-screened, to the same cycles.
EXHAUSTIVE_MACS = 1 << 15
#: Units in the last place of the largest time that :func:`chain_bound` allows per transfer for the float
#: sums of the DRAM channel and its own (each adds a few).
ROUNDING_ULPS = 8
#: Most choices of :func:`search` kept per process (each a pair of indices under its key).
CHOICES = 1024

_CHOICES: Lru[tuple[int, int]] = Lru(CHOICES)


def halvings(n: int) -> list[int]:
    """``n``, ``n // 2``, ``n // 4`` ... down to 1: a machine with twice ``n`` has all of them after its own."""
    out = [n]
    while out[-1] > 1:
        out.append(out[-1] // 2)
    return out


def grids(rows: int, cols: int) -> list[tuple[int, int]]:
    """PE grids (rows, columns) a convolution may use: every pair of halvings, the whole array first."""
    return [(r, c) for r in halvings(rows) for c in halvings(cols)]


def weight_lanes(f: int) -> list[int]:
    """Weight lanes a layer may feed on SCNN: F and every halving (a machine with twice F has all of them)."""
    return halvings(f)


def machines(m: Machine, every: bool, with_lanes: bool = False) -> list[Machine]:
    """The machines a layer's candidates run on, the whole machine first: with ``every``, each PE grid
    (:func:`grids`) and, ``with_lanes`` on a sparse machine, each count of :func:`weight_lanes` it feeds
    (:meth:`.machine.Machine.with_weight_lanes`; a dense step's cycles only grow with fewer lanes);
    otherwise the whole machine only."""
    if not every:
        return [m]
    lanes = weight_lanes(m.f) if with_lanes and m.index_bits else [m.f]
    return [m.grid(rows, cols).with_weight_lanes(f) for rows, cols in grids(m.rows, m.cols) for f in lanes]


def capacities(capacity: int) -> list[int]:
    """Accumulator capacities (partial sums) whose tilings a convolution may use: the machine's and every
    halving, the ones a smaller machine would plan for."""
    return halvings(capacity)


def kc_candidates(channels: int, most: int, f: int) -> list[int]:
    """Group sizes of :func:`.plane.group_size` for at most ``most >> j`` channels per group (a machine with
    1/2^j of the accumulator capacity: ``(capacity >> j) // footprint == most >> j``), for every j, aligned
    to F, F/2, ... 1 weight lanes; largest first. A machine with twice the accumulator banks or entries has
    every size of the smaller one: ``most`` doubles (at least), and ``(2 most) >> (j + 1) == most >> j``; one
    with twice F has every alignment of the smaller one."""
    sizes = {group_size(channels, most_j, lanes) for most_j in halvings(most) for lanes in halvings(f)}
    return sorted(sizes, reverse=True)


@dataclass(frozen=True)
class Grid:
    """One PE grid's candidates: ``m`` the machine cut to the grid, ``planes`` its tilings with each group
    size (largest first), ``bound`` a lower bound on the cycles of any of them (0: none known), ``conv`` the
    strategy's view of the layer on the grid (what the caller's compile needs)."""

    m: Machine
    planes: Sequence[Plane]
    bound: float = 0.0
    conv: object = None


def _buffers(m: Machine) -> Callable:
    """The machine's buffers by name (an engine's ``hw.buffer``)."""
    return {m.iaram.name: m.iaram, m.oaram.name: m.oaram}.__getitem__


class Kernel:
    """The kernel a mapper simulates candidates on: the machine's DRAM channel and buffers, and the
    dynamic energy of a run's counts (the machine's energy table; 0 without one)."""

    def __init__(self, m: Machine) -> None:
        self.engine = Engine(SimpleNamespace(dram=m.dram, buffer=_buffers(m)))
        self.table = m.energy

    def key(self, run: LayerRun, order: tuple) -> tuple:
        """(cycles, dynamic pJ, DRAM bytes, ``order``): the mapper's preference, least first."""
        pj = sum(count * self.table.pj(*action) for action, count in run.counts.items()) if self.table else 0.0
        return run.cycles, pj, run.dram_read_bytes + run.dram_write_bytes, order


def padded(program: Program, n_pes: int) -> Program:
    """``program`` on a machine of ``n_pes`` PEs, the PEs past its own idle (no work, no operands)."""
    extra = n_pes - program.n_pes
    if extra == 0:
        return program
    idle = np.zeros((program.n_steps, extra), dtype=program.pe_cycles.dtype)
    words = {key: np.hstack([value, np.zeros((program.n_steps, extra))])        # the PEs' own buffers
             for key, value in program.sram_words.items()}
    return replace(program, pe_cycles=np.hstack([program.pe_cycles, idle]), sram_words=words)


def step_cycles(program: Program, m: Machine) -> np.ndarray:
    """(steps, PEs): how long each PE's step lasts at least, for its multipliers and its buffers."""
    return np.maximum(program.pe_cycles, sram_step_cycles(program, SimpleNamespace(buffer=_buffers(m))))


def lower_bound(program: Program, m: Machine) -> float:
    """A lower bound on the kernel's cycles for ``program`` (``n`` steps), each step lasting at least what its
    PEs and buffers need (:func:`accelsim.sim.sram.sram_step_cycles`), the largest of: between two barriers
    every PE works through its steps (the slowest sets the segment's length); the DRAM channel carries its
    requests in order, a latency after the first, and the last step's load is asked for after every other
    load and the writes of the steps up to n - 3 (the double buffer frees its half when step n - 3 ends): the
    last step starts only once all of those have crossed, computes for its slowest PE's cycles and then
    writes its results (a latency and their bytes more)."""
    cycles = step_cycles(program, m)
    ends = np.array(program.barrier)
    ends[-1] = True
    starts = np.r_[0, np.flatnonzero(ends[:-1]) + 1]
    compute = float(np.add.reduceat(cycles, starts, axis=0).max(axis=1).sum()) if cycles.size else 0.0
    bandwidth, latency = m.dram.bytes_per_cycle, m.dram.latency_cycles
    ahead = float(program.load_bytes.sum() + program.store_bytes[:-2].sum())
    last = float(program.store_bytes[-1])
    tail = ((ahead / bandwidth + latency if ahead else 0.0) + float(cycles[-1].max())
            + (last / bandwidth + latency if last else 0.0))
    n_bytes = float(program.load_bytes.sum() + program.store_bytes.sum())
    memory = n_bytes / bandwidth + latency if n_bytes else 0.0
    return max(compute, memory, tail)


def buffered_bound(program: Program, cycles: np.ndarray, m: Machine) -> float:
    """A lower bound from the double buffer and the shared DRAM channel on the kernel's cycles for ``program``
    whose steps last ``cycles`` (steps, PEs); 0 when a step may end in the cycle the one before ended (then
    the order of the channel's requests is the event queue's, not fixed). Otherwise (as
    :func:`accelsim.sim.engine.timeline` replays it) steps 0 and 1 are read at cycle 0; once step s has ended
    (its last PE done, at E_s) its write is asked for, then the late part of step s + 1's load, then step
    s + 2's read; a transfer asked for at t crosses the channel after the transfers before it and no earlier
    than the latency after t, so it completes no earlier than max(t + latency, channel) + bytes / bandwidth
    (as if every request could be in flight), rounded up to a whole cycle as the channel rounds, less a
    margin for the float sums (each of the at most 3 n transfers adds at most a few units in the last place
    of the largest time; :data:`ROUNDING_ULPS` per transfer are allowed). Step s starts on every PE once its
    read has arrived (A_s), so E_s >= A_s + its slowest PE's cycles, and on the PE that ended step s - 1
    last once that PE is free, so E_s >= max(E_{s-1}, A_s) + that PE's cycles: the slowest PE's after a
    barrier (every PE ended at E_{s-1}), the quickest working PE's otherwise. (A PE with no work in any step
    is never the last: it ends a step when the step's read arrives or when it ended the step before, both
    before E_s, since some PE works at least a cycle after the arrival and E_{s-1} < E_s.)"""
    slowest = cycles.max(axis=1)
    working = cycles[:, cycles.any(axis=0)]
    if working.size == 0:
        return 0.0
    chained = np.where(np.r_[True, np.asarray(program.barrier)[:-1]], slowest, working.min(axis=1))
    return chain_bound(program.load_bytes, program.late_load_bytes, program.store_bytes, slowest, chained, m)


def chain_bound(load_bytes: np.ndarray, late_bytes: np.ndarray, store_bytes: np.ndarray, slowest: np.ndarray,
                chained: np.ndarray, m: Machine) -> float:
    """:func:`buffered_bound`'s recurrence over steps that load, load late and store at most these bytes, each
    lasting at least ``slowest`` cycles after its read arrives and ``chained`` after the step before (0 unless
    every ``chained`` is at least a cycle)."""
    if len(chained) == 0 or np.min(chained) < 1:
        return 0.0
    bandwidth, latency = m.dram.bytes_per_cycle, m.dram.latency_cycles
    loads, stores = np.asarray(load_bytes, np.float64), np.asarray(store_bytes, np.float64)
    lates = np.ascontiguousarray(np.broadcast_to(np.asarray(late_bytes, np.float64), loads.shape))
    transfers = 3 * loads.size
    longest = ((sum(loads.tolist()) + sum(stores.tolist())) / bandwidth + (latency + 1) * transfers
               + float(np.sum(slowest)))
    margin = 1e-9 + ROUNDING_ULPS * transfers * math.ulp(longest)
    return _chain(loads, lates, stores, np.asarray(slowest, np.float64),
                  np.asarray(chained, np.float64), float(bandwidth), float(latency), margin)


@njit(cache=True)
def _transfer(channel: float, t: float, n_bytes: float, bandwidth: float, latency: float,
              margin: float) -> tuple[float, float]:
    """(the channel's new busy-until time, when a transfer of ``n_bytes`` asked for at ``t`` completes)."""
    if n_bytes <= 0:
        return channel, t
    channel = max(channel, t + latency) + n_bytes / bandwidth
    return channel, max(t, float(math.ceil(channel - margin)))


@njit(cache=True)
def _chain(loads, lates, stores, slowest, chained, bandwidth, latency, margin):
    """:func:`chain_bound`'s recurrence, compiled (DCNN's exact search bounds every candidate with it)."""
    n = loads.size
    arrival = np.zeros(n)
    channel = 0.0
    for s in range(min(2, n)):
        channel, arrival[s] = _transfer(channel, 0.0, loads[s] - (lates[s] if s else 0.0), bandwidth, latency,
                                        margin)
    end = written = 0.0
    for s in range(n):
        end = max(max(end, arrival[s]) + chained[s], arrival[s] + slowest[s])
        channel, done = _transfer(channel, end, stores[s], bandwidth, latency, margin)
        written = max(written, done)
        if s + 1 < n and lates[s + 1]:
            channel, done = _transfer(channel, end, lates[s + 1], bandwidth, latency, margin)
            arrival[s + 1] = max(arrival[s + 1], done)
        if s + 2 < n:
            channel, arrival[s + 2] = _transfer(channel, end, loads[s + 2] - lates[s + 2], bandwidth, latency, margin)
    return max(end, written)


#: A lower bound on a candidate's cycles computed without compiling it.
Bound = Callable[[Grid, Plane], float]


def map_layer(m: Machine, macs: int, grid_of: Callable[[Machine, int | None], Grid],
              exact: Callable[[Grid, Plane], Program], estimate: Callable[[Grid, Plane], Program],
              with_lanes: bool = False, bounds: Sequence[Bound] = (), memo: Hashable | None = None) -> Program:
    """The mapper's choice for a layer of ``macs`` dense MACs, convolution or fully connected:
    ``grid_of(machine, max groups)`` its candidates on one of :func:`machines` (``with_lanes``: the weight
    lanes too), ``exact`` a candidate's Program, ``estimate`` a cheap one. Found exactly (:func:`search`) over
    every machine for layers of at most :data:`EXHAUSTIVE_MACS` and over the whole array on a dense machine,
    where ``bounds`` prune and the choice is kept under ``memo`` (on a sparse machine the masks decide, so
    neither applies); larger layers on a sparse machine are pre-screened on the whole array (:func:`choose`,
    at most :data:`MAX_GROUPS` groups)."""
    small = macs <= EXHAUSTIVE_MACS
    if small or m.index_bits == 0:
        options = [grid_of(mm, None) for mm in machines(m, small, with_lanes)]
        if m.index_bits:
            return search(options, exact, m)
        return search(options, exact, m, bounds, memo=memo)
    grid = grid_of(m, MAX_GROUPS)
    return choose(grid.planes, lambda plane: estimate(grid, plane), lambda plane: exact(grid, plane), m)


def search(options: Sequence[Grid], exact: Callable[[Grid, Plane], Program], m: Machine,
           bounds: Sequence[Bound] = (), memo: Hashable | None = None) -> Program:
    """The best candidate of ``options`` (:func:`best_candidate`). With ``memo`` (a value standing for what
    ``exact`` compiles besides the candidate: the layer but its name, its masks, ...), the choice is kept under
    it, the candidates and the machine's energy figures (the last :data:`CHOICES` choices of the process), so
    an equal layer (a network's repeated blocks) compiles its choice only."""
    if memo is None:
        return best_candidate(options, exact, m, bounds)[0]
    energy = tuple((action, entry.value) for action, entry in m.energy.dynamic.items()) if m.energy else None
    key = (memo, m, energy, tuple((grid.m, tuple(grid.planes), grid.bound) for grid in options))
    searched = []

    def choose_now() -> tuple[int, int]:
        program, index = best_candidate(options, exact, m, bounds)
        searched.append(program)
        return index

    gi, pi = _CHOICES.get(key, choose_now)
    return searched[0] if searched else padded(exact(options[gi], options[gi].planes[pi]), m.n_pes)


def clear() -> None:
    """Forget every choice :func:`search` kept."""
    _CHOICES.clear()


def best_candidate(options: Sequence[Grid], exact: Callable[[Grid, Plane], Program], m: Machine,
                   bounds: Sequence[Bound] = ()) -> tuple[Program, tuple[int, int]]:
    """The best candidate of ``options`` (the whole grid first) and its (grid, plane) index, found exactly by
    best-first branch and bound. Each candidate starts with a valid lower bound on its cycles, its grid's
    and the first of ``bounds``'s (each computed without compiling, cheapest first); the candidate of least
    bound is taken next and goes one stage further: bounded by the next of ``bounds``, then compiled with
    ``exact`` (bounded by :func:`lower_bound`), then bounded by :func:`buffered_bound` (a loop over its
    steps), then simulated; its bound becomes the largest so far. This stops when the least bound exceeds the
    best simulated cycles (a tie may still win on energy): the candidates left have more cycles than the
    best, so the order of the work changes what is computed, not the choice, the least :meth:`Kernel.key`
    over every candidate."""
    kernel = Kernel(m)
    compiled: dict[tuple[int, int], Program] = {}

    def compile_now(gi: int, pi: int) -> float:
        program = compiled[gi, pi] = padded(exact(options[gi], options[gi].planes[pi]), m.n_pes)
        return lower_bound(program, m)

    stages = [*(lambda gi, pi, bound=bound: bound(options[gi], options[gi].planes[pi]) for bound in bounds[1:]),
              compile_now, lambda gi, pi: buffered_bound(compiled[gi, pi], step_cycles(compiled[gi, pi], m), m)]
    heap = [(max(grid.bound, bounds[0](grid, plane) if bounds else 0.0), 0, gi, pi)
            for gi, grid in enumerate(options) for pi, plane in enumerate(grid.planes)]
    heapq.heapify(heap)
    best, best_key = None, None
    while heap:
        low, stage, gi, pi = heapq.heappop(heap)
        if best_key is not None and low > best_key[0]:
            break
        if stage < len(stages):
            heapq.heappush(heap, (max(low, stages[stage](gi, pi)), stage + 1, gi, pi))
            continue
        program = compiled.pop((gi, pi))
        key = kernel.key(kernel.engine.execute(program), (gi, pi))
        if best_key is None or key < best_key:
            best, best_key = program, key
    return best, best_key[-1]


def pipeline_cycles(program: Program, m: Machine) -> float:
    """Analytical estimate of ``program`` on the kernel: the loader requests each step's operands once the
    previous load has arrived and one of the two buffer halves is free (the step two before has been
    computed); requests hold the DRAM channel for bytes / bandwidth in request order and complete a latency
    later; a step computes for its slowest PE's cycles once loaded and once the previous step is done, then
    requests its write. Cycles until the last step is done and the last write has completed."""
    bandwidth, latency = m.dram.bytes_per_cycle, m.dram.latency_cycles
    bus = 0.0                       # the channel is free from then on

    def transfer(request: float, n_bytes: float) -> float:
        nonlocal bus
        if n_bytes <= 0:
            return request
        bus = max(bus, request) + n_bytes / bandwidth
        return bus + latency

    loader = done = written = 0.0
    finished = [0.0, 0.0]           # compute end of the two steps before, which hold the buffer halves
    write = None                    # (request, bytes) of the previous step's results
    for load, cycles, store in zip(program.load_bytes, program.pe_cycles.max(axis=1), program.store_bytes):
        request = max(loader, finished[0])
        if write is not None and write[0] <= request:
            written, write = max(written, transfer(*write)), None
        loader = transfer(request, load)
        if write is not None:
            written, write = max(written, transfer(*write)), None
        done = max(done, loader) + cycles
        finished = [finished[1], done]
        write = (done, store)
    return max(done, written, transfer(*write))


def choose(planes: Sequence[Plane], estimate: Callable[[Plane], Program], exact: Callable[[Plane], Program],
           m: Machine) -> Program:
    """The pre-screened choice among ``planes`` (one grid's; the first has the largest groups). The first is
    compiled with ``exact`` and simulated; the others are estimated (:func:`pipeline_cycles` of
    ``estimate(plane)``) with their PE cycles scaled by the ratio of the exact to the estimated PE cycles of
    the first (the estimate leaves out bank conflicts and placeholders, which scale alike), and while the
    best estimate beats the best simulated cycles so far it is compiled and simulated too, rescaling the
    rest, at most :data:`EXACT_CANDIDATES` in all. The least :meth:`Kernel.key` wins: never slower than the
    largest groups."""
    kernel = Kernel(m)
    guesses = {i: estimate(plane) for i, plane in enumerate(planes)} if len(planes) > 1 else {}
    index, best, best_key, exact_total, guess_total = 0, None, None, 0, 0
    for _ in range(min(EXACT_CANDIDATES, len(planes))):
        program = exact(planes[index])
        if len(planes) == 1:
            return program
        key = kernel.key(kernel.engine.execute(program), (index,))
        if best_key is None or key < best_key:
            best, best_key = program, key
        exact_total += int(program.pe_cycles.sum())
        guess_total += int(guesses.pop(index).pe_cycles.sum())
        if not guesses:
            break
        scale = exact_total / guess_total if guess_total else 1.0
        corrected = {i: pipeline_cycles(_scaled(guess, scale), m) for i, guess in guesses.items()}
        index = min(corrected, key=lambda i: (corrected[i], i))
        if corrected[index] >= best_key[0]:
            break
    return best


def _scaled(program: Program, scale: float) -> Program:
    """``program`` with its PE cycles multiplied by ``scale``."""
    return replace(program, pe_cycles=np.rint(program.pe_cycles * scale))
