"""Writing results to disk: atomically, never over a user's files without ``force`` (layer 6)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from accelsim.errors import OutputError
from accelsim.reports.results import SimulationResult

RESULT_FILES = ("layers.csv", "summary.json")


def prepare_output_dir(out: Path, *, force: bool, files: tuple[str, ...] = RESULT_FILES) -> Path:
    """Check ``out`` can take ``files``: create it if missing; refuse if it is a file, or if any of the
    files already exist and ``force`` is not set."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError("output path is a file", key="--out", expected="a directory", got=str(out))
    existing = [name for name in files if (out / name).exists()]
    if existing and not force:
        raise OutputError("results already exist (use --force to overwrite)", file=out / existing[0],
                          key="--out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError("cannot create output directory", file=out, key="--out",
                          got=error.strerror) from None
    if not os.access(out, os.W_OK):
        raise OutputError("output directory is not writable", file=out, key="--out")
    return out


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so a reader
    (or a crash) never sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summary_dict(result: SimulationResult) -> dict:
    """What summary.json holds: the run metadata and the model's totals."""
    return {"metadata": result.metadata,
            "total": {k: (v.item() if hasattr(v, "item") else v) for k, v in result.total.items()}}


def write_results(result: SimulationResult, out: Path, *, force: bool = False) -> list[Path]:
    """Write ``layers.csv`` and ``summary.json`` into ``out``; returns the paths written."""
    out = prepare_output_dir(out, force=force)
    layers_path, summary_path = out / RESULT_FILES[0], out / RESULT_FILES[1]
    write_atomic(layers_path, result.layers.to_csv(index=False, float_format="%.10g"))
    write_atomic(summary_path, json.dumps(summary_dict(result), indent=2, sort_keys=True) + "\n")
    return [layers_path, summary_path]
