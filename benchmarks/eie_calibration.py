"""EIE calibration against Han et al., ISCA 2016 (Table III benchmarks, Table IV EIE times, Fig. 8 FIFO depth).

``python benchmarks/eie_calibration.py`` prints, for hwconfigs/eie_like.yaml (64 PEs, 800 MHz, FIFO 8) and
seeded uniform masks at Table III's weight and activation densities (the layers and densities of
traces/eie_benchmarks.yaml):

* the calibration table: the paper's theoretical and actual time (us), ours, their ratio, our
  "theoretical" time (stored entries processed / (64 PEs x 800 MHz), the paper's workload / peak) and our
  load-balance efficiency;
* the FIFO-depth table: load-balance efficiency (1 - idle / total, EIE Sec. VI-C) per layer at FIFO depths
  1 ... 256;
* the effect of mask structure: Alex-7 with per-row densities of growing coefficient of variation
  (:func:`accelsim.pruning.row_varied_weights`).

``python benchmarks/eie_calibration.py ptb --steps 35 --sparsity 0.9`` times PTB-large on eie_like (prune,
then simulate) and prints the wall times and the peak resident memory of the process.

The mask model is :func:`accelsim.pruning.row_varied_weights`.
"""
from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:       # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import accelsim as acs  # noqa: E402
from accelsim.accelerators.eie.plan import EiePlan, plan_eie  # noqa: E402
from accelsim.accelerators.eie.engine import EieEngine  # noqa: E402
from accelsim.hardware import load_hardware  # noqa: E402
from accelsim.pruning import activation_mask, magnitude_mask, prune, row_varied_weights  # noqa: E402
from accelsim.workloads import Linear, Model  # noqa: E402
from accelsim.workloads.files import read_workload  # noqa: E402

EIE_LIKE = ROOT / "hwconfigs" / "eie_like.yaml"
DEPTHS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


#: Han et al., ISCA 2016, Table IV: EIE's theoretical and actual time per layer (us, batch 1, 64 PEs, 800 MHz).
TABLE_IV = {
    "Alex-6": (28.1, 30.3), "Alex-7": (11.7, 12.2), "Alex-8": (8.9, 9.9),
    "VGG-6": (28.1, 34.4), "VGG-7": (7.9, 8.7), "VGG-8": (7.3, 8.4),
    "NT-We": (5.2, 8.0), "NT-Wd": (13.0, 13.9), "NT-LSTM": (6.5, 7.5),
}
#: The nine Table III layers with their weight and activation densities (accelsim's workload format).
TRACE = ROOT / "traces" / "eie_benchmarks.yaml"


@dataclass(frozen=True)
class PaperLayer:
    """One benchmark of Han et al. 2016: the Table III layer and densities (from :data:`TRACE`) and the
    Table IV times (:data:`TABLE_IV`)."""

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
    return tuple(PaperLayer(layer, workload.weight_density[layer.name], workload.activation_density[layer.name],
                            *TABLE_IV[layer.name]) for layer in workload.model.layers)


TABLE_III = _table_iii()


def paper_layer(name: str) -> PaperLayer:
    return next(p for p in TABLE_III if p.name == name)


# --- masks -----------------------------------------------------------------------------------------------

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


# --- experiments -----------------------------------------------------------------------------------------

def plans(hw, seed: int = 0, cv: float = 0.0, names=None) -> dict[str, EiePlan]:
    """The compiled (depth-independent) plan of each Table III layer, uniform masks (cv 0) or row-varied.
    The paper measures each layer on its own, so each is planned alone on the machine (no model-level
    residency plan: its weights stay on chip if they fit the empty SRAM)."""
    out = {}
    for paper in TABLE_III:
        if names is not None and paper.name not in names:
            continue
        masks = uniform_masks(paper, seed) if cv == 0 else row_varied_masks(paper, cv, seed)
        out[paper.name] = plan_eie(paper.layer, hw, *masks)
    return out


def calibration_table(hw, layer_plans: dict[str, EiePlan]) -> pd.DataFrame:
    """Ours against Table IV, one row per layer, with the geometric mean of the ratios."""
    engine = EieEngine(hw)
    rows = []
    for name, plan in layer_plans.items():
        paper = paper_layer(name)
        program = plan.program()
        run = engine.execute(program)
        processed = program.counts.get(("mac", "op")) + program.counts.get(("mac", "padding_op"))
        ours_us = run.cycles / hw.clock_hz * 1e6
        rows.append({"layer": name, "paper_theoretical_us": paper.theoretical_us,
                     "paper_actual_us": paper.actual_us, "ours_us": round(ours_us, 2),
                     "ratio": round(ours_us / paper.actual_us, 3),
                     "ours_theoretical_us": round(processed / hw.pe_count / hw.clock_hz * 1e6, 2),
                     "load_balance_efficiency": round(program.details["load_balance_efficiency"], 3)})
    return pd.DataFrame(rows)


def geometric_mean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values))


def fifo_table(layer_plans: dict[str, EiePlan], depths=DEPTHS) -> pd.DataFrame:
    """Load-balance efficiency per layer (rows) at each FIFO depth (columns)."""
    return pd.DataFrame({depth: {name: round(plan.schedule(depth).efficiency, 3)
                                 for name, plan in layer_plans.items()} for depth in depths})


def mask_structure_table(hw, name: str = "Alex-7", cvs=(0.0, 0.25, 0.5, 1.0), depths=DEPTHS,
                         seed: int = 0) -> pd.DataFrame:
    """Load-balance efficiency of one layer at each FIFO depth, for per-row density variation ``cvs``."""
    rows = {}
    for cv in cvs:
        plan = plans(hw, seed, cv, names=(name,))[name]
        rows[f"{name} cv={cv:g}"] = {d: round(plan.schedule(d).efficiency, 3) for d in depths}
    return pd.DataFrame(rows).T


def markdown(table: pd.DataFrame, index: bool = True) -> str:
    """``table`` as a Markdown table (pandas' own needs the optional ``tabulate``)."""
    frame = table.reset_index() if index else table
    header = [str(c) if c != "index" else "" for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def ptb(steps: int, sparsity: float, seed: int = 0) -> dict:
    """Wall times (s) of pruning and simulating PTB-large on eie_like, and the peak RSS (MB)."""
    hw = load_hardware(EIE_LIKE)
    model = acs.zoo.ptb_lstm("large", steps=steps)
    start = time.perf_counter()
    masks = prune(model, sparsity, seed=seed)
    pruned = time.perf_counter()
    result = acs.simulate(model, hw, masks=masks, seed=seed)
    done = time.perf_counter()
    return {"steps": steps, "sparsity": sparsity, "prune_s": round(pruned - start, 2),
            "simulate_s": round(done - pruned, 2), "cycles": int(result.total["cycles"]),
            "latency_ms": round(float(result.total["latency_s"]) * 1e3, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command")
    sub.add_parser("tables", help="calibration and FIFO-depth tables (default)")
    p = sub.add_parser("ptb", help="time PTB-large on eie_like")
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--sparsity", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.command == "ptb":
        print(ptb(args.steps, args.sparsity, args.seed))
        return 0
    hw = load_hardware(EIE_LIKE)
    layer_plans = plans(hw, args.seed)
    table = calibration_table(hw, layer_plans)
    print("Calibration (Han et al. 2016 Table IV, batch 1; eie_like, uniform masks, seed "
          f"{args.seed}); geometric mean of ratios {geometric_mean(table['ratio']):.3f}")
    print(markdown(table, index=False))
    print("\nLoad-balance efficiency vs FIFO depth (uniform masks)")
    print(markdown(fifo_table(layer_plans)))
    print("\nMask structure: per-row density variation (coefficient of variation cv)")
    print(markdown(mask_structure_table(hw, seed=args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
