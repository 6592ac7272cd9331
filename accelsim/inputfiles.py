"""Opening the files a user names as inputs (layer 0): regular files only.

A FIFO (named pipe), a device or a socket given as a hardware, workload or mask file would block a read
forever or never end; such a path is refused before anything is read from it. The file is opened without
blocking (a FIFO with no writer would block the ``open`` itself), checked with ``fstat`` on the very
descriptor that is then read, and handed back as an ordinary binary file object.
"""
from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class NotARegularFile(OSError):
    """The path is a FIFO, device or socket; ``strerror`` says which."""


def kind_of(mode: int) -> str:
    """What a non-regular file of ``st_mode`` ``mode`` is, in a few words."""
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``open(path, "rb")`` for a regular file; an OSError otherwise: IsADirectoryError for a folder,
    :class:`NotARegularFile` for a FIFO, device or socket, what ``open`` raises for anything else."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotARegularFile(errno.EINVAL, f"not a regular file but {kind_of(mode)}", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
