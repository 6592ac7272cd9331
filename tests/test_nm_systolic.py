"""The N:M systolic array: closed forms worked by hand, dense fallback, and per-layer agreement with SCALE-Sim
3.0.0's layer-wise N:M model (benchmarks/reference/scalesim_sparse_*.csv, made by
benchmarks/scalesim_sparse_reference.py): compute cycles within 2%, SRAM reads and filter storage equal."""
import csv
import pathlib

import numpy as np
import pytest

import accelsim as acs
from accelsim.accelerators.nm_systolic.engine import chosen_pattern, condensed_k
from accelsim.accelerators.engines import engine_for
from accelsim.formats import NMCompressed
from accelsim.pruning import Masks, synthetic_weights
from accelsim.pruning.structured import nm_mask, reduction_rows
from accelsim.workloads import Attention, Conv2D, Linear, Model
from conftest import hw_variant

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "benchmarks" / "reference"


def nm_hw(**changes):
    return hw_variant("nm_systolic", changes)


def run(layer, hw, nm=None):
    mask = None if nm is None else nm_mask(synthetic_weights(layer, 0), *nm)
    engine = engine_for(hw)
    return engine.execute(engine.compile(layer, masks=mask))


def fc(k=256, m=32, steps=64):
    return Linear("fc", in_features=k, out_features=m, steps=steps)


def test_condensed_k_by_hand():
    assert condensed_k(256, 2, 4) == 128 and condensed_k(9, 2, 4) == 5 and condensed_k(363, 1, 4) == 91
    assert condensed_k(27, 4, 8) == 3 * 4 + 3


def test_2of4_halves_the_reduction_folds():
    """WS, K = 256 on 32 rows: 8 row folds dense, 4 at 2:4; each fold costs 2*32 + 32 + T - 2 cycles
    (T = 64 steps), one column fold (M = 32), on SCALE-Sim's mapping."""
    hw = nm_hw(mapping="scalesim", dram__bandwidth_bytes_per_cycle=1000, dram__latency_cycles=0)
    per_fold = 2 * 32 + 32 + 64 - 2
    assert run(fc(), hw).busy_cycles == 8 * per_fold
    assert run(fc(), hw, (2, 4)).busy_cycles == 4 * per_fold


def test_1of2_2of4_4of8_same_cycles_different_metadata():
    hw = nm_hw(nm_patterns=["1:2", "2:4", "4:8"], dram__bandwidth_bytes_per_cycle=1000, dram__latency_cycles=0)
    runs = {nm: run(fc(), hw, nm) for nm in ((1, 2), (2, 4), (4, 8))}
    assert len({r.busy_cycles for r in runs.values()}) == 1
    # 128 stored slots x 32 columns, ceil(log2 M) bits each: 1, 2, 3 bits
    assert [r.counts[("metadata", "read_bits")] for r in runs.values()] == [128 * 32 * b for b in (1, 2, 3)]
    assert [r.details["nm_m"] for r in runs.values()] == [2, 4, 8]


def test_ifmap_reads_grow_by_m_over_n_and_macs_shrink():
    hw = nm_hw(nm_patterns=["1:4", "2:4"])
    dense, half, quarter = run(fc(), hw), run(fc(), hw, (2, 4)), run(fc(), hw, (1, 4))
    # ws: T x rows used per fold; 2:4 halves the folds and reads each input twice: equal reads
    assert half.counts[("ifmap", "read_words")] == dense.counts[("ifmap", "read_words")]
    assert quarter.counts[("ifmap", "read_words")] == dense.counts[("ifmap", "read_words")]
    assert half.counts[("mac", "op")] == dense.counts[("mac", "op")] / 2 == half.counts[("mux", "select")]


def test_non_compliant_or_undeclared_or_attention_runs_dense():
    hw = nm_hw(nm_patterns=["2:4"])
    layer = fc()
    def pattern(nm=None):
        details = run(layer, hw, nm).details
        return details["nm_n"], details["nm_m"]
    assert pattern((1, 4)) == (2, 4)        # 1:4 fits 2:4 too
    assert pattern((4, 8)) == (0, 0)        # 4:8 can put 3 in one group of 4
    assert pattern() == (0, 0)
    attention = Attention("att", units=8, query_size=8, memory_size=8, memory_length=4, steps=2)
    assert chosen_pattern(attention, np.ones(attention.weight_shape, bool), ("2:4",)) is None
    dense_hw = hw_variant("systolic", {})
    assert run(layer, hw).busy_cycles == run(layer, dense_hw).busy_cycles


def test_prefers_smallest_ratio_then_smallest_m():
    layer = fc(k=16)
    mask = nm_mask(synthetic_weights(layer, 0), 1, 4)
    assert chosen_pattern(layer, mask, ("2:4", "1:4", "4:8")) == (1, 4)
    mask = nm_mask(synthetic_weights(layer, 0), 1, 2)
    assert chosen_pattern(layer, mask, ("4:8", "2:4")) == (2, 4)


# --- SCALE-Sim 3.0.0 -------------------------------------------------------------------------------------------

def references():
    return sorted(REFERENCE.glob("scalesim_sparse_*.csv"))


def read_reference(path):
    with open(path) as f:
        lines = f.readlines()
    meta = dict(line[2:].strip().split(": ", 1) for line in lines if line.startswith("# "))
    return meta, list(csv.DictReader(line for line in lines if not line.startswith("#")))


@pytest.mark.parametrize("path", references(), ids=lambda p: p.stem)
def test_agrees_with_scalesim_layer_wise(path):
    meta, rows = read_reference(path)
    assert meta["scalesim_version"] == "3.0.0"
    from accelsim.workloads.files import load_workload
    model = load_workload(REFERENCE / ("alexnet.csv" if "alexnet" in path.stem else "mobilenet_v1_224.csv"))
    n, m = int(rows[0]["n"]), int(rows[0]["m"])
    rows_pe, cols_pe = (int(x) for x in meta["array"].split("x"))
    hw = nm_hw(pe_array__rows=rows_pe, pe_array__cols=cols_pe, nm_patterns=[f"{n}:{m}"], mapping="scalesim")
    masks = {layer.name: nm_mask(synthetic_weights(layer, 0), n, m) for layer in model.layers}
    result = acs.simulate(model, hw, masks=Masks(masks)).layers.set_index("layer")
    assert len(rows) == len(model.layers)
    for row in rows:
        ours, layer = result.loc[row["layer"]], model.layer(row["layer"])
        assert (ours["nm_n"], ours["nm_m"]) == (n, m), row["layer"]
        assert ours["busy_cycles_per_pe"] == pytest.approx(float(row["compute_cycles"]), rel=0.02), row["layer"]
        assert ours["ifmap_read_bytes"] == float(row["sram_ifmap_reads"]), row["layer"]
        assert ours["filter_read_bytes"] == float(row["sram_filter_reads"]), row["layer"]
        stats = NMCompressed(n=n, m=m).measure(reduction_rows(masks[layer.name])).totals()
        assert masks[layer.name].size == float(row["original_filter_storage_words"])
        assert stats["metadata_bits"] / 32 == float(row["metadata_storage_words"]), row["layer"]
        assert stats["stored"] + stats["metadata_bits"] / 32 == float(row["new_storage_words"]), row["layer"]
