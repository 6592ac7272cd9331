"""Where the cycles go (layer 7): a cycle report (``layers.csv``, ``points.csv``, ``totals.csv`` rows) split
into disjoint causes, and the stacked-bar figure of them."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, PercentFormatter

from accelsim.errors import InputError
from accelsim.plots.common import (LEGEND_SIZE, SUPTITLE_SIZE, TICK_SIZE, family_text, mean_over_seeds, model_label,
                                   new_figure, require, set_labels, sparsity_text, style_axes, unique_in_order,
                                   variant_label)


#: Where the cycles go, bottom of the stack first: (name, legend label, colour).
STALL_SEGMENTS = (
    ("busy_no_conflict", "busy (without conflicts)", "#009E73"),
    ("stall_conflict_cycles_per_pe", "bank conflicts (part of busy)", "#CC79A7"),
    ("stall_memory_cycles_per_pe", "memory stall", "#0072B2"),
    ("stall_sram_cycles_per_pe", "SRAM bandwidth stall", "#56B4E9"),
    ("stall_imbalance_cycles_per_pe", "load imbalance", "#E69F00"),
    ("drain_cycles", "drain", "#999999"),
    ("unattributed", "unattributed", "#FFFFFF"),
)


STALL_COLUMNS = ("cycles", "busy_cycles_per_pe", "stall_memory_cycles_per_pe", "stall_sram_cycles_per_pe",
                 "stall_imbalance_cycles_per_pe", "stall_conflict_cycles_per_pe", "drain_cycles")


def stall_segments(frame: pd.DataFrame) -> pd.DataFrame:
    """Cycles split into disjoint causes that add up to ``cycles``: busy without conflicts, bank
    conflicts (reported as part of busy), memory stall, SRAM bandwidth stall, load imbalance, drain, and ``unattributed`` for
    whatever is left (kept only where it exceeds 0.5% of the cycles)."""
    require(frame, STALL_COLUMNS, "cycle report")
    out = pd.DataFrame(index=frame.index)
    out["busy_no_conflict"] = frame["busy_cycles_per_pe"] - frame["stall_conflict_cycles_per_pe"]
    for column in STALL_SEGMENTS[1:-1]:
        out[column[0]] = frame[column[0]]
    rest = frame["cycles"] - out.sum(axis=1)
    out["unattributed"] = rest.where(rest.abs() > 0.005 * frame["cycles"], 0.0)
    return out.fillna(0.0)


def stall_breakdown(frame: pd.DataFrame, *, by: str = "layer", normalize: bool = False,
                    title: str | None = None) -> Figure:
    """Where the cycles go, as stacked horizontal bars: busy (without bank conflicts), bank conflicts (the
    part of busy lost to them), memory stalls, load imbalance and drain.

    ``by="layer"``: one bar per layer of one run (``layers.csv``, or one point of ``points.csv``).
    ``by="config"``: one panel per hardware, one bar per model variant and sparsity (``totals.csv``).
    ``normalize`` shows each bar as shares of its cycles (%) instead of cycles.
    """
    if by not in ("layer", "config"):
        raise InputError("unknown grouping of stall_breakdown", key="by", expected="layer | config", got=by)
    require(frame, STALL_COLUMNS, "cycle report")
    if by == "layer":
        require(frame, ("layer",), "per-layer cycle report")
        if "point" in frame.columns and frame["point"].nunique() > 1:
            raise InputError("per-layer stall breakdown needs one run", key="point",
                             expected="the rows of one point", got=f"{frame['point'].nunique()} points")
        groups = {None: frame.reset_index(drop=True)}
        labels = {None: list(frame["layer"].astype(str))}
    else:
        require(frame, ("model", "hardware", "sparsity"), "cycle report")
        data = mean_over_seeds(frame, ["model", "hardware", "sparsity"])
        groups = {h: data[data["hardware"] == h].reset_index(drop=True) for h in unique_in_order(data["hardware"])}
        labels = {h: [_config_label(r, data) for _, r in g.iterrows()] for h, g in groups.items()}
    tallest = max(len(g) for g in groups.values())
    fig = new_figure(max(7.0, 4.6 * len(groups) + 1.0), max(0.24 * tallest, 2.0) + 1.7)
    share = len(groups) > 1 and all(labels[h] == next(iter(labels.values())) for h in groups)
    axes = fig.subplots(1, len(groups), squeeze=False, sharey=share)[0]
    used = set()
    for ax, (h, group) in zip(axes, groups.items()):
        segments = stall_segments(group)
        total = group["cycles"].to_numpy(float)
        left = np.zeros(len(group))
        positions = np.arange(len(group))
        for name, legend, face in STALL_SEGMENTS:
            v = segments[name].to_numpy(float)
            if normalize:
                v = np.divide(100 * v, total, out=np.zeros_like(v), where=total > 0)
            if not v.any():
                continue
            used.add(name)
            ax.barh(positions, v, left=left, height=0.75, color=face, edgecolor="0.3" if name == "unattributed"
                    else "white", linewidth=0.3, label=legend)
            left += v
        ax.set_yticks(positions, labels[h])
        ax.set_ylim(len(group) - 0.5, -0.5)
        if normalize:
            ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
            ax.set_xlim(0, 100)
            xlabel = "share of the cycles (%)"
        else:
            ax.xaxis.set_major_formatter(EngFormatter(sep=" "))
            xlabel = "time (clock cycles)"
        style_axes(ax, grid_axis="x")
        ax.tick_params(axis="y", labelsize=TICK_SIZE - (0.5 if by == "layer" else 0))
        if by == "layer":
            set_labels(ax, xlabel, "layer (network order)")
        else:
            set_labels(ax, xlabel, "model variant @ weight sparsity" if ax is axes[0] else None,
                       f"{family_text(group)} on {h}")
    handles = [Patch(facecolor=face, edgecolor="0.3" if name == "unattributed" else "none", label=legend)
               for name, legend, face in STALL_SEGMENTS if name in used]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles) if len(groups) > 1 else 3,
               fontsize=LEGEND_SIZE, frameon=False)
    if title is None:
        if by == "layer":
            first = frame.iloc[0]
            who = f": {model_label(first)} on {first['hardware']}" if {"model", "hardware"} <= set(frame.columns) \
                else ""
            title = f"Where the cycles go, per layer{who}"
        else:
            title = f"Where the cycles go, per configuration: {family_text(frame)}"
    fig.suptitle(title, fontsize=SUPTITLE_SIZE)
    return fig


def _config_label(row: pd.Series, data: pd.DataFrame) -> str:
    """A variant's label; with several families in one frame, prefixed by the model name."""
    if "family" in data.columns and data["family"].nunique() > 1:
        return f"{row['model']} {sparsity_text(row['sparsity'])}"
    return variant_label(row)

