"""Dense systolic array, weight-, output- or input-stationary: one engine for the three dataflows.

The dataflow is the hardware description's ``dataflow``; the fold schedule and its cycles are
:func:`accelsim.accelerators.systolic.folds.compile_systolic` (SCALE-Sim's compute model); this engine runs the
resulting steps on the kernel's DRAM channel and double buffer.
"""
from __future__ import annotations

from accelsim.compile.program import Program
from accelsim.accelerators.systolic.folds import check_systolic
from accelsim.accelerators.systolic.mapper import compile_systolic
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


class SystolicEngine(Engine):
    """A ``pe_array.rows x pe_array.cols`` systolic array (``engine: systolic``); masks are ignored: a dense
    machine multiplies zeros at full price."""

    def check(self, layer: Layer) -> None:
        check_systolic(layer, self.hw)

    def compile(self, layer: Layer, masks=None, activations=None, *, plan=None) -> Program:
        return compile_systolic(layer, self.hw)
