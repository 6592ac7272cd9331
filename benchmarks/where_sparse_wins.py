"""Where does large-sparse win? The paper's pairs at equal footprint, with one machine parameter at a time moved
around each shipped machine.

For the MobileNet pairs (Zhu & Gupta Table 6: small-dense 0.25 / 0.5 / 0.75 against 1.0 pruned to the same
footprint) on scnn_like, eyeriss_v2 and nm_systolic (the large model pruned 2:4 there), and the PTB and GNMT
pairs (Tables 3 and 4) on eie_like, each machine is varied along four axes, one at a time: every buffer's size x 1/4 ... 8,
the DRAM bandwidth x 1/4 ... 8, the PE array (rows and columns halved or doubled; EIE's one row of PEs: its
columns) and the technology node. Every machine, the shipped one included, is priced entirely by the cost
models (its ``energy:`` section removed, docs/cost_models.md), so that energy, leakage and area follow the
parameter. Each (machine, setting, budget) row says who wins on energy and on latency, the ratio large-sparse
/ small-dense of each, and the machine's area (the same for both models: equal area).

Simulations go through ``accelsim.study.compare`` (points cached in ``OUT/<family>/points``: a stopped run
resumes). Writes ``OUT/where_sparse_wins.csv``, prints the summary; ``--figures`` writes
``docs/figures/where_sparse_wins_{energy,latency}.png``, ``--doc`` the tables of docs/where_sparse_wins.md.

Run: ``python benchmarks/where_sparse_wins.py --jobs 1 --figures --doc`` (8.5 minutes from scratch, one job, on a
loaded 2-core machine; docs/where_sparse_wins.md gives the measured time).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from accelsim.cost import area_mm2
from accelsim.errors import InputError
from accelsim.hardware.loader import read_hardware_text
from accelsim.hardware.variants import DELETE, changed, scaled_buffers, variant
from accelsim.pruning.structured import Structure, parse_structure
from accelsim.study import compare
from accelsim.study.single import check_runs
from accelsim.workloads import zoo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "where_sparse_wins"
DOC = ROOT / "docs" / "where_sparse_wins.md"

#: (shipped machine, comparison family, structure of the large model: "" = unstructured)
CASES = (("scnn_like", "mobilenet", ""), ("eyeriss_v2", "mobilenet", ""), ("nm_systolic", "mobilenet", "2:4"),
         ("eie_like", "ptb", ""), ("eie_like", "gnmt", ""))
#: The factors of the buffer-size and DRAM-bandwidth axes; the PE-array factors per dimension; the nodes (nm).
SRAM_FACTORS = (0.25, 0.5, 2, 8)
BANDWIDTH_FACTORS = (0.25, 0.5, 2, 8)
PE_FACTORS = (0.5, 2)
NODES = (65, 45, 28, 16, 7)
AXES = ("sram", "dram_bw", "pe", "node")
AXIS_LABELS = {"sram": "buffer size x", "dram_bw": "DRAM bandwidth x", "pe": "PE count x", "node": "node (nm)"}


def settings(data: dict) -> list[tuple[str, float, dict]]:
    """(axis, value, changes) of every machine around the shipped ``data``: the shipped one (axis "shipped",
    value 1), then each axis's values. The PE axis's value is the factor on the PE count."""
    bandwidth = "bandwidth_gb_per_s" if "bandwidth_gb_per_s" in data["dram"] else "bandwidth_bytes_per_cycle"
    rows, cols = data["pe_array"]["rows"], data["pe_array"]["cols"]
    found = [("shipped", 1.0, {})]
    found += [("sram", f, scaled_buffers(data, f)) for f in SRAM_FACTORS]
    found += [("dram_bw", f, {f"dram.{bandwidth}": data["dram"][bandwidth] * f}) for f in BANDWIDTH_FACTORS]
    for f in PE_FACTORS:
        new_rows = rows if rows == 1 else round(rows * f)
        new_cols = round(cols * f)
        found.append(("pe", new_rows * new_cols / (rows * cols),
                      {"pe_array.rows": new_rows, "pe_array.cols": new_cols}))
    found += [("node", float(n), {"technology_nm": n}) for n in NODES if n != data["technology_nm"]]
    return found


def machine_name(machine: str, axis: str, value: float) -> str:
    return machine if axis == "shipped" else f"{machine}_{axis}_{value:g}"


def machines(out: Path) -> tuple[pd.DataFrame, list[dict]]:
    """Write every machine's YAML into ``out/machines``: the table (machine, axis, value, hardware name, file,
    family, structure, area mm²) of those that run their family's models, and the refused ones (with why)."""
    folder = out / "machines"
    folder.mkdir(parents=True, exist_ok=True)
    rows, refused = [], []
    for machine, family, structure in CASES:
        data = yaml.safe_load(read_hardware_text(ROOT / "hwconfigs" / f"{machine}.yaml"))
        zoo_family, chosen = compare.variants(family)
        models = [zoo.build(zoo_family, **dict(v.options)) for v in chosen]
        for axis, value, changes in settings(data):
            name = machine_name(machine, axis, value)
            made = changed(data, {**changes, "name": name, "energy": DELETE})
            try:
                hw = variant(made, {}, name)
                for model in models:
                    check_runs(model, hw)
            except InputError as error:
                refused.append({"machine": machine, "axis": axis, "value": value, "why": str(error)})
                continue
            path = folder / f"{name}.yaml"
            path.write_text(yaml.safe_dump(made, sort_keys=False))
            rows.append({"case": machine if family == "mobilenet" else f"{machine} {family}", "machine": machine,
                         "axis": axis, "value": value, "hardware": name, "file": path,
                         "family": family, "structure": structure,
                         "area_mm2": sum(area_mm2(hw).values())})
    return pd.DataFrame(rows), refused


def simulate(table: pd.DataFrame, out: Path, jobs: int) -> dict[tuple[str, str], pd.DataFrame]:
    """Run each (family, structure) group's comparison into its own folder; its compare.csv by group."""
    found = {}
    for (family, structure), group in table.groupby(["family", "structure"], sort=False):
        found[(family, structure)] = compare.compare(
            family, list(group["file"]), folder_of(out, family, structure), jobs=jobs,
            structure=parse_structure(structure) if structure else Structure())
    return found


def verdicts(table: pd.DataFrame, results: dict) -> pd.DataFrame:
    """One row per (machine, setting, budget): the pair, the ratios large-sparse / small-dense and who wins."""
    heads = pd.concat([compare.headline(t).assign(family=family) for (family, _), t in results.items()],
                      ignore_index=True)
    rows = heads.merge(table.drop(columns=["file"]), on=["hardware", "family"])
    rows["energy_ratio"] = rows["large_sparse_energy_uj"] / rows["small_dense_energy_uj"]
    rows["latency_ratio"] = rows["large_sparse_latency_ms"] / rows["small_dense_latency_ms"]
    rows["energy_winner"] = rows["less_energy"]
    rows["latency_winner"] = rows["faster"]
    keep = ["case", "machine", "family", "axis", "value", "hardware", "area_mm2", "small_dense", "large_sparse",
            "small_dense_model_mb", "large_sparse_model_mb", "small_dense_energy_uj", "large_sparse_energy_uj",
            "energy_ratio", "energy_winner", "small_dense_latency_ms", "large_sparse_latency_ms", "latency_ratio",
            "latency_winner"]
    return rows[keep]


def folder_of(out: Path, family: str, structure: str) -> Path:
    """The comparison folder of a family and structure: ``mobilenet``, ``mobilenet_2of4``, ``ptb``..."""
    return out / (family + (f"_{structure.replace(':', 'of')}" if structure else ""))


def why(rows: pd.DataFrame, out: Path, table: pd.DataFrame) -> list[str]:
    """For the row of the smallest energy ratio on each machine, from the per-layer results: each model's
    energy (µJ) split into DRAM, on-chip dynamic and leakage, and into the layers pruning leaves dense (first
    convolution, depthwise, embedding) and the pruned ones; and the DRAM bytes of each."""
    lines = []
    for machine, on in rows.groupby("case", sort=False):
        best = on.loc[on["energy_ratio"].idxmin()]
        family = best["family"]
        mine = (table["hardware"] == best["hardware"]) & (table["family"] == family)
        structure = table.loc[mine, "structure"].iloc[0]
        zoo_family, chosen = compare.variants(family)
        large = next(v for v in chosen if v.kind == "large-sparse")
        pruned = {layer.name for layer in zoo.build(zoo_family, **dict(large.options)).prunable_layers}
        layers = pd.read_csv(folder_of(out, family, structure) / "points.csv")
        layers = layers[layers["hardware"] == best["hardware"]]
        name, rest = best["large_sparse"].split(" @ ")
        models = {"small-dense": layers[(layers["model"] == best["small_dense"]) & (layers["sparsity"] == 0)],
                  "large-sparse": layers[(layers["model"] == name) & (layers["sparsity"] == float(rest.split()[0]))]}
        lines.append(f"  {machine}, {best['axis']} {best['value']:g}: {best['small_dense']} vs {best['large_sparse']}, "
                     f"energy ratio {best['energy_ratio']:.3f}")
        for kind, m in models.items():
            dram, total, static = m["energy_dram_pj"].sum(), m["energy_pj"].sum(), m["energy_static_pj"].sum()
            kept = m[m["layer"].isin(pruned)]["energy_pj"].sum()
            lines.append(f"    {kind}: {total / 1e6:.1f} uJ = DRAM {dram / 1e6:.1f} + on-chip dynamic "
                         f"{(total - dram - static) / 1e6:.1f} + leakage {static / 1e6:.1f}; unpruned layers "
                         f"{(total - kept) / 1e6:.1f}, pruned layers {kept / 1e6:.1f}; DRAM "
                         f"{(m['dram_read_bytes'].sum() + m['dram_write_bytes'].sum()) / 1e6:.2f} MB")
    return lines


def summary(rows: pd.DataFrame) -> list[str]:
    """Per machine and metric: at how many (setting, budget) rows large-sparse wins, where, and the smallest ratio."""
    lines = []
    for machine, on in rows.groupby("case", sort=False):
        for metric in ("energy", "latency"):
            wins = on[on[f"{metric}_winner"] == "large-sparse"]
            best = on.loc[on[f"{metric}_ratio"].idxmin()]
            where = "; ".join(f"{r.axis} {r.value:g} ({r.small_dense}, {r._asdict()[metric + '_ratio']:.3f})"
                              for r in wins.itertuples()) or "nowhere"
            lines.append(f"{machine} {metric}: large-sparse wins {len(wins)}/{len(on)}: {where}; smallest ratio "
                         f"{best[metric + '_ratio']:.3f} at {best['axis']} {best['value']:g} ({best['small_dense']} vs "
                         f"{best['large_sparse']})")
    return lines


def figure(rows: pd.DataFrame, metric: str):
    """Ratio large-sparse / small-dense of ``metric`` against each axis (columns), one row of panels per machine,
    one line per budget; the dashed line at 1 is the boundary."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    from accelsim.plots.common import log_axis
    machines_ = list(dict.fromkeys(rows["case"]))
    fig, axes = plt.subplots(len(machines_), len(AXES), figsize=(3.2 * len(AXES), 2.5 * len(machines_)),
                             squeeze=False, sharey="row")
    for i, machine in enumerate(machines_):
        on = rows[rows["case"] == machine]
        for j, axis in enumerate(AXES):
            ax = axes[i][j]
            for budget, line in on.groupby("small_dense", sort=False):
                shipped = line[line["axis"] == "shipped"].copy()
                if axis == "node":
                    shipped["value"] = float(_node(on["machine"].iloc[0]))
                points = pd.concat([shipped, line[line["axis"] == axis]]).sort_values("value")
                ax.plot(points["value"], points[f"{metric}_ratio"], marker="o", label=budget)
            ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
            ax.set_xscale("log", base=2)
            log_axis(ax.yaxis, on[f"{metric}_ratio"].tolist() + [1.0])
            ticks = sorted(set(points["value"]))
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.xaxis.set_minor_locator(NullLocator())
            if axis == "node":
                ax.invert_xaxis()
            ax.set_xlabel(AXIS_LABELS[axis])
            if j == 0:
                ax.set_ylabel(f"{machine}\n{metric} ratio")
            if j == len(AXES) - 1:      # beside the row, where it hides no point
                ax.legend(fontsize=7, title="small-dense", title_fontsize=7, loc="upper left",
                          bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.suptitle(f"{metric.capitalize()}: large-sparse / small-dense at equal footprint (below 1: large-sparse wins)")
    fig.tight_layout()
    return fig


def _node(machine: str) -> int:
    return yaml.safe_load(read_hardware_text(ROOT / "hwconfigs" / f"{machine}.yaml"))["technology_nm"]


def markdown(rows: pd.DataFrame, refused: list[dict]) -> str:
    lines = []
    for machine, on in rows.groupby("case", sort=False):
        lines += [f"### {machine}", "",
                  "| setting | area mm² | small-dense | large-sparse | energy µJ (sd / ls) | ratio | winner | "
                  "latency ms (sd / ls) | ratio | winner |", "|---|---|---|---|---|---|---|---|---|---|"]
        for r in on.itertuples():
            setting = "shipped" if r.axis == "shipped" else f"{AXIS_LABELS[r.axis]} {r.value:g}".replace("x ", "x")
            lines.append(f"| {setting} | {r.area_mm2:.2f} | {r.small_dense} | {r.large_sparse} | "
                         f"{r.small_dense_energy_uj:.1f} / {r.large_sparse_energy_uj:.1f} | {r.energy_ratio:.3f} | "
                         f"{r.energy_winner} | {r.small_dense_latency_ms:.3f} / {r.large_sparse_latency_ms:.3f} | "
                         f"{r.latency_ratio:.3f} | {r.latency_winner} |")
        lines.append("")
    if refused:
        lines += ["### Settings a machine refuses", ""]
        lines += [f"* {r['machine']}, {r['axis']} {r['value']:g}: {r['why']}" for r in refused]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT,
                        help="results folder (resumed; default results/where_sparse_wins)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--figures", action="store_true", help="write docs/figures/where_sparse_wins_*.png")
    parser.add_argument("--doc", action="store_true", help="print the per-machine tables as Markdown")
    args = parser.parse_args(argv)
    start = time.monotonic()
    table, refused = machines(args.out)
    results = simulate(table, args.out, args.jobs)
    rows = verdicts(table, results)
    rows.to_csv(args.out / "where_sparse_wins.csv", index=False, float_format="%.6g")
    print(f"{len(table)} machines, {len(rows)} (machine, setting, budget) rows in {time.monotonic() - start:.0f} s; "
          f"wrote {args.out / 'where_sparse_wins.csv'}")
    for r in refused:
        print(f"refused: {r['machine']} {r['axis']} {r['value']:g}: {r['why']}")
    print("\n".join(summary(rows)))
    print("Why (the setting of each machine's smallest energy ratio):")
    print("\n".join(why(rows, args.out, table)))
    print("Why (the shipped machines, at the budget of their smallest energy ratio):")
    print("\n".join(why(rows[rows["axis"] == "shipped"], args.out, table)))
    if args.figures:
        from accelsim.plots.common import save_figure
        for metric in ("energy", "latency"):
            stem = ROOT / "docs" / "figures" / f"where_sparse_wins_{metric}"
            print(*save_figure(figure(rows, metric), stem, ("png",)))
    if args.doc:
        print(markdown(rows, refused))
    return 0


if __name__ == "__main__":
    sys.exit(main())
