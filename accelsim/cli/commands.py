"""The commands on one model or one machine: models, engines, hwconfig, footprint, prune, simulate, import,
plot. Each imports what it needs when it runs."""
from __future__ import annotations

import argparse
import sys

from accelsim.cli.options import is_imported, model_of, workload_of
from accelsim.cli.output import print_table, show_simulation
from accelsim.errors import InputError


def cmd_models(args: argparse.Namespace) -> int:
    from accelsim import study
    print_table(study.models_table(), args.csv)
    return 0


def cmd_footprint(args: argparse.Namespace) -> int:
    from accelsim import study
    if is_imported(args, folder_only=True):
        from accelsim.importers.bundle import read_bundle
        found = read_bundle(args.workload)
        table = study.footprint_table(found.workload.model, args.sparsity or [], weights=found.weights(),
                                      kept=found.masks, structure=args.structure)
    else:
        table = study.footprint_table(model_of(args), args.sparsity or [], seed=args.seed, with_paper=args.paper,
                                      structure=args.structure)
    print_table(table, args.csv)
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from accelsim import study
    if is_imported(args, folder_only=True):
        from accelsim.study import imported
        if str(args.structure) != "unstructured":
            raise InputError("structured pruning of an imported model is not supported", key="--structure",
                             expected="unstructured (the default)", got=str(args.structure))
        table = imported.prune_folder(args.workload, args.sparsity, method=args.method, out=args.out,
                                      force=args.force)
    else:
        table = study.prune_to_file(model_of(args), args.sparsity, seed=args.seed, out=args.out,
                                    method=args.method, force=args.force, structure=args.structure)
    if not args.quiet:
        print_table(table, args.csv)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from accelsim import study
    from accelsim.hardware import load_hardware
    from accelsim.reports import prepare_output_dir
    if args.masks is not None:
        from accelsim.pruning import load_masks
    hw = load_hardware(args.hw)
    if is_imported(args):
        return _simulate_imported(args, hw)
    workload = workload_of(args) if args.workload is not None else None
    model = model_of(args) if workload is None else workload.model
    masks = load_masks(args.masks, model) if args.masks is not None else None
    if args.out is not None:
        prepare_output_dir(args.out, force=args.force)
    if workload is None:
        result = study.simulate(model, hw, masks=masks, sparsity=args.sparsity, seed=args.seed)
    else:
        result = study.simulate_workload(workload, hw, masks=masks, sparsity=args.sparsity, seed=args.seed)
    return show_simulation(args, result, hw)


def _simulate_imported(args: argparse.Namespace, hw) -> int:
    from accelsim.reports import prepare_output_dir
    from accelsim.study import imported
    if args.out is not None:
        prepare_output_dir(args.out, force=args.force)
    result = imported.simulate_folder(args.workload, hw, masks_file=args.masks, sparsity=args.sparsity,
                                      seed=args.seed)
    return show_simulation(args, result, hw, note=f"activations: {result.metadata['activations']}")


def cmd_import(args: argparse.Namespace) -> int:
    from accelsim.importers.onnx import parse_input_shape
    from accelsim.study import imported
    shapes = dict(parse_input_shape(text) for text in args.input_shape or [])
    model, table = imported.import_model(args.model, args.out, input_shapes=shapes, strict=args.strict,
                                         samples=args.samples, force=args.force)
    for warning in model.warnings:
        print(f"accelsim: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print_table(table if args.csv else imported.op_summary(table), args.csv)
        simulated = table[table["status"] == "simulated"]
        print(f"{len(model.model.layers)} layers, {model.model.macs} MACs simulated "
              f"({simulated['macs_share'].sum():.1%} of the model's MACs, {simulated['bytes_share'].sum():.1%} of "
              f"its bytes); {', '.join(f'{n} {s}' for s, n in table['status'].value_counts().items())} nodes; "
              f"written to {args.out}", file=sys.stderr)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from accelsim.plots import FORMATS     # matplotlib only for this command
    from accelsim.study.figures import plot_directory
    formats = FORMATS if args.format is None else args.format
    written = plot_directory(args.dir, formats=formats, jobs=args.jobs)
    if not args.quiet:
        stems = list(dict.fromkeys(path.stem for path in written))
        print(f"{len(stems)} figures ({', '.join(formats)}) in {written[0].parent}: {', '.join(stems)}")
    return 0


def cmd_engines(args: argparse.Namespace) -> int:
    from accelsim.reports.reference import engines_table
    print_table(engines_table(), args.csv)
    return 0


def cmd_hwconfig(args: argparse.Namespace) -> int:
    from accelsim.hardware import load_hardware
    from accelsim.reports import reference
    if args.markdown:
        print(reference.hardware_markdown(), end="")
    elif args.reference is not None or args.file is None:
        print_table(reference.hardware_reference(engine_name(args.reference or None)), args.csv)
    else:
        hw = load_hardware(args.file)
        print(f"{args.file}: {hw.name}, engine {hw.engine}, {hw.pe_count} PEs x {hw.multipliers_per_pe} "
              f"multipliers, {hw.sram_bytes} bytes of SRAM, {hw.clock_hz:g} Hz; config hash {hw.config_hash}")
    return 0


def engine_name(name: str | None) -> str | None:
    """``--reference ENGINE``: a registered accelerator, or None for all of them."""
    from accelsim.accelerators import ACCELERATORS
    from accelsim.errors import did_you_mean
    if name is not None and name not in ACCELERATORS:
        raise InputError("unknown engine" + did_you_mean(name, ACCELERATORS), key="--reference",
                         expected="one of " + ", ".join(ACCELERATORS), got=name)
    return name
