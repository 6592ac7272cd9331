"""The SimPy run of a program's steps: the loader, the double buffer, the PEs and the DRAM channel as processes
(:class:`~accelsim.sim.engine.Engine`'s docstring describes the pipeline). :func:`~accelsim.sim.engine.timeline`
calls it only when the order of the channel's requests does not follow from the steps alone, so SimPy is
imported only then."""
from __future__ import annotations

import numpy as np
import simpy

from accelsim.compile.program import Program
from accelsim.sim.buffers import DoubleBuffer
from accelsim.sim.dram import DramChannel
from accelsim.sim.engine import Timeline
from accelsim.sim.sync import Barrier


def simulate(program: Program, step_cycles: np.ndarray, dram_spec) -> Timeline:
    """The :class:`Timeline` of ``program`` whose steps last ``step_cycles`` (steps, PEs) on the DRAM channel
    ``dram_spec``, by discrete-event simulation (deterministic: SimPy breaks ties by event order)."""
    env = simpy.Environment()
    dram = DramChannel(env, dram_spec.bytes_per_cycle, dram_spec.latency_cycles, dram_spec.requests_in_flight,
                       dram_spec.request_bytes)
    buffer = DoubleBuffer(env)
    barrier = Barrier(env, program.n_pes)
    ready = [env.event() for _ in range(program.n_steps)]
    late_arrivals = [env.event() for _ in range(program.n_steps)]
    late = np.asarray(program.late_load_bytes, dtype=np.int64).copy()
    late[:1] = 0                            # step 0 has no step before it: all of its load is read at once
    remaining = np.full(program.n_steps, program.n_pes, dtype=np.int64)
    halves: dict[int, int] = {}
    memory_wait = np.zeros(program.n_pes, dtype=np.int64)
    writes: list[simpy.events.Event] = []

    def land(step: int, half: int, arrival: simpy.events.Event):
        yield arrival
        if late[step]:
            yield late_arrivals[step]
        halves[step] = half
        ready[step].succeed()

    def read_late(step: int):
        yield dram.read(int(late[step]))
        late_arrivals[step].succeed()

    def loader():
        # a step's read is issued as soon as a buffer half is free, without waiting for the previous
        # read to arrive: the channel overlaps their latencies (its late part: see the PEs)
        for step in range(program.n_steps):
            half = yield buffer.acquire_for_load()
            env.process(land(step, half, dram.read(int(program.load_bytes[step] - late[step]))))

    def pe(index: int):
        for step in range(program.n_steps):
            start = env.now
            yield ready[step]
            memory_wait[index] += env.now - start
            yield env.timeout(int(step_cycles[step, index]))
            if program.barrier[step]:
                yield barrier.wait()
            remaining[step] -= 1
            if remaining[step] == 0:
                writes.append(dram.write(int(program.store_bytes[step])))
                if step + 1 < program.n_steps and late[step + 1]:
                    env.process(read_late(step + 1))
                buffer.release(halves.pop(step))

    env.process(loader())
    workers = [env.process(pe(p)) for p in range(program.n_pes)]
    env.run(simpy.AllOf(env, workers))
    compute_end = env.now
    env.run()
    return Timeline(int(env.now), compute_end, int(memory_wait.sum()), dram.read_bytes, dram.write_bytes)
