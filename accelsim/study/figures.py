"""A results directory's figures on worker processes (``accelsim plot --jobs``): the figures of
:func:`accelsim.plots.plot_directory`, one at a time to whichever worker is free (the first figures, a
comparison's, are the costliest), each worker reading the results once (forked workers inherit the main
process's reading). The files are the same, and listed in the same order, whatever the number of workers."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from accelsim.plots.directory import FORMATS, Job, draw_job, plan
from accelsim.study import pool

#: The plan of the directory being plotted, by (path, formats), while :func:`plot_directory` runs.
_PLANS: dict[tuple[str, tuple[str, ...]], tuple[list[Job], Path]] = {}


def plot_directory(path: str | Path, *, formats: Sequence[str] = FORMATS, jobs: int = 1) -> list[Path]:
    """:func:`accelsim.plots.plot_directory` on up to ``jobs`` worker processes: the files written, in the
    order it writes them. Inputs are checked here, before any worker starts."""
    key = (str(path), tuple(formats))
    figures, out = _PLANS[key] = plan(path, formats)
    try:
        items = [(key, index) for index in range(len(figures))]
        by_figure = dict(pool.completed(_draw, items, jobs))
    finally:
        _PLANS.pop(key, None)
    return [file for item in items for file in by_figure[item]]


def _draw(item: tuple[tuple[str, tuple[str, ...]], int]) -> list[Path]:
    """Figure ``index`` of the directory ``key`` names (``item``: key, index), the plan read once per process."""
    key, index = item
    if key not in _PLANS:
        _PLANS[key] = plan(*key)
    figures, out = _PLANS[key]
    return draw_job(figures[index], out, key[1])
