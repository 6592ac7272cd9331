"""What every figure shares (layer 7): figure creation, fonts, colours, labels of model variants, unit
conversions for display, input checks and saving.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot, so no global figure registry); font
sizes are set on each artist rather than through global ``rcParams``, so nothing leaks into the caller's
matplotlib state.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from accelsim.atomic import replacing
from accelsim.errors import InputError
from accelsim.units import PJ_PER_J

#: Display units: reports hold pJ and s; figures show uJ per inference and ms (model) or us (layer).
PJ_PER_UJ = PJ_PER_J / 10**6
MS_PER_S = 10**3
US_PER_S = 10**6

TITLE_SIZE = 10
SUPTITLE_SIZE = 11
LABEL_SIZE = 9
TICK_SIZE = 8
LEGEND_SIZE = 8
ANNOTATION_SIZE = 7.5

#: Zoo options that tell the variants of one family apart (``accelsim sweep`` writes them as columns).
OPTION_COLUMNS = ("width", "size", "units")

#: A range of values wider than this factor is shown on a log axis.
LOG_RANGE = 10.0

#: Colour-blind-safe qualitative palette (Okabe & Ito 2008), then matplotlib's tab10 for more entries.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")

#: Metadata that would make two renderings of the same data differ (dates, versions) is left out.
_SAVE_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}
SAVE_DPI = 110


def new_figure(width_in: float, height_in: float) -> Figure:
    """A Figure (constrained layout) on its own Agg canvas: it belongs to no pyplot state."""
    fig = Figure(figsize=(width_in, height_in), dpi=SAVE_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax, *, grid_axis: str = "y") -> None:
    """Readable defaults on one axes: tick label size, a light grid behind the data, no top/right frame."""
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_axisbelow(True)
    if grid_axis:
        ax.grid(True, axis=grid_axis, color="0.88", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def set_labels(ax, xlabel: str | None = None, ylabel: str | None = None, title: str | None = None) -> None:
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    if title is not None:
        ax.set_title(title, fontsize=TITLE_SIZE)


def colour(i: int) -> str:
    if i < len(PALETTE):
        return PALETTE[i]
    return matplotlib.colormaps["tab10"](i % 10)


def component_colours(components: Sequence[str]) -> dict[str, object]:
    """A distinct colour per energy component (up to 20), stable for a given list."""
    cmap = matplotlib.colormaps["tab20"]
    order = list(range(0, 20, 2)) + list(range(1, 20, 2))     # strong shades first, then the light ones
    return {c: cmap(order[i % 20]) for i, c in enumerate(components)}


def require(frame: pd.DataFrame, columns: Iterable[str], what: str, source: object = None) -> None:
    """An InputError naming the first missing column, or the frame being empty."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame", file=source, got=type(frame).__name__)
    for column in columns:
        if column not in frame.columns:
            raise InputError(f"{what} has no column {column!r}", file=source, key=column,
                             expected="a report of accelsim simulate, sweep or compare")
    if frame.empty:
        raise InputError(f"{what} has no rows", file=source, expected="at least one result")


def option_text(row: pd.Series) -> str | None:
    """The zoo option that names a variant, as the paper writes it: width ``1.0``, size ``large``,
    units ``1024``; None if the row has no option column."""
    for column in OPTION_COLUMNS:
        value = row.get(column)
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if column == "width":
            text = f"{float(value):g}"
            return text if "." in text else text + ".0"
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
        return str(value)
    return None


def sparsity_text(sparsity: float) -> str:
    """``dense`` for 0, else the percentage (``90%``, ``97.5%``)."""
    return "dense" if not sparsity else f"{100 * float(sparsity):.4g}%"


def variant_label(row: pd.Series) -> str:
    """A short label of one model variant: ``0.5 dense``, ``1.0 @ 90%``, ``large @ 97.5%``."""
    name = option_text(row) or str(row["model"])
    sparsity = float(row["sparsity"])
    return f"{name} dense" if not sparsity else f"{name} @ {sparsity_text(sparsity)}"


def model_label(row: pd.Series) -> str:
    """The model and its sparsity, for titles: ``mobilenet_v1_1 @ 90%``, ``mobilenet_v1_0.5 (dense)``."""
    sparsity = float(row.get("sparsity", 0) or 0)
    return f"{row['model']} @ {sparsity_text(sparsity)}" if sparsity else f"{row['model']} (dense)"


def family_text(frame: pd.DataFrame) -> str:
    """The model family (or families) of a frame, for titles."""
    column = "family" if "family" in frame.columns else "model"
    return ", ".join(unique_in_order(frame[column].astype(str)))


def unique_in_order(values: Iterable) -> list:
    return list(dict.fromkeys(values))


def mean_over_seeds(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per ``keys`` (order of first appearance): numeric columns averaged over seeds, the first
    value of the others. Rows that differ only in ``seed`` (and ``point``) collapse into one."""
    if "seed" not in frame.columns or not frame.duplicated(list(keys)).any():
        return frame.reset_index(drop=True)
    numeric = [c for c in frame.columns if c not in keys and pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    others = [c for c in frame.columns if c not in keys and c not in numeric]
    grouped = frame.groupby(list(keys), sort=False, dropna=False)
    out = grouped[numeric].mean()
    if others:
        out = out.join(grouped[others].first())
    return out.reset_index()


def is_wide(values: Iterable[float], factor: float = LOG_RANGE) -> bool:
    """True if the positive finite values span more than ``factor`` (worth a log axis)."""
    v = np.asarray([x for x in values if np.isfinite(x) and x > 0], dtype=float)
    return v.size > 1 and v.max() / v.min() > factor


def save_figure(fig: Figure, stem: Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format, each through a temporary file and a rename (a
    reader never sees half a file). Output is reproducible: no dates or versions in the files."""
    stem = Path(stem)
    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        with replacing(target, what="figure") as tmp, open(tmp, "xb") as f, \
                matplotlib.rc_context({"svg.hashsalt": "accelsim", "svg.fonttype": "path"}):
            fig.savefig(f, format=fmt, dpi=SAVE_DPI, metadata=_SAVE_METADATA.get(fmt))
        written.append(target)
    return written


def log_axis(axis, values) -> None:
    """A log axis labelled with plain numbers: at 1, 2 and 5 x 10^k for up to three decades of ``values``,
    at 10^k beyond (no 10^-3 notation)."""
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x) and x > 0], dtype=float)
    decades = np.log10(v.max() / v.min()) if v.size else 0
    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 3 else (1.0,)))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.10g}"))
    axis.set_minor_formatter(FuncFormatter(lambda x, _: ""))
