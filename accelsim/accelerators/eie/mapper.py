"""How many of EIE's PEs a layer uses (layer 5): the mapper's one choice (``docs/eie.md``).

A layer's rows are interleaved over the PEs it uses; on a small layer more PEs mean more column pointers to
read and more broadcast columns per PE than work, so the whole array is not always the fastest. The mapper
simulates the layer on the first ``N / 2**k`` PEs (the others idle) and keeps the least latency (ties: less
dynamic energy, then fewer DRAM bytes, then more PEs). A larger array offers every sub-array a smaller one
does, each run as on the smaller machine, so more PEs are never slower. ASSUMPTION: a sub-array's broadcast
is taken from the root of its own subtree of the leading-non-zero-detection tree (a bypass per level), so its
fill latency is that of its own tree (``EieConfig.pipeline_cycles``); the paper describes one array only.
The candidates are tried from the most PEs down, and stop once ``useful MACs / PEs`` (a PE multiplies at
most one entry a cycle) exceeds the best latency found.
"""
from __future__ import annotations

from accelsim.accelerators.eie.plan import plan_eie
from accelsim.compile.program import Program
from accelsim.energy.table import EnergyTable
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import Layer


def sub_arrays(n_pes: int) -> list[int]:
    """``n_pes`` and its halvings (rounded down, at least 1), largest first: doubling ``n_pes`` keeps them all."""
    return sorted({n_pes >> k for k in range(n_pes.bit_length())}, reverse=True)


def map_layer(layer: Layer, engine: Engine, masks=None, activations=None, *, preload_weights: bool = True,
              resident: bool | None = None) -> Program:
    """The program of ``layer`` on the sub-array of ``engine``'s machine that runs it fastest (module doc);
    ``resident`` as in :func:`.plan.plan_eie`."""
    best, best_key, table = None, None, None
    for rank, n_pes in enumerate(sub_arrays(engine.hw.pe_count)):
        plan = plan_eie(layer, engine.hw, masks, activations, preload_weights=preload_weights, resident=resident,
                        n_pes=n_pes)
        if best_key is not None and plan.useful_macs > best_key[0] * n_pes:
            break
        program = plan.program()
        run = engine.execute(program)
        if best_key is not None and run.cycles > best_key[0]:
            continue
        key = [run.cycles, None, run.dram_read_bytes + run.dram_write_bytes, rank, run.counts]
        if best_key is not None and run.cycles == best_key[0]:
            table = table or EnergyTable.from_config(engine.hw)
            best_key[1] = table.dynamic_pj(best_key[4]) if best_key[1] is None else best_key[1]
            key[1] = table.dynamic_pj(run.counts)
            if key[:4] > best_key[:4]:
                continue
        best, best_key = program, key
    return best
