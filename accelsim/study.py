"""The user workflows (layer 8): what the command line and notebooks call.

Each function takes plain values (a model, sparsities, paths), runs the pipeline of DESIGN.md and returns
DataFrames or writes files; none of them parses command-line arguments.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from accelsim.compile.footprint import footprint
from accelsim.errors import InputError
from accelsim.pruning import prune, save_masks, synthetic_weights
from accelsim.reference import paper_table
from accelsim.workloads import zoo
from accelsim.workloads.model import Model


def check_sparsity(value: float, key: str = "--sparsity") -> float:
    """A sparsity in [0, 1), or an InputError naming ``key``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
        raise InputError("sparsity out of range", key=key, expected="a number in [0, 1)", got=value)
    return float(value)


def models_table() -> pd.DataFrame:
    """Every variant of the zoo the paper reports: parameters, prunable weights and MACs per inference."""
    rows = []
    for model in zoo.paper_variants():
        rows.append({"family": model.family, "model": model.name, **model.option_dict,
                     "layers": len(model.layers), "params": model.params,
                     "prunable_params": sum(l.weight_count for l in model.prunable_layers),
                     "macs": model.macs})
    return pd.DataFrame(rows)


def footprint_table(model: Model, sparsities: Sequence[float], *, seed: int = 0,
                    with_paper: bool = False) -> pd.DataFrame:
    """Storage per format of ``model`` pruned (uniform magnitude pruning, seeded synthetic weights) to each
    sparsity. ``with_paper`` joins the paper's Table 5 and Table 6 values where it reports the same point."""
    sparsities = [check_sparsity(s) for s in sparsities]
    weights = {layer.name: synthetic_weights(layer, seed) for layer in model.prunable_layers}
    rows = []
    for sparsity in sparsities:
        masks = prune(model, sparsity, seed=seed, weights=weights) if sparsity else {}
        rows.append(asdict(footprint(model, sparsity, masks)))
    table = pd.DataFrame(rows)
    if with_paper:
        table = _join_paper_storage(model, table)
    return table


def _join_paper_storage(model: Model, table: pd.DataFrame) -> pd.DataFrame:
    """Add the paper's NNZ and sizes (Tables 5 and 6) for MobileNet rows it reports."""
    if model.family != "mobilenet_v1":
        return table
    width = model.option_dict["width"]
    t5 = paper_table(5).rename(columns={"nnz_params": "paper_nnz", "bitmask_mb": "paper_bitmask_mb",
                                        "csrc_mb": "paper_csrc_mb"})
    t6 = paper_table(6)
    t6 = t6[t6["width"] == width][["sparsity", "model_size_mb"]].rename(
        columns={"model_size_mb": "paper_model_mb"})
    out = table.merge(t6, on="sparsity", how="left")
    if width == 1.0:
        out = out.merge(t5, on="sparsity", how="left")
    return out


def prune_to_file(model: Model, sparsity: float, *, seed: int, out: Path, method: str = "uniform",
                  force: bool = False) -> pd.DataFrame:
    """Prune ``model`` to ``sparsity`` and write the masks to ``out`` (.npz); return per-layer sparsity."""
    masks = prune(model, check_sparsity(sparsity), seed=seed, method=method)
    save_masks(out, masks, force=force)
    return pd.DataFrame([{"layer": name, "elements": m.size, "nnz": int(m.sum()),
                          "sparsity": 1 - m.sum() / m.size} for name, m in masks.items()])
