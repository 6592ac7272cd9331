"""The density sweep of docs/scnn.md ("Calibration"): SCNN against DCNN on the GoogLeNet-like stack of
``tests/test_scnn.py::googlenet_like(1)``, weight and activation densities set equal, uniformly random masks
(seed 0), the shipped ``scnn_like.yaml`` and ``dcnn.yaml``. Prints the Markdown table."""
from __future__ import annotations

import sys


from common import ROOT

sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    import accelsim as acs
    from accelsim.accelerators.engines import engine_for
    from accelsim.energy.model import energy
    from accelsim.energy.table import EnergyTable
    from accelsim.pruning import activation_mask
    from test_scnn import googlenet_like, random_mask

    stack = googlenet_like(1)
    machines = {name: acs.load_hardware(ROOT / "hwconfigs" / f"{name}.yaml") for name in ("scnn_like", "dcnn")}

    def run(name, density):
        hw = machines[name]
        engine, table = engine_for(hw), EnergyTable.from_config(hw)
        cycles = bound = conflicts = busy = dynamic = 0.0
        for i, layer in enumerate(stack):
            program = engine.compile(layer, random_mask(layer.weight_shape, density, (0, i)),
                                     activation_mask(layer, density, 0))
            result = engine.execute(program)
            cycles += result.cycles
            bound += program.compute_bound_cycles
            conflicts += result.stall_conflict_cycles
            busy += result.busy_cycles
            dynamic += sum(energy(result.counts, table, result.cycles, hw.clock_hz).dynamic_pj.values())
        return cycles, bound, conflicts / busy, dynamic

    dense = run("dcnn", 1.0)
    print("| density (w = a) | SCNN / DCNN speed, simulated | compute-bound | SCNN / DCNN dynamic energy | "
          "conflict cycles / SCNN busy |")
    print("|---|---|---|---|---|")
    for density in (1.0, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1):
        cycles, bound, conflict, dynamic = run("scnn_like", density)
        print(f"| {density} | {dense[0] / cycles:.2f} | {dense[1] / bound:.2f} | {dynamic / dense[3]:.2f} | "
              f"{conflict:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
