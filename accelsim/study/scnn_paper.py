"""SCNN and DCNN on the SCNN paper's networks at the paper's densities (layer 7; ``docs/validation.md``).

Parashar et al., ISCA 2017 prune AlexNet, GoogLeNet and VGG-16 and report, per layer, the input-activation
and weight densities (Fig. 1) and SCNN's speedup over DCNN, multiplier utilisation, barrier idle time and
energy (Figs 9-11; ``accelsim.reference.scnn_reference``). This module runs the same layers on
``hwconfigs/scnn_isca2017.yaml`` and ``dcnn_isca2017.yaml`` with uniform random weight masks (magnitude
masks of seeded synthetic weights) and activation masks at those densities, and aggregates as the paper
groups its bars.

Which layers run: AlexNet conv1-conv5 (Table 1: 5 conv layers), VGG-16 conv1_1-conv5_3 (13), GoogLeNet's 54
convolutions of its nine inception modules (Table 1: "54 conv layers"; the stem's three are not among them).
Fully connected layers are not in the paper's per-layer bars.

Densities the paper does not give (ASSUMPTION): Fig. 1 shows GoogLeNet's modules 3a and 5b only; a layer of
modules 3b-5a takes, for weights and activations alike, the linear interpolation between its branch's 3a and
5b values by the module's position (3a = 0, 3b = 1/8, ..., 5b = 1). The text supports the trend, not the
shape: densities fall with depth ("as low as 30%", Sec. 2).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from accelsim.hardware.schema import HardwareConfig
from accelsim.pruning import ActivationDensity, Masks, magnitude_mask, synthetic_weights
from accelsim.reference import scnn_reference
from accelsim.study.single import simulate
from accelsim.workloads import zoo
from accelsim.workloads.layers import Conv2D
from accelsim.workloads.model import Model

NETWORKS = ("alexnet", "googlenet", "vgg16")

#: Sec. 6.3's coarsest machine as changes to scnn_isca2017.yaml: the same 1,024 multipliers as 4 PEs of 16 x 16,
#: each PE's storage grown with its multipliers (ASSUMPTION: the paper gives no other): A = 2 F I banks of 32
#: entries as in Table 3, the FIFO and the activation RAMs 16 times larger.
FOUR_PES = {"pe_array.rows": 2, "pe_array.cols": 2, "pe.multipliers_f": 16, "pe.multipliers_i": 16,
            "pe.accumulator_banks": 512, "pe.weight_fifo_entries": 3200,
            "buffers.iaram.size_bytes": 163840, "buffers.oaram.size_bytes": 163840}

#: GoogLeNet's inception modules in order; Fig. 1 gives the densities of the first and the last.
MODULES = ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")


@dataclass(frozen=True)
class Densities:
    """Per-layer weight and input-activation density (fractions of non-zeros) of the layers that run."""

    weights: dict[str, float]
    activations: dict[str, float]


def paper_layers(network: str) -> Model:
    """The layers of ``network`` the paper's per-layer results cover, as a model of those layers only."""
    model = zoo.build(network)
    if network == "googlenet":
        keep = [layer for layer in model.inference_layers if layer.name.startswith("inception_")]
    else:
        keep = [layer for layer in model.inference_layers if isinstance(layer, Conv2D)]
    return Model(name=f"{network}_conv", family=model.family, layers=tuple(keep), options=model.options)


def paper_densities(network: str, model: Model) -> Densities:
    """Fig. 1's densities for every layer of ``model`` (GoogLeNet 3b-5a interpolated, module docstring)."""
    fig1 = scnn_reference("fig1_densities")
    fig1 = fig1[fig1.network == network].set_index("layer")
    weights, activations = {}, {}
    for layer in model.layers:
        if layer.name in fig1.index:
            row = fig1.loc[layer.name]
            weights[layer.name], activations[layer.name] = row.weight_density, row.input_activation_density
            continue
        module, branch = layer.name.removeprefix("inception_").split("/")
        first, last = fig1.loc[f"inception_3a/{branch}"], fig1.loc[f"inception_5b/{branch}"]
        share = MODULES.index(module) / (len(MODULES) - 1)
        weights[layer.name] = float(first.weight_density + share * (last.weight_density - first.weight_density))
        activations[layer.name] = float(first.input_activation_density
                                        + share * (last.input_activation_density - first.input_activation_density))
    return Densities(weights, activations)


def weight_masks(model: Model, densities: Mapping[str, float], seed: int) -> Masks:
    """Uniform random weight masks: magnitude masks of the seeded synthetic weights at each layer's density."""
    return Masks({layer.name: magnitude_mask(synthetic_weights(layer, seed), 1.0 - densities[layer.name])
                  for layer in model.prunable_layers})


def run_layers(model: Model, densities: Densities, scnn: HardwareConfig, dcnn: HardwareConfig,
               seed: int = 0) -> pd.DataFrame:
    """One row per layer: SCNN's and DCNN's cycles, energies (pJ), useful products, SCNN's multiplier-cycles
    busy (useful products / its ``busy_multiplier_utilization``) and details."""
    masks = weight_masks(model, densities.weights, seed)
    acts = ActivationDensity(overrides=densities.activations)
    sparse = simulate(model, scnn, masks=masks, activation_density=acts, seed=seed).layers.set_index("layer")
    dense = simulate(model, dcnn, activation_density=acts, seed=seed).layers.set_index("layer")
    busy_multiplier_cycles = sparse.useful_macs / sparse.busy_multiplier_utilization
    return pd.DataFrame({
        "scnn_cycles": sparse.cycles, "dcnn_cycles": dense.cycles,
        "scnn_energy_pj": sparse.energy_pj, "dcnn_energy_pj": dense.energy_pj,
        "useful_macs": sparse.useful_macs, "macs": sparse.macs,
        "busy_multiplier_cycles": busy_multiplier_cycles,
        "barrier_idle_fraction": sparse.barrier_idle_fraction,
        "conflict_cycles_per_pe": sparse.stall_conflict_cycles_per_pe,
        "memory_stall_cycles_per_pe": sparse.stall_memory_cycles_per_pe,
    })


def _lanes(hw: HardwareConfig) -> int:
    """Multipliers per PE (F x I)."""
    return hw.pe.multipliers_f * hw.pe.multipliers_i


def group_of(network: str, layer: str) -> str:
    """The bar of the paper's Figs 9-11 a layer belongs to: its name, or ``IC_3a`` for a GoogLeNet module."""
    if network == "googlenet":
        return "IC_" + layer.removeprefix("inception_").split("/")[0]
    return layer


def summarise(network: str, layers: pd.DataFrame, multipliers: int) -> pd.DataFrame:
    """The paper's bars from per-layer rows: per group (layer or inception module) and ``all``: speedup
    (DCNN cycles / SCNN cycles), oracle speedup (DCNN cycles / (useful products / ``multipliers``)),
    multiplier utilisation (useful products / multiplier-cycles busy), barrier idle fraction (weighted by
    SCNN cycles), energy ratio (SCNN / DCNN)."""
    frame = layers.assign(group=[group_of(network, name) for name in layers.index],
                          idle_cycles=layers.barrier_idle_fraction * layers.scnn_cycles)
    groups = list(dict.fromkeys(frame.group))
    rows = []
    for name, part in [(g, frame[frame.group == g]) for g in groups] + [("all", frame)]:
        rows.append({
            "network": network, "layer": name,
            "speedup": part.dcnn_cycles.sum() / part.scnn_cycles.sum(),
            "oracle_speedup": part.dcnn_cycles.sum() / (part.useful_macs.sum() / multipliers),
            "multiplier_utilisation": part.useful_macs.sum() / part.busy_multiplier_cycles.sum(),
            "barrier_idle_fraction": part.idle_cycles.sum() / part.scnn_cycles.sum(),
            "energy_ratio": part.scnn_energy_pj.sum() / part.dcnn_energy_pj.sum(),
        })
    return pd.DataFrame(rows)


def validate(network: str, scnn: HardwareConfig, dcnn: HardwareConfig, seed: int = 0) -> pd.DataFrame:
    """:func:`summarise` of ``network`` at the paper's densities."""
    model = paper_layers(network)
    layers = run_layers(model, paper_densities(network, model), scnn, dcnn, seed)
    return summarise(network, layers, _lanes(scnn) * scnn.pe_array.rows * scnn.pe_array.cols)


def with_paper(simulated: pd.DataFrame) -> pd.DataFrame:
    """``simulated`` beside the paper's values (``paper_<column>``) where Figs 9-11 give them."""
    paper = scnn_reference("fig9_11_layers").rename(columns={"energy_scnn": "energy_ratio"})
    paper = paper.drop(columns=["energy_dcnn_opt"]).rename(
        columns={c: f"paper_{c}" for c in paper.columns if c not in ("network", "layer")})
    return simulated.merge(paper, on=["network", "layer"], how="left")


def uniform_densities(model: Model, density: float) -> Densities:
    """Every layer at ``density`` for weights and activations alike (the paper's Fig. 8 sweep)."""
    return Densities({layer.name: density for layer in model.layers},
                     {layer.name: density for layer in model.layers})


def density_sweep(model: Model, scnn: HardwareConfig, dcnn: HardwareConfig, densities: tuple[float, ...],
                  seed: int = 0) -> pd.DataFrame:
    """Fig. 8: SCNN's latency and energy relative to DCNN at weight density = activation density = d."""
    rows = []
    for d in densities:
        layers = run_layers(model, uniform_densities(model, d), scnn, dcnn, seed)
        rows.append({"density": d, "scnn_latency": layers.scnn_cycles.sum() / layers.dcnn_cycles.sum(),
                     "scnn_energy": layers.scnn_energy_pj.sum() / layers.dcnn_energy_pj.sum()})
    return pd.DataFrame(rows)


__all__ = ["FOUR_PES", "NETWORKS", "Densities", "density_sweep", "paper_densities", "paper_layers", "run_layers",
           "summarise",
           "uniform_densities", "validate", "weight_masks", "with_paper"]
