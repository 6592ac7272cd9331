"""Compiling a layer for Eyeriss v2 (or its dense baseline) into a :class:`Program` (layer 5).

The search (:mod:`.search`) chooses each layer's mapping among the weight blocks the PE offers
(:mod:`.mapper`, which computes every pass' cycles on the real masks) and the schedules that place passes on
the PE array in rounds with what the NoC, the GLB and DRAM must deliver (:mod:`.schedule`), each candidate
simulated on the kernel as the final program is. Rounds are grouped into program steps: a step's DRAM bytes
load before it starts (double buffered against the previous step), every PE works its rounds, all meet at a
barrier; the GLB's banks serve each step's reads and writes (``Program.sram_words``).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from accelsim.accelerators.eyeriss_v2.mapper import Blocks, Pe
from accelsim.accelerators.eyeriss_v2.schedule import Array, Schedule
from accelsim.accelerators.eyeriss_v2.search import search
from accelsim.accelerators.eyeriss_v2.view import ConvView, view
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.energy.table import EnergyTable
from accelsim.errors import ConfigError
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


def pe_of(hw: HardwareConfig, sparse: bool) -> Pe:
    """The PE of ``hw`` as the mapper sees it."""
    return Pe(simd=hw.pe.simd_width, iact_entries=hw.pe.iact_spad_entries,
              weight_entries=hw.pe.weight_spad_entries, psum_entries=hw.pe.psum_spad_entries,
              count_bits=hw.data_widths.count_bits, sparse=sparse, fixed_m0=hw.mapping_m0,
              fixed_c0=hw.mapping_c0)


def _glb(hw: HardwareConfig, kind: str):
    return hw.buffers_holding(kind)[0]


def array_of(hw: HardwareConfig, sparse: bool) -> Array:
    """The PE array, NoC and memories of ``hw``; its PE array must tile into clusters."""
    rows, cols = hw.pe_array.rows, hw.pe_array.cols
    if rows % hw.cluster_rows or cols % hw.cluster_cols:
        raise ConfigError("PE array does not tile into clusters", file=hw.source, key="cluster_rows",
                          expected=f"divisors of pe_array rows {rows} and cols {cols}",
                          got=(hw.cluster_rows, hw.cluster_cols))
    iact, psum = _glb(hw, "input_activations"), _glb(hw, "output_activations")
    widths = hw.data_widths
    return Array(clusters=(rows // hw.cluster_rows) * (cols // hw.cluster_cols), lanes=hw.cluster_rows,
                 columns=hw.cluster_cols, iact_port_bits=hw.noc_iact_port_bits,
                 weight_port_bits=hw.noc_weight_port_bits, psum_port_bits=hw.noc_psum_port_bits,
                 weight_bits=widths.weight_bits, act_bits=widths.activation_bits, psum_bits=widths.psum_bits,
                 count_bits=widths.count_bits,
                 glb_iact_bytes=iact.size_bytes * (hw.pe_count if iact.level == "pe" else 1),
                 glb_psum_bytes=psum.size_bytes * (hw.pe_count if psum.level == "pe" else 1), sparse=sparse)


def _counts(hw: HardwareConfig, v: ConvView, b: Blocks, s: Schedule, pe: Pe) -> tuple[Counts, int]:
    """On-chip actions of the layer and its useful MACs."""
    uses = b.present.sum(axis=4, dtype=np.int64)          # (G, 1, CB, R, items): non-zero iacts per item
    useful = int((uses * b.nonzeros).sum())
    if pe.sparse:
        slots = int((uses * (-(-b.entries // pe.simd) * pe.simd)).sum())
        iact_reads = int(uses.sum()) * b.entries.shape[1]
        weight_reads = int((uses * b.entries).sum()) + iact_reads
    else:                                                  # every pair is multiplied, padding included
        useful = v.dense_macs
        slots = int(b.cycles.sum()) * pe.simd
        iact_reads = int(b.cycles.sum() // max(1, -(-b.m0 // pe.simd)))
        weight_reads = slots
    iact_glb, psum_glb = _glb(hw, "input_activations"), _glb(hw, "output_activations")
    counts = Counts({
        ("mac", "op"): useful, ("mac", "gated"): slots - useful,
        ("iact_spad", "read"): iact_reads, ("weight_spad", "read"): weight_reads,
        ("psum_spad", "update"): useful,
        ("noc", "iact_bits"): s.iact_bits, ("noc", "weight_bits"): s.weight_bits,
        ("noc", "psum_bits"): (s.psums + s.psum_reads) * hw.data_widths.psum_bits,
        (iact_glb.name, "write_words"): s.glb_iact_write_bits / iact_glb.width_bits,
        (iact_glb.name, "read_words"): s.iact_bits / iact_glb.width_bits,
        (psum_glb.name, "write_words"): s.psums * hw.data_widths.psum_bits / psum_glb.width_bits,
        (psum_glb.name, "read_words"): (s.psum_reads + v.output_elements) * hw.data_widths.psum_bits
        / psum_glb.width_bits,
    })
    return counts, useful


#: Program steps per layer beyond the first round: rounds are grouped into at most this many DRAM transfers.
MAX_STEPS = 16


def _program(name: str, hw: HardwareConfig, s: Schedule, **more) -> Program:
    """Schedule ``s`` as a program: its rounds grouped into steps, the first round alone (its load cannot
    overlap anything), the rest in at most ``MAX_STEPS`` groups of consecutive rounds. Every PE meets the
    others at each round's barrier, so a step lasts the sum of its rounds' slowest PE: the array advances in
    lockstep, and one program column stands for all its PEs (the engine spreads the time). A step's weights
    are its late load: they are read once the step before has ended (the Program's ``late_load_bytes``),
    since only the pads, busy with the current block, could hold them. The GLB's words per step: the iacts
    its iact banks send to the routers, the partial sums its psum banks take and give back (what it writes
    from and to DRAM is paced by the DRAM channel)."""
    rounds = s.cycles.shape[0]
    size = max(1, -(-(rounds - 1) // MAX_STEPS))
    step = np.concatenate([[0], 1 + np.arange(rounds - 1) // size]).astype(np.int64)
    n = int(step[-1]) + 1

    def per_step(per_round) -> np.ndarray:
        return np.bincount(step, weights=per_round, minlength=n)
    iact, psum = _glb(hw, "input_activations"), _glb(hw, "output_activations")
    psum_bits = hw.data_widths.psum_bits
    words = {(iact.name, "read_words"): per_step(s.iact_round_bits / iact.width_bits)[:, None],
             (psum.name, "write_words"): per_step(s.psum_round_writes * psum_bits / psum.width_bits)[:, None],
             (psum.name, "read_words"): per_step(s.psum_round_reads * psum_bits / psum.width_bits)[:, None]}
    return Program(name, load_bytes=per_step(s.load_bytes), pe_cycles=per_step(s.cycles.max(axis=1))[:, None],
                   store_bytes=per_step(s.store_bytes), late_load_bytes=per_step(s.weight_load_bytes),
                   barrier=True, sram_words=words, **more)


def _simulator(hw: HardwareConfig, name: str):
    """(cycles, DRAM bytes read, written) of a schedule as the kernel simulates its program on ``hw``."""
    kernel = Engine(hw)

    def simulate(s: Schedule, arr: Array) -> tuple[int, float, float]:
        run = kernel.execute(_program(name, hw, s, counts=Counts(), useful_macs=0))
        return run.cycles, run.dram_read_bytes, run.dram_write_bytes
    return simulate


def _pricer(hw: HardwareConfig, v: ConvView, pe: Pe):
    """Dynamic energy (pJ) of a candidate: its on-chip counts and DRAM bytes priced by the machine's table
    (built on the first tie)."""
    table: list[EnergyTable] = []

    def price(b: Blocks, s: Schedule, arr: Array, read: float, written: float) -> float:
        if not table:
            table.append(EnergyTable.from_config(hw))
        return table[0].dynamic_pj(_counts(hw, v, b, s, pe)[0]
                                   + Counts.of(dram={"read_bytes": read, "write_bytes": written}))
    return price


def compile_layer(layer: Layer, hw: HardwareConfig, masks=None, activations=None, *, sparse: bool) -> Program:
    """``layer`` on ``hw``: a sparse PE skips zero iacts and weights; a dense one multiplies every pair."""
    pe = pe_of(hw, sparse)
    arr = array_of(hw, sparse)
    v = view(layer, masks if sparse else None, activations if sparse else None)
    b, s, used = search(v, pe, arr, _simulator(hw, layer.name), _pricer(hw, v, pe), hw.dram.bytes_per_cycle)
    counts, useful = _counts(hw, v, b, s, pe)
    # per-PE averages over the whole array (PEs outside the sub-array used are idle), each one division,
    # so that noc_bound <= idle holds exactly
    noc_bound = float((s.cycles - s.compute).sum()) / arr.n_pes
    details = {"m0": b.m0, "c0": b.c0, "tile_rows": s.rows, "clusters_used": used.clusters,
               "input_resident": int(s.resident), "iact_sharing": s.iact_sharing,
               "weight_sharing": s.weight_sharing, "noc_bound_cycles": noc_bound}
    program = _program(layer.name, hw, s, counts=counts, useful_macs=useful)
    return replace(program, fragmentation_slots=int(counts.get(("mac", "gated"))),
                   idle_pe_cycles=(float(program.pe_cycles.sum()) * arr.n_pes - float(s.compute.sum())) / arr.n_pes,
                   memory_idle_pe_cycles=noc_bound, details=details)
