"""SCNN's and DCNN's mapper (layer 5; ``docs/scnn.md``, "Mapper"): each convolution's output-channel group
size Kc, chosen to minimise latency (ties: DRAM bytes, then the larger group) among the group sizes the
machine allows.

Candidates are the group size this machine's accumulators give and those machines with 1/2 and 1/4 of its
accumulator capacity, or with F/2 weight lanes, would use (:func:`kc_candidates`): a machine with twice the
accumulator entries, banks or multipliers keeps the smaller one's largest-group mapping among its
candidates. The largest groups are compiled exactly and simulated; the others are estimated analytically
(:func:`pipeline_cycles` of their conflict-free steps, corrected by the exact one) and the best of them is
compiled and simulated if it promises to be faster (:func:`choose`)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.plane import Plane, group_size
from accelsim.compile.program import Program
from accelsim.sim.engine import Engine

#: Most candidates compiled exactly and simulated, the best by the analytical estimate first.
EXACT_CANDIDATES = 2
#: Accumulator halvings whose group sizes are candidates.
HALVINGS = 2


def kc_candidates(channels: int, most: int, f: int) -> list[int]:
    """Group sizes of :func:`.plane.group_size` for at most ``most >> j`` channels per group (a machine with
    1/2^j of the accumulator capacity: ``(capacity >> j) // footprint == most >> j``), j <= :data:`HALVINGS`,
    and F or F/2 weight lanes; largest first."""
    sizes = {group_size(channels, most >> j, lanes)
             for j in range(HALVINGS + 1) if most >> j >= 1 for lanes in {f, max(f // 2, 1)}}
    return sorted(sizes, reverse=True)


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
    """The exact Program of the best of ``planes`` (the first has the largest groups). The first is compiled
    with ``exact`` and simulated; the others are estimated (:func:`pipeline_cycles` of ``estimate(plane)``)
    with their PE cycles scaled by the ratio of the exact to the estimated PE cycles of the first (the
    estimate leaves out bank conflicts and placeholders, which scale alike), and while the best estimate
    beats the best simulated cycles so far it is compiled and simulated too, rescaling the rest, at most
    :data:`EXACT_CANDIDATES` in all. The fewest simulated cycles win, then the fewest DRAM bytes, then the
    larger group: never slower than the largest groups."""
    kernel = Engine(SimpleNamespace(dram=m.dram))
    guesses = {i: estimate(plane) for i, plane in enumerate(planes)} if len(planes) > 1 else {}
    index, best, best_key, exact_total, guess_total = 0, None, None, 0, 0
    for _ in range(min(EXACT_CANDIDATES, len(planes))):
        program = exact(planes[index])
        if len(planes) == 1:
            return program
        run = kernel.execute(program)
        key = (run.cycles, run.dram_read_bytes + run.dram_write_bytes, -planes[index].kc)
        if best_key is None or key < best_key:
            best, best_key = program, key
        exact_total += int(program.pe_cycles.sum())
        guess_total += int(guesses.pop(index).pe_cycles.sum())
        if not guesses:
            break
        scale = exact_total / guess_total if guess_total else 1.0
        corrected = {i: pipeline_cycles(_scaled(guess, scale), m) for i, guess in guesses.items()}
        index = min(corrected, key=lambda i: (corrected[i], -planes[i].kc))
        if corrected[index] >= best_key[0]:
            break
    return best


def _scaled(program: Program, scale: float) -> Program:
    """``program`` with its PE cycles multiplied by ``scale``."""
    return replace(program, pe_cycles=np.rint(program.pe_cycles * scale))
