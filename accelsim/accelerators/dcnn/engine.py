"""DCNN, SCNN's dense baseline (Parashar et al., ISCA 2017): SCNN's PEs, buffers and planar tiling, dense.

The mapping is SCNN's planar pipeline (:func:`accelsim.accelerators.scnn.lowering.compile_planar`) with the
dense strategy :data:`.dense.DENSE` (``docs/scnn.md``); this engine runs its (pass, group) steps on the
kernel's DRAM channel, double buffer and barrier.
"""
from __future__ import annotations

from accelsim.accelerators.dcnn.dense import DENSE
from accelsim.accelerators.scnn.lowering import activation_chain, check_planar, compile_planar
from accelsim.accelerators.scnn.machine import Chain, machine
from accelsim.compile.program import Program
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


def compile_dcnn(layer: Layer, hw: HardwareConfig, chain: Chain | None = None) -> Program:
    """``layer`` on DCNN (engine ``dcnn``): dense, whatever its masks; ``chain`` as for SCNN."""
    return compile_planar(layer, machine(hw, sparse=False), DENSE, chain=chain)


class DcnnEngine(Engine):
    """A dense machine with SCNN's organisation (``engine: dcnn``); masks are ignored: zeros are
    multiplied at full price."""

    def check(self, layer: Layer) -> None:
        check_planar(layer, machine(self.hw, sparse=False))

    def plan(self, layers, masks=None) -> Chain:
        return activation_chain(layers)

    def compile(self, layer: Layer, masks=None, activations=None, *, plan=None) -> Program:
        return compile_dcnn(layer, self.hw, plan)
