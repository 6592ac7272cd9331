"""Shared helpers of the benchmarks: run a command in a fresh process and measure it."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def measure(cmd: list[str], *, one_core: bool = True, repeat: int = 1) -> dict:
    """Run ``cmd`` ``repeat`` times in fresh processes (pinned to core 0 when ``one_core``); return the best
    wall time (s), the least CPU time (user + system, s, of the process and the children it waited for) and
    the peak resident memory of the process (MB) over the runs. The processes run as on a user's machine:
    Python caches compiled modules (``PYTHONDONTWRITEBYTECODE``, if set here, is dropped), so start-up is
    not recompiling accelsim's sources (50-70 ms of a short command) each time."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if one_core and hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", "0", *cmd]
    walls, cpus, rss = [], [], []
    for _ in range(repeat):
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.monotonic() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        rss.append(usage.ru_maxrss / 1024)          # KiB -> MiB on Linux
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return {"wall_s": round(min(walls), 3), "cpu_s": round(min(cpus), 3), "peak_rss_mb": round(max(rss), 1),
            "runs": repeat}


def accelsim_cmd(*args: str) -> list[str]:
    """The ``accelsim`` command line of this checkout's interpreter."""
    return [sys.executable, "-m", "accelsim.cli", *args]


#: Steps of the reference loop whose CPU time every report carries (:func:`reference_cpu_s`).
REFERENCE_STEPS = 10**7


def reference_cpu_s() -> float:
    """CPU seconds of a fixed pure-Python loop (:data:`REFERENCE_STEPS` integer additions) on this process's
    core, best of 3: the speed of the machine when a benchmark ran. A shared machine's speed drifts by tens
    of percent within a day, so a target is judged on a report with its reference beside it, and two
    versions are compared on runs taken in turn."""
    best = math.inf
    for _ in range(3):
        start, total = time.process_time(), 0
        for step in range(REFERENCE_STEPS):
            total += step
        best = min(best, time.process_time() - start)
    return round(best, 3)


def report(name: str, data: dict) -> None:
    """Print ``data`` with the machine's :func:`reference_cpu_s` and keep it in benchmarks/results/<name>.json."""
    data = {**data, "reference_cpu_s": reference_cpu_s()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(json.dumps({name: data}, indent=2, sort_keys=True))


def time_commands(commands) -> dict:
    """Run ``commands(scratch)`` (name -> command line, given a scratch folder) one after another on every
    core: wall and CPU seconds of each and in all."""
    import tempfile
    times = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, cmd in commands(scratch).items():
            measured = measure(cmd, one_core=False)
            times[name] = {key: measured[key] for key in ("wall_s", "cpu_s")}
    times["total"] = {key: round(sum(t[key] for t in times.values()), 2) for key in ("wall_s", "cpu_s")}
    return times
