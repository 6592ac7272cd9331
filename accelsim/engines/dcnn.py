"""DCNN, SCNN's dense baseline (Parashar et al., ISCA 2017): SCNN's PEs, buffers and planar tiling, dense.

The schedule is :func:`accelsim.compile.dcnn.compile_dcnn` (``docs/scnn.md``); this engine runs its
(pass, group) steps on the kernel's DRAM channel, double buffer and barrier.
"""
from __future__ import annotations

from accelsim.compile.dcnn import compile_dcnn
from accelsim.compile.program import Program
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


class DcnnEngine(Engine):
    """A dense machine with SCNN's organisation (``engine: dcnn``); masks are ignored: zeros are
    multiplied at full price."""

    def __init__(self, hw: HardwareConfig) -> None:
        super().__init__(hw.dram.bytes_per_cycle, hw.dram.latency_cycles)
        self.hw = hw

    def compile(self, layer: Layer, masks=None, activations=None) -> Program:
        return compile_dcnn(layer, self.hw)
