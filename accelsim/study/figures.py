"""A results directory's figures on worker processes (``accelsim plot --jobs``): the figures of
:func:`accelsim.plots.plot_directory` dealt out in turn, each worker reading the results itself and drawing
its share. The files are the same, and listed in the same order, whatever the number of workers."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from accelsim.plots.directory import FORMATS, figure_count
from accelsim.plots.directory import plot_directory as plot_share
from accelsim.study import pool


def plot_directory(path: str | Path, *, formats: Sequence[str] = FORMATS, jobs: int = 1) -> list[Path]:
    """:func:`accelsim.plots.plot_directory` on up to ``jobs`` worker processes: the files written, in the
    order it writes them. Inputs are checked here, before any worker starts."""
    workers = min(jobs, figure_count(path, formats=formats)) if jobs > 1 else 1
    if workers <= 1:
        return plot_share(path, formats=formats)
    shares = [(path, tuple(formats), (start, workers)) for start in range(workers)]
    by_figure: dict[int, list[Path]] = {}
    for (_, _, (start, _)), files in pool.completed(_draw, shares, workers):
        for k in range(len(files) // len(formats)):
            by_figure[start + k * workers] = files[k * len(formats):(k + 1) * len(formats)]
    return [file for index in sorted(by_figure) for file in by_figure[index]]


def _draw(share: tuple[str | Path, tuple[str, ...], tuple[int, int]]) -> list[Path]:
    """A worker's figures (``share``: the path, the formats and (start, step))."""
    path, formats, part = share
    return plot_share(path, formats=formats, share=part)
