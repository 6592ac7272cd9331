"""Nothing lost, same answer every time: the command line killed with SIGKILL and run again.

* a sweep killed at seeded random moments, then resumed, ends with points.csv and totals.csv byte-identical
  to an uninterrupted run, each point once;
* a simulate killed at random moments, or exactly while it renames a result into place, leaves either no
  results or complete ones: never a part of a file, never layers.csv without its summary.json;
* the same inputs and seed give byte-identical files from separate processes (different hash seeds), with
  ``--jobs 1`` and ``--jobs 2``; and every result says how to reproduce it (version, config hash, seed).
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import accelsim
from accelsim.hardware import load_hardware

ROOT = Path(__file__).resolve().parent.parent
HW = ROOT / "hwconfigs"
CLI = (sys.executable, "-m", "accelsim.cli")
RESULTS = ("layers.csv", "summary.json")

SWEEP = ("sweep", "--model", "mobilenet_v1", "--width", "0.25,0.5", "--sparsity", "0.5,0.9",
         "--hw", str(HW / "dense_edge.yaml"), str(HW / "dcnn.yaml"), "--seeds", "0,1,2", "--quiet")
SWEEP_POINTS = 2 * 2 * 2 * 3
SIMULATE = ("simulate", "--model", "mobilenet_v1", "--width", "0.5", "--hw", str(HW / "dense_edge.yaml"),
            "--sparsity", "0.5", "--seed", "3", "--quiet")


def env(hash_seed: int = 0) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONHASHSEED": str(hash_seed)}


def run(*argv: str, hash_seed: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run([*CLI, *argv], capture_output=True, text=True, env=env(hash_seed), timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def start(*argv: str, **popen) -> subprocess.Popen:
    """The command line in a session of its own, so that SIGKILL reaches its worker processes too."""
    return subprocess.Popen([*CLI, *argv], env=env(), start_new_session=True, stdout=subprocess.DEVNULL, **popen)


def kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)


def kill_after(seconds: float, *argv: str) -> bool:
    """Start the command line, SIGKILL it (and its workers) after ``seconds``; True if it had finished."""
    process = start(*argv, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        kill(process)
        return False


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory):
    """An uninterrupted sweep with one worker, and how long it took."""
    out = tmp_path_factory.mktemp("reference_sweep")
    began = time.monotonic()
    run(*SWEEP, "--jobs", "1", "--out", str(out))
    return out, time.monotonic() - began


def test_sweep_killed_at_random_moments_resumes_to_the_same_table(reference_sweep, tmp_path):
    reference, seconds = reference_sweep
    rng = random.Random(8)                     # seeded: the same moments every run
    out = tmp_path / "sweep"
    kills = 0
    for attempt in range(3):                   # killed up to three times, each somewhere in a run's span
        moment = rng.uniform(0.3, 0.5 if attempt == 0 else 0.8) * seconds
        if kill_after(moment, *SWEEP, "--jobs", "2", "--out", str(out)):
            break
        kills += 1
    done = run(*SWEEP, "--jobs", "2", "--out", str(out))   # resume to the end
    assert kills >= 1, "the sweep finished before any kill: make the kill times earlier"
    for name in ("points.csv", "totals.csv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    totals, layers = pd.read_csv(out / "totals.csv"), pd.read_csv(out / "points.csv")
    assert len(totals) == SWEEP_POINTS and totals["point"].is_unique
    assert not layers.duplicated(["point", "layer"]).any()
    assert set(layers["point"]) == set(totals["point"])
    assert len(list((out / "points").glob("*.json"))) == SWEEP_POINTS
    assert done.stderr == ""


def test_jobs_1_and_jobs_2_give_identical_files_and_record_provenance(reference_sweep, tmp_path):
    reference, _ = reference_sweep
    run(*SWEEP, "--jobs", "2", "--out", str(tmp_path), hash_seed=12345)
    for name in ("points.csv", "totals.csv"):
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes(), name
    totals = pd.read_csv(tmp_path / "totals.csv")
    hashes = {name: load_hardware(HW / f"{name}.yaml").config_hash for name in ("dense_edge", "dcnn")}
    assert (totals["accelsim_version"] == accelsim.__version__).all()
    assert (totals["config_hash"] == totals["hardware"].map(hashes)).all()
    assert sorted(set(totals["seed"])) == [0, 1, 2]
    one = json.loads(next((tmp_path / "points").glob("*.json")).read_text())
    assert {"family", "options", "sparsity", "seed", "hw_file"} <= set(one["inputs"])


@pytest.fixture(scope="module")
def reference_simulation(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference_simulate") / "out"
    began = time.monotonic()
    run(*SIMULATE, "--out", str(out))
    return out, time.monotonic() - began


def result_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) if out.exists() else []


def assert_whole(out: Path, reference: Path) -> None:
    """Every result file present is complete (equal to the reference's); summary.json, written last, only
    beside layers.csv."""
    present = [name for name in result_files(out) if name in RESULTS]
    for name in present:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert present in ([], ["layers.csv"], list(RESULTS)), present


def test_simulate_killed_at_random_moments_leaves_no_partial_result(reference_simulation, tmp_path):
    reference, seconds = reference_simulation
    rng = random.Random(9)
    for attempt in range(3):
        out = tmp_path / f"attempt{attempt}" / "out"
        out.parent.mkdir()
        finished = kill_after(rng.uniform(0.3, seconds), *SIMULATE, "--out", str(out))
        assert result_files(out) in ([], list(RESULTS))      # a new folder: all results or none
        assert_whole(out, reference)
        if finished:
            assert result_files(out) == list(RESULTS)
        assert [p.name for p in out.parent.iterdir() if not p.name.startswith(".")] in ([], ["out"])


#: The command line with its N-th rename (of a result file, or of the staged folder into place; N from the
#: environment) held until the test kills it: SIGKILL exactly where a non-atomic writer leaves half a result.
HOLD_NTH_RENAME = """
import os, sys, time
held_at, seen = int(os.environ["HOLD_RENAME"]), [0]
def holding(real):
    def rename(src, dst):
        seen[0] += 1
        if seen[0] == held_at:
            print("held", os.path.basename(os.fspath(dst)), file=sys.stderr, flush=True)
            time.sleep(120)
        return real(src, dst)
    return rename
os.replace, os.rename = holding(os.replace), holding(os.rename)
import accelsim.atomic
accelsim.atomic.exchange = holding(accelsim.atomic.exchange)   # the swap of a replaced result folder
from accelsim.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "folder-with-other-files"])
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_simulate_killed_while_renaming_a_result(reference_simulation, tmp_path, existing, nth):
    """Into a new folder the results are staged and appear together (one rename: the staging folder):
    killed there, no result appears. Into a folder holding other files they are written one at a time,
    summary.json last: killed at the second, layers.csv is there, whole, and summary.json is not."""
    reference, _ = reference_simulation
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "notes.txt").write_text("mine\n")
    process = subprocess.Popen([sys.executable, "-c", HOLD_NTH_RENAME, *SIMULATE, "--out", str(out)],
                               env={**env(), "HOLD_RENAME": str(nth)}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()      # "held <name>", or nothing if the run ends first
    finally:
        kill(process)
    if not line.startswith("held"):
        assert nth == 3 if existing else nth >= 2, line     # two renames, or one
        assert result_files(out) == ["layers.csv"] + (["notes.txt"] if existing else []) + ["summary.json"]
        return
    assert_whole(out, reference)
    expected = ([] if not existing or nth == 1 else ["layers.csv"]) + (["notes.txt"] if existing else [])
    assert result_files(out) == expected
    if existing:
        assert (out / "notes.txt").read_text() == "mine\n"


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_simulate_force_over_earlier_results_replaces_them_as_one(reference_simulation, tmp_path, nth):
    """--force over a folder of earlier results (another sparsity): killed at any rename, the folder holds
    the old results or the new ones, never the new layers.csv beside the old summary.json (issue 14; before,
    the two files were renamed into place one after the other)."""
    reference, _ = reference_simulation
    out = tmp_path / "out"
    old_argv = [a if a != "0.5" else "0.9" for a in SIMULATE]
    run(*old_argv, "--out", str(out))
    old = {name: (out / name).read_bytes() for name in RESULTS}
    out.chmod(0o750)
    process = subprocess.Popen([sys.executable, "-c", HOLD_NTH_RENAME, *SIMULATE, "--force", "--out", str(out)],
                               env={**env(), "HOLD_RENAME": str(nth)}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
    finally:
        kill(process)
    present = {name: (out / name).read_bytes() for name in result_files(out)}
    new = {name: (reference / name).read_bytes() for name in RESULTS}
    assert present in (old, new), (line, sorted(present))
    if not line.startswith("held"):
        assert present == new
        assert out.stat().st_mode & 0o777 == 0o750      # the folder keeps its mode


def test_sparse_simulation_is_byte_identical_across_processes(tmp_path):
    """Seeded masks, activations and a SimPy run on a sparse engine: the same files from two processes
    with different hash seeds; summary.json says how to reproduce them."""
    argv = ("simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw", str(HW / "scnn_like.yaml"),
            "--sparsity", "0.9", "--seed", "5", "--quiet")
    run(*argv, "--out", str(tmp_path / "a"), hash_seed=1)
    run(*argv, "--out", str(tmp_path / "b"), hash_seed=2)
    for name in RESULTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    metadata = json.loads((tmp_path / "a" / "summary.json").read_text())["metadata"]
    assert metadata["accelsim_version"] == accelsim.__version__
    assert metadata["config_hash"] == load_hardware(HW / "scnn_like.yaml").config_hash
    assert (metadata["seed"], metadata["model"], metadata["hardware_file"]) == (5, "mobilenet_v1_0.25",
                                                                                 "scnn_like.yaml")
    assert metadata["model_options"] == {"width": 0.25} and metadata["sparsity"] == pytest.approx(0.9, abs=1e-3)


def test_result_files_have_ordinary_permissions(reference_simulation):
    """Written through temporary files, results still get the umask's permissions (not mkstemp's 0600)."""
    reference, _ = reference_simulation
    umask = os.umask(0o022)
    os.umask(umask)
    for name in RESULTS:
        assert (reference / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_a_failed_write_is_an_output_error_and_leaves_the_old_file(tmp_path, monkeypatch):
    from accelsim.errors import OutputError
    from accelsim import atomic
    path = tmp_path / "totals.csv"
    path.write_text("old\n")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", disk_full)
    with pytest.raises(OutputError, match="totals.csv: cannot write output file; got 'No space left on device'"):
        atomic.write_text(path, "new\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["totals.csv"]
