"""Files that appear whole or not at all (layer 0).

Every file accelsim writes goes through :func:`replacing`: the caller writes a temporary file beside the
target (a hidden ``.<name>.<random>.tmp`` in the same folder, so the rename cannot cross file systems), and
only when that succeeds is it renamed over the target with ``os.replace``, which is atomic. A reader, or a
run killed at any moment, sees the old file or the complete new one; on an error the temporary file is
removed. Temporary files are created by the caller with an ordinary ``open`` (mode ``"x"``), so they get the
permissions of the user's umask. Only a regular file is ever replaced: a FIFO, a device or a folder at the
target is refused, ``--force`` or not. Every OS error is an :class:`OutputError` naming the user's path,
never the hidden temporary one.

A result folder is replaced as one unit by :func:`exchange`: the new folder is written beside the old one
and the two are swapped.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from accelsim.errors import OutputError
from accelsim.inputfiles import kind_of

NAME_BYTES = 120          # of the target's name kept in a temporary name: the whole stays under 255 bytes


def temporary_beside(path: Path) -> Path:
    """A fresh hidden name beside ``path``, ``.<name>.<random>.tmp`` in the same folder: what is renamed
    onto ``path`` when complete (a file here, a folder in :mod:`accelsim.reports.writers`), so a run killed
    meanwhile leaves only hidden ``.*.tmp`` entries behind. A long name is shortened in it, so that any
    name the file system takes for ``path`` gives a legal temporary name."""
    name = os.fsencode(path.name)[:NAME_BYTES].decode(errors="ignore")
    return path.parent / f".{name}.{secrets.token_hex(4)}.tmp"


def output_error(what: str, path: object, error: OSError) -> OutputError:
    """The one-line error of an OS ``error`` writing ``path``."""
    return OutputError(f"cannot write {what}", file=path, got=error.strerror or str(error))


def check_replaceable(path: Path, what: str = "output file") -> None:
    """Refuse ``path`` if it exists and is not a regular file (a folder, FIFO, device or socket)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise output_error(what, path, error) from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else kind_of(mode)
        raise OutputError(f"cannot write {what}: the path is {kind}", file=path,
                          expected="a new path or a regular file to replace")


@contextmanager
def replacing(path: str | os.PathLike[str], *, what: str = "output file") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for the caller to write; on leaving without an error, move it
    to ``path``. An OS error (inside or at the rename) is an :class:`OutputError` naming ``path`` (``what``
    says what it is); any error removes the temporary file. A ``path`` that exists and is not a regular
    file is refused first."""
    path = Path(path)
    check_replaceable(path, what)
    temporary = temporary_beside(path)
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise output_error(what, path, error) from None
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:         # e.g. a read-only folder: the temporary file was never created
            pass


def write_text(path: str | os.PathLike[str], text: str, *, what: str = "output file") -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically, creating its folder if missing."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_error(what, path, error) from None
    with replacing(path, what=what) as temporary, open(temporary, "x", encoding="utf-8", newline="") as stream:
        stream.write(text)


AT_FDCWD = -100            # linux/fcntl.h
RENAME_EXCHANGE = 2        # linux/fs.h


def exchange(new: Path, old: Path) -> None:
    """Swap the folders ``new`` and ``old`` (both exist): afterwards ``old``'s path holds what was written
    at ``new`` and ``new``'s path the old content. Atomic on Linux (``renameat2(RENAME_EXCHANGE)``): a run
    killed at any moment leaves ``old`` whole, old or new. Elsewhere, two renames: killed between them,
    ``old`` is missing and both versions are whole under hidden names. OSError on failure."""
    if _rename_exchange(new, old):
        return
    aside = temporary_beside(old)
    os.rename(old, aside)
    try:
        os.rename(new, old)
    except OSError:
        os.rename(aside, old)
        raise
    os.rename(aside, new)


def _rename_exchange(a: Path, b: Path) -> bool:
    """``renameat2(a, b, RENAME_EXCHANGE)``; False where the system or file system lacks it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):     # not supported here
        return False
    raise OSError(code, os.strerror(code), str(b))
