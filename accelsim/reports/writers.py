"""Writing results to disk: atomically, never over a user's files without ``force`` (layer 6).

Every file is written through :mod:`accelsim.atomic` (a temporary file beside it, renamed into place), so a
reader, or a run killed at any moment, never sees half a file. A simulation's results (``layers.csv``,
``summary.json``) appear together: they are written into a hidden staging folder renamed to the output
folder when that does not exist yet or is empty; into an existing folder with other files they are written
one by one, and ``summary.json``, written last, marks them complete. A run killed meanwhile can leave only hidden
``.*.tmp`` files or folders behind. Files get the permissions of an ordinary ``open`` (the umask's).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from accelsim.atomic import temporary_beside, write_text
from accelsim.errors import OutputError
from accelsim.reports.results import SimulationResult

RESULT_FILES = ("layers.csv", "summary.json")


def prepare_output_dir(out: Path, *, force: bool, files: tuple[str, ...] = RESULT_FILES) -> Path:
    """Check, before any work, that ``out`` can take ``files``; create nothing, so a run that fails later
    leaves no trace (the folder is created only when results are written into it).

    Refuses ``out`` if it is a file, if any of the files already exist and ``force`` is not set, or if it
    (or, when it does not exist yet, the folder it would be created in) is not a writable directory."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError("output path is a file", key="--out", expected="a directory", got=str(out))
    existing = [name for name in files if (out / name).exists()]
    if existing and not force:
        raise OutputError("results already exist (use --force to overwrite)", file=out / existing[0],
                          key="--out")
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
    return out


def summary_dict(result: SimulationResult) -> dict:
    """What summary.json holds: the run metadata and the model's totals."""
    return {"metadata": result.metadata,
            "total": {k: (v.item() if hasattr(v, "item") else v) for k, v in result.total.items()}}


def write_results(result: SimulationResult, out: Path, *, force: bool = False) -> list[Path]:
    """Write ``layers.csv`` and ``summary.json`` into ``out`` (together, see the module docstring); returns
    the paths written."""
    out = prepare_output_dir(out, force=force)
    texts = {RESULT_FILES[0]: result.layers.to_csv(index=False, float_format="%.10g"),
             RESULT_FILES[1]: json.dumps(summary_dict(result), indent=2, sort_keys=True) + "\n"}
    paths = [out / name for name in texts]
    if not (out.is_dir() and any(out.iterdir())) and _write_staged(out, texts):
        return paths
    for name, text in texts.items():   # summary.json last: it marks the results complete
        write_text(out / name, text)
    return paths


def _write_staged(out: Path, texts: dict[str, str]) -> bool:
    """Write ``texts`` into a hidden folder beside ``out`` and rename it to ``out`` (missing or empty);
    False if the rename is not possible (e.g. ``out`` gained files meanwhile): nothing is left behind."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = temporary_beside(out)
        staging.mkdir()        # an ordinary folder: the umask's permissions, as out would have
    except OSError as error:
        raise OutputError("cannot create output directory", file=out, key="--out",
                          got=error.strerror or str(error)) from None
    try:
        for name, text in texts.items():
            write_text(staging / name, text)
        os.rename(staging, out)  # atomic; replaces out only if it is an empty folder
        return True
    except OSError:
        return False
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
