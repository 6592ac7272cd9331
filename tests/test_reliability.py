"""What an outside tester and a newcomer found (issue 14) that is not a one-line refusal (those are rows of
tests/test_bad_inputs.py): output folders kept and replaced correctly, damaged sweep state recomputed, the
Python API checking its arguments as the command line does, standard output failing cleanly."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import accelsim as acs
from accelsim.errors import InputError, MaskError, WorkloadError
from accelsim.pruning import Masks
from accelsim.reports import write_results
from accelsim.workloads.model import Model

ROOT = Path(__file__).resolve().parent.parent
HW = ROOT / "hwconfigs"
CLI = (sys.executable, "-m", "accelsim.cli")
SWEEP = ("sweep", "--model", "mobilenet_v1", "--width", "0.25", "--sparsity", "0,0.5,0.9",
         "--hw", str(HW / "dense_edge.yaml"), "--jobs", "1", "--quiet")


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **extra}


def cli(*argv: str, status: int = 0, **extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*CLI, *argv], capture_output=True, text=True, env=env(**extra), timeout=600)
    assert done.returncode == status, done.stderr
    return done


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "sweep"
    cli(*SWEEP, "--out", str(out))
    return out


# --- output folders ------------------------------------------------------------------------------------

def test_sweep_force_writes_into_a_folder_of_user_files_and_resumes_by_its_marker(reference_sweep, tmp_path):
    """Without --force a folder of the user's files is refused (a bad-inputs row); with it the sweep writes
    its files beside theirs, and a second run without --force resumes (the marker, not file names, says
    the folder is a sweep's)."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    cli(*SWEEP, "--out", str(out), "--force")
    assert (out / "notes.txt").read_text() == "mine\n"
    assert (out / "totals.csv").read_bytes() == (reference_sweep / "totals.csv").read_bytes()
    again = cli(*SWEEP[:-1], "--out", str(out))
    assert "0 points simulated, 3 already done" in again.stderr


def test_a_compare_folder_is_not_taken_for_a_sweep(reference_sweep, tmp_path):
    """Another kind of accelsim result is refused too: the marker names the kind."""
    (tmp_path / "cmp").mkdir()
    (tmp_path / "cmp" / ".accelsim").write_text("compare\n")
    (tmp_path / "cmp" / "compare.csv").write_text("x\n1\n")
    done = cli(*SWEEP, "--out", str(tmp_path / "cmp"), status=2)
    assert "not the results of an accelsim sweep" in done.stderr


def test_simulate_fills_an_existing_empty_folder_and_keeps_its_mode(tmp_path):
    """An existing empty --out is filled, not replaced: same folder (inode), same mode (was: 700 -> 755)."""
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o700)
    inode = out.stat().st_ino
    cli("simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw", str(HW / "dense_edge.yaml"), "--quiet",
        "--out", str(out))
    assert out.stat().st_ino == inode and out.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in out.iterdir()) == ["layers.csv", "summary.json"]


def test_a_long_but_legal_file_name_is_written(tmp_path):
    """A 246-character name is legal; the hidden temporary name beside it must be too (was: a traceback)."""
    name = "m" * 242 + ".npz"
    cli("prune", "--model", "mobilenet_v1", "--width", "0.25", "--sparsity", "0.5", "--seed", "0", "--quiet",
        "--out", str(tmp_path / name))
    assert (tmp_path / name).is_file() and [p.name for p in tmp_path.iterdir()] == [name]


# --- damaged sweep state -------------------------------------------------------------------------------

def test_damaged_points_are_recomputed_and_said(reference_sweep, tmp_path):
    """A truncated points/<key>.json, a missing points/<key>.csv: those points are computed again, with a
    note, and the sweep ends as an undamaged one (was: exit 1, and resuming blocked)."""
    out = tmp_path / "sweep"
    cli(*SWEEP, "--out", str(out))
    first, second = sorted((out / "points").glob("*.json"))[:2]
    first.write_text(first.read_text()[:40])
    second.with_suffix(".csv").unlink()
    done = cli(*SWEEP, "--out", str(out))
    assert "accelsim: note: 2 stored points" in done.stderr and "computing them again" in done.stderr
    for name in ("totals.csv", "points.csv"):
        assert (out / name).read_bytes() == (reference_sweep / name).read_bytes()


def test_a_file_where_the_points_folder_belongs_is_replaced(reference_sweep, tmp_path):
    out = tmp_path / "sweep"
    cli(*SWEEP, "--out", str(out))
    for stored in (out / "points").iterdir():
        stored.unlink()
    (out / "points").rmdir()
    (out / "points").write_text("not a folder\n")
    done = cli(*SWEEP, "--out", str(out))
    assert "was not a folder: removed" in done.stderr
    assert (out / "totals.csv").read_bytes() == (reference_sweep / "totals.csv").read_bytes()


# --- the Python API checks its arguments -----------------------------------------------------------------

@pytest.fixture(scope="module")
def small():
    model = acs.zoo.mobilenet_v1(width=0.25)
    return model, acs.load_hardware(HW / "dense_edge.yaml"), acs.prune(model, 0.5, seed=0)


def test_simulate_takes_a_dict_of_bool_arrays_as_its_masks(small):
    """The documented type, a dict of layer name -> bool array, gives what the same Masks gives (was:
    every layer ran, then AttributeError 'total_sparsity')."""
    model, hw, masks = small
    from_dict = acs.simulate(model, hw, masks={name: np.array(mask) for name, mask in masks.items()})
    from_masks = acs.simulate(model, hw, masks=masks)
    assert from_dict.layers.equals(from_masks.layers) and from_dict.metadata == from_masks.metadata


def test_simulate_refuses_masks_that_leave_prunable_layers_out(small):
    """A Masks of one layer: refused as the command line refuses such a file (was: the rest ran dense while
    metadata["sparsity"] said 0.5)."""
    model, hw, masks = small
    with pytest.raises(MaskError, match="pw2: no mask for a prunable layer"):
        acs.simulate(model, hw, masks=Masks({"pw1": masks["pw1"]}))
    with pytest.raises(MaskError, match="masks: masks are not a mapping"):
        acs.simulate(model, hw, masks=[masks["pw1"]])


def test_simulate_takes_numpy_seeds_and_sparsities(small, tmp_path):
    """numpy.int64 seed: results written as with int (was: write_results failed on it); numpy.float32(0.5)
    sparsity: accepted (was: out of range)."""
    model, hw, _ = small
    result = acs.simulate(model, hw, sparsity=np.float32(0.5), seed=np.int64(3))
    assert type(result.metadata["seed"]) is int and result.metadata["seed"] == 3
    assert result.layers.equals(acs.simulate(model, hw, sparsity=0.5, seed=3).layers)
    write_results(result, tmp_path / "out")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["metadata"]["seed"] == 3


def test_simulate_names_an_argument_of_the_wrong_type(small):
    """A path where a config belongs: the project's one-line error (was: a raw AttributeError)."""
    model, _, _ = small
    with pytest.raises(InputError, match=r"hw: not a hardware description; expected a HardwareConfig"):
        acs.simulate(model, str(HW / "dense_edge.yaml"))
    with pytest.raises(InputError, match=r"model: not a model"):
        acs.simulate("mobilenet_v1", acs.load_hardware(HW / "dense_edge.yaml"))
    with pytest.raises(InputError, match=r"model: not a model"):        # was: AttributeError 'prunable_layers'
        acs.prune("mobilenet_v1", 0.5, seed=0)


def test_a_model_with_no_layer_run_at_inference_is_refused(small):
    model, hw, _ = small
    from dataclasses import replace
    hidden = Model(name="hidden", family="workload",
                   layers=tuple(replace(layer, at_inference=False) for layer in model.layers))
    with pytest.raises(WorkloadError, match="has no layer that runs at inference"):
        acs.simulate(hidden, hw)


# --- standard output failing ---------------------------------------------------------------------------

@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_standard_output_is_one_line():
    with open("/dev/full", "w") as full:
        done = subprocess.run([*CLI, "models"], stdout=full, stderr=subprocess.PIPE, text=True, env=env(),
                              timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["accelsim: error: cannot write to standard output: No space left on "
                                        "device; results written to files are complete"]


def test_a_name_the_output_encoding_lacks_is_escaped_not_a_crash(tmp_path):
    """A workload named in non-ASCII letters, printed under an ASCII output encoding (was: a
    UnicodeEncodeError after the results were written)."""
    (tmp_path / "net.yaml").write_text("name: réseau\nlayers:\n  - {name: fc1, type: linear, in_features: 8, "
                                       "out_features: 8}\n", encoding="utf-8")
    done = cli("simulate", "--workload", str(tmp_path / "net.yaml"), "--hw", str(HW / "dense_edge.yaml"),
               "--out", str(tmp_path / "out"), PYTHONIOENCODING="ascii")
    assert "r\\xe9seau on dense_edge" in done.stdout
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["metadata"]["model"] == "réseau"


def test_a_failed_cleanup_does_not_hide_the_real_error(tmp_path, monkeypatch):
    """In a folder the user may not write, removing the temporary file fails too (EACCES for a non-root
    user): the error shown is the write's, naming the user's path (was: the cleanup's traceback)."""
    import errno

    from accelsim import atomic
    from accelsim.errors import OutputError

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    def refused(self, missing_ok=False):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", read_only)
    monkeypatch.setattr(Path, "unlink", refused)
    with pytest.raises(OutputError, match=r"m\.txt: cannot write output file; got 'Read-only file system'"):
        atomic.write_text(tmp_path / "m.txt", "x\n")
