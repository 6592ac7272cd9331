"""The ``accelsim`` command (layer 9): parses arguments, calls ``accelsim.study``, prints results.

Exit status: 0 done, 2 bad input (one line on stderr naming the file, key or option and what was
expected), 1 internal error. ``--csv`` prints machine-readable rows; the default is a readable table.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from accelsim import __version__, study
from accelsim.errors import InputError
from accelsim.workloads import zoo

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage problem on one line, exit status 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"accelsim: error: {message} (see '{self.prog} --help')\n")


def _sparsity_list(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers in [0, 1), got {text!r}") from None


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", required=True, help=f"zoo family: {', '.join(zoo.FAMILIES)}")
    group.add_argument("--width", type=float, help="MobileNet width multiplier (default 1.0)")
    group.add_argument("--size", help="PTB model size: small | medium | large")
    group.add_argument("--steps", type=int, help="PTB tokens per inference (default 1)")
    group.add_argument("--units", type=int, help="GNMT units k (default 1024)")
    group.add_argument("--src-len", type=int, help="GNMT source tokens (default 1)")
    group.add_argument("--tgt-len", type=int, help="GNMT target tokens (default 1)")


def _model(args: argparse.Namespace):
    options = {name: getattr(args, name) for name in ("width", "size", "steps", "units", "src_len", "tgt_len")}
    return zoo.build(args.model, **options)


def _print(table: pd.DataFrame, as_csv: bool, float_format: str = "%.4g") -> None:
    if as_csv:
        table.to_csv(sys.stdout, index=False)
    else:
        print(table.to_string(index=False, na_rep="", float_format=lambda v: float_format % v))


def _cmd_models(args: argparse.Namespace) -> int:
    _print(study.models_table(), args.csv)
    return 0


def _cmd_footprint(args: argparse.Namespace) -> int:
    table = study.footprint_table(_model(args), args.sparsity, seed=args.seed, with_paper=args.paper)
    _print(table, args.csv)
    return 0


def _cmd_prune(args: argparse.Namespace) -> int:
    table = study.prune_to_file(_model(args), args.sparsity, seed=args.seed, out=args.out,
                                method=args.method, force=args.force)
    if not args.quiet:
        _print(table, args.csv)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="accelsim", description="What pruning really costs on a sparse DNN accelerator.")
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    models = commands.add_parser("models", help="list the model zoo with parameter counts")
    models.add_argument("--csv", action="store_true", help="one CSV row per model variant")
    models.set_defaults(run=_cmd_models)

    fp = commands.add_parser("footprint", help="non-zeros and storage per sparse format (MB)")
    _add_model_options(fp)
    fp.add_argument("--sparsity", type=_sparsity_list, required=True, help="comma-separated, e.g. 0,0.5,0.9")
    fp.add_argument("--seed", type=int, default=0, help="seed of the synthetic weights (default 0)")
    fp.add_argument("--paper", action="store_true", help="add the paper's Table 5/6 values beside ours")
    fp.add_argument("--csv", action="store_true")
    fp.set_defaults(run=_cmd_footprint)

    pr = commands.add_parser("prune", help="magnitude-prune a zoo model and write its masks (.npz)")
    _add_model_options(pr)
    pr.add_argument("--sparsity", type=float, required=True, help="target sparsity in [0, 1)")
    pr.add_argument("--method", choices=("uniform", "global"), default="uniform",
                    help="uniform: every pruned layer to the sparsity; global: one magnitude threshold")
    pr.add_argument("--seed", type=int, required=True, help="seed of the synthetic weights")
    pr.add_argument("--out", type=Path, required=True, help="output .npz file")
    pr.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    pr.add_argument("--csv", action="store_true")
    pr.add_argument("--quiet", action="store_true", help="print nothing on success")
    pr.set_defaults(run=_cmd_prune)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as error:
        print(f"accelsim: error: {error.one_line()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
