"""The command line's options: a parser that reports misuse on one line, argument types, the model options
the commands share, and the renaming of a run's errors to the options that caused them."""
from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from accelsim.errors import InputError, ManyInputErrors
from accelsim.workloads import zoo


EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage problem on one line, exit status 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"accelsim: error: {message} (see '{self.prog} --help')\n")


def workers(text: str) -> int:
    """--jobs: a whole number of worker processes, at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of worker processes >= 1, got {text!r}")
    return value


def list_of(kind, what: str | None = None):
    """An argparse type: comma-separated values of ``kind`` (``what`` they are, in the error message)."""
    def parse(text: str) -> list:
        try:
            values = [kind(part) for part in text.split(",") if part.strip()]
        except ValueError:
            values = []
        if not values:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what or kind.__name__ + ' values'}, got {text!r}")
        return values
    return parse


sparsity_list = list_of(float, "numbers in [0, 1)")


def structure_option(text: str):
    """--structure: a :class:`~accelsim.pruning.structured.Structure` (imported when the option is parsed)."""
    from accelsim.pruning.structured import STRUCTURE_HELP, parse_structure
    try:
        return parse_structure(text)
    except InputError:
        raise argparse.ArgumentTypeError(f"expected {STRUCTURE_HELP}, got {text!r}") from None


def structure_name(text: str) -> str:
    """One item of --structures: a structure's canonical spelling (a ValueError for anything else)."""
    try:
        return str(structure_option(text))
    except argparse.ArgumentTypeError as error:
        raise ValueError(str(error)) from None


def add_resumable_run(parser: argparse.ArgumentParser, out: str) -> None:
    """The options of a command that runs many points in worker processes into a folder it resumes:
    ``--out`` (``out`` says what the folder is), ``--force``, ``--jobs`` and ``--scheduler``."""
    parser.add_argument("--out", type=Path, required=True, help=f"{out} (re-running resumes)")
    parser.add_argument("--force", action="store_true", help="write into an --out that holds other files")
    parser.add_argument("--jobs", type=workers, default=os.cpu_count() or 1, help="local worker processes")
    parser.add_argument("--scheduler", help="a Dask scheduler address (tcp://HOST:PORT) instead of local workers")


def add_structure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--structure", type=structure_option, default="unstructured",
                        help="pruning structure: N:M (e.g. 2:4), block:B, channel or unstructured (the default; "
                             "docs/structured.md)")


def add_model_options(parser: argparse.ArgumentParser, *, workload: bool = False) -> None:
    group = parser.add_argument_group("model")
    if workload:
        which = group.add_mutually_exclusive_group(required=True)
        which.add_argument("--model", help=f"zoo family: {', '.join(zoo.FAMILIES)}")
        which.add_argument("--workload", type=Path,
                           help="a workload file: accelsim YAML (its weight and activation densities apply) "
                                "or a SCALE-Sim topology CSV; or a folder written by 'accelsim import'")
    else:
        group.add_argument("--model", required=True, help=f"zoo family: {', '.join(zoo.FAMILIES)}")
    group.add_argument("--width", type=float, help="MobileNet width multiplier (default 1.0)")
    group.add_argument("--resolution", type=int, help="MobileNet input height = width in pixels (default 224)")
    group.add_argument("--size", help="PTB model size: small | medium | large")
    group.add_argument("--steps", type=int, help="PTB tokens per inference (default 1)")
    group.add_argument("--units", type=int, help="GNMT units k (default 1024)")
    group.add_argument("--src-len", type=int, help="GNMT source tokens (default 1)")
    group.add_argument("--tgt-len", type=int, help="GNMT target tokens (default 1)")


def zoo_options(args: argparse.Namespace, names: Sequence[str]) -> dict:
    """The zoo options the user gave; refused with ``--workload``, where they would be ignored."""
    given = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    if given and getattr(args, "workload", None) is not None:
        raise InputError("model options do not apply to a workload file",
                         key=f"--{next(iter(given)).replace('_', '-')}", expected="no zoo options with --workload")
    return given


MODEL_OPTIONS = ("width", "resolution", "size", "steps", "units", "src_len", "tgt_len")


def model_of(args: argparse.Namespace):
    return zoo.build(args.model, **zoo_options(args, MODEL_OPTIONS))


def workload_of(args: argparse.Namespace):
    """The workload file's model and densities (zoo options are refused beside it)."""
    from accelsim.workloads.files import read_workload
    zoo_options(args, MODEL_OPTIONS)
    return read_workload(args.workload)


def is_imported(args: argparse.Namespace, *, folder_only: bool = False) -> bool:
    """Whether --workload names an imported model's folder (zoo options are refused with it);
    ``folder_only``: a workload file is refused (the command needs real weights)."""
    if getattr(args, "workload", None) is None:
        return False
    if not args.workload.is_dir():
        if folder_only:
            raise InputError("not an imported model's folder", key="--workload", got=str(args.workload),
                             expected="a folder written by 'accelsim import' (real weights)")
        return False
    zoo_options(args, MODEL_OPTIONS)
    return True


@contextmanager
def naming_epochs(args: argparse.Namespace) -> Iterator[None]:
    """The training schedule's "pruning does not finish" error (key ``t0 + n*dt``, derived from the
    epochs) names ``--epochs`` when the user gave it."""
    try:
        yield
    except InputError as error:
        if error.key != "t0 + n*dt" or args.epochs is None:
            raise
        raise InputError("too few epochs: " + error.problem, key="--epochs",
                         expected="more epochs: the pruning schedule's last mask update (t0 + n*dt) must come "
                                  "before training ends", got=args.epochs) from None


@contextmanager
def naming_options(options: dict[str, str]) -> Iterator[None]:
    """An argument the run refuses under its own name (a key of ``options``, e.g. ``s_f`` for a final
    sparsity that is missing or not the one an N:M structure sets) names the option that gave it."""
    def renamed(error: InputError) -> InputError:
        return InputError(error.problem, file=error.file, key=options.get(error.key, error.key),
                          expected=error.expected, got=error.got)
    try:
        yield
    except ManyInputErrors as errors:
        raise ManyInputErrors([renamed(error) for error in errors.errors]) from None
    except InputError as error:
        if error.key not in options:
            raise
        raise renamed(error) from None
