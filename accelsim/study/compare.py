"""Large-sparse vs small-dense at equal footprint: the paper's pairs, with hardware costs (layer 8).

For a family, the variants the paper compares (MobileNet: Table 6 / Table 2; PTB: Table 3; GNMT: Table 4)
are simulated on every given hardware description: the small-dense models on dense and sparse machines,
the large-sparse ones too (a dense machine multiplies their zeros at full price). The result joins each
simulation with the variant's non-zeros and storage (``compile.footprint``, the paper's Table 6
convention) and with the accuracy the paper reports for it (cited by table). Points are run and stored
like a sweep's (``study.sweep``), so a stopped comparison resumes.

With a pruning structure (``compare --structure 2:4``, ``block:4``, ``channel``) the large model is pruned
with that structure instead (N:M at its own sparsity, the others at the paper's sparsities); no accuracy is
published for the paper's models pruned so (``nm_sparsity.md``: Mishra et al. report MobileNet v2, not v1,
and another GNMT), so those rows have none and the headline's accuracy verdict is "unknown".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from accelsim.atomic import write_text
from accelsim.errors import InputError, did_you_mean
from accelsim.pruning.structured import Structure
from accelsim.reference import paper_table
from accelsim.study import sweep
from accelsim.study.single import footprint_table
from accelsim.units import pj_to_uj, seconds_to_ms
from accelsim.workloads import zoo


@dataclass(frozen=True)
class Variant:
    """One model the paper reports: zoo options, sparsity, kind and its accuracy (with the metric)."""

    options: tuple[tuple[str, object], ...]
    sparsity: float
    kind: str
    accuracy: float
    metric: str
    higher_is_better: bool
    source: str


def _mobilenet() -> list[Variant]:
    rows = paper_table(2).to_dict("records")
    return [Variant((("width", r["width"]),), r["sparsity"],
                    "large-sparse" if r["sparsity"] > 0 else "small-dense", r["top1"], "top1", True,
                    "paper Table 2") for r in rows if r["width"] < 1.0 or r["sparsity"] > 0]


def _ptb() -> list[Variant]:
    rows = paper_table(3).to_dict("records")
    return [Variant((("size", r["model"]),), r["sparsity"],
                    "large-sparse" if r["sparsity"] > 0 else "small-dense", r["perplexity"], "perplexity",
                    False, "paper Table 3") for r in rows if r["sparsity"] > 0 or r["model"] != "large"]


def _gnmt() -> list[Variant]:
    rows = paper_table(4).to_dict("records")
    return [Variant((("units", int(r["units"])),), r["sparsity"],
                    "large-sparse" if r["sparsity"] > 0 else "small-dense", r["bleu_en_de"], "bleu_en_de", True,
                    "paper Table 4") for r in rows if r["sparsity"] > 0 or r["units"] != 1024]


#: family -> (zoo family, the paper's variants)
FAMILIES = {"mobilenet": ("mobilenet_v1", _mobilenet), "ptb": ("ptb_lstm", _ptb), "gnmt": ("gnmt", _gnmt)}


def variants(family: str) -> tuple[str, list[Variant]]:
    """The zoo family and the paper's variants for a ``compare --family`` name."""
    if family not in FAMILIES:
        raise InputError("unknown comparison family" + did_you_mean(family, FAMILIES), key="--family",
                         expected=" | ".join(FAMILIES), got=family)
    zoo_family, make = FAMILIES[family]
    return zoo_family, make()


def structured(chosen: Sequence[Variant], structure: Structure) -> list[Variant]:
    """The variants with the large-sparse ones pruned with ``structure`` instead: one per sparsity the paper
    uses, or the one N:M sets; no published accuracy (module docstring)."""
    if structure.kind == "unstructured":
        return list(chosen)
    large = [v for v in chosen if v.kind == "large-sparse"]
    sparsities = [structure.fixed_sparsity] if structure.fixed_sparsity else [v.sparsity for v in large]
    pruned = [replace(large[0], sparsity=s, accuracy=float("nan"),
                      source=f"none published for {structure} pruning of this model") for s in sparsities]
    return [v for v in chosen if v.kind != "large-sparse"] + pruned


def compare(family: str, hw_files: Sequence[Path], out: Path, *, seed: int = 0, jobs: int = 1,
            scheduler: str | None = None, progress=None, force: bool = False, note=None,
            resolution: int | None = None, structure: Structure = Structure()) -> pd.DataFrame:
    """Simulate the paper's variants of ``family`` on each machine; write and return ``compare.csv``. ``out``
    is a comparison's folder (resumed), a new or empty one, or, with ``force``, any folder
    (:func:`accelsim.study.sweep.run_and_gather`). ``resolution``: MobileNet's input size (default 224, the
    paper's; at another size the accuracies joined are still the paper's, measured at 224). ``structure``:
    how the large model is pruned (:func:`structured`)."""
    zoo_family, chosen = variants(family)
    chosen = structured(chosen, structure)
    if resolution is not None:
        if family != "mobilenet":
            raise InputError("option not used by this family", key="--resolution", expected="--family mobilenet",
                             got=family)
        chosen = [replace(v, options=v.options + (("resolution", resolution),),
                          source=f"{v.source} (measured at 224)") for v in chosen]
    points = []
    for v in chosen:
        points += sweep.grid(zoo_family, {k: [val] for k, val in v.options}, [v.sparsity], hw_files, [seed],
                             structure=str(structure) if v.kind == "large-sparse" and structure.kind != "unstructured"
                             else "")
    _, _, totals = sweep.run_and_gather(points, out, kind="compare", force=force, jobs=jobs, scheduler=scheduler,
                                        progress=progress, note=note)
    storage = _storage(zoo_family, chosen, seed, structure)
    table = totals.drop(columns="structure", errors="ignore").merge(storage, on=["model", "sparsity"], how="left")
    write_text(Path(out) / "compare.csv", table.to_csv(index=False, float_format="%.10g"))
    return table


def _storage(zoo_family: str, chosen: Sequence[Variant], seed: int, structure: Structure) -> pd.DataFrame:
    """Kind, structure, non-zeros, storage (MB) and the paper's accuracy of each variant; one footprint table
    per model and structure, so each model's synthetic weights are drawn once for all its sparsities."""
    rows = []
    for options, kind in dict.fromkeys((v.options, v.kind) for v in chosen):
        mine = [v for v in chosen if (v.options, v.kind) == (options, kind)]
        model = zoo.build(zoo_family, **dict(options))
        pruned = structure if kind == "large-sparse" else Structure()
        sparsities = [] if pruned.fixed_sparsity else [v.sparsity for v in mine]
        table = footprint_table(model, sparsities, seed=seed, structure=pruned)
        for v, fp in zip(mine, table.itertuples()):
            rows.append({"model": model.name, "sparsity": v.sparsity, "kind": v.kind, "structure": str(pruned),
                         "nnz": int(fp.nnz), "model_mb": float(fp.model_mb), "accuracy_metric": v.metric,
                         "accuracy": v.accuracy, "higher_is_better": v.higher_is_better,
                         "accuracy_source": v.source})
    return pd.DataFrame(rows)


def pairs(table: pd.DataFrame) -> list[tuple[str, pd.Series, pd.Series]]:
    """The verdicts of a comparison: per machine and small-dense model, (machine, its row, the row of the
    large-sparse model closest to it in ``model_mb``) of ``compare.csv``."""
    found = []
    for hardware, on_hw in table.groupby("hardware", sort=False):
        dense = on_hw[on_hw["kind"] == "small-dense"]
        sparse = on_hw[on_hw["kind"] == "large-sparse"]
        for _, d in dense.iterrows():
            found.append((hardware, d, sparse.iloc[(sparse["model_mb"] - d["model_mb"]).abs().argsort().iloc[0]]))
    return found


def headline(table: pd.DataFrame) -> pd.DataFrame:
    """Per machine and footprint budget, the small-dense model against the large-sparse model closest to
    it in size: the ``model_mb`` (footprint), accuracy, latency and energy of each (columns prefixed
    ``small_dense_`` / ``large_sparse_``) and which wins on each count."""
    rows = []
    for hardware, d, s in pairs(table):
        sign = -1 if d["higher_is_better"] else 1       # accuracy compared as a cost: lower wins
        structure = "" if s.get("structure", "unstructured") == "unstructured" else f" {s['structure']}"
        rows.append({
            "hardware": hardware, "small_dense": d["model"],
            "large_sparse": f"{s['model']} @ {s['sparsity']:g}{structure}",
            "small_dense_model_mb": d["model_mb"], "large_sparse_model_mb": s["model_mb"],
            "metric": d["accuracy_metric"],
            "small_dense_accuracy": d["accuracy"], "large_sparse_accuracy": s["accuracy"],
            "small_dense_latency_ms": seconds_to_ms(d["latency_s"]),
            "large_sparse_latency_ms": seconds_to_ms(s["latency_s"]),
            "small_dense_energy_uj": pj_to_uj(d["energy_pj"]), "large_sparse_energy_uj": pj_to_uj(s["energy_pj"]),
            "more_accurate": "unknown" if pd.isna(s["accuracy"]) or pd.isna(d["accuracy"])
            else winner(sign * s["accuracy"], sign * d["accuracy"]),
            "faster": winner(s["latency_s"], d["latency_s"]),
            "less_energy": winner(s["energy_pj"], d["energy_pj"])})
    return pd.DataFrame(rows)


def winner(large_sparse_cost: float, small_dense_cost: float) -> str:
    """Which side costs less: "large-sparse", "small-dense", or "tie" when equal (a dense machine that ignores
    the large model's zeros runs it exactly as the same model dense)."""
    if large_sparse_cost == small_dense_cost:
        return "tie"
    return "large-sparse" if large_sparse_cost < small_dense_cost else "small-dense"


def compare_imported(folders: Sequence[Path], accuracies: Sequence[float], hw_files: Sequence[Path], out: Path, *,
                     metric: str = "accuracy", higher_is_better: bool = True, seed: int = 0, jobs: int = 1,
                     scheduler: str | None = None, progress=None, force: bool = False, note=None) -> pd.DataFrame:
    """The user's own models (imported folders, each at its real zeros) on each machine, joined with their
    non-zeros and storage and the accuracy the user gives for each (``accuracies``, in folder order). A
    model with zero weights is "large-sparse", one without "small-dense", so :func:`headline` asks the
    paper's question of them. Writes and returns ``compare.csv``."""
    from accelsim.compile.footprint import footprint
    from accelsim.importers.bundle import read_bundle
    from accelsim.study.imported import grid_folder
    if len(accuracies) != len(folders):
        raise InputError("one accuracy per model", key="--accuracy", expected=f"{len(folders)} numbers",
                         got=list(accuracies))
    points, rows = [], []
    for folder, accuracy in zip(folders, accuracies):
        found = read_bundle(folder)
        points += grid_folder(folder, [0.0], hw_files, [seed])
        sparse = found.masks.total_sparsity > 0
        size = footprint(found.workload.model, found.masks.total_sparsity, found.masks if sparse else {})
        rows.append({"model": found.workload.model.name, "sparsity": 0.0, "real_sparsity": found.masks.total_sparsity,
                     "kind": "large-sparse" if sparse else "small-dense",
                     "nnz": int(size.nnz), "model_mb": float(size.model_mb), "accuracy_metric": metric,
                     "accuracy": float(accuracy), "higher_is_better": higher_is_better, "accuracy_source": "user"})
    names = [row["model"] for row in rows]
    if len(set(names)) < len(names):
        raise InputError("two models of the same name", key="--workload", expected="models with distinct names",
                         got=names)
    _, _, totals = sweep.run_and_gather(points, out, kind="compare", force=force, jobs=jobs, scheduler=scheduler,
                                        progress=progress, note=note)
    table = totals.merge(pd.DataFrame(rows), on=["model", "sparsity"], how="left")
    write_text(Path(out) / "compare.csv", table.to_csv(index=False, float_format="%.10g"))
    return table

