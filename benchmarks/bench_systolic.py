"""Dense MobileNet v1 1.0 on the systolic engine, side by side with SCALE-Sim 3.0.0 on the same layers
and configuration (32x32 ws, 64 kB SRAMs), in one run: wall time and peak memory of each, and their ratio.

Targets (issue: dense engines): accelsim at least 50x faster than SCALE-Sim, under 3 s for the whole
network on one core, peak RSS under 500 MB. ``--no-scalesim`` skips the (about 5 CPU-minute) SCALE-Sim run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import ROOT, accelsim_cmd, measure, report

REF = ROOT / "benchmarks" / "reference"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-scalesim", action="store_true", help="measure accelsim only")
    args = ap.parse_args()
    ours = measure(accelsim_cmd("simulate", "--workload", str(REF / "mobilenet_v1_224.csv"),
                                "--hw", str(ROOT / "hwconfigs" / "dense_edge.yaml"), "--quiet"), repeat=3)
    result = {"accelsim": ours, "targets": {"wall_s": 3.0, "peak_rss_mb": 500, "speedup_vs_scalesim": 50}}
    if not args.no_scalesim:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import scalesim_reference as ss
        py = ss.ensure_venv()
        with tempfile.TemporaryDirectory() as scratch:
            theirs = ss.run_scalesim(py, REF / "scale_ws.cfg", REF / "mobilenet_v1_224.csv",
                                     REF / "dummy_layout.csv", Path(scratch) / "run")
        result["scalesim"] = {"wall_s": theirs["wall_time_s"], "peak_rss_mb": theirs["peak_rss_mb"]}
        result["speedup_vs_scalesim"] = round(theirs["wall_time_s"] / ours["wall_s"], 1)
        result["memory_ratio"] = round(theirs["peak_rss_mb"] / ours["peak_rss_mb"], 1)
    report("systolic_mobilenet", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
