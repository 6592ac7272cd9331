"""``Program``: a compiled layer, the immutable tile tasks an engine executes (layer 3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from accelsim.counts import Counts


def _frozen(array: np.ndarray, dtype=np.int64) -> np.ndarray:
    out = np.array(array, dtype=dtype)
    out.setflags(write=False)
    return out


def _per_step(words, steps: int) -> np.ndarray:
    """Words per step as a frozen (steps, PEs or 1) float array (a scalar or a (steps,) array: one column)."""
    words = np.asarray(words, dtype=float)
    words = words.reshape(-1, 1) if words.ndim < 2 else words
    return _frozen(np.broadcast_to(words, (steps, words.shape[1])), float)


@dataclass(frozen=True)
class Program:
    """A layer as a sequence of steps (tiles in time), each executed by ``n_pes`` PEs.

    Per step ``s``: ``load_bytes[s]`` must arrive from DRAM before any PE starts it (double-buffered: the
    load of step s+1 overlaps the compute of step s), except its ``late_load_bytes[s]``, the part no buffer
    can hold ahead of use (Eyeriss v2's weights, which go from DRAM straight into the PEs' scratch pads):
    those are read only once step s-1 has ended; PE ``p`` then works ``pe_cycles[s, p]`` cycles
    (multiplier cycles including its bank-conflict serialisation); ``barrier[s]`` makes every PE wait for
    the slowest at the end of the step; ``store_bytes[s]`` goes back to DRAM once every PE has finished it.

    ``counts`` are the on-chip actions (MACs, SRAM and register-file accesses, index decoding) whose number
    does not depend on timing; the engine adds DRAM traffic and stalls. ``conflict_cycles`` and
    ``fragmentation_slots`` break down where PE time went (see the engine's stall report).
    ``idle_pe_cycles``: cycles, summed over steps and PEs, that ``pe_cycles`` include but in which the PE
    waited for its input within the step instead of working (EIE: its activation FIFO was empty); the engine
    reports them as stalls, not busy time: ``memory_idle_pe_cycles`` of them as memory stall (EIE: while the
    broadcaster reloaded source registers from the activation SRAM), the rest as imbalance.
    ``useful_macs`` are products of a non-zero weight and a non-zero activation. ``sram_words``: the words
    the PEs read from and write into on-chip buffers during each step, keyed like ``counts``
    (``(buffer name, "read_words" | "write_words")``), each an array broadcast to (steps, PEs): for a
    buffer at level ``pe`` what PE p asks of its own instance, for a ``global`` buffer what all PEs ask of the
    one instance together (one column). The engine makes a step last at least as long as the buffer needs to
    serve it (:func:`accelsim.sim.sram.sram_step_cycles`); buffers not named here never stall. DRAM fills and
    write-backs are not in it (the DRAM channel paces them). ``details``: per-layer
    figures the accelerator declares (:class:`~accelsim.accelerators.spec.Detail`), by name; they become
    ``layers.csv`` columns.
    """

    layer: str
    load_bytes: np.ndarray
    pe_cycles: np.ndarray
    store_bytes: np.ndarray
    barrier: np.ndarray
    counts: Counts
    useful_macs: int
    conflict_cycles: int = 0
    fragmentation_slots: int = 0
    idle_pe_cycles: int = 0
    memory_idle_pe_cycles: int = 0
    sram_words: Mapping[tuple[str, str], np.ndarray] = field(default_factory=dict)
    details: Mapping[str, float] = field(default_factory=dict)
    late_load_bytes: np.ndarray = 0

    def __post_init__(self) -> None:
        cycles = np.asarray(self.pe_cycles)
        if cycles.ndim != 2:
            raise ValueError("pe_cycles must be (steps, pes)")
        steps = cycles.shape[0]
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))
        object.__setattr__(self, "pe_cycles", _frozen(cycles))
        object.__setattr__(self, "load_bytes", _frozen(np.broadcast_to(self.load_bytes, (steps,))))
        object.__setattr__(self, "store_bytes", _frozen(np.broadcast_to(self.store_bytes, (steps,))))
        object.__setattr__(self, "late_load_bytes", _frozen(np.broadcast_to(self.late_load_bytes, (steps,))))
        object.__setattr__(self, "barrier", _frozen(np.broadcast_to(self.barrier, (steps,)), bool))
        words = {key: _per_step(value, steps) for key, value in self.sram_words.items()}
        object.__setattr__(self, "sram_words", MappingProxyType(words))
        if any(key[1] not in ("read_words", "write_words") or value.shape[1] not in (1, cycles.shape[1])
               or (value < 0).any() for key, value in self.sram_words.items()):
            raise ValueError("sram_words: (buffer, read_words | write_words) -> non-negative (steps, PEs or 1)")
        if (self.pe_cycles < 0).any() or (self.load_bytes < 0).any() or (self.store_bytes < 0).any():
            raise ValueError("Program quantities are non-negative")
        if ((self.late_load_bytes < 0) | (self.late_load_bytes > self.load_bytes)).any():
            raise ValueError("late_load_bytes: between 0 and the step's load_bytes")
        if not 0 <= self.memory_idle_pe_cycles <= self.idle_pe_cycles <= self.pe_cycles.sum():
            raise ValueError("idle cycles: 0 <= memory_idle_pe_cycles <= idle_pe_cycles <= sum of pe_cycles")

    @property
    def n_steps(self) -> int:
        return self.pe_cycles.shape[0]

    @property
    def n_pes(self) -> int:
        return self.pe_cycles.shape[1]

    @property
    def compute_bound_cycles(self) -> int:
        """Cycles if memory were free: steps back to back, each as long as its slowest PE when it ends in a
        barrier. (Without barriers PEs run ahead, which this bound ignores; the simulation does not.)"""
        return int(self.pe_cycles.max(axis=1).sum())
