"""The N:M systolic array against SCALE-Sim 3.0.0's layer-wise and row-wise N:M runs, and its speed beside the
dense array.

For every stored reference (``benchmarks/reference/scalesim_sparse_*.csv``, made by
``scalesim_sparse_reference.py``): the per-layer compute-cycle error of accelsim's ``nm_systolic`` (max and
mean |error|), whether SRAM reads (layer-wise runs only: SCALE-Sim's row-wise IFMAP reads count its skewed
demand matrices' empty entries) and filter/metadata storage are equal on every layer, accelsim's time for the
network, and SCALE-Sim's own time as recorded beside the reference (its sidecar ``.json``).

Then the performance target of the structured-sparsity issue: MobileNet v1 1.0 at 2:4 on ``nm_systolic`` as
fast as dense MobileNet on ``dense_edge`` (at most 1 s whole process, one core).
"""
from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, accelsim_cmd, measure, report

REF = ROOT / "benchmarks" / "reference"
HW = ROOT / "hwconfigs"


def read_reference(path: Path) -> tuple[dict, list[dict]]:
    """The sidecar ``.json`` (topology, array, SCALE-Sim's time) and the rows of a stored reference CSV."""
    rows = csv.DictReader(line for line in path.read_text().splitlines() if not line.startswith("#"))
    return json.loads(path.with_suffix(".json").read_text()), list(rows)


def agreement(path: Path) -> dict:
    """accelsim beside one SCALE-Sim reference: per-layer compute-cycle errors (%), equal counts, time (s)."""
    import accelsim as acs
    from accelsim.formats.nm import NMCompressed
    from accelsim.hardware.variants import file_variant
    from accelsim.pruning import Masks, synthetic_weights
    from accelsim.accelerators.nm_systolic.engine import row_wise_k
    from accelsim.compile.gemm import lower
    from accelsim.pruning.structured import nm_mask, reduction_rows, row_wise_mask
    from accelsim.workloads.files import load_workload

    meta, rows = read_reference(path)
    model = load_workload(REF / meta["topology_file"])
    n, m = int(rows[0]["n"]), int(rows[0]["m"])
    row_wise = meta["sparsity"].startswith("row-wise")
    array_rows, array_cols = (int(x) for x in meta["array"].split("x"))
    hw = file_variant(HW / "nm_systolic.yaml", {"pe_array.rows": array_rows, "pe_array.cols": array_cols,
                                                "nm_patterns": [f"row:{m}" if row_wise else f"{n}:{m}"],
                                                "mapping": "scalesim"})
    masks = {layer.name: row_wise_mask(layer.weight_shape, m, seed=0) if row_wise
             else nm_mask(synthetic_weights(layer, 0), n, m) for layer in model.layers}
    start = time.process_time()
    layers = acs.simulate(model, hw, masks=Masks(masks)).layers.set_index("layer")
    cpu = time.process_time() - start
    errors, reads_equal, storage_equal = [], True, True
    for row in rows:
        ours = layers.loc[row["layer"]]
        errors.append(100 * abs(ours["busy_cycles_per_pe"] / float(row["compute_cycles"]) - 1))
        reads_equal &= ((row_wise or ours["ifmap_read_bytes"] == float(row["sram_ifmap_reads"]))
                        and ours["filter_read_bytes"] == float(row["sram_filter_reads"]))
        if row_wise:      # ceil(K / 2M) * M slots per filter, ceil(log2 M) bits each
            stored = row_wise_k(lower(model.layer(row["layer"]))[0].K, m) * masks[row["layer"]].shape[0]
            stats = {"stored": stored, "metadata_bits": stored * (m - 1).bit_length()}
        else:
            stats = NMCompressed(n=n, m=m).measure(reduction_rows(masks[row["layer"]])).totals()
        storage_equal &= (stats["metadata_bits"] / 32 == float(row["metadata_storage_words"])
                          and stats["stored"] + stats["metadata_bits"] / 32 == float(row["new_storage_words"]))
    return {"layers": len(rows), "max_error_pct": round(max(errors), 4),
            "mean_error_pct": round(sum(errors) / len(errors), 4),
            ("filter_reads_equal" if row_wise else "sram_reads_equal"): bool(reads_equal),
            "storage_equal": bool(storage_equal), "accelsim_simulate_cpu_s": round(cpu, 3),
            "scalesim_wall_s": meta["wall_time_s"], "scalesim_cpu_s": round(meta["cpu_user_s"] + meta["cpu_sys_s"], 1)}


def main() -> int:
    result = {"references": {path.stem: agreement(path) for path in sorted(REF.glob("scalesim_sparse_*.csv"))}}
    with tempfile.TemporaryDirectory() as scratch:
        masks = Path(scratch) / "masks_2of4.npz"
        measure(accelsim_cmd("prune", "--model", "mobilenet_v1", "--structure", "2:4", "--seed", "0",
                             "--out", str(masks)))
        common = ("--model", "mobilenet_v1", "--width", "1.0", "--quiet", "--force")
        result["mobilenet_2of4_nm_systolic"] = measure(accelsim_cmd(
            "simulate", *common, "--masks", str(masks), "--hw", str(HW / "nm_systolic.yaml"),
            "--out", str(Path(scratch) / "nm")), repeat=3)
        result["mobilenet_dense_dense_edge"] = measure(accelsim_cmd(
            "simulate", *common, "--hw", str(HW / "dense_edge.yaml"), "--out", str(Path(scratch) / "dense")),
            repeat=3)
    result["targets"] = {"max_error_pct": 2.0, "nm_systolic_wall_s": 1.0}
    report("nm_systolic", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
