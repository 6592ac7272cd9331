"""The command line: output shapes, and every bad input answered by one line on stderr with exit status 2."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from accelsim import cli
from conftest import run_cli


def test_models_csv_has_one_row_per_variant_with_options(capsys):
    status, out, _ = run_cli(capsys, "models", "--csv")
    assert status == 0
    from io import StringIO
    table = pd.read_csv(StringIO(out))
    assert len(table) == 15                     # Zhu & Gupta's 12 variants, AlexNet, VGG-16 and GoogLeNet
    assert {"params", "width", "size", "units"} <= set(table.columns)
    mobilenet = table[table["family"] == "mobilenet_v1"].set_index("width")
    assert mobilenet.loc[1.0, "params"] == 4_211_113


def test_footprint_prints_readable_table(capsys):
    status, out, _ = run_cli(capsys, "footprint", "--model", "mobilenet_v1", "--width", "0.25", "--sparsity", "0,0.5")
    assert status == 0
    assert "model_mb" in out and len(out.strip().splitlines()) == 3


def test_prune_writes_masks_and_refuses_to_overwrite(capsys, tmp_path):
    out_file = tmp_path / "masks.npz"
    args = ("prune", "--model", "ptb_lstm", "--size", "small", "--sparsity", "0.9", "--seed", "1",
            "--out", str(out_file), "--quiet")
    assert run_cli(capsys, *args)[0] == 0
    masks = np.load(out_file)
    assert set(masks.files) == {"embedding", "lstm1", "lstm2", "softmax"}
    assert all(1 - masks[k].mean() == pytest.approx(0.9, abs=1e-6) for k in masks.files)
    before = out_file.read_bytes()
    status, _, err = run_cli(capsys, *args)
    assert status == 2 and "--force" in err and str(out_file) in err
    assert out_file.read_bytes() == before
    assert run_cli(capsys, *args, "--force")[0] == 0


@pytest.mark.parametrize("argv,names", [
    (["footprint", "--model", "resnet50", "--sparsity", "0.5"], "--model"),
    (["footprint", "--model", "mobilenet_v1", "--width", "0", "--sparsity", "0.5"], "--width"),
    (["footprint", "--model", "mobilenet_v1", "--width", "-1", "--sparsity", "0.5"], "--width"),
    (["footprint", "--model", "mobilenet_v1", "--sparsity", "1.0"], "--sparsity"),
    (["footprint", "--model", "mobilenet_v1", "--sparsity", "-0.1"], "--sparsity"),
    (["footprint", "--model", "mobilenet_v1", "--sparsity", "half"], "--sparsity"),
    (["footprint", "--model", "ptb_lstm", "--steps", "-3", "--sparsity", "0.5"], "--steps"),
    (["footprint", "--model", "ptb_lstm", "--size", "huge", "--sparsity", "0.5"], "--size"),
    (["footprint", "--model", "ptb_lstm", "--width", "0.5", "--sparsity", "0.5"], "--width"),
    (["prune", "--model", "mobilenet_v1", "--sparsity", "2", "--seed", "0", "--out", "x.npz"], "--sparsity"),
    (["prune", "--model", "mobilenet_v1", "--sparsity", "0.5", "--seed", "0"], "--out"),
    (["simulate-everything"], "simulate-everything"),
])
def test_bad_input_one_line_exit_2(capsys, tmp_path, monkeypatch, argv, names):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_catching_exit(capsys, argv)
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert names in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def run_catching_exit(capsys, argv):
    try:
        status = cli.main(argv)
    except SystemExit as stop:   # argparse usage errors
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def test_prune_into_missing_folder_is_bad_input(capsys, tmp_path):
    status, _, err = run_cli(capsys, "prune", "--model", "mobilenet_v1", "--width", "0.25", "--sparsity", "0.5",
                         "--seed", "0", "--out", str(tmp_path / "no" / "such" / "dir" / "m.npz"))
    assert status == 2 and "m.npz" in err


def test_console_script_reports_without_traceback():
    """The installed entry point, as a user runs it."""
    done = subprocess.run([sys.executable, "-m", "accelsim.cli", "footprint", "--model", "mobilenett",
                           "--sparsity", "0.5"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("accelsim: error: --model: unknown model (did you mean 'mobilenet")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("given, expected", [({}, "1 None"), ({"OPENBLAS_NUM_THREADS": "3"}, "3 None"),
                                             ({"OMP_NUM_THREADS": "4"}, "None 4")])
def test_the_command_runs_openblas_on_one_thread_unless_told(given, expected):
    """The command sets OPENBLAS_NUM_THREADS=1 before numpy loads (its idle threads cost CPU, no command gains
    from them): numpy then starts no thread (Linux: the process's tasks). A user's OPENBLAS_NUM_THREADS or
    OMP_NUM_THREADS stands."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    code = ("import os, accelsim.cli, numpy; tasks = '/proc/self/task'; "
            "print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'), "
            "len(os.listdir(tasks)) if os.path.isdir(tasks) else 1)")
    done = subprocess.run([sys.executable, "-c", code], env={**env, **given}, capture_output=True, text=True,
                          timeout=60)
    *variables, threads = done.stdout.split()
    assert variables == expected.split(), done.stderr
    assert threads == "1" or given
