"""On-chip memories: banked SRAM buffers and double buffers."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from accelsim.units import ceil_div


@dataclass
class SramBuffer:
    """A banked SRAM of ``size_bytes`` with ``banks`` banks, each ``width_bits`` wide and with
    ``read_ports``/``write_ports`` ports: per cycle each bank serves at most that many word accesses.

    Counts every word it serves (``reads_words``, ``writes_words``). It holds no data: engines ask it how
    many cycles a batch of accesses takes (:meth:`read_cycles`) and whether a tile fits (:meth:`fits`).
    """

    name: str
    size_bytes: int
    banks: int = 1
    width_bits: int = 64
    read_ports: int = 1
    write_ports: int = 1
    reads_words: int = field(default=0, init=False)
    writes_words: int = field(default=0, init=False)

    @property
    def word_bytes(self) -> float:
        return self.width_bits / 8

    def words(self, n_bytes: float) -> int:
        """Words needed to hold ``n_bytes``."""
        return int(np.ceil(n_bytes / self.word_bytes - 1e-9)) if n_bytes > 0 else 0

    def fits(self, n_bytes: float) -> bool:
        return n_bytes <= self.size_bytes

    def read(self, words_per_bank: np.ndarray | int) -> int:
        """Serve reads of ``words_per_bank`` (an int spread evenly, or one count per bank); returns the
        cycles the busiest bank needs with ``read_ports`` ports."""
        return self._serve(words_per_bank, self.read_ports, "reads_words")

    def write(self, words_per_bank: np.ndarray | int) -> int:
        """Serve writes; returns the cycles the busiest bank needs with ``write_ports`` ports."""
        return self._serve(words_per_bank, self.write_ports, "writes_words")

    def _serve(self, words_per_bank: np.ndarray | int, ports: int, counter: str) -> int:
        if np.ndim(words_per_bank) == 0:
            total = int(words_per_bank)
            busiest = ceil_div(total, self.banks)
        else:
            per_bank = np.asarray(words_per_bank, dtype=np.int64)
            total = int(per_bank.sum())
            busiest = int(per_bank.max(initial=0))
        setattr(self, counter, getattr(self, counter) + total)
        return ceil_div(busiest, ports)


class DoubleBuffer:
    """Two halves of an on-chip buffer: a loader fills one half while compute works from the other.

    ``acquire_for_load`` waits for a free half; ``loaded`` hands a filled half to compute;
    ``take_for_compute`` waits for the next filled half and counts the cycles compute waited as memory
    stall; ``release`` frees the half once compute is done with it.
    """

    def __init__(self, env: simpy.Environment, halves: int = 2) -> None:
        self.env = env
        self._free = simpy.Store(env, capacity=halves)
        self._full = simpy.Store(env, capacity=halves)
        for half in range(halves):
            self._free.put(half)
        self.stall_cycles = 0

    def acquire_for_load(self) -> simpy.events.Event:
        return self._free.get()

    def loaded(self, half: int, item: object) -> simpy.events.Event:
        return self._full.put((half, item))

    def take_for_compute(self):
        """Process: wait for the next filled half; returns ``(half, item)``."""
        start = self.env.now
        half_item = yield self._full.get()
        self.stall_cycles += self.env.now - start
        return half_item

    def release(self, half: int) -> simpy.events.Event:
        return self._free.put(half)
