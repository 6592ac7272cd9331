"""Counts x table -> energy per component (layer 6).

Dynamic energy is ``sum(count x pJ per action)`` per component: every counted (component, action) must
have a table entry, else :class:`~accelsim.energy.table.MissingEnergyEntry` names it. Static (leakage)
energy is each component's static power charged over the layer's cycles, reported apart: a slower layer
pays it longer.
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.counts import Counts
from accelsim.energy.table import EnergyTable


@dataclass(frozen=True)
class Energy:
    """Energy of one layer (or a sum of layers), pJ, by component."""

    dynamic_pj: dict[str, float]
    static_pj: dict[str, float]

    @property
    def total_dynamic_pj(self) -> float:
        return sum(self.dynamic_pj.values())

    @property
    def total_static_pj(self) -> float:
        return sum(self.static_pj.values())

    @property
    def total_pj(self) -> float:
        return self.total_dynamic_pj + self.total_static_pj


def energy(counts: Counts, table: EnergyTable, cycles: int, clock_hz: float) -> Energy:
    """Energy of ``counts`` over ``cycles`` at ``clock_hz`` with the figures of ``table``."""
    dynamic: dict[str, float] = {}
    for (component, action), count in counts.items():
        dynamic[component] = dynamic.get(component, 0.0) + count * table.pj(component, action)
    static = {component: table.static_pj(component, cycles, clock_hz) for component in table.static}
    return Energy(dynamic_pj=dynamic, static_pj=static)
