"""The ``accelsim`` command (layer 9): parses arguments (:mod:`.parser`, :mod:`.options`), runs a command
(:mod:`.commands`: one model or machine; :mod:`.studies`: grids, comparisons, searches, training), prints
results (:mod:`.output`). No logic of its own: the work is ``accelsim.study``'s.

Exit status: 0 done, 2 bad input (one line on stderr naming the file, key or option and what was
expected), 1 internal error, 130/143 stopped by SIGINT/SIGTERM. ``--csv`` prints machine-readable rows; the
default is a readable table.

Each command imports what it needs when it runs (pandas, the engines, matplotlib), so that ``--help`` and
the light commands start quickly (``benchmarks/bench_startup.py``).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

# Before anything imports numpy: OpenBLAS would otherwise start a thread per core, whose spinning costs every
# process about 0.08 s of CPU; accelsim multiplies no matrix large enough to gain from them (sweeps run
# processes instead), and its MLP training gives identical results on one thread. A user's setting stands.
if not any(name in os.environ for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

from accelsim.cli.options import EXIT_BAD_INPUT  # noqa: E402
from accelsim.cli.parser import build_parser  # noqa: E402
from accelsim.errors import AccelsimError, InputError, Stopped, Terminated, interrupt_status  # noqa: E402

__all__ = ["EXIT_BAD_INPUT", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:   # not where SIGINT is ignored
            signal.signal(signal.SIGINT, _interrupt)
    if hasattr(sys.stdout, "reconfigure"):   # a name the locale's encoding lacks is escaped, not a crash
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        status = args.run(args)
        sys.stdout.flush()
        return status
    except InputError as error:
        print(f"accelsim: error: {error.one_line()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Stopped as error:
        print(f"accelsim: {error}", file=sys.stderr)
        return error.exit_status
    except AccelsimError as error:       # e.g. a worker process died
        print(f"accelsim: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:
        print("accelsim: interrupted", file=sys.stderr)
        return interrupt_status(interrupt)
    except BrokenPipeError:   # the reader left (e.g. `| head`): nothing more to say
        _drop_stdout()
        return 0
    except OSError as error:
        if error.filename is not None:     # a path given that the system refuses (e.g. a name too long)
            print(f"accelsim: error: {_refused_path(args, error).one_line()}", file=sys.stderr)
            return EXIT_BAD_INPUT
        # what else escapes is standard output failing (files written raise OutputError)
        _drop_stdout()
        print(f"accelsim: error: cannot write to standard output: {error.strerror or error}; results "
              f"written to files are complete", file=sys.stderr)
        return 1
    except Exception:
        if not _signals:
            raise
        print("accelsim: interrupted", file=sys.stderr)     # what the interrupted code made of the signal
        return 128 + _signals[0]


#: The names in the help of the positional arguments that take a path.
POSITIONAL_PATHS = {"dir": "DIR", "model": "MODEL.onnx", "file": "FILE"}


def _refused_path(args: argparse.Namespace, error: OSError) -> InputError:
    """The one-line error of an OS ``error`` on the path ``error.filename`` that no check caught before,
    naming the argument that gave that path (or a folder above it)."""
    path = os.fsdecode(error.filename)
    given = [(name, str(value)) for name, values in vars(args).items()
             for value in (values if isinstance(values, list) else [values]) if isinstance(value, Path)]
    name = next((name for name, value in given if path == value or path.startswith(value.rstrip(os.sep) + os.sep)),
                None)
    option = None if name is None else POSITIONAL_PATHS.get(name, "--" + name.replace("_", "-"))
    return InputError("cannot use the path", file=path, key=option, got=error.strerror or str(error))


def _drop_stdout() -> None:
    """Point standard output at the null device, so the interpreter's final flush does not fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


#: The signals (SIGINT, SIGTERM) that have arrived: a run they stop says so in one line, whatever error the
#: code they interrupted turned them into (numpy's import makes an ImportError of an interrupt in it).
_signals: list[int] = []


def _interrupt(signum: int, frame: object) -> None:
    """SIGINT: KeyboardInterrupt, as Python's own handler raises it, remembered."""
    _signals.append(signum)
    raise KeyboardInterrupt()


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM stops a run as Ctrl-C does: one line, what finished is kept."""
    _signals.append(signum)
    raise Terminated()
