"""What the commands print: readable tables and CSV, notes, progress bars, a simulation's summary."""
from __future__ import annotations

import argparse
import numbers
import sys
from collections.abc import Sequence

from accelsim.units import pj_to_uj, seconds_to_ms


def print_table(table, as_csv: bool) -> None:
    """A DataFrame as CSV (every digit) or as a readable table (:func:`print_rows`)."""
    if as_csv:
        table.to_csv(sys.stdout, index=False)
        return
    print_rows(list(table.columns), table.to_dict("records"))


#: Columns printed as whole numbers in a readable table (counts of cycles, bytes, MACs, weights).
WHOLE = ("cycles", "cycles_per_pe", "bytes", "macs", "nnz", "params")


def print_rows(columns: Sequence[str], rows: Sequence[dict], float_format: str = "%.4g") -> None:
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


#: The per-layer columns the readable ``simulate`` table shows (layers.csv has them all).
SIMULATE_COLUMNS = ("layer", "kind", "cycles", "latency_s", "multiplier_utilization", "stall_memory_cycles_per_pe",
                    "stall_sram_cycles_per_pe", "stall_imbalance_cycles_per_pe", "stall_conflict_cycles_per_pe",
                    "dram_read_bytes", "dram_write_bytes", "energy_pj")


def show_simulation(args: argparse.Namespace, result, hw, note: str = "") -> int:
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
    print_rows(columns, [*result.rows, total])
    print(f"\n{model_name} on {hw.name} ({hw.engine}): {int(result.total['cycles'])} cycles, "
          f"{seconds_to_ms(result.total['latency_s']):.4g} ms, {pj_to_uj(result.total['energy_pj']):.4g} uJ"
          + (f"; {note}" if note else "") + (f"; results in {args.out}" if args.out is not None else ""))
    return 0


def note(text: str) -> None:
    """Something the user should know that is not an error (e.g. damaged results computed again)."""
    print(f"accelsim: note: {text}", file=sys.stderr)


def progress_bar(args: argparse.Namespace, desc: str):
    """A tqdm bar on stderr, or None in --quiet mode."""
    if args.quiet:
        return None
    from tqdm import tqdm
    return lambda it, total: tqdm(it, total=total, desc=desc, unit="point", file=sys.stderr)


def train_compare_table(summary):
    """The readable ``train-compare`` table (summary.csv and ``--csv`` have every column): per budget, kind
    and machine the model, its NNZ and size, test accuracy (mean +- std over seeds), latency and energy."""
    table = summary[["budget", "kind", "model", "hardware", "nnz", "model_mb"]].copy()
    mean, std = summary["test_accuracy_mean"], summary["test_accuracy_std"]
    table["test_accuracy"] = [f"{m:.4f}" if s != s else f"{m:.4f} +- {s:.4f}" for m, s in zip(mean, std)]
    table["latency_us_mean"] = summary["latency_s_mean"] * 1e6
    table["energy_uj_mean"] = summary["energy_pj_mean"] / 1e6
    return table
