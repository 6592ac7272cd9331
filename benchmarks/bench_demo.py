"""`make demo` timed: the MobileNet comparison on scnn_like, dcnn and dense_edge, then its figures, each in a
fresh process. Wall and CPU time (user + system, of the command and its workers) per command and in all,
with --jobs 2 as `make demo` runs it, or ``--jobs N``. Target: under 15 s of wall time with --jobs 2 on 2
idle cores.
"""
from __future__ import annotations

import argparse
import sys

from common import ROOT, accelsim_cmd, report, time_commands

MACHINES = [str(ROOT / "hwconfigs" / f"{name}.yaml") for name in ("scnn_like", "dcnn", "dense_edge")]


def run_demo(jobs: int) -> dict:
    """Both commands of `make demo` into a scratch folder, each with ``jobs`` workers: wall and CPU seconds of
    each and in all."""
    return time_commands(lambda scratch: {
        "compare": accelsim_cmd("compare", "--family", "mobilenet", "--hw", *MACHINES, "--out", f"{scratch}/demo",
                                "--jobs", str(jobs)),
        "plot": accelsim_cmd("plot", f"{scratch}/demo", "--format", "png", "--jobs", str(jobs))})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="workers of the comparison (make demo: 2)")
    args = parser.parse_args()
    report(f"demo_jobs_{args.jobs}", {f"jobs_{args.jobs}_s": run_demo(args.jobs), "target_jobs_2_wall_s": 15})
    return 0


if __name__ == "__main__":
    sys.exit(main())
