"""Synchronisation between PEs: barriers and bounded FIFOs."""
from __future__ import annotations

import simpy


class Barrier:
    """All ``parties`` processes wait at :meth:`wait` until the last one arrives.

    ``idle_cycles`` accumulates, over every crossing, the cycles each party waited for the slowest one
    (load imbalance); ``crossings`` counts how many times the barrier released.
    """

    def __init__(self, env: simpy.Environment, parties: int) -> None:
        if parties <= 0:
            raise ValueError("Barrier needs at least one party")
        self.env = env
        self.parties = parties
        self._arrivals: list[int] = []
        self._release = env.event()
        self.idle_cycles = 0
        self.crossings = 0

    def wait(self) -> simpy.events.Event:
        """Arrive; the returned event fires when every party has arrived."""
        self._arrivals.append(self.env.now)
        release = self._release
        if len(self._arrivals) == self.parties:
            now = self.env.now
            self.idle_cycles += sum(now - t for t in self._arrivals)
            self.crossings += 1
            self._arrivals = []
            self._release = self.env.event()
            release.succeed()
        return release


class BoundedFifo:
    """A FIFO of ``depth`` entries; a producer blocks while it is full.

    ``full_stall_cycles`` accumulates the cycles producers waited for room; ``pushes`` counts entries.
    """

    def __init__(self, env: simpy.Environment, depth: int) -> None:
        if depth <= 0:
            raise ValueError("BoundedFifo needs depth >= 1")
        self.env = env
        self._store = simpy.Store(env, capacity=depth)
        self.full_stall_cycles = 0
        self.pushes = 0

    def put(self, item: object):
        """Process: push ``item``, waiting while the FIFO is full."""
        start = self.env.now
        yield self._store.put(item)
        self.full_stall_cycles += self.env.now - start
        self.pushes += 1

    def get(self) -> simpy.events.Event:
        return self._store.get()

    def __len__(self) -> int:
        return len(self._store.items)
