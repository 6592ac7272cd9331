"""The engine base class and what a layer's simulation returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, NamedTuple

import numpy as np

from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.lru import Lru, array_digest
from accelsim.sim.dram import DramChannel
from accelsim.sim.sram import sram_step_cycles


@dataclass(frozen=True)
class LayerRun:
    """The simulated execution of one layer.

    Times are cycles. The stall causes are averaged over PEs so that, for the layer,
    ``cycles == busy_cycles + stall_imbalance_cycles + stall_memory_cycles + stall_sram_cycles +
    drain_cycles``:

    * busy: the PE worked (includes ``stall_conflict_cycles``, multiplier cycles lost to accumulator-bank
      conflicts, and the cycles whose multipliers were partly unfed, see ``fragmentation_slots``);
    * imbalance: the PE waited at a barrier, or at the end, for a slower PE;
    * memory: the PE waited for its operands to arrive from DRAM;
    * sram: the PE's step lasted longer than its work because a buffer's banks and ports could not serve
      the step's words faster (:func:`~accelsim.sim.sram.sram_step_cycles`);
    * drain: after the last PE finished, the last results were written back to DRAM.

    ``details``: the accelerator's declared per-layer figures (the program's, plus those the engine derives
    from the simulated timing), by name.
    """

    layer: str
    cycles: int
    busy_cycles: float
    stall_memory_cycles: float
    stall_imbalance_cycles: float
    stall_conflict_cycles: float
    drain_cycles: float
    stall_sram_cycles: float
    dram_read_bytes: int
    dram_write_bytes: int
    useful_macs: int
    fragmentation_slots: int
    counts: Counts
    details: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


class Engine:
    """Base class of the engines: runs a compiled :class:`Program` on the SimPy kernel.

    The base provides the pipeline every engine shares: a loader streams each step's operands from DRAM
    into a double buffer (it issues a step's read as soon as a half is free, so the reads in flight overlap
    their latencies on the channel); ``n_pes`` PE processes work through the steps (one timeout per PE per
    step) and meet at a barrier where the program says so; once every PE is done with a step its buffer half is
    freed and its results are written back to DRAM. The layer ends when the last write has completed.

    Hooks a subclass overrides:

    * ``compile(layer, masks=None, activations=None, *, plan=None) -> Program`` (required): the engine's
      dataflow, computed with vectorised numpy (usually a call into its accelerator's compiler). ``masks`` is
      the layer's boolean weight mask (``layer.weight_shape``; None = dense), ``activations`` its boolean
      input-activation mask (``accelsim.pruning.activation_shape(layer)``; None = dense), ``plan`` what
      ``plan`` returned for the model the layer belongs to (None: the layer alone on the machine). The same
      arguments always give the same Program: an engine keeps no state between layers.
    * ``plan(layers, masks=None) -> plan object | None`` (optional): decisions that depend on the whole model
      rather than one layer (SCNN: the chain whose activations may stay on chip; EIE: which layers keep
      their weights in the PEs' SRAM, claimed in network
      order), as a pure function of the model's layers (one inference, network order), their weight masks
      (a mapping layer name -> mask; None or a missing name = dense) and the hardware. Whoever compiles the
      layers of a model calls it once and passes its result to every ``compile``. Default: None (no plan).
    * ``check(layer)`` (optional): the mask-independent capacity checks of ``compile``, done cheaply.
    * ``extra_counts(program, cycles) -> Counts`` (optional): actions whose number depends on the simulated
      timing (e.g. cycles a FIFO was full). Default: none.
    * ``extra_details(program, cycles) -> dict`` (optional): declared details that depend on the simulated
      timing, added to the program's own ``details``. Default: none.
    * ``ignores_mask(layer, mask) -> bool`` (optional): whether ``compile`` would run ``layer`` as if dense
      whatever its weight ``mask`` (callers warn of it). Default: unless the accelerator skips zeros.

    ``execute`` is not a hook: it reads everything it reports from the Program (its ``idle_pe_cycles`` and
    ``memory_idle_pe_cycles`` split the PEs' step times into work and stalls; its ``sram_words`` stretch a
    step the buffers cannot serve in its ``pe_cycles``).

    What an engine skips, which layer types it runs and what it counts are its accelerator's declarations
    (:mod:`accelsim.accelerators`), not attributes of the engine. ``hw``: the machine (a
    :class:`~accelsim.hardware.schema.HardwareConfig`; the kernel reads only its ``dram``, and the buffers a
    program names in ``sram_words``).
    """

    def __init__(self, hw) -> None:
        self.hw = hw
        self.dram = hw.dram

    def compile(self, layer, masks=None, activations=None, *, plan=None) -> Program:  # pragma: no cover
        raise NotImplementedError

    def check(self, layer) -> None:
        """Raise now the errors ``compile(layer)`` would raise that do not depend on masks (a buffer or an
        accumulator too small for the layer), without compiling: callers check every layer of every
        (machine, model) pair before simulating anything. Default: nothing to check."""

    def plan(self, layers, masks=None):
        return None

    def ignores_mask(self, layer, mask) -> bool:
        return not self.hw.accelerator.skips_zeros

    def extra_counts(self, program: Program, cycles: int) -> Counts:
        return Counts()

    def extra_details(self, program: Program, cycles: int) -> dict[str, float]:
        return {}

    def execute(self, program: Program) -> LayerRun:
        """Simulate ``program``; deterministic (SimPy breaks ties by event order)."""
        step_cycles = np.maximum(program.pe_cycles, sram_step_cycles(program, self.hw))
        cycles, compute_end, memory_wait, read_bytes, write_bytes = timeline(program, step_cycles, self.dram)
        n = program.n_pes
        stepped = float(program.pe_cycles.sum()) / n        # the PEs' step times: work and in-step waiting
        stall_sram = float(step_cycles.sum() - program.pe_cycles.sum()) / n
        busy = float(program.pe_cycles.sum() - program.idle_pe_cycles) / n
        dram_wait = float(memory_wait) / n
        reload_wait = float(program.memory_idle_pe_cycles) / n
        stall_memory = dram_wait + reload_wait
        # imbalance: the waiting at barriers and at the end (compute_end - stepped - dram_wait), plus the
        # waiting within steps that was not for memory
        stall_imbalance = compute_end - stepped - stall_sram - dram_wait + (stepped - busy) - reload_wait
        counts = (program.counts
                  + Counts.of(dram={"read_bytes": read_bytes, "write_bytes": write_bytes})
                  + self.extra_counts(program, cycles))
        return LayerRun(
            layer=program.layer, cycles=cycles, busy_cycles=busy, stall_memory_cycles=stall_memory,
            stall_imbalance_cycles=stall_imbalance, stall_conflict_cycles=program.conflict_cycles / n,
            drain_cycles=float(cycles - compute_end), stall_sram_cycles=stall_sram,
            dram_read_bytes=read_bytes, dram_write_bytes=write_bytes,
            useful_macs=program.useful_macs, fragmentation_slots=program.fragmentation_slots,
            counts=counts,
            details=MappingProxyType({**program.details, **self.extra_details(program, cycles)}))


class Timeline(NamedTuple):
    """What the SimPy run of a program's steps gives: the cycle its last write completed, the cycle its last
    PE finished, the cycles the PEs waited for operands from DRAM (summed over PEs) and the bytes read and
    written."""

    cycles: int
    compute_end: int
    memory_wait: int
    read_bytes: int
    write_bytes: int


#: Most timelines kept per process (:func:`timeline`); each is five numbers under a 32-byte key.
TIMELINES = 1 << 14
_TIMELINES: Lru[Timeline] = Lru(TIMELINES)


def timeline(program: Program, step_cycles: np.ndarray, dram) -> Timeline:
    """The :class:`Timeline` of ``program`` whose steps last ``step_cycles`` (steps, PEs) on the DRAM channel
    ``dram`` (a :class:`~accelsim.hardware.schema.Dram`). It depends on nothing else: the steps' cycles,
    loads, stores and barriers and the channel's four figures, so equal ones (a mapper simulates the
    Program it chooses, which is then run again; equal layers of a model; the same layer at every sparsity
    on a dense machine) are simulated once per process: the last :data:`TIMELINES` are kept under the
    SHA-256 of those arrays (shapes, types and bytes) and figures."""
    key = ((dram.bytes_per_cycle, dram.latency_cycles, dram.requests_in_flight, dram.request_bytes),
           array_digest(step_cycles, program.load_bytes, program.store_bytes, program.barrier,
                        program.late_load_bytes))
    return _TIMELINES.get(key, lambda: _replay(program, step_cycles, dram) or _simulate(program, step_cycles, dram))


def _simulate(program: Program, step_cycles: np.ndarray, dram_spec) -> Timeline:
    from accelsim.sim.kernel import simulate     # SimPy is imported only for the programs that need it
    return simulate(program, step_cycles, dram_spec)


def _replay(program: Program, step_cycles: np.ndarray, dram_spec) -> Timeline | None:
    """:func:`~accelsim.sim.kernel.simulate`'s Timeline computed step by step, without the event queue, when the
    order of the DRAM channel's requests follows from the steps alone; None otherwise (the caller then simulates).

    In the kernel the loader reads steps 0 and 1 at cycle 0 and step s+2 when step s frees its buffer half;
    PE p starts step s when its operands have arrived and it has finished step s-1, works ``step_cycles[s, p]``
    and, where ``barrier[s]``, waits for every PE; the last PE to finish step s (at cycle E_s) asks for its
    write, then for the late part of step s+1's load (``late_load_bytes``, if any), then frees the half, so
    the read of step s+2 is asked for right after those, at E_s. When 0 < E_0 < E_1 < ... no two other
    requests are asked for in the same cycle, so the channel sees them in the order read 0, read 1, write 0,
    late read 1, read 2, write 1, late read 2, read 3, ... at the cycles above, and each completion follows
    from :meth:`DramChannel.completion`: the same numbers as the simulation. Otherwise (a step ending in the
    cycle the previous one ended, where the event queue's tie order decides) it returns None."""
    n_steps = program.n_steps
    if n_steps == 0:
        return None
    dram = DramChannel(None, dram_spec.bytes_per_cycle, dram_spec.latency_cycles, dram_spec.requests_in_flight,
                       dram_spec.request_bytes)
    loads = [int(b) for b in program.load_bytes]
    stores = [int(b) for b in program.store_bytes]
    late = [0] + [int(b) for b in program.late_load_bytes[1:]]         # step 0 has no step before it
    arrival = [dram.completion(0, loads[s] - late[s]) for s in range(min(2, n_steps))]
    n_pes, barrier, longest = program.n_pes, program.barrier.tolist(), step_cycles.max(axis=1).tolist()
    together: int | None = 0        # the cycle every PE ended its last step, while they end alike (else None)
    ends = None                     # else each PE's
    memory_wait, last_end, written = 0, 0, 0
    for step in range(n_steps):
        if together is not None:    # at the start, and after a barrier: one start for all PEs
            start = max(together, arrival[step])
            memory_wait += n_pes * (start - together)
            step_end = start + longest[step]
            ends = None if barrier[step] else start + step_cycles[step]
        else:
            starts = np.maximum(ends, arrival[step])
            memory_wait += int((starts - ends).sum())
            ends = starts + step_cycles[step]
            step_end = int(ends.max())
        together = step_end if barrier[step] else None
        if step_end <= last_end:
            return None
        written = max(written, dram.completion(step_end, stores[step]))
        if step + 1 < n_steps and late[step + 1]:
            arrival[step + 1] = max(arrival[step + 1], dram.completion(step_end, late[step + 1]))
        if step + 2 < n_steps:
            arrival.append(dram.completion(step_end, loads[step + 2] - late[step + 2]))
        last_end = step_end
    return Timeline(max(last_end, written), last_end, memory_wait, sum(loads), sum(stores))
