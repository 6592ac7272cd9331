"""The SimPy kernel: every expected number here is derived by hand in the test's docstring."""
from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.sim import Barrier, DoubleBuffer, DramChannel, Engine
from fifo_oracle import BoundedFifo


def test_dram_transfers_serialise_and_latency_pipelines():
    """10 B/cycle, latency 5: 100 B holds the bus 0-10, arrives at 15; a second 35 B request made at 0
    waits for the bus (10), holds it 10-14 (ceil 3.5 = 4 cycles) and arrives at 19."""
    env = simpy.Environment()
    dram = DramChannel(env, bytes_per_cycle=10, latency_cycles=5)
    done = {}

    def client(name, n):
        yield dram.read(n)
        done[name] = env.now

    env.process(client("a", 100))
    env.process(client("b", 35))
    env.run()
    assert done == {"a": 15, "b": 19}
    assert (dram.read_bytes, dram.write_bytes) == (135, 0)


def test_barrier_releases_every_party_when_the_last_arrives():
    """Parties arrive at 3, 7 and 10: all are released at 10; the next crossing (arrivals 12, 13, 20)
    releases at 20."""
    env = simpy.Environment()
    barrier = Barrier(env, 3)
    released = []

    def party(delays):
        for delay in delays:
            yield env.timeout(delay)
            yield barrier.wait()
            released.append(env.now)

    for delays in ((3, 2), (7, 3), (10, 10)):
        env.process(party(delays))
    env.run()
    assert released == [10, 10, 10, 20, 20, 20]


def test_bounded_fifo_oracle_blocks_producer_when_full():
    """The oracle test_eie.py uses. Depth 2, consumer takes one item every 5 cycles starting at 5: the 3rd
    put waits 0->5, the 4th 5->10; full stall = 5 + 5 = 10 cycles."""
    env = simpy.Environment()
    fifo = BoundedFifo(env, depth=2)

    def producer():
        for item in range(4):
            yield from fifo.put(item)

    def consumer():
        for _ in range(4):
            yield env.timeout(5)
            yield fifo.get()

    env.process(producer())
    env.process(consumer())
    env.run()
    assert (fifo.full_stall_cycles, fifo.pushes) == (10, 4)


def test_double_buffer_holds_at_most_two_tiles():
    """Loads take 10 cycles, compute 4; a load may start only while a half is free. Loads end at 10, 20,
    30; compute runs 10-14, 20-24, 30-34. With one half the second load waits for the first release (14):
    loads end at 10, 24, 38."""
    def run(halves):
        env = simpy.Environment()
        buffer = DoubleBuffer(env, halves)
        loaded = [env.event() for _ in range(3)]
        done = []

        def loader():
            for step in range(3):
                half = yield buffer.acquire_for_load()
                yield env.timeout(10)
                loaded[step].succeed(half)

        def compute():
            for step in range(3):
                half = yield loaded[step]
                yield env.timeout(4)
                yield buffer.release(half)
                done.append(env.now)

        env.process(loader())
        env.process(compute())
        env.run()
        return done

    assert run(2) == [14, 24, 34]
    assert run(1) == [14, 28, 42]


def _machine(**dram) -> SimpleNamespace:
    """The one part of a machine the kernel reads: its DRAM channel."""
    return SimpleNamespace(dram=SimpleNamespace(**dram))


def test_engine_pipeline_hand_traced():
    """2 PEs, 3 steps, DRAM 10 B/cycle with latency 5; loads of 100 B, stores of 50/0/50 B.
    Step 0: load on the bus 0-10, ready 15; PEs busy 10 and 20 cycles -> barrier at 35; its 50 B store
    holds the bus 35-40. Step 1: loaded 15-25, ready 30; PEs 35-45 and 35-40 -> barrier at 45. Step 2: its
    load waits for a free half (35) and the bus (40): 40-50, ready 55; PEs wait 45-55 then run 55-85 (no
    barrier); the final 50 B store holds the bus 85-90 and lands at 95.
    busy = (10+20+10+5+30+30)/2 = 52.5; memory = (15 + 10) per PE = 25; imbalance = (10 + 5)/2 = 7.5;
    drain = 95 - 85 = 10; they add up to 95."""
    program = Program("x", load_bytes=[100, 100, 100], pe_cycles=[[10, 20], [10, 5], [30, 30]],
                      store_bytes=[50, 0, 50], barrier=[True, True, False], counts=Counts(), useful_macs=0)
    run = Engine(_machine(bytes_per_cycle=10, latency_cycles=5)).execute(program)
    assert run.cycles == 95
    assert (run.busy_cycles, run.stall_memory_cycles, run.stall_imbalance_cycles, run.drain_cycles) == (
        52.5, 25.0, 7.5, 10.0)
    assert run.busy_cycles + run.stall_memory_cycles + run.stall_imbalance_cycles + run.drain_cycles == 95
    assert run.counts == Counts.of(dram={"read_bytes": 300, "write_bytes": 100})


def test_engine_without_memory_traffic_is_compute_bound():
    """No DRAM traffic and barriers everywhere: cycles = sum over steps of the slowest PE."""
    cycles = np.array([[3, 9, 4], [7, 7, 1]])
    program = Program("y", load_bytes=0, pe_cycles=cycles, store_bytes=0, barrier=True, counts=Counts(),
                      useful_macs=0)
    run = Engine(_machine(bytes_per_cycle=1, latency_cycles=0)).execute(program)
    assert run.cycles == 9 + 7 == program.compute_bound_cycles


def test_program_is_immutable_and_validated():
    program = Program("z", load_bytes=1, pe_cycles=[[1]], store_bytes=1, barrier=True, counts=Counts(),
                      useful_macs=1)
    with pytest.raises(ValueError):
        program.pe_cycles[0, 0] = 5
    with pytest.raises(ValueError):
        Program("z", load_bytes=-1, pe_cycles=[[1]], store_bytes=0, barrier=True, counts=Counts(),
                useful_macs=0)


def test_counts_add_and_scale():
    a = Counts.of(mac={"op": 3}, dram={"read_bytes": 10})
    b = Counts.of(mac={"op": 2})
    assert (a + b)[("mac", "op")] == 5
    assert sum([a, b]) == a + b
    assert a.scaled(2)[("dram", "read_bytes")] == 20
    assert a.component("dram") == {"read_bytes": 10}
    with pytest.raises(ValueError):
        Counts.of(mac={"op": -1})
