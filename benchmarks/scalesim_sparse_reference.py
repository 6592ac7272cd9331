#!/usr/bin/env python3
"""Produce per-layer SCALE-Sim 3.0.0 reference numbers for accelsim's N:M systolic engine (layer-wise or
row-wise N:M).

What it does
  1. Uses SCALE-Sim's own virtual environment (``benchmarks/.scalesim-venv``, made by
     ``scalesim_reference.ensure_venv``: scalesim 3.0.0 with numpy<2 and pandas<2.3, which its sparse path needs).
  2. Writes, in the scratch folder ``benchmarks/.scalesim-work/<tag>/``, a copy of the topology with a trailing
     ``Sparsity`` column (``N:M`` on every row) and a copy of the config with ``SparsitySupport: true``,
     ``OptimizedMapping: false`` (layer-wise N:M), ``SparseRep: ellpack_block`` and the array size asked for;
     with ``--rowwise``, ``OptimizedMapping: true`` and ``BlockSize: M`` (row-wise mode: SCALE-Sim gives each
     filter its own N in [1, M/2] from its seeded generator and ignores the topology's N; the topology's M
     still sets the metadata bits of SPARSE_REPORT.csv, so ``--nm`` must be M/2:M).
  3. Runs ``python -m scalesim.scale`` there, deletes the traces, parses COMPUTE_REPORT.csv and
     SPARSE_REPORT.csv and folds the per-channel layers of each depthwise (``DP*``) row back into one row.
  4. Writes ``benchmarks/reference/scalesim_sparse_<network>_<rows>x<cols>_<N>of<M>.csv`` (row-wise:
     ``..._rowwise_<N>of<M>.csv``; ``#`` metadata
     lines: SCALE-Sim version, config text, times) and a sidecar ``.json``.

Usage (from the repo root)
  python benchmarks/scalesim_sparse_reference.py --topology benchmarks/reference/alexnet.csv \
      --network alexnet --nm 2:4 --array 32x32
  python benchmarks/scalesim_sparse_reference.py --topology benchmarks/reference/alexnet.csv \
      --network alexnet --nm 2:4 --array 32x32 --rowwise

Only the Python standard library is used here.
"""
from __future__ import annotations

import argparse
import configparser
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scalesim_reference as ref  # noqa: E402  (the dense script: venv, run, report parsing, folding)

COLUMNS = ["layer", "layer_type", "sim_layers", *ref.TOPO_COLS, "ofmap_h", "ofmap_w", "macs", "n", "m",
           "total_cycles", "stall_cycles", "compute_cycles", "mapping_efficiency_pct",
           "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
           "original_filter_storage_words", "new_storage_words", "metadata_storage_words"]
SPARSE_SUMS = ("original_filter_storage_words", "new_storage_words", "metadata_storage_words")


def write_inputs(topology: Path, base_config: Path, outdir: Path, nm: str, rows: int, cols: int,
                 run_name: str, rowwise: bool = False) -> tuple[Path, Path]:
    """The topology with a Sparsity column and the sparse config (row-wise mode: BlockSize = M), written into
    ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    lines = [ln.rstrip() for ln in topology.read_text().splitlines() if ln.strip()]
    head = lines[0].rstrip(",") + ", Sparsity,"
    body = [ln.rstrip().rstrip(",") + f", {nm}," for ln in lines[1:]]
    topo = outdir / f"{topology.stem}_{nm.replace(':', 'of')}.csv"
    topo.write_text("\n".join([head, *body]) + "\n")
    cp = configparser.ConfigParser()
    cp.optionxform = str  # keep SCALE-Sim's key spelling
    cp.read(base_config)
    cp["general"]["run_name"] = run_name
    cp["architecture_presets"]["ArrayHeight"] = str(rows)
    cp["architecture_presets"]["ArrayWidth"] = str(cols)
    cp["sparsity"]["SparsitySupport"] = "true"
    cp["sparsity"]["SparseRep"] = "ellpack_block"
    cp["sparsity"]["OptimizedMapping"] = "true" if rowwise else "false"
    if rowwise:
        cp["sparsity"]["BlockSize"] = nm.split(":")[1]
    config = outdir / f"{run_name}.cfg"
    with open(config, "w") as f:
        cp.write(f)
    return topo, config


def sparse_rows(outdir: Path) -> list[dict]:
    """SPARSE_REPORT.csv: per simulated layer, filter storage and metadata in 32-bit words."""
    report = ref.read_report(ref.find_report(outdir, "SPARSE_REPORT.csv"))
    # LayerID, Sparsity Representation, Original Filter Storage, New Storage (Filter+Metadata),
    # Filter Metadata Storage, Avg FILTER Metadata SRAM BW   (scalesim/simulator.py)
    return [dict(zip(SPARSE_SUMS, map(float, r[2:5]))) for r in report]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--topology", required=True, type=Path, help="SCALE-Sim conv topology CSV (no Sparsity column)")
    ap.add_argument("--network", required=True, help="name used in the output file name")
    ap.add_argument("--nm", required=True, help="N:M applied to every layer, e.g. 2:4")
    ap.add_argument("--array", default="32x32", help="ROWSxCOLS of the weight-stationary array")
    ap.add_argument("--config", type=Path, default=ref.REF_DIR / "scale_ws.cfg", help="base SCALE-Sim config")
    ap.add_argument("--rowwise", action="store_true",
                    help="row-wise mode (OptimizedMapping true, BlockSize M; --nm must be M/2:M)")
    ap.add_argument("--parse-only", action="store_true", help="re-parse the reports kept in the scratch folder")
    args = ap.parse_args(argv)
    n, m = (int(x) for x in args.nm.split(":"))
    rows, cols = (int(x) for x in args.array.lower().split("x"))
    if args.rowwise and 2 * n != m:
        ap.error(f"--rowwise: --nm must be M/2:M (SCALE-Sim draws each filter's N up to BlockSize/2), got {args.nm}")
    mode = "rowwise_" if args.rowwise else ""
    tag = f"{args.network}_{rows}x{cols}_{mode}{n}of{m}"
    outdir = ref.WORK_DIR / f"sparse_{tag}"
    topo_rows = ref.read_topology(args.topology)
    py = ref.ensure_venv()
    versions = ref.venv_versions(py)
    topology, config = write_inputs(args.topology, args.config, outdir / "inputs", args.nm, rows, cols, tag,
                                    args.rowwise)
    run_dir = outdir / "run"
    if args.parse_only:
        run = json.loads((outdir / "run.json").read_text())
    else:
        print(f"[scalesim_sparse_reference] SCALE-Sim {versions['scalesim']}: {tag}", flush=True)
        run = ref.run_scalesim(py, config, topology, ref.REF_DIR / "dummy_layout.csv", run_dir)
        (outdir / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    sims = ref.per_sim_layer(run_dir)
    for sim, sparse in zip(sims, sparse_rows(run_dir), strict=True):
        sim.update(sparse)
    ref.SUM_COLS.update(SPARSE_SUMS)
    ref.OUT_COLS.extend(c for c in SPARSE_SUMS if c not in ref.OUT_COLS)
    folded = ref.fold(topo_rows, sims)
    for r in folded:
        r.update(n=n, m=m)
    meta = {"source": "SCALE-Sim (python -m scalesim.scale), via benchmarks/scalesim_sparse_reference.py",
            "scalesim_version": versions["scalesim"], "numpy_version": versions["numpy"],
            "python_version": versions["python"], "topology_file": args.topology.name, "network": args.network,
            "dataflow": "ws", "array": f"{rows}x{cols}",
            "sparsity": (f"row-wise, BlockSize {m}: each filter its own N in [1, {n}] (seed 40)" if args.rowwise
                         else f"layer-wise {n}:{m} on every layer"),
            **run, "config_text": config.read_text(),
            "notes": "one row per topology row; DP* rows sum SCALE-Sim's C single-channel layers; "
                     "compute_cycles = total_cycles - stall_cycles; storage in 32-bit words (SPARSE_REPORT.csv)"}
    out_csv = ref.REF_DIR / f"scalesim_sparse_{tag}.csv"
    with open(out_csv, "w", newline="") as f:
        for k in ("source", "scalesim_version", "numpy_version", "network", "dataflow", "array", "sparsity",
                  "wall_time_s", "cpu_user_s", "peak_rss_mb", "date_utc"):
            f.write(f"# {k}: {meta[k]}\n")
        f.write(",".join(COLUMNS) + "\n")
        for r in folded:
            f.write(",".join(str(r.get(c, "")) for c in COLUMNS) + "\n")
    out_csv.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"[scalesim_sparse_reference] wrote {out_csv.name} ({len(folded)} rows, {run['wall_time_s']} s)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
