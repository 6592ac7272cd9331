"""Technology nodes and how energy, leakage and area scale between them (layer 1).

The factors are Stillmaker & Baas 2017's (``tables/node_scaling.csv``, as tabulated by hwcomponents): area
relative to 45 nm, and an energy polynomial in Vdd evaluated at 0.8 V for every node; leakage power follows
the energy factor. Between the table's nodes (28 and 22 nm; Aladdin's 40 nm) the factors are linear in nm.
"""
from __future__ import annotations

from accelsim.cost.tables import rows

#: The nodes a hardware YAML's ``technology_nm`` may name, in nm.
NODES_NM = (65, 45, 32, 28, 22, 16, 7)
#: The supply voltage at which the energy polynomials are evaluated, in V (hwcomponents' default).
VDD = 0.8


def _table() -> list[tuple[float, float, float]]:
    """(node nm, area relative to 45 nm, energy factor at VDD), largest node first."""
    return [(float(r["node_nm"]), float(r["area_from_45nm"]),
             float(r["e2"]) * VDD**2 + float(r["e1"]) * VDD + float(r["e0"])) for r in rows("node_scaling")]


def _at(node_nm: float, column: int) -> float:
    table = _table()
    for (big, *a), (small, *b) in zip(table, table[1:]):
        if small <= node_nm <= big:
            t = (node_nm - small) / (big - small)
            return b[column - 1] + t * (a[column - 1] - b[column - 1])
    raise ValueError(f"no scaling factors for {node_nm} nm (the table covers 7 to 130 nm)")


def area_factor(to_nm: float, from_nm: float) -> float:
    """Area at ``to_nm`` / area of the same circuit at ``from_nm``."""
    return _at(to_nm, 1) / _at(from_nm, 1)


def energy_factor(to_nm: float, from_nm: float) -> float:
    """Energy per operation (and leakage power) at ``to_nm`` / at ``from_nm``."""
    return _at(to_nm, 2) / _at(from_nm, 2)
