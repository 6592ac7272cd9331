"""Local worker processes for sweeps and training comparisons (layer 8).

:func:`completed` runs a function over items on a process pool and yields the results as they finish.
What it guarantees, whatever happens to the main process:

* A worker exits when the process that started it dies, whatever killed it (SIGKILL included): on Linux
  the kernel sends it SIGKILL (``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread of the worker checks once a
  second that its parent is still the process that started it. No worker outlives a killed sweep holding
  its output pipes.
* Workers ignore SIGINT: a Ctrl-C in a terminal reaches the whole process group, and only the main
  process acts on it.
* On the first error, interrupt (KeyboardInterrupt) or when the caller stops reading, queued items are
  cancelled and the running workers killed, so control returns within seconds; what finished before was
  yielded (and stored by the caller).
* A worker that dies (e.g. killed by the out-of-memory killer) is a :class:`WorkerLost` error.
* Each result is dropped by the pool once yielded: the main process holds only what its caller keeps.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from accelsim.errors import AccelsimError

Item = TypeVar("Item")
Result = TypeVar("Result")

PR_SET_PDEATHSIG = 1                  # linux/prctl.h
PARENT_POLL_SECONDS = 1.0


class WorkerLost(AccelsimError):
    """A worker process died before finishing its item (killed by a signal, e.g. out of memory)."""


def completed(function: Callable[[Item], Result], items: Iterable[Item], jobs: int) -> Iterator[tuple[Item, Result]]:
    """``(item, function(item))`` for each of ``items`` as they finish, on ``min(jobs, len(items))`` worker
    processes (in this process when that is 1). Items are submitted in the order given."""
    items = list(items)
    workers = min(jobs, len(items))
    if workers <= 1:
        for item in items:
            yield item, function(item)
        return
    context = multiprocessing.get_context()
    parent = os.getpid() if context.get_start_method() in ("fork", "spawn") else None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_leave_with_parent,
                               initargs=(parent,))
    finished = False
    try:
        pending = {pool.submit(function, item): item for item in items}
        while pending:
            done = wait(pending, return_when=FIRST_COMPLETED).done
            while done:
                yield _take(pending, done.pop())   # nothing here keeps the result: the caller holds it, if anyone
        finished = True
    finally:
        _stop(pool, kill=not finished)


def _take(pending: dict[Future, Item], future: Future) -> tuple[Item, Result]:
    """The item of a finished ``future`` (removed from ``pending``) and its result."""
    item = pending.pop(future)
    try:
        return item, future.result()
    except BrokenProcessPool:
        raise WorkerLost("a worker process died (killed by a signal, e.g. out of memory)") from None


def _stop(pool: ProcessPoolExecutor, *, kill: bool) -> None:
    """Shut ``pool`` down; with ``kill``, cancel what is queued and kill the running workers first.

    A worker killed half-way through writing its result leaves the pool's reader thread waiting for the
    rest of that message, which would never come while this process holds the result pipe's write end too:
    shutdown joins that thread and would hang. Closing this process's write end (it never writes there)
    turns the wait into end-of-file once the killed workers are gone, which the pool reads as broken."""
    if kill:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            try:
                process.kill()
            except (OSError, ValueError):      # already gone
                pass
        results = getattr(pool, "_result_queue", None)
        if results is not None:
            results._writer.close()
    pool.shutdown(wait=True, cancel_futures=True)


def _leave_with_parent(parent: int | None) -> None:
    """Pool initializer: ignore SIGINT and exit when the parent dies (module docstring). ``parent`` is the
    pid of the process that forked or spawned this worker, or None (a fork server's child: its parent now)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid() if parent is None else parent
    if not _parent_death_signal():
        threading.Thread(target=_poll_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:          # the parent died before the watch was in place
        os._exit(1)


def _parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _poll_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)
