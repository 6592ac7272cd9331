"""The figures of a sweep (layer 7): energy per component and latency against sparsity, and the latency of each
layer of several runs side by side. Each takes report DataFrames (``totals.csv``, ``points.csv``, ``layers.csv``
as read by pandas) and returns a :class:`matplotlib.figure.Figure`; the accuracy trade-off of a comparison is
in :mod:`.tradeoff`, where the cycles go in :mod:`.stalls`.

They only draw: nothing here simulates or computes energy; pJ and seconds from the reports are shown in
uJ and ms (or us per layer). Rows that differ only in their seed are averaged.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from accelsim.errors import InputError
from accelsim.plots.common import (ANNOTATION_SIZE, LEGEND_SIZE, LINESTYLES, MARKERS, MS_PER_S, PJ_PER_UJ,
                                   SUPTITLE_SIZE, TICK_SIZE, US_PER_S, colour, component_colours, family_text,
                                   is_wide, log_axis, mean_over_seeds, new_figure, require, set_labels,
                                   sparsity_text, style_axes, unique_in_order, variant_label)


#: Energy columns that are sums, not components.
ENERGY_TOTALS = ("energy_pj", "energy_dynamic_pj", "energy_static_pj")


def energy_components(frame: pd.DataFrame) -> list[str]:
    """The dynamic energy components of a report (``energy_<component>_pj``), largest total first; a
    component that is zero or missing everywhere is left out."""
    names = [c for c in frame.columns if c.startswith("energy_") and c.endswith("_pj") and c not in ENERGY_TOTALS]
    totals = {c: float(frame[c].fillna(0).sum()) for c in names}
    ordered = sorted((c for c in names if totals[c] > 0), key=lambda c: -totals[c])
    return [c[len("energy_"):-len("_pj")] for c in ordered]


def component_name(component: str) -> str:
    """``dram`` -> ``DRAM``, ``weight_fifo`` -> ``weight FIFO``."""
    words = component.split("_")
    return " ".join(w.upper() if w in ("dram", "mac", "fifo", "sram", "noc", "rf") else w for w in words)


def _static_pj(frame: pd.DataFrame) -> pd.Series:
    if "energy_static_pj" in frame.columns:
        return frame["energy_static_pj"].fillna(0)
    static = [c for c in frame.columns if c.startswith("static_") and c.endswith("_pj")]
    return frame[static].fillna(0).sum(axis=1) if static else pd.Series(0.0, index=frame.index)


def energy_breakdown(totals: pd.DataFrame, *, by: str = "sparsity") -> Figure:
    """Energy per inference (uJ) by component, as stacked bars: the dynamic energy of each component, then
    static (leakage) energy as a hatched layer on top; each bar's total is printed above it.

    ``by="sparsity"``: one panel per model variant (rows) and hardware (columns), one bar per sparsity
    (a sweep's ``totals.csv``). ``by="variant"``: one panel per hardware, one bar per model variant and
    sparsity, labelled like ``0.5 dense`` or ``1.0 @ 90%`` (a comparison's ``compare.csv``).
    """
    if by not in ("sparsity", "variant"):
        raise InputError("unknown grouping of energy_breakdown", key="by", expected="sparsity | variant", got=by)
    require(totals, ("model", "hardware", "sparsity", "energy_pj"), "energy report")
    data = mean_over_seeds(totals, ["model", "hardware", "sparsity"])
    components = energy_components(data)
    colours = component_colours(components)
    hardware = unique_in_order(data["hardware"])
    if by == "sparsity":
        rows = unique_in_order(data["model"])
        panels = {(r, h): data[(data["model"] == r) & (data["hardware"] == h)].sort_values("sparsity")
                  for r in rows for h in hardware}
        tick_labels = lambda sub: [sparsity_text(s) for s in sub["sparsity"]]   # noqa: E731
        fig = new_figure(3.0 * len(hardware) + 2.0, 2.5 * len(rows) + 0.9)
        xlabel = "weight sparsity (% of weights pruned)"
    else:
        rows = [None]
        panels = {(None, h): data[data["hardware"] == h] for h in hardware}
        tick_labels = lambda sub: [variant_label(r) for _, r in sub.iterrows()]  # noqa: E731
        most = max(len(p) for p in panels.values())
        fig = new_figure(max(3.2, 0.42 * most + 1.2) * len(hardware) + 2.0, 4.2)
        xlabel = "model variant (option @ weight sparsity)"
    axes = fig.subplots(len(rows), len(hardware), squeeze=False)
    for i, r in enumerate(rows):
        peaks = [float(p["energy_pj"].max()) for (rr, _), p in panels.items() if rr == r and len(p)]
        share = not is_wide(peaks)
        for j, h in enumerate(hardware):
            ax, sub = axes[i, j], panels[(r, h)]
            if sub.empty:
                fig.delaxes(ax)
                continue
            if share and j and axes[i, 0] in fig.axes:
                ax.sharey(axes[i, 0])
            _stack_energy(ax, sub, components, colours)
            labels = tick_labels(sub)
            ax.set_xticks(np.arange(len(sub)), labels)
            if by == "variant" and len(sub) > 3:
                ax.tick_params(axis="x", labelrotation=40)
                for t in ax.get_xticklabels():
                    t.set_horizontalalignment("right")
                    t.set_rotation_mode("anchor")
            title = f"{r} on {h}" if r is not None else f"{family_text(sub)} on {h}"
            set_labels(ax, xlabel if i == len(rows) - 1 else None,
                       "energy per inference (µJ)" if j == 0 or not share else None, title)
    handles = [Patch(facecolor="white", edgecolor="0.3", hatch="////", label="static (leakage)")]
    handles += [Patch(facecolor=colours[c], label=component_name(c)) for c in reversed(components)]
    fig.legend(handles=handles, loc="outside right upper", fontsize=LEGEND_SIZE,
               title="component\n(top of stack first)", title_fontsize=LEGEND_SIZE, frameon=False)
    what = "weight sparsity" if by == "sparsity" else "model variant"
    fig.suptitle(f"Energy per inference by component vs {what}: {family_text(data)}", fontsize=SUPTITLE_SIZE)
    return fig


def _short_number(value: float) -> str:
    """A bar's total for its label: ``4233``, ``27.5``, ``0.912``."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _stack_energy(ax, sub: pd.DataFrame, components: list[str], colours: dict) -> None:
    x = np.arange(len(sub))
    bottom = np.zeros(len(sub))
    for c in components:                     # components come from the frame's own energy_<c>_pj columns
        values = sub[f"energy_{c}_pj"].fillna(0).to_numpy(float) / PJ_PER_UJ
        if not values.any():
            continue
        ax.bar(x, values, bottom=bottom, width=0.7, color=colours[c], label=component_name(c),
               edgecolor="white", linewidth=0.3)
        bottom += values
    static = _static_pj(sub).to_numpy(float) / PJ_PER_UJ
    ax.bar(x, static, bottom=bottom, width=0.7, facecolor="white", edgecolor="0.3", hatch="////",
           linewidth=0.4, label="static (leakage)")
    total = sub["energy_pj"].to_numpy(float) / PJ_PER_UJ
    for xi, top in zip(x, total):
        ax.annotate(_short_number(top), (xi, top), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=ANNOTATION_SIZE - 0.5, color="0.25")
    ax.margins(y=0.12)
    style_axes(ax)


def latency_vs_sparsity(totals: pd.DataFrame) -> Figure:
    """Latency per inference (ms) against weight sparsity (%): one line per hardware (colour) and model
    variant (marker and line style); the latency axis is logarithmic when it spans more than 10x."""
    require(totals, ("model", "hardware", "sparsity", "latency_s"), "latency report")
    data = mean_over_seeds(totals, ["model", "hardware", "sparsity"])
    hardware = unique_in_order(data["hardware"])
    models = unique_in_order(data["model"])
    fig = new_figure(8.2, 4.6)
    ax = fig.subplots()
    for i, h in enumerate(hardware):
        for j, m in enumerate(models):
            sub = data[(data["hardware"] == h) & (data["model"] == m)].sort_values("sparsity")
            if sub.empty:
                continue
            ax.plot(100 * sub["sparsity"], sub["latency_s"] * MS_PER_S, color=colour(i),
                    marker=MARKERS[j % len(MARKERS)], linestyle=LINESTYLES[j % len(LINESTYLES)],
                    markersize=5, linewidth=1.4, label=f"{m} on {h}")
    sparsities = sorted(set(100 * data["sparsity"]))
    ax.set_xticks(sparsities, [f"{s:g}" for s in sparsities])
    ax.set_xlim(min(sparsities) - 3, max(sparsities) + 3)
    if is_wide(data["latency_s"]):
        log_axis(ax.yaxis, data["latency_s"] * MS_PER_S)
        ylabel = "latency per inference (ms, log scale)"
    else:
        ax.set_ylim(bottom=0)
        ylabel = "latency per inference (ms)"
    style_axes(ax, grid_axis="both")
    set_labels(ax, "weight sparsity (%)", ylabel,
               f"Latency vs weight sparsity: {family_text(data)} on {', '.join(map(str, hardware))}")
    hw_handles = [Line2D([], [], color=colour(i), linewidth=2, label=str(h)) for i, h in enumerate(hardware)]
    model_handles = [Line2D([], [], color="0.35", marker=MARKERS[j % len(MARKERS)],
                            linestyle=LINESTYLES[j % len(LINESTYLES)], label=str(m)) for j, m in enumerate(models)]
    fig.legend(handles=hw_handles, loc="outside right upper", title="hardware", fontsize=LEGEND_SIZE,
               title_fontsize=LEGEND_SIZE, frameon=False)
    fig.legend(handles=model_handles, loc="outside right lower", title="model", fontsize=LEGEND_SIZE,
               title_fontsize=LEGEND_SIZE, frameon=False)
    return fig


def layer_latency(runs: Mapping[str, pd.DataFrame], *, title: str | None = None) -> Figure:
    """Latency of each layer (us) for one or more runs side by side (e.g. one model on dense and sparse
    hardware, or dense and pruned on one machine): horizontal bars, layers top to bottom in network
    order, each run's total latency in the legend. ``runs`` maps a legend label to a per-layer report
    (``layers.csv`` or one point's rows of ``points.csv``); the time axis is logarithmic when bars span
    more than 100x."""
    if not isinstance(runs, Mapping) or not runs:
        raise InputError("no runs to compare", key="runs", expected="a mapping: label -> per-layer DataFrame")
    tables = {}
    for label, frame in runs.items():
        require(frame, ("layer", "latency_s"), f"per-layer report {label!r}")
        tables[str(label)] = frame.groupby("layer", sort=False)["latency_s"].mean()
    layers = unique_in_order(layer for t in tables.values() for layer in t.index)
    n = len(tables)
    height = 0.8 / n
    per_layer = max(0.22, 0.075 * n + 0.08)
    fig = new_figure(8.0, per_layer * len(layers) + 1.6)
    ax = fig.subplots()
    positions = np.arange(len(layers))
    values = [t.reindex(layers).to_numpy(float) * US_PER_S for t in tables.values()]
    for k, (label, v) in enumerate(zip(tables, values)):
        total_ms = np.nansum(v) / 1e3
        ax.barh(positions - 0.4 + height * (k + 0.5), np.nan_to_num(v), height=height * 0.95, color=colour(k),
                label=f"{label} (total {total_ms:.3g} ms)")
    ax.set_yticks(positions, layers)
    ax.yaxis.set_inverted(True)
    ax.set_ylim(len(layers) - 0.5, -0.5)
    xlabel = "latency per layer (µs)"
    every = np.concatenate(values)
    if is_wide(every, 100):
        log_axis(ax.xaxis, every)
        xlabel = "latency per layer (µs, log scale)"
    style_axes(ax, grid_axis="x")
    ax.tick_params(axis="y", labelsize=TICK_SIZE - 0.5)
    set_labels(ax, xlabel, "layer (network order)")
    longest = max(len(text) for text in ax.get_legend_handles_labels()[1])
    fig.legend(loc="outside lower center", ncols=max(1, min(n, 100 // (longest + 6))), fontsize=LEGEND_SIZE,
               frameon=False)
    fig.suptitle(title or "Per-layer latency: " + " vs ".join(tables), fontsize=SUPTITLE_SIZE)
    return fig

