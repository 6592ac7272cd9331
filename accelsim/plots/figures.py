"""The figures (layer 7): each takes report DataFrames (``totals.csv``, ``points.csv``, ``layers.csv``,
``compare.csv`` as read by pandas) and returns a :class:`matplotlib.figure.Figure`.

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
from matplotlib.ticker import EngFormatter, FuncFormatter, LogLocator, PercentFormatter

from accelsim.errors import InputError
from accelsim.plots.common import (ANNOTATION_SIZE, LEGEND_SIZE, LINESTYLES, MARKERS, MS_PER_S, PALETTE,
                                   PJ_PER_UJ, SUPTITLE_SIZE, TICK_SIZE, US_PER_S, colour, component_colours,
                                   family_text, is_wide, mean_over_seeds, model_label, new_figure, require,
                                   set_labels, sparsity_text, style_axes, unique_in_order, variant_label)
from accelsim.plots.labels import place_labels
from accelsim.plots.pareto import pareto_front

#: Energy columns that are sums, not components.
ENERGY_TOTALS = ("energy_pj", "energy_dynamic_pj", "energy_static_pj")

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

#: The columns :func:`accuracy_tradeoff` needs (those of ``compare.csv``).
COMPARE_COLUMNS = ("model", "sparsity", "hardware", "kind", "accuracy", "accuracy_metric", "higher_is_better",
                   "energy_pj", "latency_s")

#: Axis labels of the accuracy metrics the paper reports (compare.csv ``accuracy_metric``).
METRIC_LABELS = {
    "top1": "top-1 accuracy (%)",
    "top5": "top-5 accuracy (%)",
    "perplexity": "perplexity (lower is better; axis inverted)",
    "bleu_en_de": "BLEU EN→DE (points)",
}
METRIC_NAMES = {"top1": "top-1 accuracy", "top5": "top-5 accuracy", "perplexity": "perplexity",
                "bleu_en_de": "BLEU (EN→DE)"}
KIND_STYLE = {
    "small-dense": {"marker": "s", "color": PALETTE[0], "label": "small-dense"},
    "large-sparse": {"marker": "o", "color": PALETTE[3], "label": "large-sparse"},
}


# --------------------------------------------------------------------------------------------------------
# 1. energy per component vs sparsity
# --------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------
# 2. latency vs sparsity
# --------------------------------------------------------------------------------------------------------

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
        _log_axis(ax.yaxis, data["latency_s"] * MS_PER_S)
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


def _log_axis(axis, values) -> None:
    """A log axis labelled with plain numbers: at 1, 2 and 5 x 10^k for up to three decades of ``values``,
    at 10^k beyond (no 10^-3 notation)."""
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x) and x > 0], dtype=float)
    decades = np.log10(v.max() / v.min()) if v.size else 0
    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 3 else (1.0,)))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.10g}"))
    axis.set_minor_formatter(FuncFormatter(lambda x, _: ""))


# --------------------------------------------------------------------------------------------------------
# 3. accuracy vs energy and latency, with the Pareto front
# --------------------------------------------------------------------------------------------------------

def accuracy_tradeoff(compare: pd.DataFrame) -> Figure:
    """Accuracy (as the paper reports it) against energy per inference (uJ, left) and latency (ms,
    right), one row of panels per hardware: small-dense models as squares, large-sparse ones as circles,
    each labelled (``0.5 dense``, ``1.0 @ 90%``). The Pareto front (no model cheaper *and* at least as
    accurate) is ringed and joined by a dashed staircase. For a lower-is-better metric (perplexity) the
    accuracy axis is inverted, so better is always up. One accuracy metric per figure.
    """
    require(compare, COMPARE_COLUMNS, "comparison (compare.csv)")
    metrics = unique_in_order(compare["accuracy_metric"])
    if len(metrics) != 1:
        raise InputError("one accuracy metric per figure", key="accuracy_metric",
                         expected="a single metric (plot each family apart)", got=metrics)
    metric = str(metrics[0])
    higher = _as_bool_set(compare["higher_is_better"])
    if len(higher) != 1:
        raise InputError("higher_is_better differs between rows of one metric", key="higher_is_better",
                         expected="one value", got=sorted(higher))
    higher_is_better = higher.pop()
    data = mean_over_seeds(compare, ["model", "hardware", "sparsity"])
    hardware = unique_in_order(data["hardware"])
    fig = new_figure(10.5, 3.4 * len(hardware) + 0.9)
    axes = fig.subplots(len(hardware), 2, squeeze=False, sharey=True)
    costs = (("energy_pj", 1 / PJ_PER_UJ, "energy per inference (µJ)"),
             ("latency_s", MS_PER_S, "latency per inference (ms)"))
    to_label = []                   # (axes, x, y, point labels, Pareto staircase): labelled once laid out
    for i, h in enumerate(hardware):
        sub = data[data["hardware"] == h].reset_index(drop=True)
        texts = [variant_label(r) for _, r in sub.iterrows()]
        for j, (column, scale, xlabel) in enumerate(costs):
            ax = axes[i, j]
            x = sub[column].to_numpy(float) * scale
            y = sub["accuracy"].to_numpy(float)
            steps = _tradeoff_panel(ax, sub, x, y, higher_is_better)
            to_label.append((ax, x, y, texts, steps))
            if is_wide(x):
                _log_axis(ax.xaxis, x)
                xlabel = xlabel.replace(")", ", log scale)")
            style_axes(ax, grid_axis="both")
            set_labels(ax, xlabel, METRIC_LABELS.get(metric, f"{metric} (as reported)") if j == 0 else None,
                       f"{family_text(sub)} on {h}")
            if not higher_is_better:
                ax.yaxis.set_inverted(True)
    handles = [Line2D([], [], linestyle="", markersize=7, markeredgecolor="white", markerfacecolor=s["color"],
                      marker=s["marker"], label=s["label"]) for s in KIND_STYLE.values()
               if s["label"] in set(data["kind"])]
    handles.append(Line2D([], [], color="0.3", linestyle="--", marker="o", markersize=11, markerfacecolor="none",
                          label="Pareto front (no other model is both cheaper and more accurate)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=LEGEND_SIZE, frameon=False)
    source = ""
    if "accuracy_source" in data.columns:
        source = " (accuracy: " + ", ".join(unique_in_order(data["accuracy_source"].astype(str))) + ")"
    fig.suptitle(f"Large-sparse vs small-dense: {METRIC_NAMES.get(metric, metric)} vs energy and latency per "
                 f"inference{source}", fontsize=SUPTITLE_SIZE)
    for ax in axes.flat:
        ax.margins(x=0.14, y=0.14)
    fig.canvas.draw()               # the final layout: labels go where the points will be drawn
    for ax, x, y, texts, steps in to_label:
        place_labels(ax, x, y, texts, avoid=steps)
    return fig


def _as_bool_set(values: pd.Series) -> set[bool]:
    out = set()
    for v in values:
        if isinstance(v, str):
            if v.strip().lower() not in ("true", "false", "1", "0"):
                raise InputError("not a boolean", key="higher_is_better", expected="True | False", got=v)
            out.add(v.strip().lower() in ("true", "1"))
        else:
            out.add(bool(v))
    return out


def _tradeoff_panel(ax, sub: pd.DataFrame, x: np.ndarray, y: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Draw one panel's points, its Pareto front ringed and the front's staircase; returns the staircase."""
    for kind in unique_in_order(sub["kind"]):
        style = KIND_STYLE.get(kind, {"marker": "^", "color": "0.4", "label": str(kind)})
        pick = (sub["kind"] == kind).to_numpy()
        ax.scatter(x[pick], y[pick], marker=style["marker"], color=style["color"], s=42, zorder=3,
                   edgecolors="white", linewidths=0.6, label=style["label"])
    front = pareto_front(x, y, higher_is_better=higher_is_better)
    steps = _front_steps(x, y, front, higher_is_better)
    ax.plot(steps[:, 0], steps[:, 1], color="0.3", linestyle="--", linewidth=1.0, zorder=2)
    ax.scatter(x[front], y[front], s=150, facecolors="none", edgecolors="0.2", linewidths=1.0, zorder=4)
    return steps


def _front_steps(x: np.ndarray, y: np.ndarray, front: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """The Pareto front (mask ``front``) as a staircase, cheapest first: each front point holds until the
    next is reached."""
    order = np.lexsort((-y[front] if higher_is_better else y[front], x[front]))
    fx, fy = x[front][order], y[front][order]
    return np.column_stack([np.repeat(fx, 2)[1:], np.repeat(fy, 2)[:-1]])


# --------------------------------------------------------------------------------------------------------
# 4. per-layer latency of several runs side by side
# --------------------------------------------------------------------------------------------------------

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
        _log_axis(ax.xaxis, every)
        xlabel = "latency per layer (µs, log scale)"
    style_axes(ax, grid_axis="x")
    ax.tick_params(axis="y", labelsize=TICK_SIZE - 0.5)
    set_labels(ax, xlabel, "layer (network order)")
    longest = max(len(text) for text in ax.get_legend_handles_labels()[1])
    fig.legend(loc="outside lower center", ncols=max(1, min(n, 100 // (longest + 6))), fontsize=LEGEND_SIZE,
               frameon=False)
    fig.suptitle(title or "Per-layer latency: " + " vs ".join(tables), fontsize=SUPTITLE_SIZE)
    return fig


# --------------------------------------------------------------------------------------------------------
# 5. where the cycles go
# --------------------------------------------------------------------------------------------------------

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

