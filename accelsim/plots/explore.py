"""Figures of a design-space exploration and of a sensitivity table (layer 7): the Pareto front in 2-D
projections, each parameter's importance, and tornado figures of how far each energy figure can move before
a verdict flips. Drawn from ``trials.csv``, ``front.csv``, ``importance.csv`` and ``sensitivity.csv`` only.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from accelsim.plots.common import (LEGEND_SIZE, MS_PER_S, PJ_PER_UJ, colour, is_wide, new_figure, set_labels,
                                   style_axes)

#: Objective column -> (axis label, factor from the column's unit to the axis's).
AXES = {"latency_s": ("latency (ms)", MS_PER_S), "energy_pj": ("energy per inference (uJ)", 1 / PJ_PER_UJ),
        "area_mm2": ("area (mm²)", 1.0), "accuracy": ("accuracy (paper)", 1.0)}
#: The widest factor a tornado shows; a verdict that flips further out (or never) runs to the edge.
TORNADO_LIMIT = 100.0
TORNADO_PARAMETERS = 12


def front_projections(trials: pd.DataFrame, front: pd.DataFrame, columns: list[str]) -> Figure:
    """Every feasible trial (grey) and the Pareto front (coloured) for each pair of objective ``columns``;
    one objective: against the trial number."""
    pairs = list(itertools.combinations(columns, 2)) or [("trial", columns[0])]
    fig = new_figure(4.2 * len(pairs), 3.6)
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    feasible = trials[trials["state"] == "complete"]
    for ax, (x, y) in zip(axes, pairs):
        style_axes(ax, grid_axis="both")
        fx, fy = AXES.get(x, (x, 1.0))[1], AXES.get(y, (y, 1.0))[1]
        ax.scatter(feasible[x] * fx, feasible[y] * fy, s=14, color="0.75", label="feasible trials")
        on = front.sort_values(x)
        ax.plot(on[x] * fx, on[y] * fy, marker="o", markersize=5, color=colour(0), linewidth=1, label="Pareto front")
        for name, values in ((x, feasible[x] * fx), (y, feasible[y] * fy)):
            if name != "trial" and len(values) and (values > 0).all() and is_wide(values):
                (ax.set_xscale if name == x else ax.set_yscale)("log")
        set_labels(ax, AXES.get(x, (x,))[0], AXES.get(y, (y,))[0])
        ax.legend(fontsize=LEGEND_SIZE)
    fig.suptitle(f"Pareto front: {len(front)} of {len(feasible)} feasible trials", fontsize=11)
    return fig


def importance_bars(importance: pd.DataFrame) -> Figure:
    """Each parameter's fANOVA importance (share of the objective's variance), one panel per objective."""
    objectives = list(dict.fromkeys(importance["objective"]))
    fig = new_figure(4.0 * len(objectives), 0.6 + 0.3 * importance["parameter"].nunique())
    axes = fig.subplots(1, len(objectives), squeeze=False)[0]
    for i, (ax, objective) in enumerate(zip(axes, objectives)):
        mine = importance[importance["objective"] == objective].sort_values("importance")
        style_axes(ax, grid_axis="x")
        ax.barh(mine["parameter"], mine["importance"], color=colour(i))
        set_labels(ax, "importance (share of variance)", None, objective)
    fig.suptitle("Which parameters matter (fANOVA, Optuna)", fontsize=11)
    return fig


def tornado(rows: pd.DataFrame) -> Figure:
    """One energy verdict's rows of ``sensitivity.csv``: for each energy figure, the factors it can be
    multiplied by, down and up, before the verdict flips (log axis; a bar to the edge: no flip within
    1/``TORNADO_LIMIT``..``TORNADO_LIMIT``). The most sensitive figures on top."""
    rows = rows.assign(distance=[_distance(d, u) for d, u in zip(rows["flip_factor_down"], rows["flip_factor_up"])])
    rows = rows.sort_values("distance").head(TORNADO_PARAMETERS).iloc[::-1]
    fig = new_figure(6.4, 0.8 + 0.32 * len(rows))
    ax = fig.subplots()
    style_axes(ax, grid_axis="x")
    low = [d if d > 1 / TORNADO_LIMIT else 1 / TORNADO_LIMIT for d in rows["flip_factor_down"].fillna(0)]
    high = [u if u < TORNADO_LIMIT else TORNADO_LIMIT for u in rows["flip_factor_up"].fillna(math.inf)]
    labels = list(rows["parameter"].str.replace("energy.", "", regex=False))
    ax.barh(labels, np.subtract(1, low), left=low, color=colour(0), label="figure lowered")
    ax.barh(labels, np.subtract(high, 1), left=1, color=colour(1), label="figure raised")
    ax.axvline(1, color="0.2", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlim(1 / TORNADO_LIMIT, TORNADO_LIMIT)
    first = rows.iloc[0]
    set_labels(ax, "factor on the figure at which the verdict flips (edge: no flip in range)", None,
               f"{first['verdict']}:\n{first['winner']} wins on energy by {100 * first['margin']:.3g}%")
    ax.legend(fontsize=LEGEND_SIZE, loc="lower right")
    return fig


def _distance(down: float, up: float) -> float:
    """How near 1 the nearest flip is, as |log factor| (inf: never)."""
    found = [abs(math.log(k)) for k in (down, up) if isinstance(k, float) and k > 0 and math.isfinite(k)]
    return min(found, default=math.inf)
