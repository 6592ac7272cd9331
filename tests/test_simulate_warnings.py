"""Warnings, not silence: one stderr line each, also in summary.json (metadata.warnings)."""
from __future__ import annotations

import json

import numpy as np
from conftest import HWCONFIGS, run_cli

WORKLOAD = """name: warned
layers:
  - {name: conv1, type: conv2d, in_channels: 3, out_channels: 8, kernel_h: 3, kernel_w: 3, in_h: 8, in_w: 8}
  - {name: conv2, type: conv2d, in_channels: 4, out_channels: 8, kernel_h: 1, kernel_w: 1, in_h: 6, in_w: 6}
  - {name: fc, type: linear, in_features: 288, out_features: 10, prunable: false}
"""


def run(capsys, tmp_path, hw, masks):
    (tmp_path / "net.yaml").write_text(WORKLOAD)
    np.savez(tmp_path / "m.npz", **masks)
    out = tmp_path / hw
    status, _, err = run_cli(capsys, "simulate", "--workload", tmp_path / "net.yaml", "--masks", tmp_path / "m.npz",
                             "--hw", HWCONFIGS / hw, "--out", out)
    assert status == 0, err
    lines = [line for line in err.splitlines() if line.startswith("accelsim: warning: ")]
    assert len(lines) == len(err.splitlines())
    assert [line[len("accelsim: warning: "):] for line in lines] == \
        json.loads((out / "summary.json").read_text())["metadata"]["warnings"]
    return lines


def test_each_warning_is_one_line_and_in_the_summary(capsys, tmp_path):
    fc = np.ones((10, 288), bool)
    fc[0, 0] = False
    masks = {"conv1": np.zeros((8, 3, 3, 3), bool), "conv2": np.ones((8, 4, 1, 1), bool), "fc": fc}
    lines = run(capsys, tmp_path, "dense_edge.yaml", masks)
    assert lines == ["accelsim: warning: layer conv1: every weight is pruned (100% sparsity)",
                     "accelsim: warning: layer fc: a mask is given for a layer marked not prunable",
                     "accelsim: warning: sparse masks run on a dense engine, which multiplies the zeros anyway",
                     "accelsim: warning: layers conv1 -> conv2: shapes do not chain (8 outputs per position, 4 inputs)"]
    # on a sparse engine the masks are used: no dense-engine warning
    lines = run(capsys, tmp_path, "scnn_like.yaml", masks)
    assert not any("dense engine" in line for line in lines) and len(lines) == 3
