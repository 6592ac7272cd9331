"""Stopping a run: killed, interrupted, a worker lost, an error in one point (issue 14).

* kill -9 of a sweep's main process leaves no worker behind (they held its output pipes forever);
* SIGINT or SIGTERM to the main process stops a ``--jobs 2`` sweep at once (not after every queued point),
  with one line on stderr saying how to resume, keeping the finished points;
* an error in one point cancels the queued ones instead of running them all first;
* a worker killed (what the out-of-memory killer does) is one line, and resuming works;
* a bad machine for one (hardware, model) pair is refused before any point runs;
* ``--jobs`` is capped by the number of points; finished results are not kept by the pool.

The timeouts below are generous bounds on processes that must end, not measurements.
"""
from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pandas as pd
import pytest

from accelsim.errors import InputError
from accelsim.study import pool, sweep
from test_interrupted import kill, start as start_in_session

ROOT = Path(__file__).resolve().parent.parent
HW = ROOT / "hwconfigs"
CLI = (sys.executable, "-m", "accelsim.cli")
#: 16 SCNN points of MobileNet v1 (several seconds each): a sweep that is still running when it is stopped.
SLOW_SWEEP = ("sweep", "--model", "mobilenet_v1", "--width", "1.0", "--sparsity", "0.5,0.6,0.7,0.8",
              "--seeds", "0,1,2,3", "--hw", str(HW / "scnn_like.yaml"), "--jobs", "2", "--quiet")
PROC = Path("/proc")
needs_proc = pytest.mark.skipif(not (PROC / "self" / "stat").exists(), reason="needs /proc (Linux)")


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def start(*argv: str) -> subprocess.Popen:
    """The command line in a session of its own (so the test can clean up its whole group), stderr read."""
    return start_in_session(*argv, stderr=subprocess.PIPE, text=True)


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a live process, None if it is gone or a zombie."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    state, ppid, _, session = text[text.rindex(")") + 2:].split()[:4]
    return None if state in "ZX" else (state, int(ppid), int(session))


def _live(field: int, value: int) -> list[int]:
    """Live processes whose :func:`_stat` ``field`` is ``value``."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[field] == value:
                found.append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    return _live(1, pid)


def in_session(sid: int) -> list[int]:
    """Every live process of session ``sid``: a command started by :func:`start` and all it started."""
    return _live(2, sid)


def wait_until(condition, timeout: float, every: float = 0.2):
    """``condition()`` once it is truthy, or its last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


#: The orphan check's bound (issue 14): no process of a killed sweep is left this many seconds after.
ORPHAN_SECONDS = 10


@needs_proc
def test_kill_9_of_a_sweeps_main_process_leaves_no_process_behind(tmp_path):
    """The orphan check: SIGKILL to the main process of a --jobs 2 sweep while its workers run; within
    ORPHAN_SECONDS no process of its session is left, so its output pipe is closed (before: the workers ran
    on, re-parented to PID 1, holding the pipe, and whatever read the sweep's output hung)."""
    process = start(*SLOW_SWEEP, "--out", str(tmp_path / "out"))
    try:
        workers = wait_until(lambda: len(children(process.pid)) >= 2 and children(process.pid), timeout=120)
        assert workers, "the sweep never started its two workers"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=ORPHAN_SECONDS)
        left = wait_until(lambda: not in_session(process.pid), timeout=ORPHAN_SECONDS)
        assert left, f"processes left {ORPHAN_SECONDS} s after the sweep was killed: {in_session(process.pid)}"
        assert process.stderr.read() == ""                      # at its end: no process holds the pipe
    finally:
        kill(process)


def _points_stored(out: Path) -> int:
    return len(list((out / "points").glob("*.json"))) if (out / "points").is_dir() else 0


@needs_proc
@pytest.mark.parametrize("signum,group", [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGINT", "SIGTERM", "ctrl-c-to-the-process-group"])
def test_a_signal_stops_a_parallel_sweep_at_once_keeping_what_finished(tmp_path, signum, group):
    """To the main process only, or (Ctrl-C in a terminal) to it and its workers: one line either way (the
    workers ignore SIGINT: no traceback of theirs)."""
    out = tmp_path / "out"
    process = start(*SLOW_SWEEP, "--out", str(out))
    try:
        assert wait_until(lambda: _points_stored(out) >= 1, timeout=240), "no point finished"
        workers = children(process.pid)
        (os.killpg if group else os.kill)(process.pid, signum)
        # 14 points (several seconds each, two workers) were still queued: 30 s is ample to stop, far from
        # enough to run them all
        _, stderr = process.communicate(timeout=30)
    finally:
        kill(process)
    assert process.returncode == 128 + signum, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("accelsim: interrupted: ") and "re-run the same command to resume" in lines[0]
    assert str(out) in lines[0]
    kept = _points_stored(out)
    assert 1 <= kept < 16
    assert wait_until(lambda: not [w for w in workers if _stat(w)], timeout=60), "workers left running"


def test_an_error_in_one_point_cancels_the_queued_ones(tmp_path, monkeypatch):
    """The first point fails: the sweep stops without running the other 7 (before: all ran first)."""
    started = tmp_path / "started"
    started.mkdir()
    points = sweep.grid("mobilenet_v1", {"width": [0.25]}, [0.1 * i for i in range(8)], [HW / "dense_edge.yaml"], [0])
    failing = points[0].key

    def run_point(point):
        (started / point.key).touch()
        if point.key == failing:
            raise InputError("this point is bad", key=point.key)
        time.sleep(3)
        return real(point)

    real = sweep.run_point
    run_point.__module__, run_point.__qualname__ = sweep.__name__, "run_point"   # pickled by that name:
    monkeypatch.setattr(sweep, "run_point", run_point)      # the workers are forked and see it there
    monkeypatch.setattr(sweep, "largest_first", lambda points: list(points))
    with pytest.raises(InputError, match="this point is bad"):
        sweep.run(points, tmp_path / "out", jobs=2)
    time.sleep(4)                      # anything still queued would have started by now
    assert len(list(started.iterdir())) <= 3


def test_a_killed_worker_is_one_line_and_the_sweep_resumes(tmp_path):
    """A worker SIGKILLed mid-sweep (as by the out-of-memory killer): exit 1 and one line; re-running the
    same command completes the sweep."""
    out = tmp_path / "out"
    argv = ("sweep", "--model", "mobilenet_v1", "--width", "0.25", "--sparsity", "0,0.5,0.9",
            "--hw", str(HW / "dense_edge.yaml"), "--jobs", "2", "--quiet", "--out", str(out))
    killer = ("import os, signal, sys\n"
              "from accelsim.study import sweep\n"
              "real = sweep.run_point\n"
              "def run_point(point):\n"
              "    if point.sparsity == 0.5:\n"
              "        os.kill(os.getpid(), signal.SIGKILL)\n"
              "    return real(point)\n"
              "sweep.run_point = run_point\n"
              "from accelsim.cli import main\n"
              "sys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", killer, *argv], env=env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "a worker process died" in lines[0] and "re-run the same command to resume" in lines[0]
    resumed = subprocess.run([*CLI, *argv], env=env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(pd.read_csv(out / "totals.csv")) == 3


def test_a_machine_too_small_for_one_model_is_refused_before_any_point_runs(tmp_path):
    """The compilers' capacity checks, run per (hardware, model) pair by the grid: exit 2 and no points."""
    small = (HW / "dense_edge.yaml").read_text().replace("name: dense_edge", "name: small_edge").replace(
        "size_bytes: 65536           # bytes; scale.cfg FilterSramSzkB",
        "size_bytes: 32           # bytes; scale.cfg FilterSramSzkB") + "mapping: scalesim\n"   # whole-array tile
    (tmp_path / "small.yaml").write_text(small)
    out = tmp_path / "out"
    done = subprocess.run([*CLI, "sweep", "--model", "mobilenet_v1", "--width", "0.25,0.5", "--sparsity", "0,0.5",
                           "--hw", str(HW / "dense_edge.yaml"), str(tmp_path / "small.yaml"), "--jobs", "2",
                           "--quiet", "--out", str(out)], env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "small.yaml: buffers.filter.size_bytes: layer conv1" in done.stderr
    assert not out.exists()


def test_jobs_is_capped_by_the_number_of_points(tmp_path, monkeypatch):
    """One point with --jobs 1000 runs in this process: no pool of 1000 workers (before: 1000 forks)."""
    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started for one point")

    monkeypatch.setattr(pool, "ProcessPoolExecutor", no_pool)
    points = sweep.grid("mobilenet_v1", {"width": [0.25]}, [0.5], [HW / "dense_edge.yaml"], [0])
    assert sweep.run(points, tmp_path, jobs=1000) == 1


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"n": [n] * 1000})


def test_finished_results_are_not_kept_by_the_pool():
    """Each result is dropped by the pool once handed over: the main process does not hold a sweep's
    results until its end (before: every future, with its result, lived until the last point)."""
    seen = []
    results = pool.completed(_frame, range(6), jobs=2)
    for _, frame in results:
        seen.append(weakref.ref(frame))
        del frame
        gc.collect()
        assert all(ref() is None for ref in seen), "a finished result is still held"


def test_an_interrupt_that_the_interrupted_code_turns_into_another_error_is_one_line():
    """Ctrl-C while numpy is being imported reaches the command as an ImportError (numpy's import wraps
    what its C code raised) and gave a 55-line traceback, exit 1: after a signal, any error is the
    interrupt's one line. The run here makes that conversion itself, deterministically."""
    script = ("import os, signal, sys, time\n"
              "import accelsim.cli as cli\n"
              "import accelsim.cli.parser as parser\n"
              "def interrupted_import(args):\n"
              "    try:\n"
              "        os.kill(os.getpid(), signal.SIGINT)\n"
              "        time.sleep(30)\n"
              "    except KeyboardInterrupt:\n"
              "        raise ImportError('PyCapsule_Import could not import module \"datetime\"')\n"
              "parser.cmd_models = interrupted_import\n"
              "sys.exit(cli.main(['models']))\n")
    done = subprocess.run([sys.executable, "-c", script], env=env(), capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (128 + signal.SIGINT, "accelsim: interrupted\n")


def test_a_worker_killed_while_sending_its_result_does_not_hang_the_stop():
    """A worker killed half-way through writing its result to the pool's result pipe (SIGINT can come at
    any moment): the pool's reader thread waits for the rest of that message, which no process will write
    while the main process itself holds the pipe's write end; stopping the pool joined that thread and hung
    (1 run in 10-50 of the Ctrl-C test above). Here the worker writes a message's length and 1000 of its
    bytes and sleeps; an alarm interrupts the main process, which must then stop within the timeout."""
    script = ("import os, signal, struct, sys, time\n"
              "from accelsim.study import pool\n"
              "def half_a_result(item):\n"
              "    if item == 1:\n"
              "        time.sleep(60)\n"
              "    frame = sys._getframe()\n"
              "    while 'result_queue' not in frame.f_locals:\n"
              "        frame = frame.f_back\n"
              "    writer = frame.f_locals['result_queue']._writer\n"
              "    os.write(writer.fileno(), struct.pack('!i', 1 << 20) + bytes(1000))\n"
              "    time.sleep(60)\n"
              "class Alarm(Exception):\n"
              "    pass\n"
              "def alarm(signum, frame):\n"
              "    raise Alarm\n"
              "signal.signal(signal.SIGALRM, alarm)\n"
              "signal.alarm(2)\n"
              "try:\n"
              "    list(pool.completed(half_a_result, [0, 1], jobs=2))\n"
              "except Alarm:\n"
              "    print('stopped')\n")
    done = subprocess.run([sys.executable, "-c", script], env=env(), capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, "stopped\n", "")
