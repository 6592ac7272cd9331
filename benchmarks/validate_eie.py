"""EIE against its paper, Han et al., ISCA 2016: Table IV times, Fig. 8 load balance, Fig. 11 PE scaling.

``python benchmarks/validate_eie.py`` prints, for hwconfigs/eie_like.yaml (64 PEs, 800 MHz, FIFO 8) and seeded
uniform masks at Table III's weight and activation densities (the layers of traces/eie_benchmarks.yaml, each
simulated alone on the machine, as the paper measures them):

* Table IV: the paper's theoretical and actual time (us), ours, the error against actual, our theoretical
  time (stored entries processed / (64 PEs x 800 MHz), the paper's workload / peak) and our load-balance
  efficiency;
* Fig. 8: load-balance efficiency (1 - bubble cycles / total cycles, EIE Sec. VI-C) per layer at FIFO depths
  1 ... 256, ours, the paper's and the error;
* Fig. 11: speedup over one PE at 1 ... 256 PEs (FIFO 8), against the paper's text;
* the sensitivity of Fig. 8 to mask structure: one layer with per-row densities of growing coefficient of
  variation (:func:`accelsim.pruning.row_varied_weights`).

``--csv`` prints the simulated values alone, one row per (layer, PEs, FIFO depth): the nine layers at depths
1, 2, ..., 256 on 64 PEs and on 1, 2, ..., 256 PEs at depth 8. ``structure`` trains the default AGP MLP of
docs/training.md and prints how far its pruned masks are from uniform ones (row and column density spread),
then the same for the 1x1 layers of a real trained CNN pruned to 90% (``benchmarks/real_model.py``'s).
The paper's values come from :mod:`accelsim.reference` (``han_2016/``); docs/validation.md (section "EIE") shows and
discusses the output.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:       # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from accelsim.accelerators.eie.engine import EieEngine  # noqa: E402
from accelsim.accelerators.eie.plan import EiePlan, plan_eie  # noqa: E402
from accelsim.hardware import load_hardware  # noqa: E402
from accelsim.hardware.variants import file_variant  # noqa: E402
from accelsim.hardware.schema import HardwareConfig  # noqa: E402
from accelsim.pruning import activation_mask, magnitude_mask, prune, row_varied_weights  # noqa: E402
from accelsim.reference import EIE_FIG11_NOT_LINEAR, EIE_FIG11_SPEEDUP_256_OVER_64, eie_fig8, eie_table_iv  # noqa: E402
from accelsim.workloads import Linear, Model  # noqa: E402
from accelsim.workloads.files import read_workload  # noqa: E402

EIE_LIKE = ROOT / "hwconfigs" / "eie_like.yaml"
#: The nine Table III layers with their weight and activation densities (accelsim's workload format).
TRACE = ROOT / "traces" / "eie_benchmarks.yaml"
DEPTHS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
PE_COUNTS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: The issue's targets: Table IV actual time within 10%, Fig. 8 efficiency within 0.08 (absolute).
TIME_TOLERANCE = 0.10
EFFICIENCY_TOLERANCE = 0.08
CSV_HEADER = "layer,pes,fifo_depth,time_us,load_balance_efficiency"


@dataclass(frozen=True)
class PaperLayer:
    """One benchmark of Han et al. 2016: the Table III layer and densities (from :data:`TRACE`) and the
    Table IV times (us)."""

    layer: Linear
    weight_density: float
    activation_density: float
    theoretical_us: float
    actual_us: float

    @property
    def name(self) -> str:
        return self.layer.name


def _table_iii() -> tuple[PaperLayer, ...]:
    workload = read_workload(TRACE)
    times = eie_table_iv().set_index("layer")
    return tuple(PaperLayer(layer, workload.weight_density[layer.name], workload.activation_density[layer.name],
                            float(times.loc[layer.name, "theoretical_us"]), float(times.loc[layer.name, "actual_us"]))
                 for layer in workload.model.layers)


TABLE_III = _table_iii()


def paper_layer(name: str) -> PaperLayer:
    return next(p for p in TABLE_III if p.name == name)


# --- machines and masks ----------------------------------------------------------------------------------

def eie_like(pes: int | None = None) -> HardwareConfig:
    """hwconfigs/eie_like.yaml, with ``pes`` PEs instead of 64 (each PE as it is: its SRAMs do not grow)."""
    if pes is None:
        return load_hardware(EIE_LIKE)
    return file_variant(EIE_LIKE, {"pe_array.cols": pes})


def uniform_masks(paper: PaperLayer, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(weight mask, activation mask) at the paper's densities: magnitude pruning of seeded i.i.d. weights
    (so non-zeros are uniformly placed, exact count) and uniformly placed non-zero activations."""
    layer = paper.layer
    weights = prune(Model(paper.name, "eie_table3", (layer,)), 1 - paper.weight_density, seed=seed)[layer.name]
    return weights, activation_mask(layer, paper.activation_density, seed)


def row_varied_masks(paper: PaperLayer, cv: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(weight mask, activation mask) of ``paper`` with per-row density variation ``cv``."""
    layer = paper.layer
    weights = row_varied_weights(layer.weight_shape, paper.weight_density, cv, seed)
    return magnitude_mask(weights, 1 - paper.weight_density), activation_mask(layer, paper.activation_density,
                                                                               seed)


def plans(hw: HardwareConfig, seed: int = 0, cv: float = 0.0, names=None, *,
          resident: bool | None = None) -> dict[str, EiePlan]:
    """The compiled (depth-independent) plan of each Table III layer, uniform masks (cv 0) or row-varied.
    The paper measures each layer on its own, so each is planned alone on the machine: its weights stay on
    chip if they fit the empty SRAM, or as ``resident`` says."""
    out = {}
    for paper in TABLE_III:
        if names is not None and paper.name not in names:
            continue
        masks = uniform_masks(paper, seed) if cv == 0 else row_varied_masks(paper, cv, seed)
        out[paper.name] = plan_eie(paper.layer, hw, *masks, resident=resident)
    return out


def time_us(plan: EiePlan, hw: HardwareConfig, depth: int | None = None) -> float:
    """Simulated time of ``plan`` at FIFO ``depth`` (default: the machine's), microseconds."""
    return EieEngine(hw).execute(plan.program(depth)).cycles / hw.clock_hz * 1e6


# --- the paper's tables, ours beside them --------------------------------------------------------------

def table_iv(hw: HardwareConfig, layer_plans: dict[str, EiePlan]) -> pd.DataFrame:
    """Ours against Table IV, one row per layer."""
    rows = []
    for name, plan in layer_plans.items():
        paper = paper_layer(name)
        program = plan.program()
        ours = EieEngine(hw).execute(program).cycles / hw.clock_hz * 1e6
        processed = program.counts.get(("mac", "op")) + program.counts.get(("mac", "padding_op"))
        rows.append({"layer": name, "paper_theoretical_us": paper.theoretical_us, "paper_actual_us": paper.actual_us,
                     "ours_us": round(ours, 2), "error": round(ours / paper.actual_us - 1, 3),
                     "ours_theoretical_us": round(processed / hw.pe_count / hw.clock_hz * 1e6, 2),
                     "load_balance_efficiency": round(program.details["load_balance_efficiency"], 3)})
    return pd.DataFrame(rows)


def fig8(layer_plans: dict[str, EiePlan], depths=DEPTHS) -> pd.DataFrame:
    """Our load-balance efficiency per layer (rows) at each FIFO depth (columns)."""
    return pd.DataFrame({d: {name: plan.load_balance_efficiency(d) for name, plan in layer_plans.items()}
                         for d in depths})


def fig8_comparison(ours: pd.DataFrame) -> pd.DataFrame:
    """Per layer and depth "ours / paper (error)", error = ours - paper."""
    paper = eie_fig8().loc[ours.index, ours.columns]
    return pd.DataFrame({d: [f"{o:.3f} / {p:.3f} ({o - p:+.3f})" for o, p in zip(ours[d], paper[d])]
                         for d in ours.columns}, index=ours.index)


def scaling(pe_counts=PE_COUNTS, seed: int = 0) -> pd.DataFrame:
    """Time (us) per layer (rows) on ``pe_counts`` PEs (columns) at FIFO depth 8. The weights are kept on
    chip at every PE count (each PE as eie_like's, its sparse-matrix SRAM not grown), as Fig. 11 compares the
    compute; activation vectors beyond the PEs' activation SRAM still go through DRAM."""
    return pd.DataFrame({n: {name: time_us(plan, hw) for name, plan in plans(hw, seed, resident=True).items()}
                         for n, hw in ((n, eie_like(n)) for n in pe_counts)})


def scaling_comparison(times: pd.DataFrame) -> pd.DataFrame:
    """Speedup over the fewest PEs per layer, and 256 / 64 PEs against the paper's text."""
    speedup = times.rdiv(times[times.columns[0]], axis=0).round(2)
    if {64, 256} <= set(times.columns):
        speedup["256 / 64"] = (times[64] / times[256]).round(2)
    return speedup


def mask_structure_table(hw: HardwareConfig, name: str = "Alex-7", cvs=(0.0, 0.25, 0.5, 1.0), depths=DEPTHS,
                         seed: int = 0) -> pd.DataFrame:
    """Load-balance efficiency of one layer at each FIFO depth, for per-row density variation ``cvs``."""
    rows = {}
    for cv in cvs:
        plan = plans(hw, seed, cv, names=(name,))[name]
        rows[f"{name} cv={cv:g}"] = {d: round(plan.load_balance_efficiency(d), 3) for d in depths}
    return pd.DataFrame(rows).T


def mask_spread(name: str, mask: np.ndarray) -> dict:
    """Row and column density spread of one 2-D ``mask`` against what a uniform mask of the same shape and
    density would show (the binomial coefficient of variation), and the fraction of rows and columns empty."""
    d = mask.mean()
    return {"layer": name, "shape": "x".join(map(str, mask.shape)), "density": round(d, 3),
            "row_cv": round(mask.mean(axis=1).std() / d, 3),
            "uniform_row_cv": round(math.sqrt((1 - d) / (d * mask.shape[1])), 3),
            "col_cv": round(mask.mean(axis=0).std() / d, 3),
            "uniform_col_cv": round(math.sqrt((1 - d) / (d * mask.shape[0])), 3),
            "empty_rows": round(float((~mask.any(axis=1)).mean()), 3),
            "empty_cols": round(float((~mask.any(axis=0)).mean()), 3)}


def agp_structure(seed: int = 0) -> pd.DataFrame:
    """:func:`mask_spread` of the masks of accelsim's default AGP run (docs/training.md: mnist1d,
    40-256-256-10 MLP, 90% sparsity)."""
    from accelsim.training import TrainConfig, load_task, train

    result = train(load_task("mnist1d", seed), TrainConfig(seed=seed))
    return pd.DataFrame([mask_spread(name, np.asarray(result.masks[name], bool)) for name in result.layer_names])


def real_model_structure(sparsity: float = 0.9) -> pd.DataFrame | None:
    """:func:`mask_spread` of a real trained model's matrix layers (its 1x1 convolutions, out x in) pruned
    by magnitude to ``sparsity``, layer by layer: the packaged classifier of ``benchmarks/real_model.py``
    (None when its wheel is not installed)."""
    import real_model

    from accelsim.importers.onnx import import_onnx
    if real_model.model_file() is None:
        return None
    imported = import_onnx(real_model.model_file(), {real_model.INPUT: real_model.SHAPE})
    rows = []
    for layer in imported.model.layers:
        weights = imported.weights.get(layer.name)
        if weights is None or weights.ndim != 4 or weights.shape[2:] != (1, 1) or weights.shape[1] == 1:
            continue
        matrix = weights.reshape(weights.shape[0], -1)
        rows.append(mask_spread(layer.name, magnitude_mask(matrix, sparsity)))
    return pd.DataFrame(rows)


# --- output ------------------------------------------------------------------------------------------------

def markdown(table: pd.DataFrame, index: bool = True) -> str:
    """``table`` as a Markdown table (pandas' own needs the optional ``tabulate``)."""
    frame = table.reset_index() if index else table
    header = [str(c) if c != "index" else "" for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def csv_rows(seed: int = 0) -> list[str]:
    """The simulated values, one line per (layer, PEs, FIFO depth): depths 1-256 on 64 PEs, then 1-256 PEs
    at depth 8 (the (64, 8) point once)."""
    hw = eie_like()
    lines = [CSV_HEADER]
    for name, plan in plans(hw, seed).items():
        for d in DEPTHS:
            lines.append(f"{name},{hw.pe_count},{d},{time_us(plan, hw, d):.4f},{plan.load_balance_efficiency(d):.4f}")
    depth = hw.pe.activation_fifo_depth
    for n in PE_COUNTS:
        if n == hw.pe_count:
            continue
        machine = eie_like(n)
        for name, plan in plans(machine, seed, resident=True).items():
            lines.append(f"{name},{n},{depth},{time_us(plan, machine):.4f},{plan.load_balance_efficiency():.4f}")
    return lines


def report(seed: int = 0) -> str:
    """The paper-vs-simulated tables, as Markdown."""
    hw = eie_like()
    layer_plans = plans(hw, seed)
    times = table_iv(hw, layer_plans)
    within = int((times["error"].abs() <= TIME_TOLERANCE).sum())
    ours = fig8(layer_plans)
    error = (ours - eie_fig8().loc[ours.index, ours.columns]).abs()
    speed = scaling_comparison(scaling(seed=seed))
    return "\n".join([
        f"Table IV (batch 1; eie_like, uniform masks, seed {seed}): {within} of {len(times)} layers within "
        f"{TIME_TOLERANCE:.0%} of the paper's actual time",
        markdown(times, index=False),
        f"\nFig. 8, load-balance efficiency, ours / paper (ours - paper): {int((error <= EFFICIENCY_TOLERANCE).sum().sum())}"
        f" of {error.size} points within {EFFICIENCY_TOLERANCE}; largest error per layer: "
        + ", ".join(f"{n} {e:.3f}" for n, e in error.max(axis=1).items()),
        markdown(fig8_comparison(ours)),
        f"\nFig. 11, speedup over 1 PE at FIFO 8 (weights on chip). Paper (text): near-linear but "
        f"{', '.join(EIE_FIG11_NOT_LINEAR)}; 256 PEs {EIE_FIG11_SPEEDUP_256_OVER_64}x the throughput of 64",
        markdown(speed),
        "\nMask structure: per-row density variation (coefficient of variation cv), load-balance efficiency",
        markdown(mask_structure_table(hw, seed=seed)),
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", nargs="?", choices=("tables", "structure", "figures"), default="tables",
                    help="tables: paper vs simulated (default); structure: AGP mask structure; figures: Fig. 8 "
                         "simulated beside the paper, as docs/figures/eie_fig8.png")
    ap.add_argument("--csv", action="store_true", help="simulated values only, one CSV row per item")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.command == "structure":
        print(markdown(agp_structure(args.seed), index=False))
        real = real_model_structure()
        print("\n" + (markdown(real, index=False) if real is not None else
                      "(the real model's wheel is not installed: pip install --no-deps rapidocr-onnxruntime==1.4.4)"))
    elif args.command == "figures":
        from accelsim.plots.common import save_figure
        from accelsim.plots.validation import eie_efficiency_figure
        ours = fig8(plans(eie_like(), args.seed))
        paper = eie_fig8().loc[ours.index, ours.columns]
        print(*save_figure(eie_efficiency_figure(ours, paper), ROOT / "docs" / "figures" / "eie_fig8", ("png",)))
    elif args.csv:
        print("\n".join(csv_rows(args.seed)))
    else:
        print(report(args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
