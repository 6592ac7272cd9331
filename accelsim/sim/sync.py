"""Synchronisation between PEs: a barrier."""
from __future__ import annotations

import simpy


class Barrier:
    """All ``parties`` processes wait at :meth:`wait` until the last one arrives (the kernel derives the
    cycles lost to imbalance from the PEs' busy time, so the barrier counts nothing)."""

    def __init__(self, env: simpy.Environment, parties: int) -> None:
        if parties <= 0:
            raise ValueError("Barrier needs at least one party")
        self.env = env
        self.parties = parties
        self._arrived = 0
        self._release = env.event()

    def wait(self) -> simpy.events.Event:
        """Arrive; the returned event fires when every party has arrived."""
        self._arrived += 1
        release = self._release
        if self._arrived == self.parties:
            self._arrived = 0
            self._release = self.env.event()
            release.succeed()
        return release
