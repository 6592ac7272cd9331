"""Files that appear whole or not at all (layer 0).

Every file accelsim writes goes through :func:`replacing`: the caller writes a temporary file beside the
target (a hidden ``.<name>.<random>.tmp`` in the same folder, so the rename cannot cross file systems), and
only when that succeeds is it renamed over the target with ``os.replace``, which is atomic. A reader, or a
run killed at any moment, sees the old file or the complete new one; on an error the temporary file is
removed. Temporary files are created by the caller with an ordinary ``open`` (mode ``"x"``), so they get the
permissions of the user's umask.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from accelsim.errors import OutputError


def temporary_beside(path: Path) -> Path:
    """A fresh hidden name beside ``path``, ``.<name>.<random>.tmp`` in the same folder: what is renamed
    onto ``path`` when complete (a file here, a folder in :mod:`accelsim.reports.writers`), so a run killed
    meanwhile leaves only hidden ``.*.tmp`` entries behind."""
    return path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"


@contextmanager
def replacing(path: str | os.PathLike[str], *, what: str = "output file") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for the caller to write; on leaving without an error, move it
    to ``path``. An OS error (inside or at the rename) is an :class:`OutputError` naming ``path`` (``what``
    says what it is); any error removes the temporary file."""
    path = Path(path)
    temporary = temporary_beside(path)
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"cannot write {what}", file=path, got=error.strerror or str(error)) from None
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path: str | os.PathLike[str], text: str, *, what: str = "output file") -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically, creating its folder if missing."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {what}", file=path, got=error.strerror or str(error)) from None
    with replacing(path, what=what) as temporary, open(temporary, "x", encoding="utf-8", newline="") as stream:
        stream.write(text)
