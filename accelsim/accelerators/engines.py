"""The model that runs a machine (layer 5): the registry's ``engine`` entry, imported when first needed."""
from __future__ import annotations

import importlib

from accelsim.accelerators import accelerator
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import Engine


def engine_class(name: str) -> type[Engine]:
    """The :class:`Engine` subclass of the accelerator called ``name``."""
    module, _, cls = accelerator(name).engine.partition(":")
    return getattr(importlib.import_module(f"accelsim.accelerators.{name}.{module}"), cls)


def engine_for(hw: HardwareConfig) -> Engine:
    """The engine that runs ``hw`` (its ``engine`` key)."""
    return engine_class(hw.engine)(hw)
