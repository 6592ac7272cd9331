"""SCNN against its paper, layer by layer (Parashar et al., ISCA 2017; the values transcribed in
accelsim/reference/parashar_2017 from its Figs 1 and 8-11 and Sec. 6): the paper's machines
(hwconfigs/scnn_isca2017.yaml, dcnn_isca2017.yaml) on AlexNet, GoogLeNet and VGG-16 at Fig. 1's densities
(accelsim.study.scnn_paper). Tolerances are the validation targets of docs/validation.md; a target the model
misses is a strict xfail giving the measured value (benchmarks/validate_scnn.py prints them all). AlexNet
runs in the default suite, the larger networks are slow."""
import numpy as np
import pandas as pd
import pytest
from conftest import HWCONFIGS, hw_variant

from accelsim.hardware import load_hardware
from accelsim.reference import scnn_reference
from accelsim.study.scnn_paper import FOUR_PES, density_sweep, paper_layers, validate

PAPER = scnn_reference("fig9_11_layers").set_index(["network", "layer"])



@pytest.fixture(scope="module")
def machines():
    return load_hardware(HWCONFIGS / "scnn_isca2017.yaml"), load_hardware(HWCONFIGS / "dcnn_isca2017.yaml")


@pytest.fixture(scope="module")
def alexnet(machines):
    return validate("alexnet", *machines).set_index("layer")


@pytest.fixture(scope="module")
def googlenet(machines):
    return validate("googlenet", *machines).set_index("layer")


def speedup_errors(simulated: pd.DataFrame, network: str) -> pd.Series:
    bars = [layer for layer in simulated.index if layer != "all"]
    paper = PAPER.loc[network].loc[bars, "speedup"]
    return (simulated.loc[bars, "speedup"] / paper - 1).abs()


def test_alexnet_network_speedup_within_ten_percent(alexnet):
    """Sec. 6.2: SCNN is 2.37x faster than DCNN on AlexNet."""
    assert alexnet.loc["all", "speedup"] == pytest.approx(2.37, rel=0.10)


def test_alexnet_layer_speedups(alexnet):
    """Fig. 9, conv1-conv5: median absolute error at most 15%, none above 35%."""
    errors = speedup_errors(alexnet, "alexnet")
    assert errors.median() <= 0.15
    assert errors.max() <= 0.35


UTILISATION_MISSES = {"conv2": "0.838 vs 0.953", "conv3": "0.427 vs 0.615", "conv4": "0.360 vs 0.523",
                      "conv5": "0.379 vs 0.531"}
IDLE_MISSES = {"conv1": "0.045 vs 0.165", "conv2": "0.290 vs 0.423"}


def _per_layer(misses):
    return [pytest.param(layer, marks=pytest.mark.xfail(strict=True, reason=f"measured {misses[layer]} (paper)"))
            if layer in misses else layer for layer in ("conv1", "conv2", "conv3", "conv4", "conv5")]


@pytest.mark.parametrize("layer", _per_layer(UTILISATION_MISSES))
def test_alexnet_multiplier_utilisation_within_a_tenth(alexnet, layer):
    """Fig. 10 (left axis): average multiplier utilisation per layer within 0.10 absolute."""
    assert abs(alexnet.loc[layer, "multiplier_utilisation"]
               - PAPER.loc[("alexnet", layer), "multiplier_utilisation"]) <= 0.10


@pytest.mark.parametrize("layer", _per_layer(IDLE_MISSES))
def test_alexnet_barrier_idle_within_a_tenth(alexnet, layer):
    """Fig. 10 (right axis): fraction of PE time idle at the inter-PE barrier within 0.10 absolute."""
    assert abs(alexnet.loc[layer, "barrier_idle_fraction"]
               - PAPER.loc[("alexnet", layer), "barrier_idle_fraction"]) <= 0.10


@pytest.mark.slow
def test_googlenet_network_speedup_within_ten_percent(googlenet):
    """Sec. 6.2: SCNN is 2.19x faster than DCNN on GoogLeNet."""
    assert googlenet.loc["all", "speedup"] == pytest.approx(2.19, rel=0.10)


@pytest.mark.slow
def test_googlenet_module_speedups(googlenet):
    """Fig. 9, IC_3a-IC_5b: median absolute error at most 15%, none above 35%."""
    errors = speedup_errors(googlenet, "googlenet")
    assert errors.median() <= 0.15
    assert errors.max() <= 0.35


@pytest.mark.slow
def test_late_inception_modules_use_under_a_fifth_of_the_multipliers(googlenet):
    """Sec. 6.2: fragmentation is worst in the last two inception modules, "under 20%" multiplier utilisation
    (Fig. 10: 0.196 and 0.195)."""
    assert googlenet.loc[["IC_5a", "IC_5b"], "multiplier_utilisation"].max() < 0.20


@pytest.mark.slow
def test_finer_pes_are_faster_at_equal_multipliers(machines):
    """Sec. 6.3: at 1,024 multipliers, 64 PEs of 4 x 4 are faster than 4 PEs of 16 x 16 on GoogLeNet (paper: 11%
    faster, utilisation 0.59 vs 0.35; we measure 35% and 0.48 vs 0.26, docs/validation.md), and keep their
    multipliers busier. The 4-PE machine: :data:`accelsim.study.scnn_paper.FOUR_PES`."""
    scnn, dcnn = machines
    coarse = hw_variant("scnn_isca2017.yaml", FOUR_PES)
    fine = validate("googlenet", scnn, dcnn).set_index("layer").loc["all"]
    four = validate("googlenet", coarse, dcnn).set_index("layer").loc["all"]
    assert fine.speedup > four.speedup
    assert fine.multiplier_utilisation > four.multiplier_utilisation


@pytest.mark.slow
def test_vgg16_network_speedup_within_fifteen_percent(machines):
    """Sec. 6.2: SCNN is 3.52x faster than DCNN on VGG-16."""
    assert validate("vgg16", *machines).set_index("layer").loc["all", "speedup"] == pytest.approx(3.52, rel=0.15)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured SCNN / DCNN latency 0.084 vs 0.045 at d = 0.1 (+86%), +26% at 0.5, "
                                       "+4% at 1.0; break-even near 0.76 (docs/validation.md)")
def test_density_sweep_within_ten_percent(machines):
    """Fig. 8: SCNN / DCNN latency on GoogLeNet at weight density = activation density = d, within 10% at every
    d; SCNN at full density about 1.27x DCNN's latency, break-even at 0.85 +- 0.05."""
    paper = scnn_reference("fig8_density_sweep").set_index("density")
    sweep = density_sweep(paper_layers("googlenet"), *machines, tuple(paper.index)).set_index("density")
    errors = (sweep.scnn_latency / paper.scnn_latency - 1).abs()
    assert errors.max() <= 0.10, errors.round(3).to_dict()
    break_even = np.interp(1.0, sweep.scnn_latency, sweep.index)      # latency rises with density
    assert break_even == pytest.approx(0.85, abs=0.05)
