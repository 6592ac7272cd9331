#!/usr/bin/env python3
"""Produce per-layer SCALE-Sim 3.0.0 reference numbers for accelsim's dense systolic engine.

What it does
  1. Creates SCALE-Sim's own virtual environment at ``benchmarks/.scalesim-venv`` (gitignored) with
     ``scalesim==3.0.0``, ``numpy<2`` and ``pandas<2.3`` if it is missing (numpy 2.4 breaks scalesim 3.0.0,
     and its sparse path needs numpy 1.x and pandas < 2.3; see docs/scalesim_crosscheck.md). accelsim's own environment is never touched.
  2. Runs ``python -m scalesim.scale`` in a scratch folder (``benchmarks/.scalesim-work``, gitignored) for one
     config and one topology, measuring wall time, CPU time and peak RSS of the SCALE-Sim process (os.wait4).
     The per-layer trace files (gigabytes for MobileNet) are deleted after the run; the three report CSVs are
     kept in the scratch folder so ``--parse-only`` can redo step 3 without re-simulating.
  3. Parses COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv and folds the per-channel
     layers that SCALE-Sim makes of each depthwise layer (topology rows named ``DP*``) back into one row per
     original topology row.
  4. Writes ``benchmarks/reference/scalesim_<network>_<dataflow>.csv`` (``#`` header comment lines) plus a
     sidecar ``.json`` with the same metadata (scalesim and numpy versions, config contents, wall time, peak RSS).

Usage (from the repo root, or anywhere: paths are taken as given)
  python benchmarks/scalesim_reference.py --config benchmarks/reference/scale_ws.cfg \
      --topology benchmarks/reference/mobilenet_v1_224.csv --network mobilenet_v1

Only the Python standard library is used here, so any python3 >= 3.10 can run it.
"""
from __future__ import annotations

import argparse
import configparser
import csv
import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_DIR = HERE / ".scalesim-venv"
WORK_DIR = HERE / ".scalesim-work"
REF_DIR = HERE / "reference"
SCALESIM_SPEC = "scalesim==3.0.0"
NUMPY_SPEC = "numpy<2"
PANDAS_SPEC = "pandas<2.3"
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", "SPARSE_REPORT.csv")

# Column names of the output CSV, in order.
TOPO_COLS = ["ifmap_h", "ifmap_w", "filt_h", "filt_w", "channels", "num_filt", "stride"]
OUT_COLS = (
    ["layer", "layer_type", "sim_layers"]
    + TOPO_COLS
    + [
        "ofmap_h", "ofmap_w", "macs",
        "total_cycles", "stall_cycles", "compute_cycles", "total_cycles_incl_prefetch",
        "overall_util_pct", "mapping_efficiency_pct", "compute_util_pct",
        "avg_ifmap_sram_bw", "avg_filter_sram_bw", "avg_ofmap_sram_bw",
        "avg_ifmap_dram_bw", "avg_filter_dram_bw", "avg_ofmap_dram_bw",
        "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
        "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes",
        "sram_ifmap_start_cycle", "sram_ifmap_stop_cycle",
        "sram_filter_start_cycle", "sram_filter_stop_cycle",
        "sram_ofmap_start_cycle", "sram_ofmap_stop_cycle",
        "dram_ifmap_start_cycle", "dram_ifmap_stop_cycle",
        "dram_filter_start_cycle", "dram_filter_stop_cycle",
        "dram_ofmap_start_cycle", "dram_ofmap_stop_cycle",
    ]
)
# Columns that add up over the per-channel layers of a depthwise layer.
SUM_COLS = {
    "total_cycles", "stall_cycles", "compute_cycles", "total_cycles_incl_prefetch",
    "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
    "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes",
}


# ----------------------------------------------------------------------------------------------- venv
def venv_python() -> Path:
    return VENV_DIR / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    """Create benchmarks/.scalesim-venv with scalesim 3.0.0, numpy<2 and pandas<2.3 unless it already works."""
    py = venv_python()
    probe = "import scalesim, numpy; from importlib.metadata import version; print(version('scalesim'), numpy.__version__)"
    if py.exists():
        r = subprocess.run([str(py), "-c", probe], capture_output=True, text=True)
        if r.returncode == 0:
            sv, nv = r.stdout.split()
            if sv == "3.0.0" and tuple(int(x) for x in nv.split(".")[:2]) < (2, 0):
                return py
    print(f"[scalesim_reference] creating {VENV_DIR.relative_to(HERE.parent)} ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=py.exists()).create(VENV_DIR)
    subprocess.run([str(py), "-m", "pip", "install", "-q", SCALESIM_SPEC, NUMPY_SPEC, PANDAS_SPEC], check=True)
    subprocess.run([str(py), "-c", probe], check=True)
    return py


def venv_versions(py: Path) -> dict:
    code = (
        "import json, sys, numpy; from importlib.metadata import version;"
        "print(json.dumps({'scalesim': version('scalesim'), 'numpy': numpy.__version__,"
        "'python': sys.version.split()[0]}))"
    )
    return json.loads(subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True).stdout)


# ----------------------------------------------------------------------------------------------- inputs
def read_config(path: Path) -> dict:
    cp = configparser.ConfigParser()
    cp.read(path)
    a = cp["architecture_presets"]
    return {
        "run_name": cp["general"]["run_name"].strip(),
        "array_height": int(a["ArrayHeight"]),
        "array_width": int(a["ArrayWidth"]),
        "ifmap_sram_kb": int(a["IfmapSramSzkB"]),
        "filter_sram_kb": int(a["FilterSramSzkB"]),
        "ofmap_sram_kb": int(a["OfmapSramSzkB"]),
        "dataflow": a["Dataflow"].strip(),
        "bandwidth_words_per_cycle": int(a["Bandwidth"]),
        "interface_bandwidth": cp["run_presets"]["InterfaceBandwidth"].strip(),
        "sparsity_support": cp["sparsity"]["SparsitySupport"].strip(),
    }


def read_topology(path: Path) -> list[dict]:
    """Rows of a SCALE-Sim conv topology CSV (header line first, trailing comma per row)."""
    rows = []
    with open(path, newline="") as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    for ln in lines[1:]:
        cells = [c.strip() for c in ln.split(",")]
        cells = [c for c in cells if c != ""]
        if len(cells) < 8:
            raise SystemExit(f"{path}: bad topology row {ln!r} (need name + 7 integers)")
        row = {"layer": cells[0]}
        row.update({k: int(v) for k, v in zip(TOPO_COLS, cells[1:8])})
        rows.append(row)
    return rows


def is_depthwise(name: str) -> bool:
    # scalesim/topology_utils.py: a layer whose name contains "DP" is split into C single-channel layers.
    return "DP" in name


# ----------------------------------------------------------------------------------------------- run
def run_scalesim(py: Path, config: Path, topology: Path, layout: Path, outdir: Path) -> dict:
    """Run SCALE-Sim, return wall/cpu time and peak RSS of its process; delete traces, keep reports."""
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    cmd = [str(py), "-m", "scalesim.scale", "-c", str(config), "-t", str(topology), "-l", str(layout),
           "-p", str(outdir)]
    log = open(outdir / "scalesim_stdout.log", "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=outdir)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    if proc.returncode != 0:
        raise SystemExit(f"SCALE-Sim failed with status {proc.returncode}; see {outdir / 'scalesim_stdout.log'}")
    # Delete the trace files (every CSV that is not one of the three reports), keep the reports.
    trace_bytes = 0
    for p in sorted(outdir.rglob("*.csv")):
        if p.name not in REPORTS:
            trace_bytes += p.stat().st_size
            p.unlink()
    for d in sorted(outdir.rglob("layer*"), reverse=True):  # the now empty per-layer trace folders
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    return {
        "wall_time_s": round(wall, 1),
        "cpu_user_s": round(ru.ru_utime, 1),
        "cpu_sys_s": round(ru.ru_stime, 1),
        "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),  # ru_maxrss is in KiB on Linux
        "trace_files_deleted_mb": round(trace_bytes / 2**20, 1),
        "command": "python -m scalesim.scale -c CONFIG -t TOPOLOGY -l LAYOUT -p OUTDIR",
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def find_report(outdir: Path, name: str) -> Path | None:
    hits = sorted(outdir.rglob(name))
    return hits[0] if hits else None


def read_report(path: Path | None) -> list[list[str]]:
    if path is None:
        return []
    with open(path, newline="") as f:
        rows = [[c.strip() for c in r] for r in csv.reader(f)]
    return [[c for c in r if c != ""] for r in rows[1:] if any(r)]


# ----------------------------------------------------------------------------------------------- fold
def _num(s: str):
    x = float(s)
    return int(x) if x.is_integer() and "." not in s else x


def per_sim_layer(outdir: Path) -> list[dict]:
    """One dict per layer SCALE-Sim simulated (depthwise already split), in report order."""
    comp = read_report(find_report(outdir, "COMPUTE_REPORT.csv"))
    bw = read_report(find_report(outdir, "BANDWIDTH_REPORT.csv"))
    acc = read_report(find_report(outdir, "DETAILED_ACCESS_REPORT.csv"))
    if not comp:
        raise SystemExit(f"no COMPUTE_REPORT.csv under {outdir}")
    out = []
    for i, r in enumerate(comp):
        # LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %,
        # Compute Util %   (scalesim 3.0.0, scalesim/scale_sim.py: run_scale -> generate_reports)
        d = {"sim_id": int(r[0])}
        vals = [_num(v) for v in r[1:]]
        if len(vals) == 6:
            d["total_cycles_incl_prefetch"], d["total_cycles"], d["stall_cycles"] = vals[0], vals[1], vals[2]
            d["overall_util_pct"], d["mapping_efficiency_pct"], d["compute_util_pct"] = vals[3:6]
        elif len(vals) == 5:  # older report format without the prefetch column
            d["total_cycles"], d["stall_cycles"] = vals[0], vals[1]
            d["overall_util_pct"], d["mapping_efficiency_pct"], d["compute_util_pct"] = vals[2:5]
        else:
            raise SystemExit(f"unexpected COMPUTE_REPORT row {r}")
        d["compute_cycles"] = d["total_cycles"] - d["stall_cycles"]
        if i < len(bw):
            keys = ["avg_ifmap_sram_bw", "avg_filter_sram_bw", "avg_ofmap_sram_bw",
                    "avg_ifmap_dram_bw", "avg_filter_dram_bw", "avg_ofmap_dram_bw"]
            d.update({k: _num(v) for k, v in zip(keys, bw[i][1:7])})
        if i < len(acc):
            a = [_num(v) for v in acc[i][1:]]
            # SRAM IFMAP Start Cycle, Stop Cycle, Reads; SRAM Filter Start, Stop, Reads; SRAM OFMAP Start, Stop,
            # Writes; then the same nine for DRAM.
            keys = []
            for lvl in ("sram", "dram"):
                for op, verb in (("ifmap", "reads"), ("filter", "reads"), ("ofmap", "writes")):
                    keys += [f"{lvl}_{op}_start_cycle", f"{lvl}_{op}_stop_cycle", f"{lvl}_{op}_{verb}"]
            d.update(dict(zip(keys, a)))
        out.append(d)
    return out


def fold(topo: list[dict], sim_rows: list[dict]) -> list[dict]:
    """Fold SCALE-Sim's per-channel depthwise layers back into one row per topology row."""
    expected = sum(t["channels"] if is_depthwise(t["layer"]) else 1 for t in topo)
    if expected != len(sim_rows):
        raise SystemExit(f"report has {len(sim_rows)} layers, topology expands to {expected}")
    res, k = [], 0
    for t in topo:
        n = t["channels"] if is_depthwise(t["layer"]) else 1
        group = sim_rows[k:k + n]
        k += n
        # scalesim's own output size (topology_utils.topo_calc_hyperparams): ceil((H - R + s) / s), one more than
        # floor((H - R) / s) + 1 when s does not divide H - R (the last window then hangs over the edge).
        oh = -(-(t["ifmap_h"] - t["filt_h"] + t["stride"]) // t["stride"])
        ow = -(-(t["ifmap_w"] - t["filt_w"] + t["stride"]) // t["stride"])
        # scalesim keeps NumFilt for each single-channel layer of a DP* row (it only sets C = 1)
        per_layer_channels = 1 if is_depthwise(t["layer"]) else t["channels"]
        macs = oh * ow * t["filt_h"] * t["filt_w"] * per_layer_channels * t["num_filt"] * n
        row = dict(t)
        row.update(layer_type="depthwise" if n > 1 or is_depthwise(t["layer"]) else "conv",
                   sim_layers=n, ofmap_h=oh, ofmap_w=ow, macs=macs)
        for c in OUT_COLS:
            if c in row or c not in group[0]:
                continue
            vals = [g[c] for g in group]
            if c in SUM_COLS:
                row[c] = sum(vals)
            elif c.endswith("_start_cycle") or c.endswith("_stop_cycle"):
                # Per-layer time stamps (each scalesim layer starts at cycle 0): meaningful for one layer
                # only, so left empty for a depthwise row folded from C layers.
                row[c] = vals[0] if n == 1 else ""
            else:
                # Ratios (util %, bandwidths): cycle-weighted mean over the per-channel layers.
                w = [g["total_cycles"] for g in group]
                row[c] = vals[0] if n == 1 else sum(v * x for v, x in zip(vals, w)) / sum(w)
        res.append(row)
    return res


# ----------------------------------------------------------------------------------------------- closed form
def closed_form(t: dict, cfg: dict) -> dict:
    """SCALE-Sim 3.0.0's per-layer numbers in closed form (see docs/scalesim_crosscheck.md).

    For one topology row t (a DP* row counts as C single-channel layers), array Ra x Ca, dataflow ws/os/is,
    CALC bandwidth mode, no sparsity. Returns compute cycles (= report Total Cycles - Stall Cycles), mapping
    efficiency and compute utilisation in %, and the SRAM access counts of DETAILED_ACCESS_REPORT.csv.
    """
    ceil = lambda a, b: -(-a // b)
    Ra, Ca, df = cfg["array_height"], cfg["array_width"], cfg["dataflow"]
    n = t["channels"] if is_depthwise(t["layer"]) else 1  # single-channel layers scalesim simulates
    C = 1 if is_depthwise(t["layer"]) else t["channels"]
    E = ceil(t["ifmap_h"] - t["filt_h"] + t["stride"], t["stride"]) * ceil(t["ifmap_w"] - t["filt_w"] + t["stride"], t["stride"])
    K = t["filt_h"] * t["filt_w"] * C
    M = t["num_filt"]
    Sr, Sc, T = {"ws": (K, M, E), "os": (E, M, K), "is": (K, E, M)}[df]
    fr, fc = ceil(Sr, Ra), ceil(Sc, Ca)
    folds = fr * fc
    per_fold = (Ra + Ca + T - 2) if df == "os" else (2 * Ra + Ca + T - 2)
    util_den = (Ra + Ca + T - 2) if df == "os" else (2 * Ra + 2 * Ca + T - 3)
    if df == "ws":
        reads = (fc * E * K, K * M, fr * E * M)
    elif df == "os":
        reads = (fc * E * K, fr * K * M, E * M + folds * (Ra + Ca))
    else:
        reads = (K * E, fc * K * M, fr * E * M)
    # Distinct addresses each operand buffer sees (per single-channel layer for DP rows): the DRAM reads in
    # CALC mode equal these when they fit in the active half of the SRAM (see dram_fits below).
    def touched(size, f, st, o):  # input rows (or cols) covered by some window
        return len({i * st + r for i in range(o) for r in range(f)} & set(range(size)))
    Ho = ceil(t["ifmap_h"] - t["filt_h"] + t["stride"], t["stride"])
    Wo = ceil(t["ifmap_w"] - t["filt_w"] + t["stride"], t["stride"])
    distinct_ifmap = touched(t["ifmap_h"], t["filt_h"], t["stride"], Ho) * \
        touched(t["ifmap_w"], t["filt_w"], t["stride"], Wo) * C
    distinct_filter = K * M
    return {
        "distinct_ifmap": n * distinct_ifmap,
        "distinct_filter": n * distinct_filter,
        "distinct_ofmap": n * E * M,
        "ifmap_fits": distinct_ifmap <= dram_fits(cfg["ifmap_sram_kb"]),
        "filter_fits": distinct_filter <= dram_fits(cfg["filter_sram_kb"]),
        "compute_cycles": n * (folds * per_fold - 1),
        "mapping_efficiency_pct": 100.0 * Sr * Sc / (folds * Ra * Ca),
        "compute_util_pct": 100.0 * Sr * Sc * T / (folds * Ra * Ca * util_den),
        "overall_util_pct": 100.0 * E * K * M / ((folds * per_fold - 1) * Ra * Ca),
        "sram_ifmap_reads": n * reads[0],
        "sram_filter_reads": n * reads[1],
        "sram_ofmap_writes": n * reads[2],
    }


def dram_fits(sram_kb: int) -> int:
    """Words that one read SRAM's estimate-bandwidth model (memory/read_buffer_estimate_bw.py) can hold in its
    active half before it starts evicting: int(0.5 * 100) sets of floor(words / 100) words (word = 1 byte)."""
    return 50 * ((sram_kb * 1024) // 100)


def check_closed_form(rows: list[dict], cfg: dict) -> dict:
    """Max |closed form - SCALE-Sim| per quantity over all rows (exact for counts, float noise for %).

    DRAM reads are compared with the distinct-address counts only on rows whose operand fits (see dram_fits);
    DRAM OFMAP writes are reported as the max excess over the SRAM OFMAP writes (ws/is) or E*M (os).
    """
    worst = {}
    for r in rows:
        cf = closed_form(r, cfg)
        for k, v in cf.items():
            if k in r:
                worst[k] = max(worst.get(k, 0), abs(v - r[k]))
        for op in ("ifmap", "filter"):
            key = f"dram_{op}_reads"
            if key in r:
                if cf[f"{op}_fits"]:
                    worst[key + "_when_fits"] = max(worst.get(key + "_when_fits", 0), abs(r[key] - cf[f"distinct_{op}"]))
                else:
                    worst[key + "_max_ratio_to_distinct_when_not"] = max(
                        worst.get(key + "_max_ratio_to_distinct_when_not", 0), r[key] / cf[f"distinct_{op}"])
                # Always: distinct addresses <= DRAM reads <= SRAM reads (a DRAM read is a missed request).
                bad = not (cf[f"distinct_{op}"] <= r[key] <= r[f"sram_{op}_reads"])
                worst[key + "_bound_violations"] = worst.get(key + "_bound_violations", 0) + int(bad)
        if "dram_ofmap_writes" in r:
            base = cf["distinct_ofmap"] if cfg["dataflow"] == "os" else cf["sram_ofmap_writes"]
            key = "dram_ofmap_writes_minus_written_max"
            worst[key] = max(worst.get(key, 0), r["dram_ofmap_writes"] - base)
            key = "dram_ofmap_writes_minus_written_min"
            worst[key] = min(worst.get(key, 0), r["dram_ofmap_writes"] - base)
    return {k: (float(f"{v:.3g}") if isinstance(v, float) else v) for k, v in worst.items()}


# ----------------------------------------------------------------------------------------------- write
def write_outputs(rows: list[dict], meta: dict, out_csv: Path) -> None:
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    cols = [c for c in OUT_COLS if any(c in r for r in rows)]
    with open(out_csv, "w", newline="") as f:
        for k in ("source", "scalesim_version", "numpy_version", "python_version", "config_file",
                  "topology_file", "network", "dataflow", "array", "sram_kb", "interface_bandwidth",
                  "wall_time_s", "cpu_user_s", "peak_rss_mb", "trace_files_deleted_mb", "date_utc", "config",
                  "closed_form_max_abs_error", "notes"):
            if k in meta:
                v = json.dumps(meta[k]) if isinstance(meta[k], dict) else meta[k]
                f.write(f"# {k}: {v}\n")
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    with open(out_csv.with_suffix(".json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, type=Path, help="SCALE-Sim .cfg file")
    ap.add_argument("--topology", required=True, type=Path, help="SCALE-Sim conv topology CSV")
    ap.add_argument("--network", required=True, help="name used in the output file name")
    ap.add_argument("--layout", type=Path, default=REF_DIR / "dummy_layout.csv",
                    help="layout CSV (required by scalesim even with custom layouts off)")
    ap.add_argument("--out-dir", type=Path, default=REF_DIR, help="where the reference CSV/JSON go")
    ap.add_argument("--parse-only", action="store_true",
                    help="do not run SCALE-Sim; re-parse the reports kept in the scratch folder")
    args = ap.parse_args(argv)

    config, topology, layout = args.config.resolve(), args.topology.resolve(), args.layout.resolve()
    for p in (config, topology, layout):
        if not p.is_file():  # scalesim itself exits 0 on a missing config: check here
            print(f"error: {p} not found", file=sys.stderr)
            return 2
    cfg = read_config(config)
    if cfg["dataflow"] not in ("ws", "os", "is"):
        print(f"error: {config}: Dataflow must be ws, os or is, got {cfg['dataflow']!r}", file=sys.stderr)
        return 2
    topo = read_topology(topology)
    tag = f"{args.network}_{cfg['dataflow']}"
    outdir = WORK_DIR / tag
    out_csv = args.out_dir / f"scalesim_{tag}.csv"

    py = ensure_venv()
    versions = venv_versions(py)
    if args.parse_only:
        prev = json.loads(out_csv.with_suffix(".json").read_text()) if out_csv.with_suffix(".json").exists() else {}
        run = {k: prev[k] for k in ("wall_time_s", "cpu_user_s", "cpu_sys_s", "peak_rss_mb",
                                   "trace_files_deleted_mb", "command", "date_utc") if k in prev}
        if (outdir / "run.json").exists():
            run.update(json.loads((outdir / "run.json").read_text()))
    else:
        print(f"[scalesim_reference] running SCALE-Sim {versions['scalesim']} on {topology.name} "
              f"({cfg['dataflow']}, {cfg['array_height']}x{cfg['array_width']}) in {outdir.relative_to(HERE.parent)}",
              flush=True)
        run = run_scalesim(py, config, topology, layout, outdir)
        (outdir / "run.json").write_text(json.dumps(run, indent=2) + "\n")
        print(f"[scalesim_reference] done: {run['wall_time_s']} s wall, {run['peak_rss_mb']} MB peak RSS", flush=True)

    rows = fold(topo, per_sim_layer(outdir))

    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(HERE.parent))
        except ValueError:
            return p.name

    meta = {
        "source": "SCALE-Sim (python -m scalesim.scale), via benchmarks/scalesim_reference.py",
        "scalesim_version": versions["scalesim"],
        "numpy_version": versions["numpy"],
        "python_version": versions["python"],
        "config_file": rel(config),
        "topology_file": rel(topology),
        "network": args.network,
        "dataflow": cfg["dataflow"],
        "array": f"{cfg['array_height']}x{cfg['array_width']}",
        "sram_kb": f"ifmap {cfg['ifmap_sram_kb']}, filter {cfg['filter_sram_kb']}, ofmap {cfg['ofmap_sram_kb']}",
        "interface_bandwidth": cfg["interface_bandwidth"],
        **run,
        "config": cfg,
        "config_text": config.read_text(),
        "notes": "one row per topology row; DP* layers are SCALE-Sim's C single-channel layers summed "
                 "(cycles and access counts summed, utilisations and bandwidths cycle-weighted means); "
                 "compute_cycles = total_cycles - stall_cycles",
        "columns": [c for c in OUT_COLS if any(c in r for r in rows)],
    }
    meta["closed_form_max_abs_error"] = check_closed_form(rows, cfg)
    write_outputs(rows, meta, out_csv)
    print(f"[scalesim_reference] closed form (docs/scalesim_crosscheck.md) max |error|: "
          f"{meta['closed_form_max_abs_error']}", flush=True)
    print(f"[scalesim_reference] wrote {rel(out_csv)} ({len(rows)} layers)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
