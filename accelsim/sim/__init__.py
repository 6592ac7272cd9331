"""The SimPy kernel (layer 4): one time unit = one cycle (an ``int``), said once here.

Building blocks of the kernel's one pipeline: :class:`DramChannel` (bandwidth- and latency-limited, counting
the bytes it moves), :class:`DoubleBuffer` (load tile n+1 while tile n computes) and :class:`Barrier` (PEs
wait for the slowest). :class:`Engine` is the base class of every engine; its docstring lists the hooks a
subclass overrides. Work inside a tile is computed by the engines with vectorised numpy; the kernel
coordinates tiles and transfers with one SimPy event each, never one per MAC or per cycle.
"""
from accelsim.sim.dram import DramChannel
from accelsim.sim.engine import Engine, LayerRun

__all__ = ["Barrier", "DoubleBuffer", "DramChannel", "Engine", "LayerRun"]


def __getattr__(name: str):
    """The SimPy processes (:class:`Barrier`, :class:`DoubleBuffer`) import SimPy, which a run whose timelines
    are all replayed never needs: loaded on first use."""
    if name == "Barrier":
        from accelsim.sim.sync import Barrier
        return Barrier
    if name == "DoubleBuffer":
        from accelsim.sim.buffers import DoubleBuffer
        return DoubleBuffer
    raise AttributeError(f"module 'accelsim.sim' has no attribute {name!r}")
