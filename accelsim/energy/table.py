"""The energy table: pJ per (component, action) and static mW per component, each with unit and source
(layer 1).

Only the table: multiplying ``Counts`` by it is the energy model's job (``accelsim.energy.model``).
A dynamic entry is picojoules per unit of the count an engine reports for (component, action), e.g. pJ per
byte for ``("dram", "read_bytes")``. A static entry is the leakage of all instances of a component
together, in mW, charged over the cycles a layer takes (reported apart from dynamic energy).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from accelsim.cost.parts import machine_parts
from accelsim.errors import ConfigError
from accelsim.units import PJ_PER_J, cycles_to_seconds

if TYPE_CHECKING:   # annotation only: the table does not depend on the hardware package at run time
    from accelsim.hardware.schema import HardwareConfig

W_PER_MW = 1e-3


@dataclass(frozen=True)
class Entry:
    """One figure: ``value`` in ``unit`` ("pJ" per action, or "mW"), and where it comes from."""

    value: float
    unit: str
    source: str


class MissingEnergyEntry(ConfigError):
    """The table has no entry for a (component, action) or a component's static power."""


class EnergyTable:
    """Immutable map (component, action) -> :class:`Entry` in pJ, and component -> :class:`Entry` in mW.

    ``file`` is the hardware description the figures came from; missing entries name it.
    """

    __slots__ = ("_dynamic", "_static", "file")

    def __init__(self, dynamic: Mapping[tuple[str, str], Entry], static: Mapping[str, Entry] | None = None,
                 file: str | None = None) -> None:
        self._dynamic = MappingProxyType(dict(sorted(dynamic.items())))
        self._static = MappingProxyType(dict(sorted((static or {}).items())))
        self.file = file

    @classmethod
    def from_config(cls, config: HardwareConfig) -> EnergyTable:
        """The table of a loaded hardware config: with ``technology_nm``, every component's pJ per action and
        leakage from the cost models (:func:`accelsim.cost.machine_parts`), then the ``energy`` section's
        entries over them (a given figure wins); without it, the ``energy`` section alone. Built once per
        distinct config (a config and its table are immutable; the cost models take about 1 ms)."""
        return _table_of(config)

    @classmethod
    def _build(cls, config: HardwareConfig) -> EnergyTable:
        dynamic: dict[tuple[str, str], Entry] = {}
        static: dict[str, Entry] = {}
        if config.technology_nm is not None:
            for part in machine_parts(config):
                source = f"model: {part.source}"
                dynamic.update({(part.component, action): Entry(pj, "pJ", source) for action, pj in part.pj.items()})
                static[part.component] = Entry(part.leakage_mw, "mW", source)
        energy = config.energy
        dynamic.update({(e.component, e.action): Entry(e.pj, "pJ", e.source) for e in energy.dynamic})
        static.update({s.component: Entry(s.mw, "mW", s.source) for s in energy.static})
        return cls(dynamic, static, file=config.source)

    @property
    def dynamic(self) -> Mapping[tuple[str, str], Entry]:
        """Every dynamic entry, (component, action) -> pJ per action, sorted."""
        return self._dynamic

    @property
    def static(self) -> Mapping[str, Entry]:
        """Every static entry, component -> mW, sorted."""
        return self._static

    def entry(self, component: str, action: str) -> Entry:
        """The dynamic entry of (component, action); MissingEnergyEntry naming both if there is none."""
        try:
            return self._dynamic[(component, action)]
        except KeyError:
            raise MissingEnergyEntry(f"no energy entry for component {component!r} action {action!r}",
                                     file=self.file, key=f"energy.dynamic.{component}.{action}",
                                     expected="{pj: ..., source: ...}") from None

    def pj(self, component: str, action: str) -> float:
        """Energy of one unit of (component, action), in pJ."""
        return self.entry(component, action).value

    def dynamic_pj(self, counts: Mapping[tuple[str, str], float]) -> float:
        """Dynamic energy of ``counts`` ((component, action) -> units), in pJ: what mappers break latency ties by."""
        return sum(count * self.pj(component, action) for (component, action), count in counts.items())

    def static_mw(self, component: str) -> float:
        """Static power of ``component`` (all its instances), in mW; MissingEnergyEntry if there is none."""
        try:
            return self._static[component].value
        except KeyError:
            raise MissingEnergyEntry(f"no static power for component {component!r}", file=self.file,
                                     key=f"energy.static.{component}", expected="{mw: ..., source: ...}",
                                     ) from None

    def static_pj(self, component: str, cycles: float, clock_hz: float) -> float:
        """Static energy of ``component`` over ``cycles`` at ``clock_hz``, in pJ:
        mW x 1e-3 W/mW x cycles / clock_hz s x 1e12 pJ/J."""
        if cycles < 0 or clock_hz <= 0:
            raise ValueError(f"static_pj needs cycles >= 0 and clock_hz > 0, got {cycles}, {clock_hz}")
        return self.static_mw(component) * W_PER_MW * cycles_to_seconds(cycles, clock_hz) * PJ_PER_J

    def __repr__(self) -> str:
        return f"EnergyTable({len(self._dynamic)} dynamic, {len(self._static)} static entries, file={self.file!r})"


@lru_cache(maxsize=64)
def _table_of(config: HardwareConfig) -> EnergyTable:
    return EnergyTable._build(config)
