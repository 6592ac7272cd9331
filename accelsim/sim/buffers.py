"""On-chip memories: the double buffer between the DRAM loader and the PEs."""
from __future__ import annotations

import simpy


class DoubleBuffer:
    """Two halves of an on-chip buffer: a loader fills one half while compute works from the other.

    ``acquire_for_load`` waits for a free half (the loader of step n+1 blocks while steps n-1 and n hold
    both); ``release`` frees a half once compute is done with it. The kernel hands the filled half to
    compute itself (one event per step), so the buffer counts nothing.
    """

    def __init__(self, env: simpy.Environment, halves: int = 2) -> None:
        self._free = simpy.Store(env, capacity=halves)
        for half in range(halves):
            self._free.put(half)

    def acquire_for_load(self) -> simpy.events.Event:
        return self._free.get()

    def release(self, half: int) -> simpy.events.Event:
        return self._free.put(half)
