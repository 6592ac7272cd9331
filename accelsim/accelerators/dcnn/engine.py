"""DCNN, SCNN's dense baseline (Parashar et al., ISCA 2017): SCNN's PEs, buffers and planar tiling, dense.

The schedule is :func:`accelsim.accelerators.dcnn.compiler.compile_dcnn` (``docs/scnn.md``); this engine runs its
(pass, group) steps on the kernel's DRAM channel, double buffer and barrier.
"""
from __future__ import annotations

from accelsim.accelerators.dcnn.compiler import compile_dcnn
from accelsim.accelerators.scnn.compiler import check_scnn
from accelsim.compile.program import Program
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


class DcnnEngine(Engine):
    """A dense machine with SCNN's organisation (``engine: dcnn``); masks are ignored: zeros are
    multiplied at full price."""

    def check(self, layer: Layer) -> None:
        check_scnn(layer, self.hw, sparse=False)

    def compile(self, layer: Layer, masks=None, activations=None) -> Program:
        return compile_dcnn(layer, self.hw)
