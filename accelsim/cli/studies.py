"""The commands that run many simulations or trainings: sweep, compare, explore, sensitivity, train,
train-compare. Each imports what it needs when it runs."""
from __future__ import annotations

import argparse
import sys

from accelsim.cli.options import naming_epochs, naming_options, zoo_options
from accelsim.cli.output import note, print_table, progress_bar, train_compare_table
from accelsim.errors import InputError


def cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.study import sweep
    options = zoo_options(args, ("width", "size", "units", "steps"))
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
                                          scheduler=args.scheduler, progress=progress_bar(args, "sweep"), note=note)
    if not args.quiet:
        columns = [c for c in ("model", "sparsity", "masks", "seed", "hardware", "cycles", "latency_s", "energy_pj",
                               "dram_read_bytes", "multiplier_utilization") if c in totals]
        print_table(totals[columns], as_csv=False)
        print(f"{ran} points simulated, {len(points) - ran} already done; {args.out / 'points.csv'}, "
              f"{args.out / 'totals.csv'}", file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from accelsim.study import compare
    if args.workload:
        if str(args.structure) != "unstructured":
            raise InputError("a structure applies to the paper's models only", key="--structure",
                             expected="--family with --structure (imported models run at their real zeros)",
                             got=str(args.structure))
        table = compare.compare_imported(args.workload, args.accuracy or [], args.hw, args.out,
                                         metric=args.metric, higher_is_better=not args.lower_is_better,
                                         seed=args.seed, jobs=args.jobs, force=args.force, scheduler=args.scheduler,
                                         progress=progress_bar(args, "compare"), note=note)
    else:
        table = compare.compare(args.family, args.hw, args.out, seed=args.seed, jobs=args.jobs, force=args.force,
                                scheduler=args.scheduler, progress=progress_bar(args, "compare"), note=note,
                                resolution=args.resolution, structure=args.structure)
    if not args.quiet:
        print_table(compare.headline(table), as_csv=args.csv)
        print(f"{args.out / 'compare.csv'}: every variant on every machine", file=sys.stderr)
    return 0


def cmd_explore(args: argparse.Namespace) -> int:
    from accelsim.study import explore, space
    searched = space.read_space(args.space)
    progress = None
    if not args.quiet:
        from tqdm import tqdm
        progress = lambda total: tqdm(total=total, desc="explore", unit="trial", file=sys.stderr)  # noqa: E731
    table = explore.explore(searched, args.out, trials=args.trials, seed=args.seed, jobs=args.jobs,
                            scheduler=args.scheduler, force=args.force, progress=progress, note=note)
    if not args.quiet:
        front = explore.front(table, searched)
        columns = [c for c in ("trial", *(d.name for d in searched.dimensions), "latency_s", "energy_pj",
                               "power_mw", "sram_kb", "accuracy") if c in front]
        print_table(front[columns], as_csv=args.csv)
        states = ", ".join(f"{n} {s}" for s, n in table["state"].value_counts().items())
        print(f"{len(table)} trials ({states}); {len(front)} on the front; {args.out / 'trials.csv'}, "
              f"{args.out / 'front.csv'}", file=sys.stderr)
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from accelsim.study import sensitivity
    table = sensitivity.sensitivity(args.dir)
    if not args.quiet:
        energy = table[table["objective"] == "energy"]
        columns = ["verdict", "winner", "margin", "parameter", "flip_factor_down", "flip_factor_up"]
        print_table(table if args.csv else energy[columns], as_csv=args.csv)
        print(f"{table['verdict'].nunique()} verdicts; {args.dir / sensitivity.SENSITIVITY_CSV}", file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from accelsim.study import training
    overrides = {"epochs": args.epochs} if args.epochs is not None else {}
    with naming_epochs(args), naming_options({"s_f": "--sparsity", "sparsity": "--sparsity"}):
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


def cmd_train_compare(args: argparse.Namespace) -> int:
    from accelsim.study import training
    overrides = {"epochs": args.epochs} if args.epochs is not None else {}
    with naming_epochs(args), naming_options({"sparsities": "--sparsity", "seeds": "--seeds",
                                                "large_hidden": "--hidden"}):
        results = training.train_compare(args.task, large_hidden=tuple(args.hidden),
                                         sparsities=tuple(args.sparsity), seeds=tuple(args.seeds), hw_files=args.hw,
                                         jobs=args.jobs, structures=tuple(args.structures), out=args.out,
                                         force=args.force, **overrides)
    if not args.quiet:
        summary = training.summarise(results)
        print_table(summary if args.csv else train_compare_table(summary), as_csv=args.csv)
        print(f"every column in {args.out / 'summary.csv'} (--csv prints it), per seed in results.csv; "
              f"figures in {args.out / 'figures'}", file=sys.stderr)
    return 0
