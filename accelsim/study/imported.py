"""Workflows on imported models (layer 8): ``accelsim import`` into a folder, and simulating, pruning and
sizing the folder's model from its real weights, real zeros and measured activations (docs/import.md).
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.atomic import replacing, temporary_beside, write_text
from accelsim.errors import InputError, OutputError
from accelsim.hardware.schema import HardwareConfig
from accelsim.importers import bundle
from accelsim.pruning import Masks, load_masks, prune, save_masks
from accelsim.reports import SimulationResult, prepare_output_dir
from accelsim.study.single import check_sparsity, simulate, simulate_workload, sparsity_table


def import_model(path: str | os.PathLike[str], out: Path, *, input_shapes: Mapping[str, tuple[int, ...]] = {},
                 strict: bool = False, samples: Path | None = None, force: bool = False):
    """Import the ONNX model ``path`` into the folder ``out`` (:mod:`accelsim.importers.bundle`), measuring
    activations on ``samples`` when given. Everything is checked before anything is written. Returns the
    :class:`~accelsim.importers.onnx.Imported` model and the per-node table."""
    from accelsim.importers.onnx import import_onnx
    from accelsim.importers.onnx.measure import measure, read_samples
    prepare_output_dir(out, force=force, files=bundle.FILES)
    imported = import_onnx(path, input_shapes, strict=strict)
    activations = operands = None
    report = {"source": imported.source, "source_sha256": imported.sha256, "samples": None}
    if samples is not None:
        inputs = read_samples(samples, imported.onnx_model)
        activations, operands = measure(imported, inputs)
        report["samples"] = {"file": Path(samples).name, "sha256": bundle.file_sha256(samples),
                             "count": int(next(iter(inputs.values())).shape[0])}
    table = node_table(imported)
    report.update(warnings=list(imported.warnings), nodes=table.to_dict(orient="records"))
    _write_folder(out, imported, activations, operands, report)
    return imported, table


def node_table(imported) -> pd.DataFrame:
    """One row per ONNX node: status, the layers it became, MACs and bytes and their shares of the model's."""
    table = pd.DataFrame([{"node": r.node, "op_type": r.op_type, "status": r.status, "layers": ",".join(r.layers),
                           "macs": r.macs, "bytes": r.bytes, "reason": r.reason} for r in imported.reports])
    table.insert(5, "macs_share", table["macs"] / max(int(table["macs"].sum()), 1))
    table.insert(7, "bytes_share", table["bytes"] / max(int(table["bytes"].sum()), 1))
    return table


def op_summary(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`node_table` summed per (status, op type), largest share of MACs first, with the reasons of
    unmapped nodes."""
    grouped = table.groupby(["status", "op_type"], sort=False)
    summary = grouped[["macs", "macs_share", "bytes", "bytes_share"]].sum()
    summary.insert(0, "nodes", grouped.size())
    unmapped = table["reason"].where(table["status"] == "unmapped", "")
    summary["reason"] = unmapped.groupby([table["status"], table["op_type"]], sort=False).agg(
        lambda r: "; ".join(sorted({x for x in r if x}))[:80])
    return summary.reset_index().sort_values(["status", "macs"], ascending=[False, False], kind="stable")


def _write_folder(out: Path, imported, activations, operands, report: dict) -> None:
    """The folder's files, written into a hidden staging folder renamed to ``out`` (missing or empty), or
    one by one (each atomic) over an existing import with ``--force``."""
    out = Path(out)
    fresh = not out.exists() or not any(out.iterdir())
    target = temporary_beside(out) if fresh else out
    target.mkdir(parents=True, exist_ok=True)
    try:
        text = _yaml(imported)
        write_text(target / bundle.WORKLOAD, text)
        _savez(target / bundle.WEIGHTS, imported.weights)
        save_masks(target / bundle.MASKS, imported.masks, force=True)
        for name, arrays in ((bundle.ACTIVATIONS, activations), (bundle.OPERANDS, operands)):
            if arrays:
                _savez(target / name, arrays)
            elif (target / name).exists():
                (target / name).unlink()        # an older import's measurements do not apply
        write_text(target / bundle.REPORT, json.dumps(report, indent=1, sort_keys=True, default=_plain) + "\n")
        if fresh:
            if out.exists():
                out.rmdir()
            os.rename(target, out)
    finally:
        if fresh and target.exists():
            shutil.rmtree(target, ignore_errors=True)


def _plain(value):
    return value.item() if hasattr(value, "item") else str(value)


def _yaml(imported) -> str:
    import yaml
    entries = bundle.workload_entries(imported.model.layers, set(imported.dense_inputs))
    head = (f"# Imported by accelsim from {imported.source} (SHA-256 {imported.sha256}).\n"
            "# Real weights in weights.npz, their zeros in masks.npz (import.json lists every ONNX node).\n")
    body = {"name": imported.model.name, "description": f"imported from {imported.source}", "layers": entries}
    return head + yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=120)


def _savez(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    with replacing(path, what="array file") as temporary, open(temporary, "xb") as stream:
        np.savez_compressed(stream, **arrays)


def simulate_folder(folder: Path, hw: HardwareConfig, *, masks_file: Path | None = None,
                    sparsity: float | None = None, seed: int = 0) -> SimulationResult:
    """Simulate the imported model in ``folder`` on ``hw``.

    Weights: the folder's real zeros (``masks.npz``), or ``masks_file``, or the real weights
    magnitude-pruned uniformly to ``sparsity`` (:func:`pruned_real`). Activations: on a sparse engine, the
    measured masks of every sample when the folder has them (one simulation per sample, a product of two
    activations with its right operand's mask of that sample as its weight mask; the layers and totals are
    the mean over samples, ``cycles_std``/``cycles_min``/``cycles_max`` their spread), else the density model.
    The metadata records which, the SHA-256 of every file used, what the folder was imported from (the ONNX
    model's and the samples' SHA-256: :func:`~accelsim.importers.bundle.origin`), and the warnings."""
    found = bundle.read_bundle(folder)
    model = found.workload.model
    hashes = {f"{folder.name}/{name}": digest for name, digest in found.hashes.items()}
    masks = found.masks
    if masks_file is not None:
        masks = load_masks(masks_file, model)
        hashes[Path(masks_file).name] = bundle.file_sha256(masks_file)
    elif sparsity:
        masks = pruned_real(found, sparsity)
    sparse = hw.accelerator.skips_zeros
    if found.activations is None or not sparse:
        result = simulate_workload(found.workload, hw, masks=masks, seed=seed)
        source = "density model" if sparse else "not used (dense engine)"
    else:
        n = len(next(iter(found.activations.values())))
        operands = found.operands or {}
        runs = [simulate(model, hw, masks={**masks, **{name: ops[i] for name, ops in operands.items()}}, seed=seed,
                         activations={name: acts[i] for name, acts in found.activations.items()}) for i in range(n)]
        result = _mean_over_samples(runs, measured=set(operands))
        source = f"measured ({n} samples)"
    metadata = {**result.metadata, "activations": source, "inputs": hashes, "imported_from": bundle.origin(folder),
                "sparsity": masks.total_sparsity}        # of the weights: measured operands are not pruning
    return dataclasses.replace(result, metadata=metadata)


def _mean_over_samples(runs: list[SimulationResult], measured: set[str]) -> SimulationResult:
    """The per-layer and total mean of ``runs`` (one per sample), with the spread of the cycles; the
    warnings of every run, but those about the masks of ``measured`` layers (measured right operands of
    products of two activations, not pruning)."""
    numeric = [c for c in runs[0].layers.columns if runs[0].layers[c].dtype.kind in "if"]
    layers = runs[0].layers.copy()
    stacked = np.stack([r.layers[numeric].to_numpy(dtype=float) for r in runs])
    layers[numeric] = stacked.mean(axis=0)
    layers["cycles_std"] = stacked[:, :, numeric.index("cycles")].std(axis=0)
    totals = pd.DataFrame([r.total for r in runs])
    total = totals.mean()
    cycles = totals["cycles"].to_numpy(dtype=float)
    total["cycles_std"], total["cycles_min"], total["cycles_max"] = cycles.std(), cycles.min(), cycles.max()
    total["samples"] = len(runs)
    warnings = dict.fromkeys(w for r in runs for w in r.metadata["warnings"]
                             if not any(w.startswith(f"layer {name}: ") for name in measured))
    actions = {}
    for key in sorted({key for r in runs for key in r.actions}):
        priced = next(r.actions[key] for r in runs if key in r.actions)
        count = float(np.mean([r.actions[key]["count"] if key in r.actions else 0 for r in runs]))
        actions[key] = {"count": count, "pj_each": priced["pj_each"], "energy_pj": count * priced["pj_each"]}
    return SimulationResult(tuple(layers.to_dict("records")), total.to_dict(),
                            {**runs[0].metadata, "warnings": list(warnings)}, actions, runs[0].area_mm2)


def pruned_real(found: bundle.Bundle, sparsity: float, method: str = "uniform") -> Masks:
    """The real weights of ``found`` magnitude-pruned to ``sparsity`` (uniform or global), where a weight
    its own masks prune (an exact zero) stays pruned: a zero weight is never kept, so a layer already
    sparser than ``sparsity`` keeps its real zeros rather than counting zeros as weights again."""
    masks = prune(found.workload.model, check_sparsity(sparsity), seed=0, method=method, weights=found.weights())
    return Masks({name: mask & found.masks[name] for name, mask in masks.items()})


def prune_folder(folder: Path, sparsity: float, *, method: str, out: Path, force: bool) -> pd.DataFrame:
    """Magnitude-prune the real weights of the imported model in ``folder`` to ``sparsity`` (uniform or
    global, :func:`pruned_real`) and write the masks to ``out``; return per-layer sparsity."""
    found = bundle.read_bundle(folder)
    masks = pruned_real(found, sparsity, method)
    if Path(out).resolve() == (Path(folder) / bundle.MASKS).resolve():
        raise OutputError("would overwrite the imported model's real masks", file=out, key="--out",
                          expected="another path")
    save_masks(out, masks, force=force)
    return sparsity_table(masks)


def grid_folder(folder: Path, sparsities, hw_files, seeds, masks_files=()) -> list:
    """Sweep points of the imported model in ``folder``: every sparsity (0: its real zeros; otherwise its
    real weights magnitude-pruned, :func:`pruned_real`) and every masks file, on every machine, with every
    seed; checked like :func:`accelsim.study.sweep.grid` before anything runs. Each point carries the SHA-256
    of the files it reads, in its key."""
    from accelsim.study.sweep import Point, _checked
    found = bundle.read_bundle(folder)
    for masks_file in masks_files:
        load_masks(masks_file, found.workload.model)
    sparsities, hardware = _checked([found.workload.model], sparsities, hw_files, seeds)
    folder = str(Path(folder).resolve())
    files = [(f"{folder}/{name}", digest) for name, digest in sorted(found.hashes.items())]
    variants = [("", s) for s in sparsities] + [(str(Path(m).resolve()), 0.0) for m in masks_files]
    points = []
    for (masks_file, sparsity), (name, text), seed in itertools.product(variants, hardware, seeds):
        inputs = files + ([(masks_file, bundle.file_sha256(masks_file))] if masks_file else [])
        points.append(Point(bundle.FAMILY, (), sparsity, seed, name, text, folder=folder, masks_file=masks_file,
                            inputs=tuple(inputs)))
    return points


def simulate_point(point, hw: HardwareConfig) -> SimulationResult:
    """Simulate a sweep point of :func:`grid_folder` where it runs, after checking that its files still
    have the SHA-256 the point was made with."""
    for path, digest in point.inputs:
        if not Path(path).is_file() or bundle.file_sha256(path) != digest:
            raise InputError("an imported model's file changed since the sweep was set up", file=path,
                             expected=f"SHA-256 {digest[:16]}...")
    return simulate_folder(Path(point.folder), hw, masks_file=Path(point.masks_file) if point.masks_file else None,
                           sparsity=point.sparsity or None, seed=point.seed)

