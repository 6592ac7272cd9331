"""Eyeriss v2's model on the kernel: the rounds of the row-stationary-plus schedule
(:mod:`accelsim.accelerators.eyeriss_v2.compiler`), grouped into program steps, on the DRAM channel, double
buffer and barrier (the array in lockstep: one program column for all PEs). A step's PE time holds its rounds'
barrier waits; the program's idle fields report them honestly: ``busy_cycles`` is the PEs' own passes, the
cycles a PE waited for the NoC to deliver its weights, iacts or partial sums are ``stall_memory_cycles`` (with
the DRAM waits), and the rest of each round, waiting for the slowest PE, is ``stall_imbalance_cycles``.
"""
from __future__ import annotations

from accelsim.accelerators.eyeriss_v2.compiler import array_of, compile_layer, pe_of
from accelsim.accelerators.eyeriss_v2.mapper import check_window
from accelsim.compile.program import Program
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Conv2D, Layer


class EyerissV2Engine(Engine):
    """Sparse PEs (``engine: eyeriss_v2``): zero weights and iacts skipped, from the real masks."""

    sparse = True

    def compile(self, layer: Layer, masks=None, activations=None, plan=None) -> Program:
        return compile_layer(layer, self.hw, masks, activations, sparse=self.sparse)

    def check(self, layer: Layer) -> None:
        array_of(self.hw, self.sparse)
        if isinstance(layer, Conv2D):
            check_window(layer.name, layer.kernel_w, pe_of(self.hw, self.sparse))
