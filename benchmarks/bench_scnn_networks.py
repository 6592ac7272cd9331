"""SCNN on the paper's networks (Parashar et al., ISCA 2017): the time of one whole-network simulation on
hwconfigs/scnn_isca2017.yaml at Fig. 1's densities (accelsim.study.scnn_paper), one core, fresh process
(imports and mask drawing included); then GoogLeNet at weight = activation density 0.3 and 0.9 (simulation
time falls with the non-zero products).

Targets (issue 17): AlexNet (conv1-5) <= 5 s, GoogLeNet (54 convolutions) <= 10 s, VGG-16 (13) <= 60 s. The test
suite asserts no time: this is the only place the speed is measured.

    .venv/bin/python benchmarks/bench_scnn_networks.py
"""
from __future__ import annotations

import sys

from common import ROOT, measure, report

TARGETS = {"alexnet": 5.0, "googlenet": 10.0, "vgg16": 60.0}


def simulate_once(network: str, density: str) -> None:
    """Simulate ``network``'s paper layers on SCNN once (Fig. 1's densities, or ``density`` for both)."""
    sys.path.insert(0, str(ROOT))
    from accelsim.hardware import load_hardware
    from accelsim.pruning import ActivationDensity
    from accelsim.study.scnn_paper import paper_densities, paper_layers, uniform_densities, weight_masks
    from accelsim.study.single import simulate

    model = paper_layers(network)
    densities = paper_densities(network, model) if density == "paper" else uniform_densities(model, float(density))
    simulate(model, load_hardware(ROOT / "hwconfigs" / "scnn_isca2017.yaml"),
             masks=weight_masks(model, densities.weights, 0),
             activation_density=ActivationDensity(overrides=densities.activations))


def main() -> int:
    if len(sys.argv) == 3:
        simulate_once(*sys.argv[1:])
        return 0
    result = {"targets_wall_s": TARGETS}
    for network in TARGETS:
        result[network] = measure([sys.executable, __file__, network, "paper"])
    for density in ("0.3", "0.9"):
        result[f"googlenet_density_{density}"] = measure([sys.executable, __file__, "googlenet", density])
    report("scnn_networks", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
