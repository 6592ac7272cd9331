"""Eyeriss v2's (and v1's) mapping search against simulating every candidate it offers.

The search models and simulates only the candidates whose lower bounds do not exceed the best latency found
(``accelsim/accelerators/eyeriss_v2/search.py``, ``bounds.py``). Both of its claims are checked here on
random small layers, masks and machines, by brute force: every bound it prunes with is at most the
candidate's simulated cycles (for each way its input may cross DRAM), and its choice is the exhaustive
argmin (least cycles; ties: less dynamic energy, fewer DRAM bytes, the earlier candidate).
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import hw_variant
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from test_invariants import case

from accelsim.accelerators.eyeriss_v2.bounds import Tallies
from accelsim.accelerators.eyeriss_v2.compiler import _pricer, _simulator, array_of, pe_of
from accelsim.accelerators.eyeriss_v2.mapper import blocks, check_window, fits
from accelsim.accelerators.eyeriss_v2.schedule import (block_bits, iact_bits, passes_per_round, plan, round_cycles,
                                                       tile_work)
from accelsim.accelerators.eyeriss_v2.search import candidates, search
from accelsim.accelerators.eyeriss_v2.view import view
from accelsim.errors import ConfigError, InputError
from accelsim.units import bits_to_bytes


def _every_candidate(v, pe, arr, simulate, price, bytes_per_cycle):
    """(cycles, energy, DRAM bytes, (rank, option), (M0, C0, rows, clusters, resident)) of every candidate
    and input option, each asserted to be no faster than any bound the search takes for it."""
    tallies = Tallies(v, pe, arr)
    least_bits = float(v.weights.sum(dtype=np.int64)) * arr.weight_bits
    out = []
    for rank, m0, c0, rows, a in candidates(v, pe, arr, tallies):
        per_block = tallies.block_entries(m0, c0)
        if not fits(v, pe, m0, c0, per_block if pe.sparse else None):
            continue
        block_set = block_bits(v, m0, c0, per_block, arr)
        bits = float(block_set.sum())
        late = bits_to_bytes(bits) / bytes_per_cycle
        b = blocks(v, pe, m0, c0, tallies.columns(m0), tallies.window(c0))
        compute = passes_per_round(tile_work(b.cycles.sum(axis=-1), rows), a)
        floor = passes_per_round(tallies.tile_floor(m0, c0, rows), a)
        bounds = {
            "coarse, every weight at weight_bits": tallies.coarse(m0, c0, rows, a, tallies.totals(m0, c0), least_bits)
            + bits_to_bytes(least_bits) / bytes_per_cycle,
            "coarse": tallies.coarse(m0, c0, rows, a, tallies.totals(m0, c0), bits) + late,
            "per tile round": tallies.per_tile(m0, c0, rows, a, block_set.sum(axis=1)) + late,
            "rounds at the passes' floor": round_cycles(v, m0, a, rows, floor, block_set, iact_bits(v, c0, rows, arr))
            + late,
            "rounds' passes": int(compute.max(axis=(2, 3)).sum()) + late}
        assert (floor <= compute).all()
        for option, s in enumerate(plan(v, b, a, rows, compute)):
            cycles, read, written = simulate(s, a)
            bounds["rounds"] = int(s.cycles.max(axis=1).sum()) + late
            assert all(bound <= cycles for bound in bounds.values()), (bounds, cycles)
            out.append((cycles, price(b, s, a, read, written), read + written, (rank, option),
                        (m0, c0, rows, a.clusters, s.resident)))
    return out


@pytest.mark.parametrize("engine_name", ["eyeriss_v2", "eyeriss_v1"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_search_is_the_exhaustive_argmin_and_its_bounds_hold(engine_name, data):
    changes, layer, weights, acts = data.draw(case(engine_name))
    sparse = engine_name == "eyeriss_v2"
    try:
        hw = hw_variant(engine_name, changes)
        pe, arr = pe_of(hw, sparse), array_of(hw, sparse)
        v = view(layer, weights if sparse else None, acts if sparse else None)
        check_window(v.name, v.s, pe)
    except (ConfigError, InputError):       # a machine that cannot hold the layer: not this property's
        reject()
    simulate, price = _simulator(hw, layer.name), _pricer(hw, v, pe)
    every = _every_candidate(v, pe, arr, simulate, price, hw.dram.bytes_per_cycle)
    if not every:
        reject()
    cycles, _, _, _, mapping = min(every, key=lambda c: c[:4])
    b, s, used = search(v, pe, arr, simulate, price, hw.dram.bytes_per_cycle)
    assert simulate(s, used)[0] == cycles
    assert (b.m0, b.c0, s.rows, used.clusters, s.resident) == mapping
