"""A DRAM channel limited by bandwidth and latency."""
from __future__ import annotations

import simpy

from accelsim.units import transfer_cycles


class DramChannel:
    """One DRAM channel shared by reads and writes.

    A transfer of ``n`` bytes holds the bus for ``ceil(n / bytes_per_cycle)`` cycles (transfers queue in
    request order, FIFO) and completes ``latency_cycles`` after its last byte left the bus: the latency is
    pipelined, the bus is free for the next transfer meanwhile. Counts bytes read and written.
    """

    def __init__(self, env: simpy.Environment, bytes_per_cycle: float, latency_cycles: int) -> None:
        if bytes_per_cycle <= 0 or latency_cycles < 0:
            raise ValueError("DramChannel needs bytes_per_cycle > 0 and latency_cycles >= 0")
        self.env = env
        self.bytes_per_cycle = bytes_per_cycle
        self.latency_cycles = int(latency_cycles)
        self._bus = simpy.Resource(env, capacity=1)
        self.read_bytes = 0
        self.write_bytes = 0

    def read(self, n_bytes: int) -> simpy.Process:
        """Start reading ``n_bytes``; the returned event fires when the data has arrived."""
        self.read_bytes += n_bytes
        return self.env.process(self._transfer(n_bytes))

    def write(self, n_bytes: int) -> simpy.Process:
        """Start writing ``n_bytes``; the returned event fires when the write has completed."""
        self.write_bytes += n_bytes
        return self.env.process(self._transfer(n_bytes))

    def _transfer(self, n_bytes: int):
        if n_bytes <= 0:
            return
        cycles = transfer_cycles(n_bytes, self.bytes_per_cycle)
        with self._bus.request() as turn:
            yield turn
            yield self.env.timeout(cycles)
        if self.latency_cycles:
            yield self.env.timeout(self.latency_cycles)
