"""The SimPy kernel (layer 4): one time unit = one cycle (an ``int``), said once here.

Building blocks that engines compose, each counting what it serves:
:class:`DramChannel` (bandwidth- and latency-limited), :class:`SramBuffer` (banked, ported, capacity),
:class:`BoundedFifo`, :class:`DoubleBuffer` (load tile n+1 while tile n computes) and :class:`Barrier`
(PEs wait for the slowest). :class:`Engine` is the base class of every engine; its docstring lists the
hooks a subclass overrides. Work inside a tile is computed by the engines with vectorised numpy; the kernel
coordinates tiles and transfers with one SimPy event each, never one per MAC or per cycle.
"""
from accelsim.sim.buffers import DoubleBuffer, SramBuffer
from accelsim.sim.dram import DramChannel
from accelsim.sim.engine import Engine, LayerRun
from accelsim.sim.sync import Barrier, BoundedFifo

__all__ = ["Barrier", "BoundedFifo", "DoubleBuffer", "DramChannel", "Engine", "LayerRun", "SramBuffer"]
