"""A bounded FIFO written literally in SimPy: the oracle test_eie.py checks EIE's closed-form FIFO recurrence
against (no engine uses it; it lives with the tests)."""
from __future__ import annotations

import simpy


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
