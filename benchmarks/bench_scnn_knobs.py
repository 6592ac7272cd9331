"""SCNN's hardware knobs doubled one at a time (issue 16): MobileNet v1 1.0 at 90% weight sparsity (seed 0,
default activation densities) on ``hwconfigs/scnn_like.yaml`` and on the same file with one knob doubled;
cycles before and after, which must not increase. Also DCNN-shaped dense layers at F = 4, 5 and 8.
Prints a Markdown table (docs/scnn.md, "Knobs doubled")."""
from __future__ import annotations

import sys

import yaml

from common import ROOT

from accelsim.hardware.variants import variant

KNOBS = ("pe_array.rows", "pe_array.cols", "pe.multipliers_f", "pe.multipliers_i", "pe.accumulator_banks",
         "pe.accumulator_entries", "pe.weight_fifo_entries", "buffers.iaram.size_bytes",
         "buffers.oaram.size_bytes", "dram.bandwidth_gb_per_s")


def doubled(data: dict, path: str):
    """The machine ``data`` with the value at ``path`` doubled."""
    node = data
    for key in path.split("."):
        node = node[key]
    return variant(data, {path: 2 * node}, f"scnn_like ({path} x 2)")


def main() -> int:
    import accelsim as acs
    data = yaml.safe_load((ROOT / "hwconfigs" / "scnn_like.yaml").read_text())
    model = acs.zoo.mobilenet_v1(1.0)
    masks = acs.prune(model, 0.9, seed=0)
    base = acs.simulate(model, variant(data, {}, "scnn_like"), masks=masks).total["cycles"]
    print("| knob doubled | cycles before | cycles after | after / before |")
    print("|---|---|---|---|")
    worse = 0
    for knob in KNOBS:
        after = acs.simulate(model, doubled(data, knob), masks=masks).total["cycles"]
        worse += after > base
        print(f"| `{knob}` | {base:,} | {after:,} | {after / base:.3f} |", flush=True)
    print()
    print("| dense layer, multipliers F x I | banks | cycles | compute-bound cycles |")
    print("|---|---|---|---|")
    from accelsim.accelerators.engines import engine_for
    from accelsim.workloads.layers import Conv2D
    layer = Conv2D("dense3x3", in_channels=64, out_channels=64, kernel_h=3, kernel_w=3, in_h=56, in_w=56,
                   padding=(1, 1, 1, 1))
    for f, i in ((4, 4), (5, 4), (8, 4), (8, 8)):
        for banks in (32, 2 * f * i):
            engine = engine_for(variant(data, {"pe.multipliers_f": f, "pe.multipliers_i": i,
                                               "pe.accumulator_banks": banks}, f"scnn_like ({f} x {i}, {banks} banks)"))
            program = engine.compile(layer)
            print(f"| {f} x {i} | {banks} | {engine.execute(program).cycles:,} | {program.compute_bound_cycles:,} |",
                  flush=True)
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
