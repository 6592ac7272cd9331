"""Engines (layer 5): one module per dataflow on the ``sim`` kernel. ``engine_for(hw)`` picks the one a
hardware description names."""
from __future__ import annotations

from accelsim.engines.dcnn import DcnnEngine
from accelsim.engines.eie import EieEngine
from accelsim.engines.scnn import ScnnEngine
from accelsim.engines.systolic import SystolicEngine
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine

ENGINES: dict[str, type[Engine]] = {"systolic": SystolicEngine, "eie": EieEngine, "scnn": ScnnEngine,
                                    "dcnn": DcnnEngine}


def engine_for(hw: HardwareConfig) -> Engine:
    """The engine that runs ``hw`` (its ``engine`` key)."""
    if hw.engine not in ENGINES:
        raise NotImplementedError(f"engine {hw.engine!r} is not implemented yet")
    return ENGINES[hw.engine](hw)


__all__ = ["ENGINES", "Engine", "SystolicEngine", "engine_for"]
