"""SCNN (Parashar et al., ISCA 2017): sparse weights x sparse activations, dataflow PT-IS-CP-sparse.

The mapping, the Cartesian-product steps and their accumulator-bank conflicts are
:func:`accelsim.accelerators.scnn.compiler.compile_scnn` (``docs/scnn.md``); this engine runs the resulting (pass, group)
steps on the kernel's DRAM channel, double buffer and barrier (one SimPy process per PE).
"""
from __future__ import annotations

from accelsim.compile.program import Program
from accelsim.accelerators.scnn.compiler import check_scnn, compile_scnn
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


class ScnnEngine(Engine):
    """SCNN's ``pe_array.rows x pe_array.cols`` PEs of ``multipliers_f x multipliers_i`` multipliers
    (``engine: scnn``); runs on the real weight and activation masks."""

    def check(self, layer: Layer) -> None:
        check_scnn(layer, self.hw)

    def compile(self, layer: Layer, masks=None, activations=None) -> Program:
        return compile_scnn(layer, self.hw, masks, activations)
