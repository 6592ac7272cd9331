"""The ``accelsim`` command (layer 9): parses arguments, calls ``accelsim.study``, prints results.

Exit status: 0 done, 2 bad input (one line on stderr naming the file, key or option and what was
expected), 1 internal error. ``--csv`` prints machine-readable rows; the default is a readable table.

Each command imports what it needs when it runs (pandas, the engines, matplotlib), so that ``--help`` and
the light commands start quickly (``benchmarks/bench_startup.py``).
"""
from __future__ import annotations

import argparse
import numbers
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from accelsim import __version__
from accelsim.errors import AccelsimError, InputError, ManyInputErrors, Stopped, Terminated, interrupt_status
from accelsim.units import pj_to_uj, seconds_to_ms
from accelsim.workloads import zoo

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage problem on one line, exit status 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"accelsim: error: {message} (see '{self.prog} --help')\n")


def _workers(text: str) -> int:
    """--jobs: a whole number of worker processes, at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of worker processes >= 1, got {text!r}")
    return value


def _list_of(kind, what: str | None = None):
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


_sparsity_list = _list_of(float, "numbers in [0, 1)")


def _structure(text: str):
    """--structure: a :class:`~accelsim.pruning.structured.Structure` (imported when the option is parsed)."""
    from accelsim.pruning.structured import STRUCTURE_HELP, parse_structure
    try:
        return parse_structure(text)
    except InputError:
        raise argparse.ArgumentTypeError(f"expected {STRUCTURE_HELP}, got {text!r}") from None


def _structure_name(text: str) -> str:
    """One item of --structures: a structure's canonical spelling (a ValueError for anything else)."""
    try:
        return str(_structure(text))
    except argparse.ArgumentTypeError as error:
        raise ValueError(str(error)) from None


def _add_structure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--structure", type=_structure, default="unstructured",
                        help="pruning structure: N:M (e.g. 2:4), block:B, channel or unstructured (the default; "
                             "docs/structured.md)")


def _add_model_options(parser: argparse.ArgumentParser, *, workload: bool = False) -> None:
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


def _zoo_options(args: argparse.Namespace, names: Sequence[str]) -> dict:
    """The zoo options the user gave; refused with ``--workload``, where they would be ignored."""
    given = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    if given and getattr(args, "workload", None) is not None:
        raise InputError("model options do not apply to a workload file",
                         key=f"--{next(iter(given)).replace('_', '-')}", expected="no zoo options with --workload")
    return given


MODEL_OPTIONS = ("width", "resolution", "size", "steps", "units", "src_len", "tgt_len")


def _model(args: argparse.Namespace):
    return zoo.build(args.model, **_zoo_options(args, MODEL_OPTIONS))


def _workload(args: argparse.Namespace):
    """The workload file's model and densities (zoo options are refused beside it)."""
    from accelsim.workloads.files import read_workload
    _zoo_options(args, MODEL_OPTIONS)
    return read_workload(args.workload)


def _print(table, as_csv: bool) -> None:
    """A DataFrame as CSV (every digit) or as a readable table (:func:`_print_rows`)."""
    if as_csv:
        table.to_csv(sys.stdout, index=False)
        return
    _print_rows(list(table.columns), table.to_dict("records"))


#: Columns printed as whole numbers in a readable table (counts of cycles, bytes, MACs, weights).
WHOLE = ("cycles", "cycles_per_pe", "bytes", "macs", "nnz", "params")


def _print_rows(columns: Sequence[str], rows: Sequence[dict], float_format: str = "%.4g") -> None:
    """A readable table, columns right-aligned: counts (:data:`WHOLE`) as whole numbers, other numbers to 4
    significant digits, missing values blank."""
    def cell(column: str, value) -> str:
        if value is None or value == "" or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, str):
            return value
        if column.endswith(WHOLE) or isinstance(value, numbers.Integral):
            return str(round(value))
        return float_format % value
    cells = [[cell(c, row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    for line in [list(columns), *cells]:
        print(" ".join(text.rjust(width) for text, width in zip(line, widths)).rstrip())


def _cmd_models(args: argparse.Namespace) -> int:
    from accelsim import study
    _print(study.models_table(), args.csv)
    return 0


def _cmd_footprint(args: argparse.Namespace) -> int:
    from accelsim import study
    if _imported(args, folder_only=True):
        from accelsim.importers.bundle import read_bundle
        found = read_bundle(args.workload)
        table = study.footprint_table(found.workload.model, args.sparsity or [], weights=found.weights(),
                                      kept=found.masks, structure=args.structure)
    else:
        table = study.footprint_table(_model(args), args.sparsity or [], seed=args.seed, with_paper=args.paper,
                                      structure=args.structure)
    _print(table, args.csv)
    return 0


def _cmd_prune(args: argparse.Namespace) -> int:
    from accelsim import study
    if _imported(args, folder_only=True):
        from accelsim.study import imported
        if str(args.structure) != "unstructured":
            raise InputError("structured pruning of an imported model is not supported", key="--structure",
                             expected="unstructured (the default)", got=str(args.structure))
        table = imported.prune_folder(args.workload, args.sparsity, method=args.method, out=args.out,
                                      force=args.force)
    else:
        table = study.prune_to_file(_model(args), args.sparsity, seed=args.seed, out=args.out,
                                    method=args.method, force=args.force, structure=args.structure)
    if not args.quiet:
        _print(table, args.csv)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


#: The per-layer columns the readable ``simulate`` table shows (layers.csv has them all).
SIMULATE_COLUMNS = ("layer", "kind", "cycles", "latency_s", "multiplier_utilization", "stall_memory_cycles_per_pe",
                    "stall_sram_cycles_per_pe", "stall_imbalance_cycles_per_pe", "stall_conflict_cycles_per_pe",
                    "dram_read_bytes", "dram_write_bytes", "energy_pj")


def _cmd_simulate(args: argparse.Namespace) -> int:
    from accelsim import study
    from accelsim.hardware import load_hardware
    from accelsim.reports import prepare_output_dir
    if args.masks is not None:
        from accelsim.pruning import load_masks
    hw = load_hardware(args.hw)
    if _imported(args):
        return _simulate_imported(args, hw)
    workload = _workload(args) if args.workload is not None else None
    model = _model(args) if workload is None else workload.model
    masks = load_masks(args.masks, model) if args.masks is not None else None
    if args.out is not None:
        prepare_output_dir(args.out, force=args.force)
    if workload is None:
        result = study.simulate(model, hw, masks=masks, sparsity=args.sparsity, seed=args.seed)
    else:
        result = study.simulate_workload(workload, hw, masks=masks, sparsity=args.sparsity, seed=args.seed)
    return _show_simulation(args, result, hw)


def _imported(args: argparse.Namespace, *, folder_only: bool = False) -> bool:
    """Whether --workload names an imported model's folder (zoo options are refused with it);
    ``folder_only``: a workload file is refused (the command needs real weights)."""
    if getattr(args, "workload", None) is None:
        return False
    if not args.workload.is_dir():
        if folder_only:
            raise InputError("not an imported model's folder", key="--workload", got=str(args.workload),
                             expected="a folder written by 'accelsim import' (real weights)")
        return False
    _zoo_options(args, MODEL_OPTIONS)
    return True


def _simulate_imported(args: argparse.Namespace, hw) -> int:
    from accelsim.reports import prepare_output_dir
    from accelsim.study import imported
    if args.out is not None:
        prepare_output_dir(args.out, force=args.force)
    result = imported.simulate_folder(args.workload, hw, masks_file=args.masks, sparsity=args.sparsity,
                                      seed=args.seed)
    return _show_simulation(args, result, hw, note=f"activations: {result.metadata['activations']}")


def _show_simulation(args: argparse.Namespace, result, hw, note: str = "") -> int:
    """Write ``result`` to --out and print its table and one-line summary (``note`` appended)."""
    from accelsim.reports import layers_csv, write_results
    model_name = result.metadata["model"]
    if args.out is not None:
        write_results(result, args.out, force=args.force)
    for warning in result.metadata.get("warnings", []):     # after the results: they are written whole first
        print(f"accelsim: warning: {warning}", file=sys.stderr)
    if args.quiet:
        return 0
    if args.csv:
        sys.stdout.write(layers_csv(result))
        return 0
    columns = [c for c in SIMULATE_COLUMNS if c in result.columns]
    total = {**result.total, "layer": "TOTAL", "kind": ""}
    _print_rows(columns, [*result.rows, total])
    print(f"\n{model_name} on {hw.name} ({hw.engine}): {int(result.total['cycles'])} cycles, "
          f"{seconds_to_ms(result.total['latency_s']):.4g} ms, {pj_to_uj(result.total['energy_pj']):.4g} uJ"
          + (f"; {note}" if note else "") + (f"; results in {args.out}" if args.out is not None else ""))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.study import sweep
    options = _zoo_options(args, ("width", "size", "units", "steps"))
    if args.masks and (args.workload is None or not args.workload.is_dir()):
        raise InputError("--masks needs an imported model", key="--masks", expected="--workload DIR (an import)")
    if args.workload is not None and args.workload.is_dir():
        from accelsim.study import imported
        points = imported.grid_folder(args.workload, args.sparsity, args.hw, args.seeds, args.masks or ())
    elif args.workload is not None:
        points = sweep.grid_workload(args.workload, args.sparsity, args.hw, args.seeds)
    else:
        points = sweep.grid(args.model, options, args.sparsity, args.hw, args.seeds)
    ran, _, totals = sweep.run_and_gather(points, args.out, force=args.force, jobs=args.jobs,
                                          scheduler=args.scheduler, progress=_progress(args, "sweep"), note=_note)
    if not args.quiet:
        columns = [c for c in ("model", "sparsity", "masks", "seed", "hardware", "cycles", "latency_s", "energy_pj",
                               "dram_read_bytes", "multiplier_utilization") if c in totals]
        _print(totals[columns], as_csv=False)
        print(f"{ran} points simulated, {len(points) - ran} already done; {args.out / 'points.csv'}, "
              f"{args.out / 'totals.csv'}", file=sys.stderr)
    return 0


def _note(text: str) -> None:
    """Something the user should know that is not an error (e.g. damaged results computed again)."""
    print(f"accelsim: note: {text}", file=sys.stderr)


def _progress(args: argparse.Namespace, desc: str):
    """A tqdm bar on stderr, or None in --quiet mode."""
    if args.quiet:
        return None
    from tqdm import tqdm
    return lambda it, total: tqdm(it, total=total, desc=desc, unit="point", file=sys.stderr)


def _cmd_compare(args: argparse.Namespace) -> int:
    from accelsim.study import compare
    if args.workload:
        if str(args.structure) != "unstructured":
            raise InputError("a structure applies to the paper's models only", key="--structure",
                             expected="--family with --structure (imported models run at their real zeros)",
                             got=str(args.structure))
        table = compare.compare_imported(args.workload, args.accuracy or [], args.hw, args.out,
                                         metric=args.metric, higher_is_better=not args.lower_is_better,
                                         seed=args.seed, jobs=args.jobs, force=args.force, scheduler=args.scheduler,
                                         progress=_progress(args, "compare"), note=_note)
    else:
        table = compare.compare(args.family, args.hw, args.out, seed=args.seed, jobs=args.jobs, force=args.force,
                                scheduler=args.scheduler, progress=_progress(args, "compare"), note=_note,
                                resolution=args.resolution, structure=args.structure)
    if not args.quiet:
        _print(compare.headline(table), as_csv=args.csv)
        print(f"{args.out / 'compare.csv'}: every variant on every machine", file=sys.stderr)
    return 0


def _cmd_explore(args: argparse.Namespace) -> int:
    from accelsim.study import explore, space
    searched = space.read_space(args.space)
    progress = None
    if not args.quiet:
        from tqdm import tqdm
        progress = lambda total: tqdm(total=total, desc="explore", unit="trial", file=sys.stderr)  # noqa: E731
    table = explore.explore(searched, args.out, trials=args.trials, seed=args.seed, jobs=args.jobs,
                            scheduler=args.scheduler, force=args.force, progress=progress, note=_note)
    if not args.quiet:
        front = explore.front(table, searched)
        columns = [c for c in ("trial", *(d.name for d in searched.dimensions), "latency_s", "energy_pj",
                               "power_mw", "sram_kb", "accuracy") if c in front]
        _print(front[columns], as_csv=args.csv)
        states = ", ".join(f"{n} {s}" for s, n in table["state"].value_counts().items())
        print(f"{len(table)} trials ({states}); {len(front)} on the front; {args.out / 'trials.csv'}, "
              f"{args.out / 'front.csv'}", file=sys.stderr)
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from accelsim.study import sensitivity
    table = sensitivity.sensitivity(args.dir)
    if not args.quiet:
        energy = table[table["objective"] == "energy"]
        columns = ["verdict", "winner", "margin", "parameter", "flip_factor_down", "flip_factor_up"]
        _print(table if args.csv else energy[columns], as_csv=args.csv)
        print(f"{table['verdict'].nunique()} verdicts; {args.dir / sensitivity.SENSITIVITY_CSV}", file=sys.stderr)
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from accelsim.importers.onnx import parse_input_shape
    from accelsim.study import imported
    shapes = dict(parse_input_shape(text) for text in args.input_shape or [])
    model, table = imported.import_model(args.model, args.out, input_shapes=shapes, strict=args.strict,
                                         samples=args.samples, force=args.force)
    for warning in model.warnings:
        print(f"accelsim: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        _print(table if args.csv else imported.op_summary(table), args.csv)
        simulated = table[table["status"] == "simulated"]
        print(f"{len(model.model.layers)} layers, {model.model.macs} MACs simulated "
              f"({simulated['macs_share'].sum():.1%} of the model's MACs, {simulated['bytes_share'].sum():.1%} of "
              f"its bytes); {', '.join(f'{n} {s}' for s, n in table['status'].value_counts().items())} nodes; "
              f"written to {args.out}", file=sys.stderr)
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from accelsim import plots   # matplotlib only for this command
    formats = plots.FORMATS if args.format is None else args.format
    written = plots.plot_directory(args.dir, formats=formats)
    if not args.quiet:
        stems = list(dict.fromkeys(path.stem for path in written))
        print(f"{len(stems)} figures ({', '.join(formats)}) in {written[0].parent}: {', '.join(stems)}")
    return 0


@contextmanager
def _naming_epochs(args: argparse.Namespace) -> Iterator[None]:
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
def _naming_options(options: dict[str, str]) -> Iterator[None]:
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


def _cmd_train(args: argparse.Namespace) -> int:
    from accelsim.study import training
    overrides = {"epochs": args.epochs} if args.epochs is not None else {}
    with _naming_epochs(args), _naming_options({"s_f": "--sparsity", "sparsity": "--sparsity"}):
        result = training.train_run(args.task, tuple(args.hidden), args.sparsity, schedule=args.schedule,
                                    variant=args.variant, structure=str(args.structure), seed=args.seed,
                                    out=args.out, force=args.force, **overrides)
    if args.export_onnx is not None:
        from accelsim.importers.onnx.export import save_mlp
        save_mlp(args.export_onnx, result.layer_names, result.weights, result.biases)
    if not args.quiet:
        config = result.config
        shape = "" if config.structure == "unstructured" else f"{config.structure}, "
        print(f"{args.task}: hidden {','.join(map(str, args.hidden))}, sparsity {config.s_f:g} "
              f"({shape}{args.schedule}, {args.variant}): test accuracy {result.test_accuracy:.4f}, "
              f"{result.nnz} non-zero weights; masks, weights, log and figures in {args.out}")
    return 0


def _train_compare_table(summary):
    """The readable ``train-compare`` table (summary.csv and ``--csv`` have every column): per budget, kind
    and machine the model, its NNZ and size, test accuracy (mean +- std over seeds), latency and energy."""
    table = summary[["budget", "kind", "model", "hardware", "nnz", "model_mb"]].copy()
    mean, std = summary["test_accuracy_mean"], summary["test_accuracy_std"]
    table["test_accuracy"] = [f"{m:.4f}" if s != s else f"{m:.4f} +- {s:.4f}" for m, s in zip(mean, std)]
    table["latency_us_mean"] = summary["latency_s_mean"] * 1e6
    table["energy_uj_mean"] = summary["energy_pj_mean"] / 1e6
    return table


def _cmd_train_compare(args: argparse.Namespace) -> int:
    from accelsim.study import training
    overrides = {"epochs": args.epochs} if args.epochs is not None else {}
    with _naming_epochs(args), _naming_options({"sparsities": "--sparsity", "seeds": "--seeds",
                                                "large_hidden": "--hidden"}):
        results = training.train_compare(args.task, large_hidden=tuple(args.hidden),
                                         sparsities=tuple(args.sparsity), seeds=tuple(args.seeds), hw_files=args.hw,
                                         jobs=args.jobs, structures=tuple(args.structures), out=args.out,
                                         force=args.force, **overrides)
    if not args.quiet:
        summary = training.summarise(results)
        _print(summary if args.csv else _train_compare_table(summary), as_csv=args.csv)
        print(f"every column in {args.out / 'summary.csv'} (--csv prints it), per seed in results.csv; "
              f"figures in {args.out / 'figures'}", file=sys.stderr)
    return 0


def _cmd_engines(args: argparse.Namespace) -> int:
    from accelsim.reports.reference import engines_table
    _print(engines_table(), args.csv)
    return 0


def _cmd_hwconfig(args: argparse.Namespace) -> int:
    from accelsim.hardware import load_hardware
    from accelsim.reports import reference
    if args.markdown:
        print(reference.hardware_markdown(), end="")
    elif args.reference is not None or args.file is None:
        _print(reference.hardware_reference(_engine_name(args.reference or None)), args.csv)
    else:
        hw = load_hardware(args.file)
        print(f"{args.file}: {hw.name}, engine {hw.engine}, {hw.pe_count} PEs x {hw.multipliers_per_pe} "
              f"multipliers, {hw.sram_bytes} bytes of SRAM, {hw.clock_hz:g} Hz; config hash {hw.config_hash}")
    return 0


def _engine_name(name: str | None) -> str | None:
    """``--reference ENGINE``: a registered accelerator, or None for all of them."""
    from accelsim.accelerators import ACCELERATORS
    from accelsim.errors import did_you_mean
    if name is not None and name not in ACCELERATORS:
        raise InputError("unknown engine" + did_you_mean(name, ACCELERATORS), key="--reference",
                         expected="one of " + ", ".join(ACCELERATORS), got=name)
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="accelsim", description="What pruning really costs on a sparse DNN accelerator.")
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    models = commands.add_parser("models", help="list the model zoo with parameter counts")
    models.add_argument("--csv", action="store_true", help="one CSV row per model variant")
    models.set_defaults(run=_cmd_models)

    en = commands.add_parser("engines", help="the accelerators: layer types each runs, whether it skips zeros")
    en.add_argument("--csv", action="store_true", help="one CSV row per accelerator")
    en.set_defaults(run=_cmd_engines)

    hc = commands.add_parser("hwconfig", help="every hardware YAML key (--reference), or check one file")
    hc.add_argument("file", type=Path, nargs="?", metavar="FILE", help="a hardware description to check")
    hc.add_argument("--reference", nargs="?", const="", metavar="ENGINE",
                    help="print every key with type, unit, accepted values, default and help (one engine's only, "
                         "given its name)")
    hc.add_argument("--markdown", action="store_true", help="the whole reference as docs/hardware.md")
    hc.add_argument("--csv", action="store_true")
    hc.set_defaults(run=_cmd_hwconfig)

    fp = commands.add_parser("footprint", help="non-zeros and storage per sparse format (MB)")
    _add_model_options(fp, workload=True)
    fp.add_argument("--sparsity", type=_sparsity_list, help="comma-separated, e.g. 0,0.5,0.9 (not with N:M)")
    _add_structure(fp)
    fp.add_argument("--seed", type=int, default=0, help="seed of the synthetic weights (default 0)")
    fp.add_argument("--paper", action="store_true", help="add the paper's Table 5/6 values beside ours")
    fp.add_argument("--csv", action="store_true")
    fp.set_defaults(run=_cmd_footprint)

    pr = commands.add_parser("prune", help="magnitude-prune a zoo or imported model and write its masks (.npz)")
    _add_model_options(pr, workload=True)
    pr.add_argument("--sparsity", type=float,
                    help="target sparsity in [0, 1): of weights, blocks or channels (not with N:M)")
    _add_structure(pr)
    pr.add_argument("--method", choices=("uniform", "global"), default="uniform",
                    help="uniform: every pruned layer to the sparsity; global: one magnitude threshold")
    pr.add_argument("--seed", type=int, default=0, help="seed of a zoo model's synthetic weights (default 0)")
    pr.add_argument("--out", type=Path, required=True, help="output .npz file")
    pr.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    pr.add_argument("--csv", action="store_true")
    pr.add_argument("--quiet", action="store_true", help="print nothing on success")
    pr.set_defaults(run=_cmd_prune)

    sim = commands.add_parser("simulate", help="cycles, latency, accesses and energy per layer and in total")
    _add_model_options(sim, workload=True)
    sim.add_argument("--hw", type=Path, required=True, help="hardware description (YAML)")
    masks = sim.add_mutually_exclusive_group()
    masks.add_argument("--masks", type=Path, help="weight masks (.npz from 'accelsim prune')")
    masks.add_argument("--sparsity", type=float, help="prune uniformly to this sparsity (seeded weights)")
    sim.add_argument("--seed", type=int, default=0, help="seed of weights and activations (default 0)")
    sim.add_argument("--out", type=Path, help="write layers.csv and summary.json into this directory")
    sim.add_argument("--force", action="store_true", help="overwrite results already in --out")
    sim.add_argument("--csv", action="store_true", help="print every per-layer column as CSV")
    sim.add_argument("--quiet", action="store_true", help="print nothing on success")
    sim.set_defaults(run=_cmd_simulate)

    sw = commands.add_parser("sweep", help="a grid of models x sparsities x hardware x seeds; resumable")
    which = sw.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help=f"zoo family: {', '.join(zoo.FAMILIES)}")
    which.add_argument("--workload", type=Path, help="a workload file (accelsim YAML or SCALE-Sim CSV); at "
                                                    "sparsity 0 a YAML file's densities apply")
    sw.add_argument("--width", type=_list_of(float), help="MobileNet widths, e.g. 0.25,0.5,1.0")
    sw.add_argument("--size", type=_list_of(str), help="PTB sizes, e.g. small,medium,large")
    sw.add_argument("--units", type=_list_of(int), help="GNMT units, e.g. 256,1024")
    sw.add_argument("--steps", type=_list_of(int), help="PTB tokens per inference")
    sw.add_argument("--sparsity", type=_sparsity_list, required=True, help="comma-separated, e.g. 0,0.5,0.9")
    sw.add_argument("--masks", type=Path, nargs="+", help="with --workload DIR (an import): also one point per "
                                                          "masks file (e.g. from 'accelsim prune --workload DIR')")
    sw.add_argument("--hw", type=Path, nargs="+", required=True, help="hardware descriptions (YAML)")
    sw.add_argument("--seeds", type=_list_of(int), default=[0], help="comma-separated seeds (default 0)")
    sw.add_argument("--out", type=Path, required=True, help="sweep directory (re-running resumes)")
    sw.add_argument("--force", action="store_true", help="write into an --out that holds other files")
    sw.add_argument("--jobs", type=_workers, default=os.cpu_count() or 1, help="local worker processes")
    sw.add_argument("--scheduler", help="a Dask scheduler address (tcp://HOST:PORT) instead of local workers")
    sw.add_argument("--quiet", action="store_true", help="no progress bar, no table")
    sw.set_defaults(run=_cmd_sweep)

    cp = commands.add_parser("compare", help="large-sparse vs small-dense at equal footprint (the paper's pairs)")
    what = cp.add_mutually_exclusive_group(required=True)
    what.add_argument("--family", help="mobilenet (Table 6) | ptb (Table 3) | gnmt (Table 4)")
    cp.add_argument("--resolution", type=int, help="with --family mobilenet: input size (default 224, the paper's)")
    _add_structure(cp)
    what.add_argument("--workload", type=Path, nargs="+", metavar="DIR",
                      help="your own models: folders written by 'accelsim import', each at its real zeros")
    cp.add_argument("--accuracy", type=_list_of(float, "numbers"), help="with --workload: each model's accuracy")
    cp.add_argument("--metric", default="accuracy", help="with --workload: the accuracy's name (default accuracy)")
    cp.add_argument("--lower-is-better", action="store_true", help="with --workload: lower metric wins (perplexity)")
    cp.add_argument("--hw", type=Path, nargs="+", required=True, help="hardware descriptions (YAML)")
    cp.add_argument("--out", type=Path, required=True, help="results directory (re-running resumes)")
    cp.add_argument("--force", action="store_true", help="write into an --out that holds other files")
    cp.add_argument("--seed", type=int, default=0, help="seed of weights and activations (default 0)")
    cp.add_argument("--jobs", type=_workers, default=os.cpu_count() or 1, help="local worker processes")
    cp.add_argument("--scheduler", help="a Dask scheduler address instead of local workers")
    cp.add_argument("--csv", action="store_true", help="print the headline table as CSV")
    cp.add_argument("--quiet", action="store_true")
    cp.set_defaults(run=_cmd_compare)

    ex = commands.add_parser("explore", help="multi-objective search over machines and models (NSGA-II); resumable")
    ex.add_argument("space", type=Path, metavar="SPACE.yaml", help="the search space (docs/explore.md)")
    ex.add_argument("--out", type=Path, required=True, help="results directory (re-running resumes)")
    ex.add_argument("--trials", type=int, default=100, help="trials to run in all (default 100)")
    ex.add_argument("--seed", type=int, default=0, help="the sampler's seed: the same seed, the same trials")
    ex.add_argument("--force", action="store_true", help="write into an --out that holds other files")
    ex.add_argument("--jobs", type=_workers, default=os.cpu_count() or 1, help="local worker processes")
    ex.add_argument("--scheduler", help="a Dask scheduler address instead of local workers")
    ex.add_argument("--csv", action="store_true", help="print the front as CSV")
    ex.add_argument("--quiet", action="store_true")
    ex.set_defaults(run=_cmd_explore)

    se = commands.add_parser("sensitivity", help="how far each energy figure can move before a verdict flips")
    se.add_argument("dir", type=Path, metavar="DIR", help="output of accelsim compare or accelsim explore")
    se.add_argument("--csv", action="store_true", help="print every row as CSV")
    se.add_argument("--quiet", action="store_true")
    se.set_defaults(run=_cmd_sensitivity)

    im = commands.add_parser("import", help="an ONNX model -> a folder of its layers, real weights and zeros")
    im.add_argument("model", type=Path, metavar="MODEL.onnx", help="the ONNX model (docs/import.md)")
    im.add_argument("--input-shape", action="append", metavar="NAME=1x3x224x224",
                    help="fix an input's dimensions (needed for dynamic ones); repeat per input")
    im.add_argument("--samples", type=Path, help="inputs to measure activations on: .npy (one input) or .npz "
                                                 "(an array per input name), samples on the first axis")
    im.add_argument("--strict", action="store_true", help="refuse ops accelsim cannot map between layers")
    im.add_argument("--out", type=Path, required=True, help="folder to write (simulate --workload reads it)")
    im.add_argument("--force", action="store_true", help="overwrite an earlier import in --out")
    im.add_argument("--csv", action="store_true", help="print the node table as CSV")
    im.add_argument("--quiet", action="store_true")
    im.set_defaults(run=_cmd_import)

    pl = commands.add_parser("plot", help="figures (PNG, SVG) of results on disk, into DIR/figures/")
    pl.add_argument("dir", type=Path, metavar="DIR", help="output of simulate --out, sweep, compare or a folder "
                                                          "of simulate outputs")
    pl.add_argument("--format", type=_list_of(str), help="comma-separated: png, svg, pdf (default png,svg)")
    pl.add_argument("--quiet", action="store_true")
    pl.set_defaults(run=_cmd_plot)

    tr = commands.add_parser("train", help="train an MLP with AGP pruning on a shipped data set")
    tr.add_argument("--task", default="mnist1d", help="mnist1d (default) | digits")
    tr.add_argument("--hidden", type=_list_of(int), default=[256, 256], help="hidden sizes, e.g. 256,256")
    tr.add_argument("--sparsity", type=float,
                    help="final sparsity s_f in [0, 1) (required but with N:M, which sets its own)")
    tr.add_argument("--schedule", choices=("agp", "none"), default="agp", help="agp (eq. 1) or none (dense)")
    tr.add_argument("--variant", choices=("uniform", "layerwise", "global"), default="uniform")
    _add_structure(tr)
    tr.add_argument("--epochs", type=int, help="training epochs (default: the trainer's)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out", type=Path, required=True, help="folder for masks, weights, log and figures")
    tr.add_argument("--force", action="store_true", help="overwrite a previous run in --out")
    tr.add_argument("--export-onnx", type=Path, metavar="FILE.onnx",
                    help="also write the trained, pruned MLP as ONNX (for 'accelsim import')")
    tr.add_argument("--quiet", action="store_true")
    tr.set_defaults(run=_cmd_train)

    tc = commands.add_parser("train-compare",
                             help="train large-sparse and small-dense MLPs of equal NNZ, then simulate both")
    tc.add_argument("--task", default="mnist1d")
    tc.add_argument("--hidden", type=_list_of(int), default=[256, 256], help="hidden sizes of the large model")
    tc.add_argument("--sparsity", type=_sparsity_list, default=[0.75, 0.9, 0.95],
                    help="NNZ budgets as sparsities of the large model")
    tc.add_argument("--seeds", type=_list_of(int), default=[0, 1, 2])
    tc.add_argument("--structures", type=_list_of(_structure_name, "structures: N:M, block:B or channel"),
                    default=[], help="also train the large model pruned with these structures, e.g. "
                                     "2:4,block:4,channel (docs/structured.md; costs a training run each)")
    tc.add_argument("--hw", type=Path, nargs="+",
                    help="hardware (default: dense_edge and eie_like, and nm_systolic with an N:M structure)")
    tc.add_argument("--epochs", type=int, help="training epochs (default: the trainer's)")
    tc.add_argument("--jobs", type=_workers, default=os.cpu_count() or 1)
    tc.add_argument("--out", type=Path, required=True)
    tc.add_argument("--force", action="store_true")
    tc.add_argument("--csv", action="store_true")
    tc.add_argument("--quiet", action="store_true")
    tc.set_defaults(run=_cmd_train_compare)
    return parser


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


if __name__ == "__main__":
    sys.exit(main())
