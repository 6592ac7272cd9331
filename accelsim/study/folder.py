"""The folder of a sweep, a comparison or an exploration (layer 8): checked, opened, recognised, cleaned up.

A result folder holds the marker file ``.accelsim`` naming its kind (``sweep``, ``compare`` or ``explore``); a folder
with the marker of the same kind is resumed, an empty or new one is opened, and anything else (a folder of
the user's files, another kind of result) is refused unless ``force`` (then written into: files of the
same names are replaced, nothing else is touched). :func:`check` creates nothing, so a refused run leaves
no trace; a folder :func:`open_folder` created is removed again by :func:`discard` when the run stored no
point.
"""
from __future__ import annotations

import os
from pathlib import Path

from accelsim.atomic import write_text
from accelsim.errors import OutputError
from accelsim.reports.writers import prepare_output_dir

MARKER = ".accelsim"
POINTS = "points"


def kind_of(out: Path) -> str | None:
    """The kind of accelsim result ``out`` holds (its marker), or None."""
    try:
        return (Path(out) / MARKER).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def check(out: Path, kind: str, *, force: bool) -> None:
    """Refuse ``out`` before anything runs (nothing is created): a file, an unwritable place, or a folder
    holding something that is not a ``kind``'s results, unless ``force``."""
    out = prepare_output_dir(Path(out), force=True, files=())
    try:
        entries = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    except OSError as error:
        raise OutputError("cannot read output directory", file=out, key="--out",
                          got=error.strerror or str(error)) from None
    if entries and kind_of(out) != kind and not force:
        found = next((name for name in entries if name != MARKER), entries[0])
        raise OutputError(f"folder holds files that are not the results of an accelsim {kind} "
                          f"(use --force to write into it)", file=out / found, key="--out",
                          expected=f"a new or empty folder, or the folder of an earlier {kind} to resume")


def open_folder(out: Path, kind: str) -> tuple[bool, list[str]]:
    """Create ``out`` (if missing) with its marker and ``points/`` folder. Returns whether ``out`` was
    created, and notes on damaged state repaired (a file where the ``points/`` folder belongs)."""
    out = Path(out)
    notes = []
    try:
        created = not out.exists()
        out.mkdir(parents=True, exist_ok=True)
        points = out / POINTS
        if os.path.lexists(points) and not points.is_dir():
            points.unlink()
            notes.append(f"{points} was not a folder: removed, its points are recomputed")
        points.mkdir(exist_ok=True)
    except OSError as error:
        raise OutputError("cannot create output directory", file=out, key="--out",
                          got=error.strerror or str(error)) from None
    if kind_of(out) != kind:
        write_text(out / MARKER, kind + "\n", what="result marker")
    return created, notes


def discard(out: Path) -> None:
    """Remove ``out``, a folder :func:`open_folder` created, if no point was stored in it (its marker and
    an empty ``points/`` only); otherwise leave it."""
    out = Path(out)
    try:
        if any((out / POINTS).iterdir()) or set(os.listdir(out)) - {MARKER, POINTS}:
            return
        (out / POINTS).rmdir()
        (out / MARKER).unlink()
        out.rmdir()
    except OSError:
        pass
