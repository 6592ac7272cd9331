"""SCNN (Parashar et al., ISCA 2017): sparse weights x sparse activations, dataflow PT-IS-CP-sparse.

The mapping is the planar pipeline SCNN shares with DCNN (:func:`.lowering.compile_planar`) with SCNN's
strategy, the Cartesian product and its accumulator-bank conflicts (:data:`.sparse.CARTESIAN`;
``docs/scnn.md``); this engine runs the resulting (pass, group) steps on the kernel's DRAM channel, double
buffer and barrier (one SimPy process per PE).
"""
from __future__ import annotations

from accelsim.accelerators.scnn.lowering import activation_chain, check_planar, compile_planar
from accelsim.accelerators.scnn.machine import Chain, machine
from accelsim.accelerators.scnn.sparse import CARTESIAN
from accelsim.compile.program import Program
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


def compile_scnn(layer: Layer, hw: HardwareConfig, masks=None, activations=None,
                 chain: Chain | None = None) -> Program:
    """``layer`` on SCNN (engine ``scnn``) from its weight mask (``layer.weight_shape``) and input-activation
    mask (``accelsim.pruning.activation_shape(layer)``); None = dense. ``chain``: the inference the layer
    belongs to (None: the layer alone, its activations through DRAM)."""
    return compile_planar(layer, machine(hw, sparse=True), CARTESIAN, masks, activations, chain)


class ScnnEngine(Engine):
    """SCNN's ``pe_array.rows x pe_array.cols`` PEs of ``multipliers_f x multipliers_i`` multipliers
    (``engine: scnn``); runs on the real weight and activation masks."""

    def check(self, layer: Layer) -> None:
        check_planar(layer, machine(self.hw, sparse=True))

    def plan(self, layers, masks=None) -> Chain:
        return activation_chain(layers)

    def compile(self, layer: Layer, masks=None, activations=None, *, plan=None) -> Program:
        return compile_scnn(layer, self.hw, masks, activations, plan)
