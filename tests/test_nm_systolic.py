"""The N:M systolic array: closed forms worked by hand, dense fallback, and per-layer agreement with SCALE-Sim
3.0.0's layer-wise and row-wise N:M models (benchmarks/reference/scalesim_sparse_*.csv, made by
benchmarks/scalesim_sparse_reference.py): compute cycles within 2%, SRAM reads (layer-wise) and filter
storage equal."""
import csv
import pathlib

import numpy as np
import pytest

import accelsim as acs
from accelsim.accelerators.nm_systolic.engine import Pattern, chosen_pattern, condensed_k, row_wise_k
from accelsim.accelerators.engines import engine_for
from accelsim.compile.gemm import lower
from accelsim.formats import NMCompressed
from accelsim.pruning import Masks, synthetic_weights
from accelsim.pruning.structured import nm_mask, reduction_rows, row_wise_mask
from accelsim.workloads import Attention, Linear
from conftest import hw_variant

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "benchmarks" / "reference"


def nm_hw(**changes):
    return hw_variant("nm_systolic", changes)


def row_wise(layer, m):
    return row_wise_mask(layer.weight_shape, m, seed=0)


def run(layer, hw, nm=None, mask=None):
    mask = mask if nm is None else nm_mask(synthetic_weights(layer, 0), *nm)
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


def test_row_wise_k_by_hand():
    """K padded to a multiple of 2M, M/2 slots per group of M: ceil(K / 2M) * M. SCALE-Sim's golden row-wise
    run (AlexNet Conv1, K = 11*11*3 = 363, 96 filters, BlockSize 8, 2-bit metadata from the topology's 1:4)
    stores 184 x 96 slots: metadata 184 * 96 * 2 / 32 = 1104 words, its SPARSE_REPORT's figure."""
    assert row_wise_k(363, 8) == 23 * 8 == 184 and 184 * 96 * 2 / 32 == 1104
    assert row_wise_k(363, 4) == 46 * 4 and row_wise_k(9, 4) == 8 and row_wise_k(256, 8) == 128


def test_row_wise_halves_the_folds_whatever_each_rows_n():
    """Rows of 1:4 and 2:4 mixed fit no layer-wise 1:4, so a machine declaring [1:4, row:4] runs the layer
    row-wise: K = 256 -> K_c = 128 slots, 4 row folds of 2*32 + 32 + 64 - 2 cycles on 32 rows (T = 64), as
    for 2:4; a row of 3 in 4 fits neither (dense, 8 folds). Input-buffer reads: each of the 256 inputs is read
    by the M/2 = 2 PE rows of its group in every one of the 64 streamed rows, 64 * 256 * 2 = 32768 words (one
    column fold); with row:8, M/2 = 4 rows each: 65536. Metadata: 128 x 32 slots of 2 bits (3 for row:8)."""
    hw = nm_hw(nm_patterns=["1:4", "row:4"], mapping="scalesim", dram__bandwidth_bytes_per_cycle=1000,
               dram__latency_cycles=0)
    layer, per_fold = fc(), 2 * 32 + 32 + 64 - 2
    mixed = row_wise(layer, 4)
    assert set(mixed.sum(axis=1) // 64) == {1, 2}          # both Ns present: 256 / 4 = 64 groups per row
    rowwise = run(layer, hw, mask=mixed)
    assert (rowwise.details["nm_n"], rowwise.details["nm_m"], rowwise.details["nm_row_wise"]) == (2, 4, 1)
    assert rowwise.busy_cycles == 4 * per_fold
    assert rowwise.counts[("ifmap", "read_words")] == 64 * 256 * 2
    assert rowwise.counts[("metadata", "read_bits")] == 128 * 32 * 2
    dense = mixed.copy()
    dense[0, :3] = True
    assert run(layer, hw, mask=dense).busy_cycles == 8 * per_fold
    eight = run(layer, nm_hw(nm_patterns=["row:8"], mapping="scalesim"), mask=row_wise(layer, 8))
    assert eight.counts[("ifmap", "read_words")] == 64 * 256 * 4
    assert eight.counts[("metadata", "read_bits")] == 128 * 32 * 3


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
    assert chosen_pattern(layer, mask, ("2:4", "1:4", "4:8", "row:4")) == Pattern(1, 4)
    mask = nm_mask(synthetic_weights(layer, 0), 1, 2)
    assert chosen_pattern(layer, mask, ("4:8", "2:4", "row:4")) == Pattern(2, 4)
    assert chosen_pattern(layer, mask, ("4:8", "row:4")) == Pattern(2, 4, row_wise=True)
    assert chosen_pattern(layer, mask, ("row:8", "row:4")) == Pattern(2, 4, row_wise=True)


# --- SCALE-Sim 3.0.0 -------------------------------------------------------------------------------------------

def references(mode=""):
    return sorted(p for p in REFERENCE.glob("scalesim_sparse_*.csv") if ("_rowwise_" in p.stem) == bool(mode))


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


@pytest.mark.parametrize("path", references("rowwise"), ids=lambda p: p.stem)
def test_agrees_with_scalesim_row_wise(path):
    """SCALE-Sim 3.0.0 with OptimizedMapping (BlockSize M): compute cycles within 2% on every layer; filter
    SRAM reads (the slots loaded) and storage equal: K_c = ceil(K / 2M) * M slots per filter, ceil(log2 M)
    metadata bits each, in 32-bit words. Its SRAM IFMAP reads count every entry of its skewed demand
    matrices, the skew's empty entries included: (T + rows - 1) x rows x M per fold, checked here by hand;
    accelsim counts the reads of real inputs, K x M/2 per streamed row and column fold."""
    meta, rows = read_reference(path)
    assert meta["scalesim_version"] == "3.0.0" and meta["sparsity"].startswith("row-wise")
    from accelsim.workloads.files import load_workload
    model = load_workload(REFERENCE / ("alexnet.csv" if "alexnet" in path.stem else "mobilenet_v1_224.csv"))
    m = int(rows[0]["m"])
    rows_pe, cols_pe = (int(x) for x in meta["array"].split("x"))
    hw = nm_hw(pe_array__rows=rows_pe, pe_array__cols=cols_pe, nm_patterns=[f"row:{m}"], mapping="scalesim")
    masks = {layer.name: row_wise(layer, m) for layer in model.layers}
    result = acs.simulate(model, hw, masks=Masks(masks)).layers.set_index("layer")
    assert len(rows) == len(model.layers)
    for row in rows:
        ours, layer = result.loc[row["layer"]], model.layer(row["layer"])
        (gemm,) = lower(layer)
        k_c, bits = row_wise_k(gemm.K, m), int(np.ceil(np.log2(m)))
        assert (ours["nm_n"], ours["nm_m"], ours["nm_row_wise"]) == (m // 2, m, 1), row["layer"]
        assert ours["busy_cycles_per_pe"] == pytest.approx(float(row["compute_cycles"]), rel=0.02), row["layer"]
        folds = -(-k_c // rows_pe) * -(-gemm.M // cols_pe) * gemm.repeats
        assert float(row["sram_ifmap_reads"]) == folds * (gemm.E + rows_pe - 1) * rows_pe * m, row["layer"]
        assert ours["ifmap_read_bytes"] == -(-gemm.M // cols_pe) * gemm.repeats * gemm.E * gemm.K * m / 2
        assert ours["filter_read_bytes"] == float(row["sram_filter_reads"]) == k_c * layer.weight_shape[0]
        assert masks[layer.name].size == float(row["original_filter_storage_words"])
        slots = k_c * layer.weight_shape[0]
        assert slots * bits / 32 == float(row["metadata_storage_words"]), row["layer"]
        assert slots + slots * bits / 32 == float(row["new_storage_words"]), row["layer"]
