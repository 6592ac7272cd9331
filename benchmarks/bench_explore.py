"""`accelsim explore` on the SCNN-like machine: 200 trials over MobileNet v1 at widths 0.25-1.0 and
sparsities 0-0.95 and over its PE array, activation RAMs and DRAM bandwidth, with --jobs 2. Target: under
10 minutes on 2 cores; reports trials per minute.

The search is stopped (SIGTERM: SIGINT would be ignored by a benchmark started in the background) after
``--stop-after`` seconds and resumed with the same
command: the report says how many points were stored when it stopped, that none of them was written again
by the resumed run (each stored file's inode and modification time unchanged), and how many points the
resumed run simulated. The time is the two runs' wall time together (trials per minute over both). A third
run of the same command, on the finished search, must simulate nothing.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, accelsim_cmd, report

TRIALS = 200
SPACE = f"""\
hardware:
  base: {ROOT / "hwconfigs" / "scnn_like.yaml"}
  keys:
    pe_array.rows: {{low: 4, high: 8, step: 2}}
    pe_array.cols: {{low: 4, high: 8, step: 2}}
    buffers.iaram.size_bytes: {{choices: [8192, 10240, 16384]}}
    buffers.oaram.size_bytes: {{choices: [8192, 10240, 16384]}}
    dram.bandwidth_gb_per_s: {{low: 6.4, high: 25.6, log: true}}
model:
  family: mobilenet_v1
  width: {{low: 0.25, high: 1.0, step: 0.25}}
  sparsity: {{low: 0.0, high: 0.95, step: 0.05}}
objectives: [energy, latency]
constraints: {{sram_kb: 1536}}
search: {{population: 20}}
"""


def points(folder: Path) -> dict[str, tuple[int, int]]:
    """Each stored point file: (inode, modification time in ns)."""
    found = {}
    for path in (folder / "points").glob("*"):
        stat = path.stat()
        found[path.name] = (stat.st_ino, stat.st_mtime_ns)
    return found


def run(cmd: list[str], stop_after: float | None = None) -> tuple[float, int]:
    """Wall seconds and exit status of ``cmd``, stopped with SIGTERM after ``stop_after`` seconds if given."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=stop_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        proc.wait()
    status = proc.returncode
    if status not in (0, 143):
        raise SystemExit(f"explore failed ({status}): {proc.stderr.read().decode()}")
    return time.monotonic() - start, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=TRIALS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--stop-after", type=float, default=120.0, help="seconds before the first run is stopped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        space, out = Path(scratch) / "space.yaml", Path(scratch) / "out"
        space.write_text(SPACE)
        cmd = accelsim_cmd("explore", str(space), "--out", str(out), "--trials", str(args.trials),
                           "--jobs", str(args.jobs), "--seed", "0", "--quiet")
        first_s, status = run(cmd, args.stop_after)
        before = points(out)
        second_s, _ = run(cmd)
        after = points(out)
        rewritten = sorted(name for name, stamp in before.items() if after.get(name) != stamp)
        third_s, _ = run(cmd)
        again = points(out)
        trials = (out / "trials.csv").read_text().count("\n") - 1
    wall = first_s + second_s
    report("explore", {
        "trials": trials, "jobs": args.jobs, "cpus": os.cpu_count(),
        "first_run_s": round(first_s, 1), "first_run_stopped": status == 143,
        "points_stored_when_stopped": len(before) // 2, "resumed_run_s": round(second_s, 1),
        "points_simulated_by_resumed_run": (len(after) - len(before)) // 2,
        "stored_points_written_again": len(rewritten), "finished_search_rerun_s": round(third_s, 1),
        "files_written_by_rerun": sum(again.get(name) != stamp for name, stamp in after.items())
        + len(again) - len(after),
        "wall_s": round(wall, 1), "trials_per_minute": round(60 * trials / wall, 1), "target_wall_s": 600})
    return 0 if not rewritten else 1


if __name__ == "__main__":
    sys.exit(main())
