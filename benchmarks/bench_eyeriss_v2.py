"""Eyeriss v2 on a pruned MobileNet (whole `accelsim simulate` processes, pruning included, one core).

Target (issue 19): MobileNet v1 1.0 at 224 on eyeriss_v2 at 90% sparsity under 5 s, whole process; the
simulation time falls as the non-zeros fall (time at 95% below the time at 50%). The test suite asserts no
time: this is the only place the speed is measured.
"""
from __future__ import annotations

import sys

from bench_sparse import simulation_seconds
from common import ROOT, accelsim_cmd, measure, report

EYERISS = str(ROOT / "hwconfigs" / "eyeriss_v2.yaml")


def main() -> int:
    result = {"targets": {"wall_s": 5.0}}
    for sparsity in ("0.5", "0.9", "0.95"):
        result[f"mobilenet_eyeriss_v2_{sparsity}"] = measure(accelsim_cmd(
            "simulate", "--model", "mobilenet_v1", "--width", "1.0", "--sparsity", sparsity, "--hw", EYERISS,
            "--quiet"))
    import accelsim as acs
    model = acs.zoo.mobilenet_v1(1.0)
    result["mobilenet_eyeriss_v2_simulation_s"] = {s: simulation_seconds(model, EYERISS, s) for s in (0.5, 0.95)}
    report("eyeriss_v2", result)
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
