"""EIE (Han et al., ISCA 2016): compressed sparse matrix x sparse vector on N PEs with activation FIFOs.

The dataflow, the exact FIFO schedule and the counts are :mod:`accelsim.accelerators.eie.compiler`; this engine runs the
resulting steps (one per input vector, output pass and weight tile) on the kernel's DRAM channel, double
buffer and barrier, then reports the PEs' time honestly: a PE's step time holds its work and the cycles
it waited on an empty FIFO, so ``busy_cycles`` is recomputed from the work alone (the cycles the PE's
pipeline was occupied), the empty-FIFO cycles spent while the broadcaster reloaded source registers from
the activation SRAM are added to ``stall_memory_cycles``, and every other waiting cycle inside a step is
``stall_imbalance_cycles`` (load imbalance: EIE's "bubble cycles", a PE starved because the broadcast
waited for a full FIFO elsewhere, or done before the slowest PE).
"""
from __future__ import annotations

from dataclasses import replace

from accelsim.accelerators.eie.compiler import EMPTY_SRAM, EieConfig, plan_eie
from accelsim.compile.program import Program
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine, LayerRun
from accelsim.workloads.layers import Layer


class EieEngine(Engine):
    """EIE with ``hw.pe_count`` PEs and activation FIFOs of ``hw.pe.activation_fifo_depth`` (``engine: eie``).

    ``preload_weights``: a layer whose compressed matrix fits the PEs' SRAM is loaded once before inference
    (EIE's I/O mode, a one-time cost) and costs no DRAM traffic per inference (default); False reads it
    from DRAM once per inference. A layer that does not fit is streamed in tiles either way.

    One engine is one inference's machine: the layers it compiles share the weight SRAM, claimed in the
    order they are compiled (network order): a layer stays resident only if it fits beside the resident
    layers before it, so a model whose layers each fit but not all together streams the later ones.
    """

    def __init__(self, hw: HardwareConfig, *, preload_weights: bool = True) -> None:
        super().__init__(hw)
        self.preload_weights = preload_weights
        self.held = EMPTY_SRAM        # weight SRAM taken by the resident layers compiled so far

    def check(self, layer: Layer) -> None:
        EieConfig.from_hw(self.hw)     # buffers too small for EIE; the rest depends on the masks

    def compile(self, layer: Layer, masks=None, activations=None) -> Program:
        plan = plan_eie(layer, self.hw, masks, activations, preload_weights=self.preload_weights, held=self.held)
        if plan.resident:
            self.held = self.held + plan.sram
        return plan.program()

    def execute(self, program: Program) -> LayerRun:
        run = super().execute(program)
        notes = dict(program.notes)
        busy = float(notes["busy_pe_cycles"]) / program.n_pes
        reload = float(notes["reload_idle_pe_cycles"]) / program.n_pes
        waiting = run.busy_cycles - busy        # FIFO-empty cycles the PE step times include
        return replace(run, busy_cycles=busy, stall_memory_cycles=run.stall_memory_cycles + reload,
                       stall_imbalance_cycles=run.stall_imbalance_cycles + waiting - reload)
