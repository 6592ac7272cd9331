"""How fast bad input that could be expensive is refused: the YAML bombs and 100 MB files of
tests/test_bad_inputs.py (its ``bounded`` rows), each in a new ``python -m accelsim.cli`` process.

The test suite checks that these rows are refused (exit 2, one line, nothing written) within a bounded
memory; their time is measured here, not asserted there. Target: each refused in under 1 s of wall time,
about the time of an ordinary refusal (a missing hardware file), since neither is read into memory.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from common import ROOT, report

sys.path.insert(0, str(ROOT / "tests"))
import test_bad_inputs as cases  # noqa: E402  (the rows and the runner of the test suite)


def main() -> int:
    result = {"target_s": 1.0}
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        runs = cases.Cases(base, cases.run_fresh)
        result["ordinary_refusal"] = {"wall_s": round(runs.runner(cases.simulate(hw="nope.yaml"),
                                                                  base / "baseline").seconds, 3)}
        for case in cases.CASES:
            if case.bounded:
                outcome = runs.outcome(case)
                result[case.id] = {"status": outcome.status, "wall_s": round(outcome.seconds, 3),
                                   "peak_rss_mb": round(outcome.max_rss_kb / 1024, 1)}
    report("refusal", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
