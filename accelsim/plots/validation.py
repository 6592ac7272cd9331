"""Figures of the validation against the papers (layer 7; ``docs/validation.md``): simulated beside the
paper's value, per layer or per point."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from accelsim.plots.common import LEGEND_SIZE, TICK_SIZE, colour, new_figure, set_labels, style_axes

#: How figures name the paper's networks.
NETWORK_NAMES = {"alexnet": "AlexNet", "googlenet": "GoogLeNet", "vgg16": "VGG-16"}
#: (column, axis label) of the per-layer panels: SCNN's Figs 9 and 10.
LAYER_PANELS = (("speedup", "speedup over DCNN"), ("multiplier_utilisation", "multiplier utilisation"),
                ("barrier_idle_fraction", "fraction idle at barrier"))


def _paired_bars(ax, labels: Sequence[str], simulated: np.ndarray, paper: np.ndarray) -> None:
    x = np.arange(len(labels))
    ax.bar(x - 0.2, simulated, 0.4, color=colour(0), label="simulated")
    ax.bar(x + 0.2, paper, 0.4, color=colour(1), label="paper")
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=TICK_SIZE)
    style_axes(ax)


def scnn_layers_figure(table: pd.DataFrame) -> Figure:
    """SCNN's Figs 9-10 per layer (AlexNet) and inception module (GoogLeNet): one row of panels per column of
    :data:`LAYER_PANELS`, simulated beside the paper. ``table``: rows of
    :func:`accelsim.study.scnn_paper.with_paper` that have the paper's value."""
    bars = table[table.layer != "all"].dropna(subset=["paper_speedup"])
    labels = [f"{NETWORK_NAMES.get(n, n)} {layer}" for n, layer in zip(bars.network, bars.layer)]
    fig = new_figure(9.0, 7.5)
    axes = fig.subplots(len(LAYER_PANELS), 1, sharex=True)
    for ax, (column, label) in zip(axes, LAYER_PANELS):
        _paired_bars(ax, labels, bars[column].to_numpy(), bars[f"paper_{column}"].to_numpy())
        set_labels(ax, ylabel=label)
    axes[0].legend(fontsize=LEGEND_SIZE)
    set_labels(axes[0], title="SCNN vs the paper (Parashar et al., ISCA 2017, Figs 9-10)")
    return fig


def density_sweep_figure(sweep: pd.DataFrame, paper: pd.DataFrame) -> Figure:
    """SCNN's Fig. 8: latency relative to DCNN against density, simulated and paper (``density`` and
    ``scnn_latency`` columns in both)."""
    fig = new_figure(5.0, 3.6)
    ax = fig.subplots()
    ax.plot(sweep.density, sweep.scnn_latency, "o-", color=colour(0), label="simulated")
    ax.plot(paper.density, paper.scnn_latency, "s--", color=colour(1), label="paper")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    style_axes(ax, grid_axis="both")
    set_labels(ax, "weight density = activation density", "SCNN / DCNN latency",
               "GoogLeNet density sweep (paper Fig. 8)")
    ax.legend(fontsize=LEGEND_SIZE)
    return fig


def eie_efficiency_figure(simulated: pd.DataFrame, paper: pd.DataFrame) -> Figure:
    """EIE's Fig. 8: load-balance efficiency against FIFO depth per layer, simulated (solid) and paper
    (dashed). Both frames: one row per layer, one column per FIFO depth."""
    fig = new_figure(9.0, 5.0)
    axes = fig.subplots(3, 3, sharex=True, sharey=True).ravel()
    for ax, layer in zip(axes, paper.index):
        depths = np.asarray(paper.columns, dtype=float)
        ax.plot(depths, simulated.loc[layer].to_numpy(), "o-", color=colour(0), markersize=3, label="simulated")
        ax.plot(depths, paper.loc[layer].to_numpy(), "s--", color=colour(1), markersize=3, label="paper")
        ax.set_xscale("log", base=2)
        style_axes(ax, grid_axis="both")
        set_labels(ax, title=str(layer))
    axes[0].legend(fontsize=LEGEND_SIZE)
    for ax in axes[6:]:
        set_labels(ax, xlabel="FIFO depth")
    for ax in axes[::3]:
        set_labels(ax, ylabel="efficiency")
    return fig
