"""How many of EIE's PEs a layer uses (layer 5): the mapper's one choice (``docs/eie.md``).

A layer's rows are interleaved over the PEs it uses; on a small layer more PEs mean more column pointers to
read and more broadcast columns per PE than work, so the whole array is not always the fastest. The mapper
simulates the layer on the first ``N / 2**k`` PEs (the others idle) and keeps the least latency (ties: less
dynamic energy, then fewer DRAM bytes, then more PEs). A larger array offers every sub-array a smaller one
does, each run as on the smaller machine, so more PEs are never slower. ASSUMPTION: a sub-array's broadcast
is taken from the root of its own subtree of the leading-non-zero-detection tree (a bypass per level), so its
fill latency is that of its own tree (``EieConfig.pipeline_cycles``); the paper describes one array only.
The candidates are tried from the most PEs down; a sub-array is planned only if a lower bound on its
latency (:func:`floor`, from the whole array's plan: the non-zeros a layer's input columns hold do not
depend on how the rows are interleaved) does not exceed the best latency found, so the choice is the one
planning every sub-array would make.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from accelsim.accelerators.eie.plan import EiePlan, plan_eie
from accelsim.compile.program import Program
from accelsim.energy.table import EnergyTable
from accelsim.sim.engine import Engine
from accelsim.units import ceil_div
from accelsim.workloads.layers import Layer


def sub_arrays(n_pes: int) -> list[int]:
    """``n_pes`` and its halvings (rounded down, at least 1), largest first: doubling ``n_pes`` keeps them all."""
    return sorted({n_pes >> k for k in range(n_pes.bit_length())}, reverse=True)


def floor(plan: EiePlan, n_pes: int) -> float:
    """A lower bound on the cycles of ``plan``'s layer on the first ``n_pes`` PEs (any plan of the layer gives
    the same). Per matrix and pass, each broadcast column costs every PE at least ``column_cycles`` (its
    pointer reads) and its entries there (at least its non-zeros), one a cycle, so the PEs' busy cycles of a
    column over all passes are at least ``max(passes x n_pes x column_cycles, non-zeros)``; a step lasts its
    slowest PE (at least the mean) plus the pipeline's fill, paid once per pass of every input vector with a
    non-zero. Passes: ``ceil(ceil(rows / n_pes) / rf_activations)`` (:mod:`.storage`)."""
    cfg = replace(plan.cfg, n_pes=n_pes)
    total = 0.0
    for work in plan.works:
        passes = max(1, ceil_div(ceil_div(work.matrix.n_rows, n_pes), cfg.rf_activations))
        column = np.maximum(work.matrix.nnz.sum(axis=(0, 2), dtype=np.int64), passes * n_pes * cfg.column_cycles)
        runs = np.bincount(work.order, minlength=len(work.vectors))
        busy = float((work.vectors @ column.astype(np.float64)) @ runs)
        total += int(runs[work.vectors.any(axis=1)].sum()) * passes * cfg.pipeline_cycles + busy / n_pes
    return total


def map_layer(layer: Layer, engine: Engine, masks=None, activations=None, *, preload_weights: bool = True,
              resident: bool | None = None) -> Program:
    """The program of ``layer`` on the sub-array of ``engine``'s machine that runs it fastest (module doc);
    ``resident`` as in :func:`.plan.plan_eie`."""
    best, best_key, table, whole = None, None, None, None
    for rank, n_pes in enumerate(sub_arrays(engine.hw.pe_count)):
        if best_key is not None and floor(whole, n_pes) > best_key[0]:
            continue
        plan = plan_eie(layer, engine.hw, masks, activations, preload_weights=preload_weights, resident=resident,
                        n_pes=n_pes)
        whole = whole or plan
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
