"""The hardware-only constraints of a search space (layer 8): on-chip SRAM (KB) and area (mm²), which a
machine decides before anything is simulated; what a machine measures on each, which constraints it breaks,
and whether any machine of the space meets them (checked before the search starts, :func:`check_feasible`)."""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from accelsim.cost import area_mm2
from accelsim.errors import AccelsimError, InputError
from accelsim.hardware.schema import HardwareConfig
from accelsim.study.space import CONSTRAINTS, Space

#: Hardware-only constraints: what they measure and its unit (in the infeasibility message).
MEASURED = {"sram_kb": ("on-chip SRAM", "KB"), "area_mm2": ("area", "mm2")}
BYTES_PER_KB = 1024
#: Most machines enumerated to check a hardware-only constraint against the space (more: not checked).
MAX_CORNERS = 4096
#: Keys that leave a machine's area as it is: DRAM is off the die, and the clock sizes no circuit.
AREA_FREE = ("dram.", "clock_hz")


def sram_kb(hw: HardwareConfig) -> float:
    """On-chip SRAM of ``hw``: every instance of every buffer, in KB (1 KB = 1024 bytes)."""
    return hw.sram_bytes / BYTES_PER_KB


def die_area_mm2(hw: HardwareConfig) -> float:
    """Area of ``hw``, every component (:func:`accelsim.cost.area_mm2`), mm²; NaN without ``technology_nm``."""
    return sum(area_mm2(hw).values()) if hw.technology_nm is not None else math.nan


#: What each hardware-only constraint measures of a machine.
MEASURES: dict[str, Callable[[HardwareConfig], float]] = {"sram_kb": sram_kb, "area_mm2": die_area_mm2}


def hardware_measures(hw: HardwareConfig) -> dict[str, float]:
    """What the hardware alone decides, by constraint name: on-chip SRAM (KB) and area (mm²)."""
    return {name: measure(hw) for name, measure in MEASURES.items()}


def hardware_violations(space: Space, measured: dict[str, float]) -> list[str]:
    """The hardware-only constraints a machine of ``measured`` (:func:`hardware_measures`) breaks, each as
    ``"sram_kb 3200 > 2048"``."""
    return [f"{name} {measured[name]:g} > {limit:g}" for name, limit in space.constraints
            if CONSTRAINTS[name][1] and measured[name] > limit]


def check_feasible(space: Space) -> None:
    """An InputError naming the constraint if a hardware-only constraint excludes every machine of the space,
    with the least value the space reaches (:func:`least_over`, from the keys :func:`least_keys` names)."""
    for name, limit in space.constraints:
        if not CONSTRAINTS[name][1]:
            continue
        best = least_over(space, MEASURES[name], least_keys(space, name))
        if best is not None and best > limit:
            what, unit = MEASURED[name]
            raise InputError(f"the constraint excludes every machine of the space: the least {what} is "
                             f"{best:g} {unit}", file=space.file, key=f"constraints.{name}",
                             expected=f"a limit of at least {best:g}", got=limit)


def least_keys(space: Space, name: str) -> set[str]:
    """The searched numeric keys at whose least value the hardware-only constraint ``name`` measures least.

    On-chip SRAM (:func:`sram_kb`) never falls when a buffer's size or the PE array grows, and no other numeric
    key changes it: every numeric key. Area (:func:`die_area_mm2`) rises with every resource of the
    accelerator but a buffer's banks (``AcceleratorSpec.resources``: PEs, buffer sizes and ports, its own
    counts and depths; docs/cost_models.md), and DRAM and the clock leave it as it is (:data:`AREA_FREE`):
    those keys. The others (banks, the node, data and word widths) are not known to move it one way."""
    numeric = {d.key for d in space.hardware if d.least() is not None}
    if name == "sram_kb":
        return numeric
    base = space.machine({})
    resources = set(base.accelerator.resources(tuple(b.name for b in base.buffers)))
    return {k for k in numeric if (k in resources and not k.endswith(".banks")) or k.startswith(AREA_FREE)}


def least_over(space: Space, measure: Callable[[HardwareConfig], float], at_least: set[str]) -> float | None:
    """The least ``measure(machine)`` over the space's machines, given that it is least with the keys
    ``at_least`` at their least values: those fixed there, every value of the other hardware dimensions
    enumerated (invalid combinations skipped). None when they cannot be enumerated (a real range, more than
    :data:`MAX_CORNERS` combinations) or no combination is a machine: the space is then not checked before
    the search (its trials still are)."""
    fixed = {d.key: d.least() for d in space.hardware if d.key in at_least}
    others = [d for d in space.hardware if d.key not in at_least]
    values = [d.every() for d in others]
    if any(v is None for v in values) or math.prod(len(v) for v in values) > MAX_CORNERS:
        return None
    found = []
    for combination in itertools.product(*values):
        try:
            found.append(measure(space.machine({**fixed, **{d.key: v for d, v in zip(others, combination)}})))
        except AccelsimError:
            continue                      # an invalid combination is no machine of the space
    return min(found, default=None)
