"""A planar mapping's steps into a :class:`Program`, with the counts and declared details every mapping of
SCNN and DCNN shares (layer 5; the details are declared in the packages' SPECs and defined in
``docs/scnn.md``, "Details")."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.products import Work
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.units import bits_to_bytes

#: Details computed from a layer's whole steps (:func:`derived_details`).
DERIVED_DETAILS = ("busy_multiplier_utilization", "barrier_idle_fraction")
#: Details of a layer whose parts run one after another that add up over the parts (the others are kept
#: when every part has the same value).
SUMMED_DETAILS = ("halo_stall_cycles", "wasted_products")


@dataclass(frozen=True)
class Steps:
    """A mapping's Program steps: PE cycles (steps, PEs), the bits loaded from and stored to DRAM per step
    (any shape with one entry per step, in step order), and which steps end in a barrier."""

    pe_cycles: np.ndarray
    load_bits: np.ndarray
    store_bits: np.ndarray
    barrier: np.ndarray | bool


def operand_counts(m: Machine, work: Work, iaram_write_bits: float, oaram_bits: float,
                   oaram_read_bits: float | None = None) -> Counts:
    """The actions every planar mapping counts: MACs and accumulator updates of the useful products, weight
    FIFO and IARAM reads of the operands fed, the inputs written into the IARAMs, the outputs written into
    the OARAMs and read out of them to DRAM (``oaram_read_bits``, default all of them); plus the strategy's
    own (``work.counts``)."""
    iaram_w, oaram_w = m.iaram.width_bits, m.oaram.width_bits
    return Counts({
        ("mac", "op"): work.useful, ("accumulator", "update"): work.useful,
        ("weight_fifo", "read_entries"): work.weight_reads,
        (m.iaram.name, "read_words"): work.activation_reads * m.activation_entry_bits / iaram_w,
        (m.iaram.name, "write_words"): iaram_write_bits / iaram_w,
        (m.oaram.name, "write_words"): oaram_bits / oaram_w,
        (m.oaram.name, "read_words"): (oaram_bits if oaram_read_bits is None else oaram_read_bits) / oaram_w,
    }) + Counts(work.counts)


def program(name: str, m: Machine, work: Work, steps: Steps, counts: Counts, mapping: Mapping[str, float],
            sram_words: Mapping[tuple[str, str], np.ndarray] | None = None) -> Program:
    """The Program of ``steps``; its details are the grid and weight lanes of ``m`` (the mapper's choice), the
    ``mapping``'s, the strategy's and the derived ones; ``sram_words``: the buffer words of its steps
    (:class:`Program`), if any."""
    details = {"pe_rows": m.rows, "pe_cols": m.cols, "weight_lanes": m.f, **mapping, **work.details}
    return Program(name, load_bytes=np.ceil(bits_to_bytes(steps.load_bits.ravel())), pe_cycles=steps.pe_cycles,
                   store_bytes=np.ceil(bits_to_bytes(steps.store_bits.ravel())), barrier=steps.barrier,
                   counts=counts, useful_macs=work.useful, conflict_cycles=work.conflicts,
                   fragmentation_slots=work.fragmentation, sram_words=sram_words or {},
                   details={**details, **derived_details(steps.pe_cycles, steps.barrier, work.useful, m.lanes)})


def derived_details(pe_cycles: np.ndarray, barrier, useful: int, lanes: int) -> dict[str, float]:
    """``busy_multiplier_utilization`` and ``barrier_idle_fraction`` of a layer's steps (none when no PE works).

    Utilisation: useful products / (``lanes`` x every PE-cycle a PE was busy). Barrier idle: PEs run
    through their steps up to a barrier (the layer's end counts as one), memory ignored; in each such
    segment every PE waits for the slowest; the fraction is the PE-cycles waited over PEs x the segments'
    lengths."""
    pe_cycles = np.asarray(pe_cycles)
    busy = int(pe_cycles.sum())
    if busy == 0:
        return {}
    ends = np.array(np.broadcast_to(barrier, (pe_cycles.shape[0],)))
    ends[-1] = True
    starts = np.r_[0, np.flatnonzero(ends[:-1]) + 1]
    segments = np.add.reduceat(pe_cycles, starts, axis=0)
    span = int(segments.max(axis=1).sum()) * pe_cycles.shape[1]
    return {"busy_multiplier_utilization": useful / (lanes * busy), "barrier_idle_fraction": (span - busy) / span}


def merged_details(parts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The details of parts run one after another, :data:`DERIVED_DETAILS` aside: :data:`SUMMED_DETAILS`
    added up when every part has them, the others kept when every part has the same value."""
    merged = {}
    for name in set.intersection(*(set(part) for part in parts)) - set(DERIVED_DETAILS):
        values = [part[name] for part in parts]
        if name in SUMMED_DETAILS:
            merged[name] = sum(values)
        elif all(value == values[0] for value in values):
            merged[name] = values[0]
    return {name: merged[name] for name in sorted(merged)}


def concat(name: str, m: Machine, programs: list[Program]) -> Program:
    """Programs run one after another as one layer. Its derived details are those of the PEs some part's
    grid uses (the first ``pe_rows x pe_cols`` of the array; the others idle)."""
    pe_cycles = np.concatenate([q.pe_cycles for q in programs])
    barrier = np.concatenate([q.barrier for q in programs])
    useful = sum(q.useful_macs for q in programs)
    details = merged_details([q.details for q in programs])
    used = max(int(q.details.get("pe_rows", m.rows) * q.details.get("pe_cols", m.cols)) for q in programs)
    return Program(name, load_bytes=np.concatenate([q.load_bytes for q in programs]), pe_cycles=pe_cycles,
                   store_bytes=np.concatenate([q.store_bytes for q in programs]), barrier=barrier,
                   counts=sum((q.counts for q in programs), Counts()), useful_macs=useful,
                   conflict_cycles=sum(q.conflict_cycles for q in programs),
                   fragmentation_slots=sum(q.fragmentation_slots for q in programs),
                   details={**details, **derived_details(pe_cycles[:, :used], barrier, useful, m.lanes)})
