"""Writing results to disk: atomically, never over a user's files without ``force`` (layer 6).

Every file is written through :mod:`accelsim.atomic` (a temporary file beside it, renamed into place), so a
reader, or a run killed at any moment, never sees half a file. A simulation's results (``layers.csv``,
``summary.json``) appear together: they are written into a hidden staging folder that becomes the output
folder when that does not exist yet, or is swapped with it when it holds earlier results and nothing else
(``--force``: the folder is replaced as one unit, keeping its mode). Into an existing folder that is empty
or holds other files they are written one by one: an earlier ``summary.json`` is removed first, and the new
one, written last, marks the results complete, so the new ``layers.csv`` never stands beside an old
summary. A run killed meanwhile can leave only hidden ``.*.tmp`` files or folders behind. Files get the
permissions of an ordinary ``open`` (the umask's).
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from pathlib import Path

from accelsim.atomic import check_replaceable, exchange, temporary_beside, write_text
from accelsim.errors import OutputError
from accelsim.reports.results import SimulationResult

RESULT_FILES = ("layers.csv", "summary.json")


def prepare_output_dir(out: Path, *, force: bool, files: tuple[str, ...] = RESULT_FILES) -> Path:
    """Check, before any work, that ``out`` can take ``files``; create nothing, so a run that fails later
    leaves no trace (the folder is created only when results are written into it).

    Refuses ``out`` if it is a file, if any of the files already exist and ``force`` is not set (or, with
    ``force``, is not a regular file), or if it (or, when it does not exist yet, the folder it would be
    created in) is not a writable directory; any OS error (a name too long, ...) names ``out``."""
    out = Path(out)
    try:
        _check_output_dir(out, force, files)
    except OSError as error:
        raise OutputError("cannot use output directory", file=out, key="--out",
                          got=error.strerror or str(error)) from None
    return out


def _check_output_dir(out: Path, force: bool, files: tuple[str, ...]) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError("output path is a file", key="--out", expected="a directory", got=str(out))
    existing = [name for name in files if os.path.lexists(out / name)]
    if existing and not force:
        raise OutputError("results already exist (use --force to overwrite)", file=out / existing[0],
                          key="--out")
    for name in existing:
        check_replaceable(out / name)
    parent = out
    while not parent.exists() and parent != parent.parent:   # the nearest folder that exists
        parent = parent.parent
    if parent != out and not parent.is_dir():
        raise OutputError("cannot create output directory", file=out, key="--out",
                          expected="a path whose existing part is a folder", got=f"{parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        problem = "output directory is not writable" if parent == out else "cannot create output directory"
        raise OutputError(problem, file=out, key="--out",
                          got=None if parent == out else f"{parent} is not writable")


def summary_dict(result: SimulationResult) -> dict:
    """What summary.json holds: the run metadata, the model's totals, its priced action counts (``actions``:
    ``"component.action"`` -> count, pj_each, energy_pj; what the dynamic energy is linear in, for ``accelsim
    sensitivity``) and the machine's area by component and in total (mm², present when its description gives
    ``technology_nm``)."""
    summary = {"metadata": result.metadata,
               "total": {k: (v.item() if hasattr(v, "item") else v) for k, v in result.total.items()},
               "actions": dict(result.actions)}
    if result.area_mm2:
        summary["area_mm2"] = dict(result.area_mm2)
    return summary


def layers_csv(result: SimulationResult) -> str:
    """``layers.csv``: a header of the columns, then one line per layer; floats to 10 significant digits
    (``%.10g``), whole numbers in full, a missing figure (NaN) empty."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_cell(value) for value in row.values()])
    return text.getvalue()


def _cell(value) -> object:
    """A CSV cell as pandas writes it with ``float_format="%.10g"``: floats to 10 digits, NaN empty."""
    if isinstance(value, float):
        return "" if value != value else f"{value:.10g}"
    return value


def write_results(result: SimulationResult, out: Path, *, force: bool = False) -> list[Path]:
    """Write ``layers.csv`` and ``summary.json`` into ``out`` (together, see the module docstring); returns
    the paths written."""
    out = prepare_output_dir(out, force=force)
    texts = {RESULT_FILES[0]: layers_csv(result),
             RESULT_FILES[1]: json.dumps(summary_dict(result), indent=2, sort_keys=True) + "\n"}
    try:
        entries = [p.name for p in out.iterdir() if not p.name.startswith(".")] if out.is_dir() else None
        if entries is None or (entries and set(entries) <= set(RESULT_FILES)):
            _write_staged(out, texts, replace=entries is not None)
            return [out / name for name in texts]
        if os.path.lexists(out / RESULT_FILES[1]):
            os.unlink(out / RESULT_FILES[1])   # the old summary goes first: never beside the new layers.csv
    except OSError as error:
        raise OutputError("cannot write results", file=out, key="--out", got=error.strerror or str(error)) from None
    for name, text in texts.items():   # summary.json last: it marks the results complete
        write_text(out / name, text)
    return [out / name for name in texts]


def _write_staged(out: Path, texts: dict[str, str], *, replace: bool) -> None:
    """Write ``texts`` into a hidden folder beside ``out``, then move it to ``out`` (missing) or swap it
    with ``out`` (a folder of earlier results only, ``replace``), whose mode it takes; the old results are
    then removed. A run killed at any moment leaves ``out`` absent, old or new, and hidden ``.*.tmp``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_beside(out)
    staging.mkdir()        # an ordinary folder: the umask's permissions, as out would have
    try:
        for name, text in texts.items():   # a private folder: its files need no temporary names
            (staging / name).write_text(text, encoding="utf-8", newline="")
        if replace:
            staging.chmod(stat.S_IMODE(out.stat().st_mode))
            exchange(staging, out)
        else:
            os.rename(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
