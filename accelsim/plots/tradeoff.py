"""The accuracy trade-off of a comparison (layer 7): accuracy against energy and latency per inference, one
row of panels per machine, with the Pareto front (``compare.csv`` as read by pandas -> a Figure)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from accelsim.errors import InputError
from accelsim.plots.common import (LEGEND_SIZE, MS_PER_S, PALETTE, PJ_PER_UJ, SUPTITLE_SIZE, family_text, is_wide,
                                   log_axis, mean_over_seeds, new_figure, require, set_labels, style_axes,
                                   unique_in_order, variant_label)
from accelsim.plots.labels import place_labels
from accelsim.plots.pareto import pareto_front


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
                log_axis(ax.xaxis, x)
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
    fig.draw_without_rendering()    # the final layout: labels go where the points will be drawn
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

