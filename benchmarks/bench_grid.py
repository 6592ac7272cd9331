"""The paper's full grid on the shipped configs, as `accelsim sweep` runs it: MobileNet v1 at 4 widths x
5 sparsities (Table 2) on the machines that run convolutions (dense_edge, dcnn, scnn_like) and PTB at
3 sizes x 6 sparsities (Table 3) on all four (eie_like included). Wall time and CPU time (user + system, of
the sweep and its workers) with --jobs 2 and --jobs 1 on 2 cores, and the speed-up; ``--jobs N`` runs the
grid with N workers only. Target: the full grid under 20 s with --jobs 2 on 2 idle cores.
"""
from __future__ import annotations

import argparse
import sys

from common import ROOT, accelsim_cmd, report, time_commands

def configs(*names: str) -> list[str]:
    return [str(ROOT / "hwconfigs" / f"{name}.yaml") for name in names]


GRIDS = {
    "mobilenet": ["--model", "mobilenet_v1", "--width", "0.25,0.5,0.75,1.0", "--sparsity", "0,0.5,0.75,0.9,0.95",
                  "--hw", *configs("dense_edge", "dcnn", "scnn_like")],
    "ptb": ["--model", "ptb_lstm", "--size", "small,medium,large", "--sparsity", "0,0.8,0.85,0.9,0.95,0.975",
            "--hw", *configs("dense_edge", "dcnn", "scnn_like", "eie_like")],
}
POINTS = 3 * 4 * 5 + 4 * 3 * 6


def run_grid(jobs: int) -> dict:
    """Both grids in fresh output folders; wall and CPU seconds per grid and in all."""
    return time_commands(lambda scratch: {
        name: accelsim_cmd("sweep", *args, "--out", f"{scratch}/{name}", "--jobs", str(jobs), "--quiet")
        for name, args in GRIDS.items()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, help="run the grid with this many workers only")
    args = parser.parse_args()
    if args.jobs is not None:
        report(f"paper_grid_jobs_{args.jobs}", {"points": POINTS, f"jobs_{args.jobs}_s": run_grid(args.jobs),
                                                "target_jobs_2_wall_s": 20})
        return 0
    parallel = run_grid(2)
    serial = run_grid(1)
    report("paper_grid", {"points": POINTS, "jobs_2_s": parallel, "jobs_1_s": serial,
                          "speedup_jobs_2": round(serial["total"]["wall_s"] / parallel["total"]["wall_s"], 2),
                          "target_jobs_2_wall_s": 20})
    return 0


if __name__ == "__main__":
    sys.exit(main())
