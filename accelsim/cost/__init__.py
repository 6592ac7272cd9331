"""Cost models (layer 1): per-action energy, leakage power and area of every component of a machine, as
functions of its parameters and its ``technology_nm``, from the committed tables in ``tables/`` (CACTI 7
SRAMs; published logic, register-file, link and DRAM points; Stillmaker & Baas node scaling). Neither a
user nor CI needs CACTI: ``tools/make_sram_table.py`` regenerates the SRAM table from a CACTI binary.
docs/cost_models.md gives the sources, the method and the limits.

``area_mm2(hw)`` is the area per component of a parsed hardware config; ``machine_parts(hw)`` every
component's pJ per action, leakage and area (what :meth:`accelsim.energy.EnergyTable.from_config` prices a
config with, its ``energy:`` entries winning).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from accelsim.cost.parts import Part, machine_parts
from accelsim.cost.technology import NODES_NM

if TYPE_CHECKING:   # annotation only
    from accelsim.hardware.schema import HardwareConfig


def area_mm2(hw: HardwareConfig) -> dict[str, float]:
    """Area of every component of ``hw`` (all its instances), mm², by component name, sorted; DRAM is off
    the die (0). A pure function of the config; a ValueError if it has no ``technology_nm``."""
    return dict(sorted((part.component, part.area_mm2) for part in machine_parts(hw)))


__all__ = ["NODES_NM", "Part", "area_mm2", "machine_parts"]
