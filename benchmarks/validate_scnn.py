"""SCNN against its paper (Parashar et al., ISCA 2017), layer by layer: prints paper vs simulated for every
target of the validation (docs/validation.md holds the tables this prints).

    .venv/bin/python benchmarks/validate_scnn.py                  # every table (several minutes: VGG-16)
    .venv/bin/python benchmarks/validate_scnn.py --parts layers --networks alexnet
    .venv/bin/python benchmarks/validate_scnn.py --csv            # simulated values only, one row per item

Machines: hwconfigs/scnn_isca2017.yaml and dcnn_isca2017.yaml (Tables 3 and 5, 50 GB/s DRAM). Workloads and
densities: accelsim.study.scnn_paper (AlexNet conv1-5, GoogLeNet's 54 inception convolutions, VGG-16's 13
convolutions at Fig. 1's densities; uniform random masks, seed 0). Parts:

* ``layers``: Figs 9-11 per layer (AlexNet, VGG-16), per inception module (GoogLeNet) and per network:
  speedup over DCNN, oracle speedup (DCNN cycles / (useful products / 1,024)), multiplier utilisation while
  busy, fraction of PE time idle at the barrier, energy relative to DCNN;
* ``sweep``: Fig. 8, GoogLeNet with weight density = activation density = d, SCNN latency and energy
  relative to DCNN;
* ``granularity``: Sec. 6.3, 1,024 multipliers as 64 PEs of 4 x 4 or 4 PEs of 16 x 16 on GoogLeNet;
* ``depths``: the targets at bank-queue depths 0, 1, 2, 4 and 4096 (unbounded in effect);
* ``kc``: the targets with Kc fixed at 8 (the shipped machine) and chosen per layer by the mapper.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accelsim.hardware import load_hardware  # noqa: E402
from accelsim.hardware.variants import file_variant  # noqa: E402
from accelsim.reference import scnn_reference  # noqa: E402
from accelsim.study.scnn_paper import (FOUR_PES, NETWORKS, density_sweep, paper_layers, validate,  # noqa: E402
                                       with_paper)

SCNN = ROOT / "hwconfigs" / "scnn_isca2017.yaml"
DCNN = ROOT / "hwconfigs" / "dcnn_isca2017.yaml"
PARTS = ("layers", "sweep", "granularity", "depths", "kc")
DEPTHS = (0, 1, 2, 4, 4096)
CSV_COLUMNS = ["network", "layer", "speedup", "multiplier_utilisation", "barrier_idle_fraction", "energy_ratio"]


def scnn_variant(changes: dict[str, object]):
    """scnn_isca2017.yaml with dotted keys changed."""
    return file_variant(SCNN, changes)


def error(simulated: float, paper: float) -> str:
    return "" if pd.isna(paper) else f"{100 * (simulated / paper - 1):+.0f}%"


def layers_table(networks: list[str], scnn, dcnn) -> pd.DataFrame:
    frames = []
    for network in networks:
        start = time.perf_counter()
        frames.append(with_paper(validate(network, scnn, dcnn)))
        print(f"{network}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return pd.concat(frames, ignore_index=True)


def print_layers(table: pd.DataFrame) -> None:
    print("| network | layer | speedup (paper) | error | oracle speedup (paper) | multiplier utilisation (paper) | "
          "barrier idle (paper) | energy / DCNN (paper) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in table.itertuples():
        def pair(sim, paper, digits=2):
            return f"{sim:.{digits}f}" + ("" if pd.isna(paper) else f" ({paper:.{digits}f})")
        print(f"| {row.network} | {row.layer} | {pair(row.speedup, row.paper_speedup)} | "
              f"{error(row.speedup, row.paper_speedup)} | {pair(row.oracle_speedup, row.paper_oracle_speedup)} | "
              f"{pair(row.multiplier_utilisation, row.paper_multiplier_utilisation, 3)} | "
              f"{pair(row.barrier_idle_fraction, row.paper_barrier_idle_fraction, 3)} | "
              f"{pair(row.energy_ratio, row.paper_energy_ratio)} |")


def print_sweep(scnn, dcnn) -> None:
    paper = scnn_reference("fig8_density_sweep").set_index("density")
    sweep = density_sweep(paper_layers("googlenet"), scnn, dcnn, tuple(paper.index))
    print("| density (w = a) | SCNN / DCNN latency (paper) | error | SCNN / DCNN energy (paper) |")
    print("|---|---|---|---|")
    for row in sweep.itertuples():
        ref = paper.loc[row.density]
        print(f"| {row.density:.1f} | {row.scnn_latency:.3f} ({ref.scnn_latency:.3f}) | "
              f"{error(row.scnn_latency, ref.scnn_latency)} | {row.scnn_energy:.3f} ({ref.scnn_energy:.3f}) |")


def print_granularity(scnn, dcnn) -> None:
    fine = validate("googlenet", scnn, dcnn).set_index("layer").loc["all"]
    coarse = validate("googlenet", scnn_variant(FOUR_PES), dcnn).set_index("layer").loc["all"]
    print("| GoogLeNet, 1,024 multipliers | 64 PEs of 4 x 4 | 4 PEs of 16 x 16 | paper |")
    print("|---|---|---|---|")
    print(f"| 64-PE speed / 4-PE speed | {fine.speedup / coarse.speedup:.3f} | | 1.11 |")
    print(f"| multiplier utilisation | {fine.multiplier_utilisation:.3f} | {coarse.multiplier_utilisation:.3f} | "
          f"0.59 / 0.35 |")


def print_variants(title: str, variants: dict[str, dict[str, object]], networks: list[str], dcnn) -> None:
    """The per-layer targets of Figs 9-10, the network speedups and Fig. 8's worst latency error for each
    variant of scnn_isca2017.yaml (``variants``: label -> changed keys)."""
    paper_sweep = scnn_reference("fig8_density_sweep").set_index("density")
    rows = []
    for label, changes in variants.items():
        scnn = scnn_variant(changes)
        table = layers_table(networks, scnn, dcnn)
        bars = table[table.layer != "all"].dropna(subset=["paper_speedup"])
        speed_error = (bars.speedup / bars.paper_speedup - 1).abs()
        util_error = (bars.multiplier_utilisation - bars.paper_multiplier_utilisation).abs()
        idle_error = (bars.barrier_idle_fraction - bars.paper_barrier_idle_fraction).abs()
        nets = table[table.layer == "all"].set_index("network")
        sweep = density_sweep(paper_layers("googlenet"), scnn, dcnn, (0.1, 0.5, 1.0)).set_index("density")
        sweep_error = sweep.scnn_latency / paper_sweep.scnn_latency.loc[sweep.index] - 1
        rows.append({title: label, **{f"{n} speedup": f"{nets.speedup[n]:.2f}" for n in nets.index},
                     "median / max speedup error": f"{speed_error.median():.1%} / {speed_error.max():.1%}",
                     "utilisation within 0.10": f"{int((util_error <= 0.10).sum())}/{len(bars)}",
                     "barrier idle within 0.10": f"{int((idle_error <= 0.10).sum())}/{len(bars)}",
                     "Fig. 8 error at 0.1 / 0.5 / 1.0": " / ".join(f"{e:+.0%}" for e in sweep_error)})
    frame = pd.DataFrame(rows)
    print("| " + " | ".join(frame.columns) + " |")
    print("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        print("| " + " | ".join(map(str, row)) + " |")


def write_figures(scnn, dcnn) -> None:
    from accelsim.plots.common import save_figure
    from accelsim.plots.validation import density_sweep_figure, scnn_layers_figure
    folder = ROOT / "docs" / "figures"
    layers = layers_table(["alexnet", "googlenet"], scnn, dcnn)
    print(*save_figure(scnn_layers_figure(layers), folder / "scnn_layers", ("png",)))
    paper = scnn_reference("fig8_density_sweep")
    sweep = density_sweep(paper_layers("googlenet"), scnn, dcnn, tuple(paper.density))
    print(*save_figure(density_sweep_figure(sweep, paper), folder / "scnn_density_sweep", ("png",)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS))
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--csv", action="store_true", help="simulated per-layer values only, as CSV")
    parser.add_argument("--figures", action="store_true",
                        help="write docs/figures/scnn_layers.png (Figs 9-10) and scnn_density_sweep.png (Fig. 8)")
    args = parser.parse_args()
    scnn, dcnn = load_hardware(SCNN), load_hardware(DCNN)
    if args.csv:
        table = layers_table(args.networks, scnn, dcnn)
        table[CSV_COLUMNS].to_csv(sys.stdout, index=False, float_format="%.4f")
        return 0
    if args.figures:
        write_figures(scnn, dcnn)
        return 0
    if "layers" in args.parts:
        print(f"## Figs 9-11 (bank queues of {scnn.pe.bank_queue_entries} products)\n")
        print_layers(layers_table(args.networks, scnn, dcnn))
    if "sweep" in args.parts:
        print("\n## Fig. 8: GoogLeNet density sweep\n")
        print_sweep(scnn, dcnn)
    if "granularity" in args.parts:
        print("\n## Sec. 6.3: PE granularity\n")
        print_granularity(scnn, dcnn)
    bars = [n for n in args.networks if n != "vgg16"]     # VGG-16 has no per-layer bars
    if "depths" in args.parts:
        print("\n## Bank-queue depth sensitivity\n")
        print_variants("bank queue depth", {str(d): {"pe.bank_queue_entries": d} for d in DEPTHS}, bars, dcnn)
    if "kc" in args.parts:
        print("\n## Output-channel group size\n")
        print_variants("Kc", {"8 (shipped)": {}, "the mapper's, per layer": {"output_group_channels": 0}}, bars, dcnn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
