"""The per-process memo of simulated layers (``accelsim.study.memo``) returns what compiling and simulating
the layer again would: equal inputs give the run memoised, any input that differs (a mask bit, the machine,
the plan, the layer's name) gives its own run. Expected values come from ``compile`` and ``execute`` called
directly, without the memo."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import hw_variant

from accelsim.accelerators.engines import engine_for
from accelsim.study import memo
from accelsim.workloads.layers import Conv2D, Linear


def direct(hw, layer, mask, acts, plan=None):
    engine = engine_for(hw)
    return engine.execute(engine.compile(layer, masks=mask, activations=acts, plan=plan))


@pytest.mark.parametrize("machine", ["scnn", "dcnn", "systolic"])
def test_memoised_runs_equal_direct_ones_whatever_differs(machine):
    rng = np.random.default_rng(3)
    layer = Conv2D("c", in_channels=16, out_channels=32, in_h=10, in_w=10)
    masks = [rng.random(layer.weight_shape) < 0.4 for _ in range(2)]
    masks[1][0, 0, 0, 0] = not masks[0][0, 0, 0, 0]              # one bit apart from the first at most
    masks[1][1:] = masks[0][1:]
    acts = rng.random((16, 10, 10)) < 0.5
    small = hw_variant(machine, {"pe_array.rows": 2, "pe_array.cols": 2})
    cases = [(small, layer, masks[0], acts), (small, layer, masks[1], acts), (small, layer, None, acts),
             (small, layer, masks[0], None), (hw_variant(machine), layer, masks[0], acts),
             (small, dataclasses.replace(layer, name="d"), masks[0], acts)]
    for _ in range(2):                      # the second time from the memo
        for hw, lay, mask, act in cases:
            assert memo.run_layer(engine_for(hw), lay, mask, act, None) == direct(hw, lay, mask, act)


def test_unhashable_plans_run_without_the_memo():
    """EIE's residency plan holds arrays: its layers are simulated every time, as they would be without it."""
    layer = Linear("fc", in_features=64, out_features=48)
    mask = np.random.default_rng(4).random(layer.weight_shape) < 0.2
    hw = hw_variant("eie")
    plan = engine_for(hw).plan([layer], {"fc": mask})
    for _ in range(2):
        assert memo.run_layer(engine_for(hw), layer, mask, None, plan) == direct(hw, layer, mask, None, plan)
