"""Per-layer and per-model results as tidy DataFrames with unit-suffixed columns (layer 6).

One row per simulated layer; the model's totals are the column sums (cycles, bytes, MACs, pJ add up from
layers to the model), with ratios (utilisation) recomputed from the sums.

Columns: ``cycles``, ``latency_s``; where the cycles went, in whole cycles: ``drain_cycles`` (after the last
PE finished) and the means over PEs ``busy_cycles_per_pe``, ``stall_memory_cycles_per_pe`` (DRAM),
``stall_sram_cycles_per_pe`` (buffer banks and ports), ``stall_imbalance_cycles_per_pe``
(``stall_conflict_cycles_per_pe`` is part of busy), rounded down, the imbalance taking the remainder so that
``cycles == busy + memory + sram + imbalance + drain`` exactly; ``macs`` (dense
MACs of the layer) and ``useful_macs`` (the products the engine computes: on a sparse engine those of two
non-zeros; a dense engine multiplies every pair, zeros included, so there it equals ``macs``);
``multiplier_utilization`` (useful MACs per multiplier-cycle); ``dram_read_bytes``, ``dram_write_bytes`` and
``<buffer>_read_bytes``, ``<buffer>_write_bytes`` per on-chip buffer; ``energy_<component>_pj`` (dynamic),
``static_<component>_pj`` (leakage over the layer's cycles), ``energy_dynamic_pj``, ``energy_static_pj``,
``energy_pj``; then the accelerator's declared details (``accelsim engines``, docs/hardware.md), per layer
only: empty where a layer has none, and not summed into the totals.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from accelsim.cost import area_mm2
from accelsim.counts import Counts
from accelsim.energy.model import Energy
from accelsim.energy.table import EnergyTable
from accelsim.hardware.schema import HardwareConfig
from accelsim.sim.engine import LayerRun
from accelsim.units import bits_to_bytes, cycles_to_seconds
from accelsim.workloads.layers import Layer

#: Columns that are not summed into the model's totals.
NON_ADDITIVE = ("layer", "kind", "engine", "multiplier_utilization")


@dataclass(frozen=True)
class SimulationResult:
    """A simulated model: ``rows`` (one dict per layer, every one with all of ``columns``), ``total`` (the
    model's sums, by column) and ``metadata`` (what reproduces it: package version, hardware name and config
    hash, model and options, seed), ``actions``: every action the model's layers made, summed, with its
    price (``"component.action"`` -> ``count``, ``pj_each``, ``energy_pj`` = count x pj_each), what the
    dynamic energy is linear in (``accelsim sensitivity``), and ``area_mm2`` (the machine's area by component
    and ``total``, mm², from the cost models; empty when its description has no ``technology_nm``). ``layers``
    is ``rows`` as a pandas DataFrame, built on first use (the
    command line writes and prints the rows without importing pandas)."""

    rows: tuple[dict, ...]
    total: dict
    metadata: dict = field(default_factory=dict)
    actions: dict = field(default_factory=dict)     # "component.action" -> {count, pj_each, energy_pj}
    area_mm2: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []

    @cached_property
    def layers(self):
        import pandas as pd
        return pd.DataFrame(list(self.rows), columns=self.columns)


def layer_row(layer: Layer, run: LayerRun, energy: Energy, hw: HardwareConfig) -> dict:
    """The report row of one simulated layer."""
    row = {
        "layer": layer.name, "kind": layer.kind, "engine": hw.engine,
        "cycles": run.cycles, "latency_s": cycles_to_seconds(run.cycles, hw.clock_hz),
        **_whole_cycles(run),
        "macs": layer.macs, "useful_macs": run.useful_macs,
        "fragmentation_slots": run.fragmentation_slots,
        "multiplier_utilization": _utilization(run.useful_macs, run.cycles, hw),
        "dram_read_bytes": run.dram_read_bytes, "dram_write_bytes": run.dram_write_bytes,
    }
    for buffer in hw.buffers:
        for action, column in (("read_words", "read_bytes"), ("write_words", "write_bytes")):
            row[f"{buffer.name}_{column}"] = bits_to_bytes(run.counts.get((buffer.name, action)) * buffer.width_bits)
    for component, pj in sorted(energy.dynamic_pj.items()):
        row[f"energy_{component}_pj"] = pj
    for component, pj in sorted(energy.static_pj.items()):
        row[f"static_{component}_pj"] = pj
    row["energy_dynamic_pj"] = energy.total_dynamic_pj
    row["energy_static_pj"] = energy.total_static_pj
    row["energy_pj"] = energy.total_pj
    for detail in hw.accelerator.details:
        row[detail.name] = run.details.get(detail.name, float("nan"))
    return row


def _whole_cycles(run: LayerRun) -> dict[str, int]:
    """Where the cycles of ``run`` went, in whole cycles: the per-PE means rounded down, the imbalance the
    remainder (at least the exact mean, since the others only lost their fractions)."""
    busy, memory = math.floor(run.busy_cycles), math.floor(run.stall_memory_cycles)
    sram = math.floor(run.stall_sram_cycles)
    drain = round(run.drain_cycles)    # already whole: cycles after the last PE finished
    return {"busy_cycles_per_pe": busy, "stall_memory_cycles_per_pe": memory, "stall_sram_cycles_per_pe": sram,
            "stall_imbalance_cycles_per_pe": int(run.cycles) - drain - busy - memory - sram,
            "stall_conflict_cycles_per_pe": math.floor(run.stall_conflict_cycles), "drain_cycles": drain}


def _utilization(useful_macs: float, cycles: float, hw: HardwareConfig) -> float:
    return useful_macs / (cycles * hw.total_multipliers) if cycles else 0.0


def assemble(rows: list[dict], hw: HardwareConfig, metadata: dict, counts: Counts = Counts(),
             table: EnergyTable | None = None) -> SimulationResult:
    """Rows of :func:`layer_row` -> a :class:`SimulationResult` whose totals are the column sums; ``counts``
    (the layers' summed :class:`~accelsim.counts.Counts`) priced by ``table`` are its ``actions``. A column
    some rows lack (a count only some layers make) is 0 there; whole numbers stay whole. The accelerator's
    details are per-layer figures: not summed, missing ones NaN."""
    details = {d.name for d in hw.accelerator.details}
    columns = list(dict.fromkeys(column for row in rows for column in row))
    full = tuple({column: _plain(row.get(column, float("nan") if column in details else 0)) for column in columns}
                 for row in rows)
    total = {column: sum(row[column] for row in full) for column in columns
             if column not in NON_ADDITIVE and column not in details}
    total["multiplier_utilization"] = _utilization(total["useful_macs"], total["cycles"], hw)
    actions = {f"{c}.{a}": {"count": _plain(n), "pj_each": table.pj(c, a), "energy_pj": _plain(n) * table.pj(c, a)}
               for (c, a), n in counts.items()} if table is not None else {}
    return SimulationResult(rows=full, total=total, metadata=dict(metadata), actions=actions,
                            area_mm2=machine_area(hw))


def machine_area(hw: HardwareConfig) -> dict[str, float]:
    """The area of ``hw`` by component and in ``total``, mm² (:func:`accelsim.cost.area_mm2`); empty without
    ``technology_nm``."""
    if hw.technology_nm is None:
        return {}
    area = area_mm2(hw)
    return {**area, "total": sum(area.values())}


def _plain(value):
    """A numpy scalar as the Python number it holds (so totals and files see ints as ints)."""
    return value.item() if hasattr(value, "item") else value
