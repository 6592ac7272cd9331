"""The paper's full grid on the shipped configs, as `accelsim sweep` runs it: MobileNet v1 at 4 widths x
5 sparsities (Table 2) on the machines that run convolutions (dense_edge, dcnn, scnn_like) and PTB at
3 sizes x 6 sparsities (Table 3) on all four (eie_like included). Wall time with --jobs 2 and --jobs 1 on
2 cores, and the speed-up. Target: full grid under 5 minutes on 2 cores.
"""
from __future__ import annotations

import sys
import tempfile

from common import ROOT, accelsim_cmd, measure, report

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
    """Both grids in fresh output folders; wall seconds per grid and in all."""
    times = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, args in GRIDS.items():
            cmd = accelsim_cmd("sweep", *args, "--out", f"{scratch}/{name}",
                               "--jobs", str(jobs), "--quiet")
            times[name] = measure(cmd, one_core=False)["wall_s"]
    times["total"] = round(sum(times.values()), 2)
    return times


def main() -> int:
    parallel = run_grid(2)
    serial = run_grid(1)
    report("paper_grid", {"points": POINTS, "jobs_2_s": parallel, "jobs_1_s": serial,
                          "speedup_jobs_2": round(serial["total"] / parallel["total"], 2),
                          "target_s": 300})
    return 0


if __name__ == "__main__":
    sys.exit(main())
