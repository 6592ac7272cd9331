"""How robust each verdict is (layer 8): for every "who wins at equal footprint" of a comparison or an
exploration, how far each energy figure can move before the verdict flips.

**Exact, from the stored counts.** A design's energy is linear in every figure of its machine's energy table:
``E = sum over actions of count x pJ each + sum over components of static mW x latency``. Multiplying one
figure ``p`` by a factor ``k`` (on every machine) changes a design's energy to ``E + (k - 1) e_p``, where
``e_p`` is the energy that figure contributes (count x pJ, or its leakage energy), stored with each point
(``actions`` in the point's JSON; ``static_<component>_pj`` in its totals). For one design against another,
the verdict ``E_a < E_b`` flips where the two lines cross::

    k* = 1 - (E_b - E_a) / (e_b - e_a)

a factor below 1 when the loser spends more of its energy on ``p`` (cheaper ``p`` helps it), above 1
otherwise; no flip when ``e_a = e_b`` or when ``k*`` would be negative (no energy is negative). For an
exploration, each side of a verdict is the best of a set of trials, ``min_i (E_i + (k - 1) e_i)``: the flip
is where the two lower envelopes meet, which is where a line of one set crosses a line of the other, so it is
found exactly among those crossings (the nearest on each side of ``k = 1`` where the winner no longer wins).

**Verdicts.** A comparison's (``accelsim compare``): per machine, each small-dense model against the
large-sparse model nearest it in footprint (:func:`accelsim.study.compare.pairs`). An exploration's: per
footprint budget (the footprint of each small-dense model explored, at most :data:`MAX_BUDGETS` of them,
evenly spread), the best feasible small-dense trial against the best feasible large-sparse trial whose
model is no larger, on energy and on latency. Latency does not depend on any energy figure: its verdicts
are listed with their margin; the timing assumptions they rest on (DRAM bandwidth, clock) need simulating
again (an exploration over that key), so they are not in this table.

Writes ``sensitivity.csv`` into the result's folder; ``accelsim plot DIR`` draws it as tornado figures.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.atomic import write_text
from accelsim.errors import InputError
from accelsim.study import folder
from accelsim.units import average_power_mw

SENSITIVITY_CSV = "sensitivity.csv"
MAX_BUDGETS = 8
#: A verdict whose two sides are within this fraction of each other at the flip point counts as flipped
#: (rounding in the sums, not a physical tolerance).
TIE_RTOL = 1e-9
CANDIDATES_PER_CHUNK = 4096


@dataclass(frozen=True)
class Design:
    """One simulated design: its name, kind, energy (pJ) and latency (s), and per energy figure (its YAML
    key, ``energy.dynamic.<component>.<action>`` or ``energy.static.<component>``) the energy it contributes
    (pJ) and the figure itself (pJ per action, or mW)."""

    name: str
    kind: str
    energy_pj: float
    latency_s: float
    parts: dict
    figures: dict


def design(name: str, kind: str, stored: dict, where: Path) -> Design:
    """The :class:`Design` of a stored point's JSON (``where`` names it in errors)."""
    if "actions" not in stored:
        raise InputError("the point has no action counts (written by an earlier accelsim)", file=where,
                         expected="a result written by this version: run the command again into a new folder")
    total = stored["totals"]
    parts, figures = {}, {}
    for key, action in stored["actions"].items():
        parts[f"energy.dynamic.{key}"] = action["energy_pj"]
        figures[f"energy.dynamic.{key}"] = action["pj_each"]
    latency = total["latency_s"]
    for column, value in total.items():
        if column.startswith("static_") and column.endswith("_pj"):
            component = column[len("static_"):-len("_pj")]
            parts[f"energy.static.{component}"] = value
            mw = average_power_mw(value, latency) if latency else math.nan
            figures[f"energy.static.{component}"] = float(f"{mw:.10g}")     # as written: sums round the last bits
    return Design(name, kind, total["energy_pj"], latency, parts, figures)


def flip_factors(a_energy: np.ndarray, a_part: np.ndarray, b_energy: np.ndarray,
                 b_part: np.ndarray) -> tuple[float, float]:
    """The factors ``k`` (down: the largest in [0, 1); up: the smallest above 1; NaN where there is none) at
    which the best of set ``a`` (least ``energy + (k - 1) part``, pJ) stops beating the best of set ``b``,
    when it beats it at ``k = 1``; the same with the roles swapped when ``b`` wins."""
    a_energy, a_part, b_energy, b_part = (np.asarray(x, dtype=float) for x in (a_energy, a_part, b_energy, b_part))
    sign = np.sign(b_energy.min() - a_energy.min())
    if sign == 0:
        return math.nan, math.nan
    diff_part = a_part[:, None] - b_part[None, :]
    diff_energy = a_energy[:, None] - b_energy[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        crossings = 1 - diff_energy / diff_part
    crossings = np.unique(crossings[np.isfinite(crossings)])

    def flipped(ks: np.ndarray) -> np.ndarray:
        best_a = (a_energy[None, :] + (ks[:, None] - 1) * a_part[None, :]).min(axis=1)
        best_b = (b_energy[None, :] + (ks[:, None] - 1) * b_part[None, :]).min(axis=1)
        scale = np.maximum(np.abs(best_a), np.abs(best_b))
        return sign * (best_b - best_a) <= TIE_RTOL * scale

    def first(ks: np.ndarray) -> float:
        for start in range(0, len(ks), CANDIDATES_PER_CHUNK):
            chunk = ks[start:start + CANDIDATES_PER_CHUNK]
            hit = np.flatnonzero(flipped(chunk))
            if hit.size:
                return float(chunk[hit[0]])
        return math.nan
    up = first(crossings[crossings > 1])
    down = first(crossings[(crossings >= 0) & (crossings < 1)][::-1])
    return down, up


def verdict_rows(verdict: dict, sparse: list[Design], dense: list[Design]) -> list[dict]:
    """The sensitivity rows of one footprint verdict (``verdict``: its identifying columns) between the
    large-sparse designs ``sparse`` and the small-dense designs ``dense``: the energy verdict, one row per
    energy figure, and the latency verdict, one row."""
    rows = []
    for objective, column in (("energy", "energy_pj"), ("latency", "latency_s")):
        best_s = min(sparse, key=lambda d: getattr(d, column))
        best_d = min(dense, key=lambda d: getattr(d, column))
        s_value, d_value = getattr(best_s, column), getattr(best_d, column)
        if s_value == d_value:
            winner, loser = ("tie", "tie")
        else:
            winner, loser = ("large-sparse", "small-dense") if s_value < d_value else ("small-dense", "large-sparse")
        win, lose = (best_s, best_d) if winner == "large-sparse" else (best_d, best_s)
        head = {**verdict, "objective": objective, "winner": winner, "winner_design": win.name,
                "loser_design": lose.name, "winner_value": getattr(win, column), "loser_value": getattr(lose, column),
                "margin": getattr(lose, column) / getattr(win, column) - 1 if getattr(win, column) else math.nan}
        if objective == "latency":
            rows.append({**head, "parameter": "(every energy figure)", "note": "latency does not depend on energy "
                         "figures; timing assumptions need simulating again"})
            continue
        for parameter in sorted({p for d in sparse + dense for p in d.parts}):
            down, up = flip_factors([d.energy_pj for d in sparse], [d.parts.get(parameter, 0.0) for d in sparse],
                                    [d.energy_pj for d in dense], [d.parts.get(parameter, 0.0) for d in dense])
            values = {d.figures[parameter] for d in sparse + dense if parameter in d.figures}
            value = values.pop() if len(values) == 1 else math.nan
            rows.append({**head, "parameter": parameter,
                         "unit": "mW" if parameter.startswith("energy.static.") else "pJ",
                         "value": value, "winner_share": win.parts.get(parameter, 0.0) / win.energy_pj,
                         "loser_share": lose.parts.get(parameter, 0.0) / lose.energy_pj,
                         "flip_factor_down": down, "flip_factor_up": up,
                         "flip_value_down": down * value, "flip_value_up": up * value,
                         "note": "" if not (math.isnan(down) and math.isnan(up)) else "never flips"})
    return rows


COLUMNS = ("source", "verdict", "hardware", "budget_mb", "objective", "winner", "winner_design", "loser_design",
           "winner_value", "loser_value", "margin", "parameter", "unit", "value", "winner_share", "loser_share",
           "flip_factor_down", "flip_factor_up", "flip_value_down", "flip_value_up", "note")


def sensitivity(out: Path) -> pd.DataFrame:
    """The sensitivity table of the comparison or exploration in ``out``, written to ``sensitivity.csv``
    there (module docstring)."""
    out = Path(out)
    kind = folder.kind_of(out)
    if kind == "compare" and (out / "compare.csv").is_file():
        rows = _compare_rows(out)
    elif kind == "explore" and (out / "trials.csv").is_file():
        rows = _explore_rows(out)
    else:
        raise InputError("not the result of accelsim compare or explore", file=out, key="DIR",
                         expected="a folder written by 'accelsim compare' or 'accelsim explore'")
    if not rows:
        raise InputError("no verdict to test: no small-dense and large-sparse designs to compare", file=out,
                         key="DIR", expected="a result with both small-dense and large-sparse designs")
    table = pd.DataFrame(rows)
    table = table[[c for c in COLUMNS if c in table.columns]]
    write_text(out / SENSITIVITY_CSV, table.to_csv(index=False, float_format="%.10g"))
    return table


def _stored(out: Path, key: str) -> dict:
    path = out / folder.POINTS / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError("a stored point is missing or damaged", file=path,
                         expected="the result as written: run the command again to repair it") from None


def _compare_rows(out: Path) -> list[dict]:
    from accelsim.study.compare import pairs
    table = pd.read_csv(out / "compare.csv")
    rows = []
    for hardware, d, s in pairs(table):
        dense = design(d["model"], "small-dense", _stored(out, d["point"]), out / f"points/{d['point']}.json")
        sparse = design(f"{s['model']} @ {s['sparsity']:g}", "large-sparse", _stored(out, s["point"]),
                        out / f"points/{s['point']}.json")
        verdict = {"source": "compare", "verdict": f"{d['model']} vs {sparse.name} on {hardware}",
                   "hardware": hardware, "budget_mb": d["model_mb"]}
        rows += verdict_rows(verdict, [sparse], [dense])
    return rows


def budgets(footprints: list[float]) -> list[float]:
    """At most :data:`MAX_BUDGETS` of the distinct ``footprints`` (MB), evenly spread, the largest included."""
    distinct = sorted(set(footprints))
    if len(distinct) <= MAX_BUDGETS:
        return distinct
    picks = np.unique(np.round(np.linspace(0, len(distinct) - 1, MAX_BUDGETS)).astype(int))
    return [distinct[i] for i in picks]


def _explore_rows(out: Path) -> list[dict]:
    trials = pd.read_csv(out / "trials.csv")
    feasible = trials[trials["state"] == "complete"].drop_duplicates(subset="point") \
        if "state" in trials else trials.iloc[:0]
    designs = []
    for _, t in feasible.iterrows():
        kind = "large-sparse" if t["sparsity"] > 0 else "small-dense"
        designs.append((t["model_mb"], design(f"trial {t['trial']}", kind, _stored(out, t["point"]),
                                              out / f"points/{t['point']}.json")))
    rows = []
    for budget in budgets([mb for mb, d in designs if d.kind == "small-dense"]):
        within = [d for mb, d in designs if mb <= budget * (1 + TIE_RTOL)]
        sparse = [d for d in within if d.kind == "large-sparse"]
        dense = [d for d in within if d.kind == "small-dense"]
        if sparse and dense:
            verdict = {"source": "explore", "verdict": f"models of at most {budget:.4g} MB", "hardware": "explored",
                       "budget_mb": budget}
            rows += verdict_rows(verdict, sparse, dense)
    return rows
