"""Figures of a results directory (layer 7): find out what a directory holds, draw every figure that
applies, write each as PNG and SVG into ``DIR/figures/``.

What is recognised (checked in this order; a comparison is also a sweep):

* an exploration (``accelsim explore``): ``trials.csv``, ``front.csv``, ``importance.csv``;
* a comparison (``accelsim compare``): ``compare.csv``, beside ``totals.csv`` and ``points.csv``;
* with either, a sensitivity table (``accelsim sensitivity``): ``sensitivity.csv``, as tornado figures;
* a sweep (``accelsim sweep``): ``totals.csv`` and, for the per-layer figures, ``points.csv``;
* one simulation (``accelsim simulate --out``): ``layers.csv`` and ``summary.json``;
* a folder of simulations: sub-folders that each hold ``layers.csv`` (e.g. one model on several machines).

Only ``DIR/figures/`` is written to; figures there are replaced by newer ones of the same name, nothing
else is touched.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from accelsim.errors import InputError, OutputError
from accelsim.plots.common import model_label, require, save_figure, sparsity_text, unique_in_order
from accelsim.plots.explore import front_projections, importance_bars, tornado
from accelsim.plots.figures import energy_breakdown, latency_vs_sparsity, layer_latency
from accelsim.plots.stalls import STALL_COLUMNS, stall_breakdown
from accelsim.plots.tradeoff import COMPARE_COLUMNS, accuracy_tradeoff

FIGURES_DIR = "figures"
MAX_TORNADOES = 8
FORMATS = ("png", "svg")
KNOWN_FORMATS = ("png", "svg", "pdf")
EXPECTED = "a results directory with compare.csv, totals.csv (sweep) or layers.csv (simulate)"

#: A figure to write: (file name without extension, a function that draws it).
Job = tuple[str, Callable[[], Figure]]


def plot_directory(path: str | Path, *, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Draw every figure that applies to the results in ``path`` and write each in every format (PNG and
    SVG by default) into ``path/figures/``; returns the files written, in order.

    Raises :class:`~accelsim.errors.InputError` (key ``DIR``) if ``path`` does not exist, is not a
    directory, or holds no results (key ``--format`` for a format other than png, svg, pdf);
    :class:`~accelsim.errors.OutputError` if ``path/figures`` cannot be written.
    """
    jobs, out = plan(path, formats)
    return [file for job in jobs for file in draw_job(job, out, formats)]


def draw_job(job: Job, out: Path, formats: Sequence[str]) -> list[Path]:
    """Draw one figure of a :func:`plan` and write it into ``out`` in every format; the files written."""
    stem, draw = job
    return save_figure(draw(), out / stem, formats)


def plan(path: str | Path, formats: Sequence[str]) -> tuple[list[Job], Path]:
    """The figures of ``path`` (:func:`figure_jobs`) and the folder they go to (made), every input checked
    (the errors of :func:`plot_directory`)."""
    root = Path(path)
    unknown = [fmt for fmt in formats if fmt not in KNOWN_FORMATS]
    if unknown or not formats:
        raise InputError("unknown figure format", key="--format", expected=f"some of {', '.join(KNOWN_FORMATS)}",
                         got=unknown[0] if unknown else "nothing")
    if not root.exists():
        raise InputError("results directory not found", file=root, key="DIR", expected=EXPECTED)
    if not root.is_dir():
        raise InputError("not a directory", file=root, key="DIR", expected=EXPECTED)
    jobs = figure_jobs(root)
    if not jobs:
        raise InputError("no results to plot", file=root, key="DIR", expected=EXPECTED)
    return jobs, _figures_folder(root)


def figure_jobs(root: Path) -> list[Job]:
    """The figures that apply to the results in ``root`` (read and checked here; drawn later)."""
    if (root / "trials.csv").is_file():
        return _explore_jobs(root) + _tornado_jobs(root)
    if (root / "compare.csv").is_file():
        return _compare_jobs(root) + _tornado_jobs(root)
    if (root / "totals.csv").is_file():
        return _sweep_jobs(root)
    if (root / "layers.csv").is_file():
        return _simulate_jobs(root)
    runs = sorted(d for d in root.iterdir() if d.is_dir() and (d / "layers.csv").is_file())
    return _runs_jobs(runs) if runs else []


# --------------------------------------------------------------------------------------------------------

def _compare_jobs(root: Path) -> list[Job]:
    table = _read(root / "compare.csv")
    if table is None:
        return []
    require(table, COMPARE_COLUMNS, "comparison", source=root / "compare.csv")
    jobs: list[Job] = []
    metrics = unique_in_order(table["accuracy_metric"])
    for metric in metrics:
        rows = table[table["accuracy_metric"] == metric]
        stem = "accuracy_vs_cost" if len(metrics) == 1 else f"accuracy_vs_cost_{_slug(metric)}"
        jobs.append((stem, lambda rows=rows: accuracy_tradeoff(rows)))
    jobs.append(("energy_by_variant", lambda: energy_breakdown(table, by="variant")))
    if _has_stalls(table):
        jobs.append(("stalls_by_config", lambda: stall_breakdown(table, by="config")))
    jobs += _layer_jobs(root, table)
    return jobs


def _explore_jobs(root: Path) -> list[Job]:
    """An exploration: the front in 2-D projections of its objectives, and each parameter's importance."""
    trials = _read(root / "trials.csv")
    if trials is None:
        return []
    require(trials, ("trial", "state"), "explored trials", source=root / "trials.csv")
    explored = json.loads((root / "explore.json").read_text(encoding="utf-8")) \
        if (root / "explore.json").is_file() else {}
    objectives = {"latency": "latency_s", "energy": "energy_pj", "area": "area_mm2", "accuracy": "accuracy"}
    columns = [objectives[o] for o in explored.get("objectives", ("energy", "latency")) if objectives[o] in trials]
    front = _read(root / "front.csv") if (root / "front.csv").is_file() else None
    jobs: list[Job] = []
    if front is not None and columns:
        jobs.append(("explore_front", lambda: front_projections(trials, front, columns)))
    importance = _read(root / "importance.csv") if (root / "importance.csv").is_file() else None
    if importance is not None:
        jobs.append(("explore_importance", lambda: importance_bars(importance)))
    return jobs


def _tornado_jobs(root: Path) -> list[Job]:
    """A sensitivity table (``accelsim sensitivity``): one tornado figure per energy verdict, the
    :data:`MAX_TORNADOES` most fragile ones (nearest flip first)."""
    table = _read(root / "sensitivity.csv") if (root / "sensitivity.csv").is_file() else None
    if table is None:
        return []
    require(table, ("verdict", "objective", "parameter", "flip_factor_down", "flip_factor_up", "margin"),
            "sensitivity table", source=root / "sensitivity.csv")
    energy = table[table["objective"] == "energy"]
    margins = energy.drop_duplicates("verdict").set_index("verdict")["margin"]
    verdicts = sorted(unique_in_order(energy["verdict"]), key=lambda v: margins[v])
    return [(f"sensitivity_{n}", lambda rows=energy[energy["verdict"] == v]: tornado(rows))
            for n, v in enumerate(verdicts[:MAX_TORNADOES], start=1)]


def _sweep_jobs(root: Path) -> list[Job]:
    totals = _read(root / "totals.csv")
    if totals is None:
        return []
    require(totals, ("model", "sparsity", "hardware", "energy_pj", "latency_s"), "sweep totals",
            source=root / "totals.csv")
    jobs: list[Job] = [("energy_vs_sparsity", lambda: energy_breakdown(totals, by="sparsity")),
                       ("latency_vs_sparsity", lambda: latency_vs_sparsity(totals))]
    if _has_stalls(totals):
        jobs.append(("stalls_by_config", lambda: stall_breakdown(totals, by="config")))
    return jobs + _layer_jobs(root, totals)


def _layer_jobs(root: Path, totals: pd.DataFrame) -> list[Job]:
    """Per-layer figures from ``points.csv``: the latency of each layer on every machine side by side, for
    every variant of a comparison, or for each model of a sweep at its highest sparsity (a sweep on one
    machine: its lowest vs highest sparsity); and, for the model with the most MACs at its highest sparsity,
    where each layer's cycles go on each machine."""
    layers = _read(root / "points.csv") if (root / "points.csv").is_file() else None
    if layers is None:
        return []
    require(layers, ("point", "model", "sparsity", "hardware", "layer", "latency_s"), "per-layer results",
            source=root / "points.csv")
    if "point" in totals.columns:                    # a comparison: only the points it compares
        layers = layers[layers["point"].isin(set(totals["point"]))]
    if "seed" in layers.columns:                     # per-layer figures show the first seed of each point
        layers = layers[layers["seed"] == layers["seed"].iloc[0]]
    hardware = unique_in_order(totals["hardware"])
    latency = _variant_latency_jobs if "kind" in totals.columns else _model_latency_jobs
    jobs = latency(layers, totals, hardware)
    if _has_stalls(layers):
        biggest = _biggest_model(totals)
        mine = layers[layers["model"] == biggest]
        top = mine["sparsity"].max()
        for h in hardware:
            run = mine[(mine["hardware"] == h) & (mine["sparsity"] == top)]
            if not run.empty:
                stem = f"stalls_by_layer_{_slug(biggest)}_s{_percent(top)}_{_slug(h)}"
                jobs.append((stem, lambda run=run: stall_breakdown(run, by="layer")))
    return jobs


def _variant_latency_jobs(layers: pd.DataFrame, totals: pd.DataFrame, hardware: list) -> list[Job]:
    """A comparison: one per-layer latency figure per variant (model and sparsity), its machines side by side."""
    jobs: list[Job] = []
    for model, sparsity in dict.fromkeys(zip(totals["model"], totals["sparsity"])):
        mine = layers[(layers["model"] == model) & (layers["sparsity"] == sparsity)]
        runs = {str(h): mine[mine["hardware"] == h] for h in hardware}
        runs = {h: r for h, r in runs.items() if not r.empty}
        if runs:
            title = f"Per-layer latency: {model} @ {sparsity_text(sparsity)} on {' vs '.join(runs)}"
            stem = f"layer_latency_{_slug(model)}_s{_percent(sparsity)}"
            jobs.append((stem, lambda runs=runs, title=title: layer_latency(runs, title=title)))
    return jobs


def _model_latency_jobs(layers: pd.DataFrame, totals: pd.DataFrame, hardware: list) -> list[Job]:
    """A sweep: per model at its highest sparsity, its machines side by side (one machine: its lowest vs
    highest sparsity)."""
    jobs: list[Job] = []
    for model in unique_in_order(totals["model"]):
        mine = layers[layers["model"] == model]
        if mine.empty:
            continue
        top = mine["sparsity"].max()
        if len(hardware) > 1:
            runs = {str(h): mine[(mine["hardware"] == h) & (mine["sparsity"] == top)] for h in hardware}
            runs = {h: r for h, r in runs.items() if not r.empty}
            title = f"Per-layer latency: {model} @ {sparsity_text(top)} on {' vs '.join(runs)}"
        else:
            low = mine["sparsity"].min()
            runs = {f"{sparsity_text(s)}": mine[mine["sparsity"] == s] for s in dict.fromkeys((low, top))}
            title = f"Per-layer latency: {model}, {' vs '.join(runs)}, on {hardware[0]}"
        if len(runs) > 1:
            stem = f"layer_latency_{_slug(model)}_s{_percent(top)}"
            jobs.append((stem, lambda runs=runs, title=title: layer_latency(runs, title=title)))
    return jobs


def _simulate_jobs(root: Path) -> list[Job]:
    layers = _read(root / "layers.csv")
    if layers is None:
        return []
    require(layers, ("layer", "latency_s"), "per-layer results", source=root / "layers.csv")
    if not _has_stalls(layers):
        return []
    title = f"Where the cycles go, per layer: {_run_label(root)}"
    return [("stalls_by_layer", lambda: stall_breakdown(layers, by="layer", title=title))]


def _runs_jobs(folders: list[Path]) -> list[Job]:
    """Sub-folders that each hold one simulation: their per-layer latencies side by side, and each one's
    stall breakdown."""
    tables = {}
    for folder in folders:
        frame = _read(folder / "layers.csv")
        if frame is not None:
            require(frame, ("layer", "latency_s"), "per-layer results", source=folder / "layers.csv")
            tables[folder] = frame
    jobs: list[Job] = []
    if len(tables) > 1:
        who = {folder: _run_identity(folder) for folder in tables}
        models = {w[0] for w in who.values()}
        machines = {w[1] for w in who.values()}
        if len(models) == 1 and None not in models:              # one model on several machines
            labels = {f: str(w[1]) for f, w in who.items()}
            title = f"Per-layer latency: {models.pop()} on {' vs '.join(labels.values())}"
        elif len(machines) == 1 and None not in machines:        # several models (or sparsities) on one
            labels = {f: str(w[0]) for f, w in who.items()}
            title = f"Per-layer latency on {machines.pop()}: {' vs '.join(labels.values())}"
        else:
            labels = {f: _run_label(f) for f in tables}
            title = "Per-layer latency: " + " vs ".join(labels.values())
        if len(set(labels.values())) < len(labels):
            labels = {f: f"{f.name}: {label}" for f, label in labels.items()}
        runs = {labels[f]: t for f, t in tables.items()}
        jobs.append(("layer_latency", lambda runs=runs, title=title: layer_latency(runs, title=title)))
    for folder, frame in tables.items():
        if _has_stalls(frame):
            title = f"Where the cycles go, per layer: {_run_label(folder)}"
            jobs.append((f"stalls_by_layer_{_slug(folder.name)}",
                         lambda frame=frame, title=title: stall_breakdown(frame, by="layer", title=title)))
    return jobs


# --------------------------------------------------------------------------------------------------------

#: Column names (endings) of numbers in accelsim's reports: a text cell in one (a hand edit) is refused.
NUMERIC_COLUMNS = ("_s", "cycles", "_pj", "bytes", "macs", "_mb", "sparsity", "utilization")
REBUILD = "a complete CSV report (re-running the command that wrote it rebuilds it; a sweep or comparison " \
          "rebuilds totals.csv and points.csv from its points/ folder)"


def _read(path: Path) -> pd.DataFrame | None:
    """A CSV report, or None if it has no rows (a sweep with no finished point: accelsim writes a bare line
    break). A report cut short (empty, not ending in a line break, or a header without rows: every report
    accelsim writes ends in a line break and has rows under its header) or with text where a number
    belongs is an InputError saying so."""
    damaged = InputError("results file is damaged (cut short)", file=path, key="DIR", expected=REBUILD)
    try:
        with open(path, "rb") as stream:
            size = stream.seek(0, 2)
            stream.seek(max(size - 1, 0))
            cut_short = size == 0 or stream.read(1) != b"\n"
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        if cut_short:
            raise damaged from None
        return None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as error:
        raise InputError("cannot read results", file=path, key="DIR", expected="a CSV report of accelsim",
                         got=str(error).splitlines()[0]) from None
    if cut_short or frame.empty:
        raise damaged
    for column in frame.columns:
        if str(column).endswith(NUMERIC_COLUMNS) and frame[column].dtype.kind not in "biuf":
            text = frame[column].notna() & pd.to_numeric(frame[column], errors="coerce").isna()
            row = int(text.to_numpy().argmax())
            raise InputError("text where a number belongs", file=path, key=f"{column}, line {row + 2}",
                             expected="a number", got=frame[column].iloc[row])
    return frame


def _run_identity(folder: Path) -> tuple[str | None, str | None]:
    """(``<model> @ <sparsity>`` or ``<model> (dense)``, hardware) from a simulation's summary.json;
    (None, None) where it cannot be read."""
    try:
        meta = json.loads((folder / "summary.json").read_text())["metadata"]
        sparsity = round(float(meta.get("sparsity") or 0), 4)
        return model_label(pd.Series({"model": meta["model"], "sparsity": sparsity})), str(meta["hardware"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def _run_label(folder: Path) -> str:
    """``<model> @ <sparsity> on <hardware>`` from a simulation's summary.json (else the folder's name)."""
    model, hardware = _run_identity(folder)
    return f"{model} on {hardware}" if model else folder.name


def _has_stalls(frame: pd.DataFrame) -> bool:
    return set(STALL_COLUMNS) <= set(frame.columns)


def _biggest_model(totals: pd.DataFrame) -> str:
    if "macs" in totals.columns:
        return str(totals.loc[totals["macs"].idxmax(), "model"])
    return str(unique_in_order(totals["model"])[-1])


def _percent(sparsity: float) -> str:
    return f"{100 * float(sparsity):.4g}"


def _slug(text: object) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_") or "x"


def _figures_folder(root: Path) -> Path:
    out = root / FIGURES_DIR
    if out.exists() and not out.is_dir():
        raise OutputError("figures path is a file", file=out, key="DIR", expected="a directory")
    try:
        out.mkdir(exist_ok=True)
    except OSError as error:
        raise OutputError("cannot create the figures folder", file=out, key="DIR", got=error.strerror) from None
    return out
