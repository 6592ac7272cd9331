"""Eyeriss v2 against its paper (Chen et al., JETCAS 2019) and third-party per-layer counts: prints paper vs
simulated for every target of issue 19 (docs/eyeriss_v2.md holds the table this prints).

    .venv/bin/python benchmarks/validate_eyeriss_v2.py

Workloads and densities, with their sources:
* AlexNet: the zoo's Caffe AlexNet. Input-activation densities per layer: conv1-conv5 from SCNN (Parashar
  et al., ISCA 2017) Fig. 1 (AlexNet IA: 1.000, 0.936, 0.527, 0.389, 0.429), fc6-fc8 from EIE (Han et al.,
  ISCA 2016) Table III (35.1%, 35.3%, 37.5%). Eyeriss v2 uses its own ImageNet activations; these are the
  closest published per-layer figures (ASSUMPTION that they carry over).
* sparse AlexNet: per-layer weight density = Table III's compressed non-zeros / nominal weights of a PE's
  block (64/132, 86/320, 126/480, 100/288, 174/384, 92/384, 84/480, 170/480): ASSUMPTION that one block's
  density is the layer's.
* MobileNet-0.5 at 128: input densities of post-ReLU layers = 0.72, the mean of the four sparse
  MobileNet-0.5 layers the Sparseloop artifact gives (0.73, 0.83, 0.64, 0.68; ASSUMPTION for every layer,
  and for the dense model, whose activations the paper does not give); conv1's image input dense.
* sparse MobileNet: as MobileNet, pointwise and classifier weights at 0.60 (mean of the artifact's 0.52,
  0.64, 0.60, 0.65: ASSUMPTION), depthwise and conv1 dense (not pruned).
Energy: on-chip (the paper's post-layout chip simulation; DRAM excluded: ASSUMPTION) and with DRAM.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accelsim.hardware import load_hardware, parse_hardware  # noqa: E402
from accelsim.pruning import ActivationDensity, Masks, magnitude_mask, synthetic_weights  # noqa: E402
from accelsim.study.single import simulate, simulate_workload  # noqa: E402
from accelsim.workloads import zoo  # noqa: E402
from accelsim.workloads.files import read_workload  # noqa: E402

HW = ROOT / "hwconfigs" / "eyeriss_v2.yaml"
ALEXNET_ACTS = {"conv1": 1.0, "conv2": 0.936, "conv3": 0.527, "conv4": 0.389, "conv5": 0.429,
                "fc6": 0.351, "fc7": 0.353, "fc8": 0.375}
TABLE_III = {"conv1": 64 / 132, "conv2": 86 / 320, "conv3": 126 / 480, "conv4": 100 / 288, "conv5": 174 / 384,
             "fc6": 92 / 384, "fc7": 84 / 480, "fc8": 170 / 480}
MOBILENET_ACT = 0.72
MOBILENET_WEIGHT = 0.60
#: Table VI (batch 1): inferences/s, inferences/J, DRAM MB.
TABLE_VI = {"AlexNet": (102.1, 174.8, 71.9), "sparse AlexNet": (278.7, 664.6, 22.3),
            "MobileNet": (1282.1, 1969.8, 4.1), "sparse MobileNet": (1470.6, 2560.3, 3.9)}
PE_TRUTH = {"L07": 1702140, "L13": 1144158, "L21": 1677684, "L25": 948572}
DROPS = {"sparse AlexNet": 0.16, "sparse MobileNet": 0.24}


def _masks(model, density: dict[str, float]) -> Masks:
    return Masks({layer.name: magnitude_mask(synthetic_weights(layer, 0), 1 - density[layer.name])
                  for layer in model.layers if layer.name in density})


def workloads():
    """(label, model, weight masks or None, activation densities) of Table VI's four rows."""
    alexnet = zoo.build("alexnet")
    mobilenet = zoo.build("mobilenet", width=0.5, resolution=128)
    alex_acts = ActivationDensity(overrides=ALEXNET_ACTS)
    mb_acts = ActivationDensity(default=MOBILENET_ACT)
    pruned = {layer.name: MOBILENET_WEIGHT for layer in mobilenet.layers if layer.prunable}
    return [("AlexNet", alexnet, None, alex_acts), ("sparse AlexNet", alexnet, _masks(alexnet, TABLE_III), alex_acts),
            ("MobileNet", mobilenet, None, mb_acts), ("sparse MobileNet", mobilenet, _masks(mobilenet, pruned), mb_acts)]


def figures(result, hw) -> tuple[float, float, float, float]:
    """(inferences/s, inferences/J on chip, DRAM MB, inferences/J with DRAM) of one simulated inference."""
    total = result.total
    chip_pj = total["energy_pj"] - total["energy_dram_pj"]
    return (hw.clock_hz / total["cycles"], 1e12 / chip_pj,
            (total["dram_read_bytes"] + total["dram_write_bytes"]) / 1e6, 1e12 / total["energy_pj"])


def limited(bandwidth_gb_per_s: float):
    """Eyeriss v2 with its DRAM limited to ``bandwidth_gb_per_s``."""
    text = HW.read_text().replace("bandwidth_gb_per_s: 1000 ", f"bandwidth_gb_per_s: {bandwidth_gb_per_s} ")
    return parse_hardware(text, f"{HW.name} at {bandwidth_gb_per_s} GB/s")


def _row(what: str, paper: float, simulated: float) -> str:
    return f"| {what} | {paper:,.1f} | {simulated:,.1f} | {100 * (simulated / paper - 1):+.1f}% |"


def main() -> None:
    pe = load_hardware(ROOT / "hwconfigs" / "eyeriss_v2_pe.yaml")
    run = simulate_workload(read_workload(ROOT / "traces" / "eyeriss_v2_pe_layers.yaml"), pe)
    print("| one PE, 1 MAC: cycles | third-party | simulated | error |\n|---|---|---|---|")
    errors = []
    for name, row in run.layers.set_index("layer").iterrows():
        errors.append(abs(row["cycles"] / PE_TRUTH[name] - 1))
        print(_row(f"{name} (MAC-only bound {100 * (row['useful_macs'] / PE_TRUTH[name] - 1):+.1f}%)",
                   PE_TRUTH[name], row["cycles"]))
    print(f"median |error| {100 * np.median(errors):.1f}%, max {100 * max(errors):.1f}%\n")

    hw, slow = load_hardware(HW), limited(25.6)
    print("| Table VI | paper | simulated | error |\n|---|---|---|---|")
    for label, model, masks, acts in workloads():
        result = simulate(model, hw, masks=masks, activation_density=acts)
        fps, per_j, dram_mb, per_j_all = figures(result, hw)
        paper_fps, paper_j, paper_mb = TABLE_VI[label]
        print(_row(f"{label}: inferences/s", paper_fps, fps))
        print(_row(f"{label}: DRAM MB", paper_mb, dram_mb))
        print(_row(f"{label}: inferences/J (chip; with DRAM {per_j_all:,.1f})", paper_j, per_j))
        if label in DROPS:
            slow_fps = figures(simulate(model, slow, masks=masks, activation_density=acts), slow)[0]
            print(f"| {label}: drop at 25.6 GB/s | {100 * DROPS[label]:.0f}% | {100 * (1 - slow_fps / fps):.1f}% | |")


if __name__ == "__main__":
    main()
