"""Figures of training runs with automated gradual pruning and of the large-sparse vs small-dense comparison
(layer 7): matplotlib figures from DataFrames only, no pyplot state (each function returns a new
:class:`matplotlib.figure.Figure`; save it with ``fig.savefig(path)``).

* :func:`agp_schedule_figure`: the paper's Figure 2 for one run, from its log (``log.csv`` of
  :func:`accelsim.training.save_run`, or ``pd.DataFrame(result.log)``).
* :func:`train_compare_figure`: accuracy against NNZ, and against energy and latency on each machine, from
  the summary table of :func:`accelsim.study.training.train_compare` (``summary.csv``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from accelsim.errors import InputError
from accelsim.plots.common import PJ_PER_UJ, US_PER_S, is_wide, unique_in_order

LOG_COLUMNS = ("step", "lr", "target_sparsity", "sparsity", "test_accuracy")
SUMMARY_COLUMNS = ("budget", "kind", "hardware", "nnz", "test_accuracy_mean", "test_accuracy_std",
                   "energy_pj_mean", "energy_pj_std", "latency_s_mean", "latency_s_std")
KIND_STYLE = {"large-sparse": dict(color="tab:blue", marker="o"),
              "small-dense": dict(color="tab:orange", marker="s")}
#: the large models pruned with a structure ("large-2:4", "large-block:4", "large-channel"), by its kind
STRUCTURED_STYLE = {"nm": dict(color="tab:green", marker="^"), "block": dict(color="tab:purple", marker="D"),
                    "channel": dict(color="tab:brown", marker="v")}
_LR_COLOR = "tab:red"
_SHADE = dict(color="0.85", alpha=0.6, lw=0)


def agp_schedule_figure(log: pd.DataFrame, *, title: str | None = None,
                        pruning: tuple[int, int] | None = None) -> Figure:
    """The paper's Figure 2 for one training run.

    Top panel: the AGP sparsity schedule against the training step, eq. (1)'s target (``target_sparsity``)
    and the sparsity the masks reached (``sparsity``, all weight matrices), in %, with the learning rate
    (``lr``) on a second y axis; a second x axis on top counts epochs (from ``epoch``, if present). Bottom
    panel: test accuracy (and training accuracy, if logged) at the end of each epoch, in %. The steps from
    the first pruning to the last mask update are shaded in both panels.

    ``log`` needs the columns ``step``, ``lr``, ``target_sparsity``, ``sparsity``, ``test_accuracy``
    (NaN where not evaluated); a missing column is an :class:`InputError`. ``pruning``: (first, last) mask
    update step to shade, e.g. ``(t0, t0 + n*dt)``; without it the steps from the first non-zero sparsity
    to its last change are shaded (an update to s_i = 0 at t0 leaves no trace in the log).
    """
    _require(log, LOG_COLUMNS, "log")
    if log.empty:
        raise InputError("empty training log", key="log", expected="one row per training step", got=0)
    log = log.sort_values("step")
    step = log["step"].to_numpy()
    fig = Figure(figsize=(8.0, 6.4), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1.0, 1.0))

    if pruning is not None:
        window, what = (float(pruning[0]), float(pruning[1])), "pruning: first to last mask update"
    else:
        window, what = _pruning_window(log), "pruning: sparsity rising"
    for ax in (top, bottom):
        if window is not None:
            ax.axvspan(*window, **_SHADE, label=what if ax is top else None)
        ax.grid(True, lw=0.4, alpha=0.5)

    top.plot(step, 100 * log["target_sparsity"], color="0.55", lw=4.0, alpha=0.6, drawstyle="steps-post",
             label="target sparsity (AGP, eq. 1)")
    top.plot(step, 100 * log["sparsity"], color="black", lw=1.2, drawstyle="steps-post",
             label="achieved sparsity (all weights)")
    top.set_ylabel("sparsity (%)")
    top.set_ylim(-3, 103)
    lr_ax = top.twinx()
    lr_ax.plot(step, log["lr"], color=_LR_COLOR, lw=1.2, ls="--", label="learning rate")
    lr_ax.set_ylabel("learning rate", color=_LR_COLOR)
    lr_ax.tick_params(axis="y", colors=_LR_COLOR)
    lr_ax.set_ylim(bottom=0, top=1.08 * max(float(log["lr"].max()), 1e-12))
    handles, labels = top.get_legend_handles_labels()
    more_handles, more_labels = lr_ax.get_legend_handles_labels()
    top.legend(handles + more_handles, labels + more_labels, loc="center right", fontsize="small",
               framealpha=0.9)
    top.set_title("(a) sparsity schedule and learning rate", fontsize="medium", loc="left")
    if "epoch" in log.columns:
        per_epoch = len(log) / (int(log["epoch"].max()) + 1)
        epochs = top.secondary_xaxis("top", functions=(lambda s: s / per_epoch, lambda e: e * per_epoch))
        epochs.set_xlabel("epochs completed")

    evaluated = log.dropna(subset=["test_accuracy"])
    if "train_accuracy" in log.columns:
        bottom.plot(evaluated["step"], 100 * evaluated["train_accuracy"], color="tab:green", lw=1.0,
                    marker=".", ms=4, alpha=0.8, label="training accuracy")
    bottom.plot(evaluated["step"], 100 * evaluated["test_accuracy"], color="tab:blue", lw=1.4, marker=".",
                ms=5, label="test accuracy")
    if len(evaluated):
        final = float(evaluated["test_accuracy"].iloc[-1])
        bottom.annotate(f"final test {100 * final:.1f} %", xy=(evaluated["step"].iloc[-1], 100 * final),
                        xytext=(-6, -14), textcoords="offset points", ha="right", fontsize="small")
    bottom.set_ylabel("accuracy (%)")
    bottom.set_xlabel("training step (optimizer updates)")
    bottom.set_xlim(step[0], step[-1])
    bottom.legend(loc="lower right", fontsize="small", framealpha=0.9)
    bottom.set_title("(b) accuracy at the end of each epoch", fontsize="medium", loc="left")
    if title:
        fig.suptitle(title)
    return fig


def train_compare_figure(summary: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Large-sparse (AGP) vs small-dense models of equal NNZ.

    Top: test accuracy (mean, error bars +- one standard deviation over seeds) against NNZ (weights kept),
    one line per kind. Below, one row per machine (``hardware``): accuracy against energy per inference
    (uJ) and against latency per inference (us), error bars in both directions. Large-sparse points (and
    those of large models pruned with a structure, one line per structure) are labelled with their budget,
    small-dense ones with their hidden widths; a dotted grey line joins the large-sparse and small-dense
    models of each NNZ budget. Axes spanning more than a factor of 30 are logarithmic.

    ``summary``: one row per (budget, kind, hardware) with the columns of :data:`SUMMARY_COLUMNS` (what
    :func:`accelsim.study.training.summarise` returns and ``train_compare`` writes to ``summary.csv``;
    optional ``hidden``, used in the labels). A missing column is an :class:`InputError`.
    """
    _require(summary, SUMMARY_COLUMNS, "summary")
    if summary.empty:
        raise InputError("empty comparison table", key="summary", expected="one row per budget, kind and "
                         "hardware", got=0)
    machines = unique_in_order(summary["hardware"])
    fig = Figure(figsize=(10.0, 3.3 * (1 + len(machines)) + 0.8), layout="constrained")
    grid = fig.add_gridspec(1 + len(machines), 2)
    nnz_ax = fig.add_subplot(grid[0, :])
    one_machine = summary[summary["hardware"] == machines[0]]
    _pair_panel(nnz_ax, one_machine, "nnz", None, scale=1.0)
    nnz_ax.set_xlabel("NNZ (non-zero weights, biases excluded)")
    nnz_ax.set_title("test accuracy vs number of non-zero weights", fontsize="medium", loc="left")
    for row, machine in enumerate(machines, start=1):
        on_machine = summary[summary["hardware"] == machine]
        for col, (column, scale, label) in enumerate((("energy_pj", 1 / PJ_PER_UJ, "energy per inference (\u00b5J)"),
                                                      ("latency_s", US_PER_S, "latency per inference (\u00b5s)"))):
            ax = fig.add_subplot(grid[row, col])
            _pair_panel(ax, on_machine, f"{column}_mean", f"{column}_std", scale=scale)
            ax.set_xlabel(label)
            ax.set_title(f"{machine}: accuracy vs {label.split(' ')[0]}", fontsize="medium", loc="left")
    nnz_ax.legend(loc="lower right", fontsize="small", framealpha=0.9)
    fig.suptitle(title or "Large-sparse (AGP) vs small-dense at equal NNZ", fontsize="medium")
    return fig


# --- internals -------------------------------------------------------------------------------------------

def _require(frame: pd.DataFrame, columns: Sequence[str], key: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputError("not a table", key=key, expected="a pandas DataFrame", got=type(frame).__name__)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError("table lacks columns", key=key, expected=", ".join(columns),
                         got=f"missing {', '.join(missing)}")


def _pruning_window(log: pd.DataFrame) -> tuple[float, float] | None:
    """(first step with a non-zero sparsity, last step at which the sparsity changed), or None (dense)."""
    sparsity = log["sparsity"].to_numpy()
    pruned = np.flatnonzero(sparsity > 0)
    if not len(pruned):
        return None
    changes = np.flatnonzero(np.diff(sparsity) != 0) + 1
    step = log["step"].to_numpy()
    return float(step[pruned[0]]), float(step[changes[-1]] if len(changes) else step[pruned[0]])


def _pair_panel(ax: Axes, rows: pd.DataFrame, x_column: str, x_std: str | None, *, scale: float) -> None:
    """Accuracy (%) against ``x_column`` x ``scale``: a line per kind over budgets, error bars, labels."""
    rows = rows.sort_values(["kind", "budget"])
    points: dict[tuple[float, str], tuple[float, float]] = {}
    for kind, group in rows.groupby("kind", sort=False):
        style = _style(kind)
        x = group[x_column].to_numpy(dtype=float) * scale
        y = 100 * group["test_accuracy_mean"].to_numpy(dtype=float)
        yerr = 100 * group["test_accuracy_std"].fillna(0.0).to_numpy(dtype=float)
        xerr = group[x_std].fillna(0.0).to_numpy(dtype=float) * scale if x_std else None
        ax.errorbar(x, y, yerr=yerr, xerr=xerr, color=style["color"], marker=style["marker"], ms=6, lw=1.2,
                    capsize=3, label=_kind_label(kind, group))
        below = kind == "small-dense"
        for (_, item), xi, yi in zip(group.iterrows(), x, y):
            points[(float(item["budget"]), kind)] = (xi, yi)
            text = (f"h {item['hidden']}" if below and "hidden" in group.columns
                    else f"{100 * item['budget']:g} %")
            ax.annotate(text, (xi, yi), xytext=(6, -11 if below else 5), textcoords="offset points",
                        fontsize="x-small", color=style["color"])
    for budget in sorted({b for b, _ in points}):
        pair = [points[(budget, k)] for k in KIND_STYLE if (budget, k) in points]
        if len(pair) == 2:
            (x0, y0), (x1, y1) = pair
            ax.plot([x0, x1], [y0, y1], color="0.6", lw=0.8, ls=":", zorder=0)
    ax.set_ylabel("test accuracy (%)")
    ax.grid(True, lw=0.4, alpha=0.5)
    if is_wide(rows[x_column].to_numpy(dtype=float) * scale, factor=30):
        ax.set_xscale("log")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.margins(x=0.15, y=0.15)


def _style(kind: str) -> dict:
    """Colour and marker of a kind: KIND_STYLE's, a structured large model's by its structure, else grey."""
    if kind in KIND_STYLE:
        return KIND_STYLE[kind]
    shape = kind.removeprefix("large-")
    family = "nm" if shape[:1].isdigit() else shape.split(":")[0]
    return STRUCTURED_STYLE.get(family, dict(color="tab:gray", marker="x"))


def _kind_label(kind: str, group: pd.DataFrame) -> str:
    if kind == "large-sparse" and "hidden" in group.columns:
        return f"large-sparse (hidden {group['hidden'].iloc[0]}, AGP; labels: sparsity)"
    if kind == "small-dense" and "hidden" in group.columns:
        return "small-dense, same NNZ (labels: hidden widths)"
    return kind
