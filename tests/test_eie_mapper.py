"""EIE's choice of PEs (``accelsim/accelerators/eie/mapper.py``) against planning every sub-array.

The mapper skips a sub-array whose lower bound (:func:`~accelsim.accelerators.eie.mapper.floor`) exceeds the
best latency found. Checked by brute force on random small layers, masks and machines: the bound is at most
every sub-array's simulated cycles, and the choice is the one planning every sub-array makes (least cycles;
ties: less dynamic energy, fewer DRAM bytes, more PEs).
"""
from __future__ import annotations

from conftest import hw_variant
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from test_invariants import case

from accelsim.accelerators.eie.mapper import floor, map_layer, sub_arrays
from accelsim.accelerators.eie.plan import plan_eie
from accelsim.accelerators.engines import engine_for
from accelsim.energy.table import EnergyTable
from accelsim.errors import InputError


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_floor_holds_and_the_choice_is_planning_every_sub_array(data):
    changes, layer, weights, acts = data.draw(case("eie"))
    try:
        engine = engine_for(hw_variant("eie", changes))
        plans = [plan_eie(layer, engine.hw, weights, acts, n_pes=n) for n in sub_arrays(engine.hw.pe_count)]
    except InputError:                  # a machine that cannot hold the layer: not this property's
        reject()
    table = EnergyTable.from_config(engine.hw)
    runs = []
    for rank, plan in enumerate(plans):
        run = engine.execute(plan.program())
        assert floor(plans[0], plan.cfg.n_pes) <= run.cycles
        runs.append((run.cycles, table.dynamic_pj(run.counts), run.dram_read_bytes + run.dram_write_bytes, rank))
    cycles, _, _, rank = min(runs)
    program = map_layer(layer, engine, weights, acts)
    assert engine.execute(program).cycles == cycles
    assert program.details["pes_used"] == plans[rank].cfg.n_pes
