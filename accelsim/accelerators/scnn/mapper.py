"""SCNN's and DCNN's mapper (layer 5; ``docs/scnn.md``, "Mapper"): each convolution's PE grid (the sub-array
of the machine's PEs it uses), tiling and output-channel group size Kc, chosen to minimise the simulated
latency (ties: dynamic energy, then DRAM bytes, then the earlier candidate).

Candidates: PE grids of ``rows >> i`` x ``cols >> j`` PEs (:func:`grids`; the PEs outside it idle), the
tilings planned for the accumulator capacity and each of its halvings (:func:`capacities`), and the group
sizes of every halving of the largest that fits (:func:`kc_candidates`). A machine with twice the rows,
columns, accumulator banks or entries has every candidate of the smaller one among its own, and runs it in
no more cycles (the same program; with more banks no bank receives more products and no halo drains
longer): so where the best candidate is found exactly, the bigger machine is never slower, by construction.

It is found exactly (:func:`search`: branch and bound, candidates compiled and simulated in order of a valid
lower bound until the bound exceeds the best simulated cycles) over every grid for layers of at most
:data:`EXHAUSTIVE_MACS` dense MACs, and over the whole array's tilings and group sizes for every DCNN layer
(dense: its exact program is closed form). Larger SCNN layers use the whole array: the Cartesian product's
exact compile costs tens of milliseconds, so their candidates (at most :data:`MAX_GROUPS` groups) are
pre-screened analytically and at most :data:`EXACT_CANDIDATES` are simulated (:func:`choose`); the choice is
never slower than the largest groups, and monotonicity there is measured (``docs/resource_doubling.md``),
not proven."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np

from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.plane import Plane, group_size
from accelsim.compile.program import Program
from accelsim.sim.engine import Engine, LayerRun

#: Most candidates of a large SCNN layer compiled exactly and simulated, the best by the estimate first.
EXACT_CANDIDATES = 2
#: Most output-channel groups of a large SCNN layer's candidates (the largest groups always one): a bound on
#: the pre-screen's time (its estimates cost in proportion to the steps), not a hardware quantity.
MAX_GROUPS = 16
#: SCNN layers of at most this many dense MACs are mapped by the exact search over every candidate: a bound
#: on simulation time (each candidate's Cartesian product compiled), not a hardware quantity.
EXHAUSTIVE_MACS = 1 << 16


def halvings(n: int) -> list[int]:
    """``n``, ``n // 2``, ``n // 4`` ... down to 1: a machine with twice ``n`` has all of them after its own."""
    out = [n]
    while out[-1] > 1:
        out.append(out[-1] // 2)
    return out


def grids(rows: int, cols: int) -> list[tuple[int, int]]:
    """PE grids (rows, columns) a convolution may use: every pair of halvings, the whole array first."""
    return [(r, c) for r in halvings(rows) for c in halvings(cols)]


def capacities(capacity: int) -> list[int]:
    """Accumulator capacities (partial sums) whose tilings a convolution may use: the machine's and every
    halving, the ones a smaller machine would plan for."""
    return halvings(capacity)


def kc_candidates(channels: int, most: int, f: int) -> list[int]:
    """Group sizes of :func:`.plane.group_size` for at most ``most >> j`` channels per group (a machine with
    1/2^j of the accumulator capacity: ``(capacity >> j) // footprint == most >> j``), for every j, with F
    or F/2 weight lanes; largest first. A machine with twice the accumulator banks or entries has every
    size of the smaller one: ``most`` doubles (at least), and ``(2 most) >> (j + 1) == most >> j``."""
    sizes = {group_size(channels, most_j, lanes) for most_j in halvings(most) for lanes in halvings(f)[:2]}
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


class Kernel:
    """The kernel a mapper simulates candidates on: the machine's DRAM channel and buffers, and the
    dynamic energy of a run's counts (the machine's energy table; 0 without one)."""

    def __init__(self, m: Machine) -> None:
        buffers = {m.iaram.name: m.iaram, m.oaram.name: m.oaram}
        self.engine = Engine(SimpleNamespace(dram=m.dram, buffer=buffers.__getitem__))
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


def lower_bound(program: Program, m: Machine) -> float:
    """A lower bound on the kernel's cycles for ``program`` (``n`` steps), the largest of: between two
    barriers every PE works through its steps (the slowest sets the segment's length); the DRAM channel
    carries its requests in order, a latency after the first, and the last step's load is asked for after
    every other load and the writes of the steps up to n - 3 (the double buffer frees its half when step
    n - 3 ends): the last step starts only once all of those have crossed, computes for its slowest PE's
    cycles and then writes its results (a latency and their bytes more)."""
    cycles = np.asarray(program.pe_cycles)
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


def search(options: Sequence[Grid], exact: Callable[[Grid, Plane], Program], m: Machine) -> Program:
    """The best candidate of ``options`` (the whole grid first), found exactly: grids in order of their
    bound, each grid's candidates compiled with ``exact`` and simulated in order of :func:`lower_bound`
    while the bound does not exceed the best simulated cycles (a tie may still win on energy)."""
    kernel = Kernel(m)
    best, best_key = None, None
    for gi in sorted(range(len(options)), key=lambda i: (options[i].bound, i)):
        grid = options[gi]
        if best_key is not None and grid.bound > best_key[0]:
            break
        programs = [padded(exact(grid, plane), m.n_pes) for plane in grid.planes]
        bounds = [lower_bound(program, m) for program in programs]
        for pi in sorted(range(len(programs)), key=lambda i: (bounds[i], i)):
            if best_key is not None and bounds[pi] > best_key[0]:
                break
            key = kernel.key(kernel.engine.execute(programs[pi]), (gi, pi))
            if best_key is None or key < best_key:
                best, best_key = programs[pi], key
    return best


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
