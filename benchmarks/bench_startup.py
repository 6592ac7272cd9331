"""Start-up of the command line: `accelsim --help` and a whole dense MobileNet v1 1.0 `simulate` process
(on dense_edge, results written), each the best of 5 fresh processes on one core: wall time and CPU time
(user + system). Targets: --help under 0.25 s of wall time, the dense simulate under 0.3 s of CPU.
"""
from __future__ import annotations

import sys
import tempfile

from common import ROOT, accelsim_cmd, measure, report


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        simulate = accelsim_cmd("simulate", "--model", "mobilenet_v1", "--width", "1.0", "--hw",
                                str(ROOT / "hwconfigs" / "dense_edge.yaml"), "--out", f"{scratch}/out", "--force")
        report("startup", {"help": measure(accelsim_cmd("--help"), repeat=5),
                           "simulate_dense_mobilenet": measure(simulate, repeat=5),
                           "targets": {"help_wall_s": 0.25, "simulate_cpu_s": 0.3}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
