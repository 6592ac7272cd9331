"""EIE (Han et al., ISCA 2016): compressed sparse matrix x sparse vector on N PEs with activation FIFOs.

The dataflow, the exact FIFO schedule and the counts are :mod:`accelsim.accelerators.eie.plan`; which layers of
a model keep their weights on chip is the model-level plan of :mod:`accelsim.accelerators.eie.residency`. This
engine runs the resulting steps (one per input vector, output pass and weight tile) on the kernel's DRAM
channel, double buffer and barrier; the base engine reports the PEs' time from the Program: a PE's step time
holds its work and the cycles it waited on an empty FIFO (``Program.idle_pe_cycles``), which are stalls: those
spent while the broadcaster reloaded source registers from the activation SRAM are memory stalls, every other
one is load imbalance (EIE's "bubble cycles": a PE starved because the broadcast waited for a full FIFO
elsewhere, or done before the slowest PE).
"""
from __future__ import annotations

from accelsim.accelerators.eie.config import EieConfig
from accelsim.accelerators.eie.mapper import map_layer
from accelsim.accelerators.eie.residency import Residency, plan_residency
from accelsim.compile.program import Program
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


class EieEngine(Engine):
    """EIE with ``hw.pe_count`` PEs and activation FIFOs of ``hw.pe.activation_fifo_depth`` (``engine: eie``).

    ``preload_weights``: a layer whose compressed matrix stays in the PEs' SRAM is loaded once before
    inference (EIE's I/O mode, a one-time cost) and costs no DRAM traffic per inference (default); False
    reads it from DRAM once per inference. A layer that does not stay is streamed in tiles either way.

    :meth:`plan` decides which layers of a model stay (:func:`~accelsim.accelerators.eie.residency.plan_residency`:
    in network order, each if it fits beside those before it); :meth:`compile` with that plan follows it,
    without a plan a layer stays if it fits the SRAM alone. Each layer runs on the sub-array that is fastest
    for it (:mod:`~accelsim.accelerators.eie.mapper`). The engine keeps no state between layers.
    """

    def __init__(self, hw: HardwareConfig, *, preload_weights: bool = True) -> None:
        super().__init__(hw)
        self.preload_weights = preload_weights

    def check(self, layer: Layer) -> None:
        EieConfig.from_hw(self.hw)     # buffers too small for EIE; the rest depends on the masks

    def plan(self, layers, masks=None) -> Residency:
        return plan_residency(layers, masks, self.hw)

    def compile(self, layer: Layer, masks=None, activations=None, *, plan: Residency | None = None) -> Program:
        resident = None if plan is None else plan.is_resident(layer)
        return map_layer(layer, self, masks, activations, preload_weights=self.preload_weights, resident=resident)
