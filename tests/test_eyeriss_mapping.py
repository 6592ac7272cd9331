"""Eyeriss v2's and v1's mapping search: more scratch pad or global buffer never makes a layer slower.

The mapper chooses each layer's weight block (M0 x C0), tile rows and input residency by the exact simulated
latency over candidate sets that only grow when a pad or the GLB doubles (docs/eyeriss_v2.md), so a machine
with twice any of them runs at least the smaller machine's best mapping. The expected relation is that
order, not a figure from the code under test: random small layers, masks and machines
(``test_invariants.case``), each pad and GLB bank group doubled, cycles compared. The greedy mapper (the
largest block that fits) broke it: MobileNet 1.0 at 90% ran 13% slower with twice the iact pad.
"""
from __future__ import annotations

import pytest
from conftest import hw_variant, raw_config, set_path
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from test_invariants import case, run

from accelsim.accelerators.engines import engine_for
from accelsim.errors import InputError

#: The storage the mapper's candidates depend on.
STORAGE = ("pe.iact_spad_entries", "pe.weight_spad_entries", "pe.psum_spad_entries",
           "buffers.glb_iact.size_bytes", "buffers.glb_psum.size_bytes")


def _doubled(engine: str, changes: dict, path: str) -> dict:
    """``changes`` with the value at ``path`` (as the machine has it after ``changes``) doubled."""
    data = raw_config(engine)
    for key, value in changes.items():
        set_path(data, key, value)
    value = data
    for key in path.split("."):
        value = value[key]
    return {**changes, path: value * 2}


@pytest.mark.parametrize("path", STORAGE)
@pytest.mark.parametrize("engine", ["eyeriss_v2", "eyeriss_v1"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_doubling_a_scratch_pad_or_glb_never_slows_a_layer(engine, path, data):
    changes, layer, weights, acts = data.draw(case(engine))
    small = run(engine, changes, layer, weights, acts)[3]
    try:
        hw = hw_variant(engine, _doubled(engine, changes, path))
    except InputError:                  # twice the value is beyond the key's declared range
        reject()
    grown = engine_for(hw)
    big = grown.execute(grown.compile(layer, masks=weights, activations=acts if hw.accelerator.skips_zeros else None))
    assert big.cycles <= small.cycles, f"{path} doubled: {small.cycles} -> {big.cycles} cycles"
    assert big.useful_macs == small.useful_macs
