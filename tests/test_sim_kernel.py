"""The SimPy kernel: every expected number here is derived by hand in the test's docstring."""
from types import SimpleNamespace

import numpy as np
import pytest
import simpy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.sim import Barrier, DoubleBuffer, DramChannel, Engine
from fifo_oracle import BoundedFifo


def test_dram_transfers_serialise_and_latency_pipelines():
    """10 B/cycle, latency 5, 10-byte requests, 6 in flight (5 x 10 / 10 + 1: the latency covered): 100 B
    leave the DRAM from 5 and cross the bus 5-15, arriving at 15; a second 35 B transfer asked for at 0 has
    its data ready from 5 too but crosses the bus after the first, 15-18.5, arriving at 19 (a whole cycle)."""
    env = simpy.Environment()
    dram = DramChannel(env, bytes_per_cycle=10, latency_cycles=5, outstanding_requests=6, request_bytes=10)
    done = {}

    def client(name, n):
        yield dram.read(n)
        done[name] = env.now

    env.process(client("a", 100))
    env.process(client("b", 35))
    env.run()
    assert done == {"a": 15, "b": 19}
    assert (dram.read_bytes, dram.write_bytes) == (135, 0)


def _completions(transfers, **channel) -> list[int]:
    """Completion cycle of each (ask time, 'read' or 'write', bytes) transfer on one channel."""
    env = simpy.Environment()
    dram = DramChannel(env, **channel)
    done = [None] * len(transfers)

    def client(index, at, kind, n):
        yield env.timeout(at)
        yield getattr(dram, kind)(n)
        done[index] = env.now

    for index, (at, kind, n) in enumerate(transfers):
        env.process(client(index, at, kind, n))
    env.run()
    return done


def test_dram_back_to_back_transfers_stream_at_full_bandwidth():
    """B = 4 B/cycle, L = 20, 16-byte requests (d = 4 cycles on the bus), 6 in flight (20 x 4 / 16 + 1).
    Three 64 B transfers asked for at 0: the first's data leaves the DRAM at 20 and crosses the bus in
    64 / 4 = 16 cycles (done 36); the others follow on the bus without a gap: 52, 68. A write asked for at 0
    shares the channel and follows them: 84. A 64 B read asked for at 100, on an idle channel: 100 + 20 + 16
    = 136."""
    channel = dict(bytes_per_cycle=4, latency_cycles=20, outstanding_requests=6, request_bytes=16)
    transfers = [(0, "read", 64), (0, "read", 64), (0, "read", 64), (0, "write", 64), (100, "read", 64)]
    assert _completions(transfers, **channel) == [36, 52, 68, 84, 136]


def test_dram_with_too_few_requests_in_flight_is_latency_bound():
    """B = 4 B/cycle, L = 20, 16-byte requests, 2 in flight: a request holds its slot for its round trip
    L + 16 / 4 = 24 cycles, so the channel moves 2 x 16 B per 24 cycles (N x size / round trip), below the
    bus's 4 B/cycle. A 2m-request transfer: requests 0 and 1 complete at 24 and 28 (the second's data
    follows the first's on the bus); each later pair is issued when the pair before completes and completes
    24 cycles after it, so the last request completes at 28 + (m - 1) x 24. m = 5 (160 B): 124; m = 50
    (1,600 B): 1,204, i.e. 1,600 B / (32 / 24 B/cycle) + 4."""
    channel = dict(bytes_per_cycle=4, latency_cycles=20, outstanding_requests=2, request_bytes=16)
    assert _completions([(0, "read", 160)], **channel) == [124]
    assert _completions([(0, "read", 1600)], **channel) == [28 + 49 * 24]
    # the same bytes as two transfers in a row: the second waits for the first's slots, not for its end
    assert _completions([(0, "read", 800), (0, "write", 800)], **channel) == [28 + 24 * 24, 28 + 49 * 24]


def test_dram_partial_last_request():
    """B = 4, L = 20, 16-byte requests, 1 in flight: 40 B are requests of 16, 16 and 8 B, each issued when
    the previous completes: 0 + 20 + 4 = 24, 24 + 20 + 4 = 48, 48 + 20 + 2 = 70."""
    assert _completions([(0, "read", 40)], bytes_per_cycle=4, latency_cycles=20, outstanding_requests=1,
                        request_bytes=16) == [70]


def _recurrence(transfers, bytes_per_cycle, latency_cycles, outstanding_requests, request_bytes) -> list[float]:
    """The class docstring's recurrence, one request at a time (the oracle of the closed form): request i of
    the channel completes at ``c_i = max(t + L, c_{i-N} + L, c_{i-1}) + bytes_i / B``."""
    done, ends = [], []
    for at, n_bytes in transfers:
        for size in [request_bytes] * ((n_bytes - 1) // request_bytes) + [n_bytes - (n_bytes - 1) // request_bytes
                                                                             * request_bytes]:
            slot = ends[-outstanding_requests] + latency_cycles if len(ends) >= outstanding_requests else -1.0
            ends.append(max(at + latency_cycles, slot, ends[-1] if ends else -1.0) + size / bytes_per_cycle)
        done.append(ends[-1])
    return done


@settings(max_examples=150, deadline=None)
@given(transfers=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 600)), min_size=1, max_size=8),
       bandwidth=st.sampled_from([0.5, 1, 3, 12.8]), latency=st.integers(0, 60), request=st.sampled_from([4, 7, 64]),
       slots=st.integers(1, 8))
@example(transfers=[(15, 5), (0, 30), (10, 37)], bandwidth=3, latency=29, request=4, slots=4)  # the prefix term binds
def test_dram_closed_form_equals_the_request_by_request_recurrence(transfers, bandwidth, latency, request, slots):
    """Property: :meth:`DramChannel.completion` (one closed form per transfer) gives the completion, rounded up
    to a whole cycle, of the recurrence run one request at a time; transfers asked for in order of time. Few
    slots and short transfers: latency not covered (g > 0) and partial last requests, where each of the
    closed form's three terms binds."""
    channel = dict(bytes_per_cycle=bandwidth, latency_cycles=latency, outstanding_requests=slots,
                   request_bytes=request)
    transfers = [(sum(t for t, _ in transfers[:i + 1]), n) for i, (_, n) in enumerate(transfers)]
    dram = DramChannel(None, **channel)
    expected = [max(at, int(np.ceil(end - 1e-9))) for (at, _), end in zip(transfers, _recurrence(transfers, **channel))]
    assert [dram.completion(at, n) for at, n in transfers] == expected


@settings(max_examples=60, deadline=None)
@given(transfers=st.lists(st.tuples(st.integers(0, 300), st.sampled_from(["read", "write"]),
                                    st.integers(1, 400)), min_size=1, max_size=8),
       bandwidth=st.sampled_from([0.5, 1, 3, 8]), latency=st.integers(0, 60), request=st.integers(1, 64),
       slots=st.integers(1, 12))
def test_dram_more_requests_in_flight_never_slower(transfers, bandwidth, latency, request, slots):
    """Property: one more request in flight never delays any transfer (every completion time is
    non-increasing in the number of outstanding requests); nor does more bandwidth."""
    channel = dict(bytes_per_cycle=bandwidth, latency_cycles=latency, request_bytes=request)
    fewer = _completions(transfers, outstanding_requests=slots, **channel)
    more = _completions(transfers, outstanding_requests=slots + 1, **channel)
    assert all(m <= f for m, f in zip(more, fewer))
    faster = _completions(transfers, outstanding_requests=slots, **{**channel, "bytes_per_cycle": 2 * bandwidth})
    assert all(m <= f for m, f in zip(faster, fewer))


def test_engine_overlaps_the_latency_of_reads_in_flight():
    """The loader issues a read as soon as a buffer half is free. 1 PE, 6 steps of 50 cycles, each loading
    16 B at 16 B/cycle with latency 100 (a read takes 101 cycles). Both halves are free at 0: step 0 arrives
    at 101, step 1 at 102 (its byte follows on the bus). Then a step's read starts when the step two before
    ends: end(s) = max(end(s-1), end(s-2) + 101) + 50, end(0) = 151, end(1) = 201, so end(2m+1) = 201 +
    151 m: 75.5 cycles a step, where a loader waiting out each read would take 101 per step
    (6 x 101 + 50 = 656 cycles)."""
    program = Program("x", load_bytes=16, pe_cycles=[[50]] * 6, store_bytes=0, barrier=False, counts=Counts(),
                      useful_macs=0)
    run = Engine(_machine(bytes_per_cycle=16, latency_cycles=100, request_bytes=64)).execute(program)
    assert run.cycles == 201 + 151 * 2


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


def _machine(bytes_per_cycle, latency_cycles, requests_in_flight=None, request_bytes=1) -> SimpleNamespace:
    """The one part of a machine the kernel reads: its DRAM channel (by default 1-byte requests, enough of
    them in flight to cover the latency: latency x bandwidth + 1)."""
    if requests_in_flight is None:
        requests_in_flight = int(latency_cycles * bytes_per_cycle) + 1
    return SimpleNamespace(dram=SimpleNamespace(
        bytes_per_cycle=bytes_per_cycle, latency_cycles=latency_cycles, requests_in_flight=requests_in_flight,
        request_bytes=request_bytes))


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
    assert (run.busy_cycles, run.stall_memory_cycles, run.stall_imbalance_cycles, run.drain_cycles,
            run.stall_sram_cycles) == (52.5, 25.0, 7.5, 10.0, 0.0)
    assert (run.busy_cycles + run.stall_memory_cycles + run.stall_sram_cycles + run.stall_imbalance_cycles
            + run.drain_cycles == 95)
    assert run.counts == Counts.of(dram={"read_bytes": 300, "write_bytes": 100})


def test_timelines_are_remembered_by_everything_they_depend_on():
    """The kernel keeps each simulated timeline (``accelsim.sim.engine.timeline``): the hand-traced program
    above, run again, gives its 95 cycles; on a channel without latency (another key) it is simulated anew:
    step 0 loads 0-10, PEs finish 20 and 30 (barrier), its store holds the bus 30-35; step 1 loaded 10-20,
    PEs 30-40; step 2's load waits for step 0's half (30) and the store: 35-45, PEs 45-75, last store
    75-80. Back on the first channel: 95 again."""
    program = Program("x", load_bytes=[100, 100, 100], pe_cycles=[[10, 20], [10, 5], [30, 30]],
                      store_bytes=[50, 0, 50], barrier=[True, True, False], counts=Counts(), useful_macs=0)
    slow, fast = _machine(bytes_per_cycle=10, latency_cycles=5), _machine(bytes_per_cycle=10, latency_cycles=0)
    assert [Engine(hw).execute(program).cycles for hw in (slow, slow, fast, slow)] == [95, 95, 80, 95]


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


def test_replayed_timelines_equal_the_simpy_simulation():
    """The step-by-step replay (``_replay``) against the event-queue simulation it stands in for (``_simulate``,
    the SimPy kernel): on 2000 seeded random programs (1-4 PEs, 1-11 steps, zero-cycle and zero-byte steps,
    barriers or not, channels with few or many requests in flight) every timeline the replay gives is the
    simulation's, number for number, and it gives one for most of them (it declines only steps ending in the
    cycle the previous one ended). Half the steps have a late part of their load (``late_load_bytes``)."""
    from accelsim.sim.engine import _replay, _simulate
    rng = np.random.default_rng(13)
    replayed = 0
    for _ in range(2000):
        steps, pes = int(rng.integers(1, 12)), int(rng.integers(1, 5))
        loads = rng.integers(0, 6000, steps) * (rng.random(steps) > 0.2)
        program = Program("x", load_bytes=loads, late_load_bytes=(loads * rng.random(steps)).astype(int)
                          * (rng.random(steps) > 0.5),
                          pe_cycles=rng.integers(0, 60, (steps, pes)) * (rng.random((steps, pes)) > 0.2),
                          store_bytes=rng.integers(0, 6000, steps) * (rng.random(steps) > 0.3),
                          barrier=rng.random(steps) > 0.5, counts=Counts(), useful_macs=0)
        dram = SimpleNamespace(bytes_per_cycle=float(rng.choice([1.0, 3.7, 12.8, 64.0])),
                               latency_cycles=int(rng.choice([0, 1, 7, 100])),
                               requests_in_flight=int(rng.integers(1, 30)), request_bytes=int(rng.choice([1, 16, 64])))
        replay = _replay(program, program.pe_cycles, dram)
        if replay is not None:
            replayed += 1
            assert replay == _simulate(program, program.pe_cycles, dram)
    assert replayed > 1500


@pytest.mark.parametrize("late", [0, 20])
def test_a_late_load_is_read_only_once_the_step_before_has_ended(late):
    """Hand-derived, 1 byte per cycle, no latency, one PE: step 0 reads 10 bytes (arrives at 10) and
    computes 5 cycles (ends at 15); step 1 reads 20 bytes and computes 5. Read a step ahead, its 20 bytes
    follow step 0's on the channel and arrive at 30: step 1 runs 30-35. Late (no buffer holds them ahead),
    they are read only at 15 and arrive at 35: step 1 runs 35-40, and it waited 20 cycles for memory."""
    program = Program("x", load_bytes=[10, 20], late_load_bytes=[0, late], pe_cycles=[[5], [5]],
                      store_bytes=0, barrier=True, counts=Counts(), useful_macs=0)
    dram = SimpleNamespace(bytes_per_cycle=1.0, latency_cycles=0, requests_in_flight=4, request_bytes=1)
    from accelsim.sim.engine import _replay, _simulate
    expected = (40, 40, 10 + 20, 30, 0) if late else (35, 35, 10 + 15, 30, 0)
    assert tuple(_simulate(program, program.pe_cycles, dram)) == expected
    assert tuple(_replay(program, program.pe_cycles, dram)) == expected
