"""Compiling a layer for EIE (Han et al., ISCA 2016) into a :class:`Program` (layer 5; ``docs/eie.md``).

A layer is lowered to matrix work (:mod:`.lowering`), each matrix sliced over the PEs (:mod:`.storage`),
cut into weight tiles and segments (:mod:`.segments`) and counted (:mod:`.counts`): the
:class:`EiePlan`, everything that does not depend on the FIFO depth. :meth:`EiePlan.program` runs the
exact FIFO schedule (:mod:`.schedule`) of each segment and builds the Program.

**Steps of the Program.** One step per (input vector, pass, tile); ``pe_cycles[s, p]`` is PE p's finish
time in that step (its busy cycles plus its FIFO-empty idle cycles, plus the pipeline's fill and drain,
``pipeline_cycles``, and the pass's write-back); every step ends in a barrier, so the base engine's per-PE
processes reproduce the recurrence's total exactly. ``idle_pe_cycles`` are the FIFO-empty cycles within
those times and ``memory_idle_pe_cycles`` the part of them spent while the broadcaster reloaded source
registers from the activation SRAM: the engine reports them as imbalance and memory stall, not work.
Steps with equal activation masks have equal schedules and counts: each distinct vector is computed once
and replayed in order.

**Weights on chip or streamed.** Whether a layer is resident is the model-level plan's decision
(:mod:`.residency`); alone, a layer is resident if it fits the empty SRAM. A resident layer costs no DRAM
traffic per inference unless ``preload_weights`` is False (then it is read once per inference); any other
layer streams in tiles (:mod:`.segments`) for every input vector.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from accelsim.accelerators.eie.config import EieConfig
from accelsim.accelerators.eie.counts import WorkCounts, work_counts
from accelsim.accelerators.eie.lowering import MatrixWork, lower_layer
from accelsim.accelerators.eie.residency import weight_sram
from accelsim.accelerators.eie.schedule import FifoSchedule, concat_schedules, fifo_schedule, take_segments
from accelsim.accelerators.eie.segments import Segments, build_segments, chunks, column_tiles, gather, \
    matrix_bytes, take
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.hardware.schema import HardwareConfig
from accelsim.units import ceil_div
from accelsim.workloads.layers import Layer


@dataclass(frozen=True)
class EiePlan:
    """A layer compiled for EIE up to the FIFO schedule, which :meth:`program` runs at any depth.

    Everything that does not depend on the FIFO depth (slices, tiles, steps, counts) is computed once, so
    a sweep over depths (:meth:`schedule`) only repeats the recurrence. ``preload_bytes``: per work, DRAM
    bytes before its first step (codebook, weights); ``reload_stall_cycles``: cycles the broadcaster paused
    to reload source registers, over all steps; ``passes``, ``input_batches``, ``weight_tiles``: the
    largest over the layer's matrices.
    """

    layer: str
    cfg: EieConfig
    works: tuple[MatrixWork, ...]
    segments: tuple[Segments, ...]
    preload_bytes: tuple[int, ...]
    resident: bool
    counts: Counts
    useful_macs: int
    fragmentation_slots: int
    reload_stall_cycles: int
    passes: int
    input_batches: int
    weight_tiles: int
    machine_pes: int

    def _schedules(self, depth: int):
        """Per work: its segments' schedule and (S, N) entries each PE processed in each segment (distinct
        vectors only)."""
        for work, segs in zip(self.works, self.segments):
            cycles = np.maximum(work.matrix.stored, self.cfg.column_cycles)     # c = max(pointer reads, w)
            parts, entries = [], []
            for lo, hi in chunks(segs.lengths, self.cfg.n_pes):
                pass_, column, valid, gaps, lengths = gather(segs, lo, hi)
                costs = take(cycles, pass_, column, valid)
                parts.append(fifo_schedule(costs, depth, gaps, lengths, segs.tail[lo:hi]))
                entries.append(take(work.matrix.stored, pass_, column, valid).sum(axis=0, dtype=np.int64))
            yield work, segs, concat_schedules(parts), np.concatenate(entries)

    def load_balance_efficiency(self, depth: int | None = None) -> float:
        """EIE's load-balance efficiency (Sec. VI-C, Fig. 8) at FIFO ``depth`` (default: the hardware's):
        1 - bubble cycles / total cycles, where a PE's non-bubble cycles are those its multiplier spends on a
        stored entry (padding included). A cycle on a column whose slice holds no entry in this PE (the
        pointer stage's cycle) or with an empty FIFO is a bubble. So efficiency = entries processed / (N x
        the cycles of the FIFO schedules), over all steps: the paper's theoretical time (workload / peak)
        over its actual time (Table IV), i.e. actual = theoretical / efficiency."""
        entries = total = 0
        for work, segs, sched, done in self._schedules(depth or self.cfg.fifo_depth):
            runs = segs.occurrences(work.order)
            entries += int((done.sum(axis=1) * runs).sum())
            total += int((sched.total * runs).sum()) * self.cfg.n_pes
        return entries / total if total else 1.0

    def schedule(self, depth: int | None = None) -> FifoSchedule:
        """The schedule of every step, in order, at FIFO ``depth`` (default: the hardware's)."""
        return concat_schedules([take_segments(sched, segs.expand(work.order))
                                 for work, segs, sched, _ in self._schedules(depth or self.cfg.fifo_depth)])

    def program(self, depth: int | None = None) -> Program:
        """The :class:`Program` at FIFO ``depth`` (default: the hardware's), with the layer's details."""
        fill_cycles = self.cfg.pipeline_cycles
        cycles, loads, stores = [], [], []
        busy = entries = work_total = full = reload_idle = 0
        for (work, segs, sched, done), preload in zip(self._schedules(depth or self.cfg.fifo_depth),
                                                self.preload_bytes):
            fill = np.where(segs.lengths > 0, fill_cycles, 0)[:, None]          # passes that broadcast
            end = np.maximum(sched.finish + segs.writeback, sched.broadcast_end[:, None]) + fill
            steps, runs = segs.expand(work.order), segs.occurrences(work.order)
            cycles.append(end[steps])
            load = segs.load_bytes[steps]
            load[0] += preload
            loads.append(load)
            stores.append(segs.store_bytes[steps])
            busy += int(((sched.busy + segs.writeback + fill).sum(axis=1) * runs).sum())
            entries += int((done.sum(axis=1) * runs).sum())
            work_total += int((sched.total * runs).sum()) * self.cfg.n_pes
            full += int((sched.full_stall * runs).sum())
            reload_idle += int((_reload_idle(sched, segs).sum(axis=1) * runs).sum())
        pe_cycles = np.concatenate(cycles)
        pe_cycles = np.pad(pe_cycles, ((0, 0), (0, self.machine_pes - pe_cycles.shape[1])))   # PEs left idle
        details = {"load_balance_efficiency": entries / work_total if work_total else 1.0,
                   "padding_products": self.counts.get(("mac", "padding_op")),
                   "fifo_full_cycles": full, "reload_stall_cycles": self.reload_stall_cycles,
                   "resident": int(self.resident), "passes": self.passes, "input_batches": self.input_batches,
                   "weight_tiles": self.weight_tiles, "pes_used": self.cfg.n_pes}
        return Program(self.layer, load_bytes=np.concatenate(loads), pe_cycles=pe_cycles,
                       store_bytes=np.concatenate(stores), barrier=True, counts=self.counts,
                       useful_macs=self.useful_macs, fragmentation_slots=self.fragmentation_slots,
                       idle_pe_cycles=int(pe_cycles.sum()) - busy, memory_idle_pe_cycles=reload_idle,
                       details=details)


def _reload_idle(sched: FifoSchedule, segs: Segments) -> np.ndarray:
    """(S, N) cycles each PE waited on an empty FIFO while the broadcaster reloaded source registers. A PE
    finishes its last item no earlier than the last broadcast, then writes its outputs back (the end of a
    pass): those cycles of the broadcaster's trailing reloads are work, not waiting."""
    trailing = np.maximum(sched.broadcast_end[:, None] - sched.finish, 0)
    return sched.gap_idle - np.minimum(segs.writeback, trailing)


def _reload_stall_cycles(work: MatrixWork, segs: Segments) -> int:
    """Cycles the broadcaster of ``work`` pauses for reloads (gaps before items and after the last), over
    all its steps."""
    gaps = np.zeros(segs.gaps.size + 1, np.int64)
    np.cumsum(segs.gaps, out=gaps[1:])
    per_segment = gaps[segs.offsets[1:]] - gaps[segs.offsets[:-1]] + segs.tail
    return int((per_segment * segs.occurrences(work.order)).sum())


def _preload_bytes(work: MatrixWork, cfg: EieConfig, resident: bool, preload_weights: bool, first: bool) -> int:
    """DRAM bytes read before ``work``'s first step: the codebook (once per layer) unless it stays on chip
    with preloaded weights, and the whole matrix of a resident layer read once per inference."""
    codebook = cfg.codebook_bytes if (not resident or not preload_weights) and first else 0
    if not resident or preload_weights:
        return codebook
    return codebook + sum(matrix_bytes(work.matrix, cfg, o, 0, work.matrix.n_cols)
                          for o in range(work.matrix.passes))


def plan_eie(layer: Layer, hw: HardwareConfig, masks=None, activations=None, *,
             preload_weights: bool = True, resident: bool | None = None, n_pes: int | None = None) -> EiePlan:
    """Everything of :func:`compile_eie` but the FIFO schedule. ``resident``: whether the layer's weights
    stay in the PEs' SRAM, as the model's residency plan decided (:mod:`.residency`); None: the layer
    alone on the machine, resident if it fits the empty SRAM. ``n_pes``: the PEs the layer uses (the first
    ``n_pes``, the others idle; default all): its rows are interleaved over them, and it stays resident only
    if it also fits their SRAM."""
    cfg = EieConfig.from_hw(hw)
    if n_pes is not None:
        cfg = replace(cfg, n_pes=n_pes)
    works = lower_layer(layer, masks, activations, cfg)
    fits = weight_sram(works, cfg).fits(cfg)
    resident = fits if resident is None else resident and fits
    tiles = [column_tiles(work.matrix, cfg, resident, layer.name) for work in works]
    segments = [build_segments(work, cfg, t, streamed=not resident) for work, t in zip(works, tiles)]
    tallies: list[WorkCounts] = [work_counts(w, s, cfg) for w, s in zip(works, segments)]
    return EiePlan(
        layer=layer.name, cfg=cfg, works=tuple(works), segments=tuple(segments),
        preload_bytes=tuple(_preload_bytes(w, cfg, resident, preload_weights, i == 0) for i, w in enumerate(works)),
        resident=resident, counts=sum((t.counts for t in tallies), Counts()),
        useful_macs=sum(t.useful_macs for t in tallies),
        fragmentation_slots=sum(t.fragmentation_slots for t in tallies),
        reload_stall_cycles=sum(_reload_stall_cycles(w, s) for w, s in zip(works, segments)),
        passes=max(w.matrix.passes for w in works),
        input_batches=max(1 if w.lookup else ceil_div(w.matrix.n_cols, cfg.vector_batch) for w in works),
        weight_tiles=max(len(per_pass) for t in tiles for per_pass in t), machine_pes=hw.pe_count)


def compile_eie(layer: Layer, hw: HardwareConfig, masks=None, activations=None, *,
                preload_weights: bool = True, resident: bool | None = None) -> Program:
    """``layer`` on the EIE of ``hw`` (engine ``eie``) with weight ``masks`` and input ``activations``
    (boolean, see :meth:`accelsim.sim.Engine.compile`; an Embedding takes a one-hot (steps, vocab) token
    mask, by default evenly spaced tokens), as a :class:`Program` of ``hw.pe_count`` PEs; ``resident`` as
    in :func:`plan_eie`."""
    return plan_eie(layer, hw, masks, activations, preload_weights=preload_weights, resident=resident).program()
