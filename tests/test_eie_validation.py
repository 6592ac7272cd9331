"""The EIE model against its paper, Han et al., "EIE: Efficient Inference Engine on Compressed Deep Neural
Network", ISCA 2016: Table IV (time per layer, within 10%) and Fig. 8 (load-balance efficiency per layer and
FIFO depth, within 0.08), the paper's values from :mod:`accelsim.reference` (``han_2016/``), the simulation
from benchmarks/validate_eie.py (eie_like, seeded uniform masks at Table III's densities, seed 0). A target
the model does not reach is an xfail stating what was measured; docs/validation.md (section "EIE") discusses each."""
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

from accelsim.accelerators.eie.schedule import fifo_schedule
from accelsim.pruning import rounded_count
from accelsim.reference import eie_fig8, eie_table_iv

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_validation():
    path = ROOT / "benchmarks" / "validate_eie.py"
    spec = importlib.util.spec_from_file_location("validate_eie", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


val = _load_validation()
PAPER_TIME = eie_table_iv().set_index("layer")
PAPER_FIG8 = eie_fig8()

#: Layers whose plan takes seconds (long inputs: 9216 and 25,088 columns): their targets run with -m slow.
SLOW_LAYERS = {"Alex-6", "VGG-6"}
#: Table IV targets the model misses, as measured (seed 0): simulated vs the paper's actual time.
TIME_MISSES = {
    "Alex-8": "measured 8.13 us vs paper 9.9 us (-17.8%): Table III's densities give 7.49 us of entries "
              "(no padding is possible in 16-row slices) against the paper's theoretical 8.9 us",
    "VGG-6": "measured 25.38 us vs paper 34.4 us (-26.2%): our entries take 22.94 us against the paper's "
             "theoretical 28.1 us, and our efficiency at depth 8 is 0.904 against 0.807",
    "NT-LSTM": "measured 6.62 us vs paper 7.5 us (-11.7%): efficiency at depth 8 0.945 vs the paper's 0.869",
}
#: Fig. 8 targets the model misses, as measured (seed 0): the worst depth, simulated vs paper.
FIG8_MISSES = {
    "Alex-7": "measured 0.568 vs paper 0.662 at depth 1 (-0.094)",
    "VGG-6": "measured 0.745 vs paper 0.635 at depth 2 (+0.110), 0.851 vs 0.745 at 4, 0.904 vs 0.807 at 8",
    "NT-We": "measured 0.453 vs paper 0.353 at depth 2 (+0.100)",
    "NT-Wd": "measured 0.544 vs paper 0.807 at depth 1 (-0.263), 0.819 vs 0.903 at 2",
}


def _layer_params(misses: dict[str, str]):
    params = []
    for paper in val.TABLE_III:
        marks = [pytest.mark.slow] if paper.name in SLOW_LAYERS else []
        if paper.name in misses:
            marks.append(pytest.mark.xfail(strict=True, reason=misses[paper.name]))
        params.append(pytest.param(paper.name, marks=marks, id=paper.name))
    return params


@pytest.fixture(scope="module")
def hw():
    return val.eie_like()


_PLANS = {}


@pytest.fixture
def plan_of(hw):
    """The plan of a Table III layer on eie_like (uniform masks, seed 0), made once per module."""
    def plan(name):
        if name not in _PLANS:
            _PLANS[name] = val.plans(hw, seed=0, names=(name,))[name]
        return _PLANS[name]
    return plan


def test_the_benchmark_layers_are_table_iii():
    """traces/eie_benchmarks.yaml against Han et al. 2016 Table III: size (in, out), weight % and
    activation %, one matrix-vector product at batch 1."""
    table_iii = {"Alex-6": (9216, 4096, 9, 35.1), "Alex-7": (4096, 4096, 9, 35.3),
                 "Alex-8": (4096, 1000, 25, 37.5), "VGG-6": (25088, 4096, 4, 18.3),
                 "VGG-7": (4096, 4096, 4, 37.5), "VGG-8": (4096, 1000, 23, 41.1),
                 "NT-We": (4096, 600, 10, 100), "NT-Wd": (600, 8791, 11, 100), "NT-LSTM": (1201, 2400, 10, 100)}
    got = {p.name: (p.layer.in_features, p.layer.out_features, round(p.weight_density * 100, 1),
                    round(p.activation_density * 100, 1)) for p in val.TABLE_III}
    assert got == table_iii
    assert all(p.layer.steps == 1 for p in val.TABLE_III)
    assert list(PAPER_TIME.index) == list(PAPER_FIG8.index) == list(table_iii)


def test_the_paper_reports_actual_time_as_theoretical_over_fig8_efficiency():
    """Paper Table IV and Fig. 8 (no simulation): actual / theoretical time equals 1 / the load-balance
    efficiency at the chosen depth 8, within 0.016 on all nine layers. So the paper's efficiency is workload
    cycles (entries processed, the theoretical time) over total cycles: the definition the model uses."""
    implied = PAPER_TIME["theoretical_us"] / PAPER_TIME["actual_us"]
    np.testing.assert_allclose(implied, PAPER_FIG8.loc[implied.index, 8], atol=0.016)


def test_simulated_time_is_entries_over_efficiency(hw, plan_of):
    """The same identity in the model, NT-We: time = entries processed / (64 PEs x 800 MHz) / efficiency,
    up to the pipeline's fill and drain (9 cycles)."""
    plan = plan_of("NT-We")
    program = plan.program()
    entries = program.counts.get(("mac", "op")) + program.counts.get(("mac", "padding_op"))
    cycles = val.EieEngine(hw).execute(program).cycles
    assert cycles == pytest.approx(entries / 64 / program.details["load_balance_efficiency"] + 9, abs=1)


@pytest.mark.parametrize("name", _layer_params(TIME_MISSES))
def test_table_iv_time_within_10_percent(hw, plan_of, name):
    """Paper Table IV, EIE actual time (us) on 64 PEs at FIFO 8, within 10%."""
    ours = val.time_us(plan_of(name), hw)
    assert ours == pytest.approx(PAPER_TIME.loc[name, "actual_us"], rel=val.TIME_TOLERANCE)


@pytest.mark.parametrize("name", _layer_params(FIG8_MISSES))
def test_fig8_efficiency_within_0_08_at_every_depth(plan_of, name):
    """Paper Fig. 8, load-balance efficiency at FIFO depths 1-256 on 64 PEs, each within 0.08."""
    plan = plan_of(name)
    ours = np.array([plan.load_balance_efficiency(d) for d in val.DEPTHS])
    np.testing.assert_allclose(ours, PAPER_FIG8.loc[name, list(val.DEPTHS)], atol=val.EFFICIENCY_TOLERANCE,
                               rtol=0)


def test_alex8_has_no_padding_and_less_work_than_the_paper(hw, plan_of):
    """Why Alex-8 misses: 1000 rows over 64 PEs leave at most 16 rows per column slice, so no zero run
    reaches 16 and no padding is stored: the entries are exactly the useful products, 4096 x 1000 x 25% x
    37.5% / 64 / 800 MHz = 7.5 us, while the paper's theoretical time (Table IV) is 8.9 us, 19% more."""
    table = val.table_iv(hw, {"Alex-8": plan_of("Alex-8")}).set_index("layer")
    useful_us = 4096 * 1000 * 0.25 * 0.375 / 64 / 800
    assert table.loc["Alex-8", "ours_theoretical_us"] == pytest.approx(useful_us, rel=0.01)
    assert PAPER_TIME.loc["Alex-8", "theoretical_us"] / useful_us == pytest.approx(1.19, abs=0.01)


@pytest.mark.slow
def test_vgg6_stores_fewer_entries_than_the_paper_processes(hw, plan_of):
    """Why VGG-6 misses: uniform masks at 4% store 18% fewer entries (padding included) than the paper's
    theoretical time implies (22.9 vs 28.1 us of work), besides a higher efficiency (0.90 vs 0.81)."""
    table = val.table_iv(hw, {"VGG-6": plan_of("VGG-6")}).set_index("layer")
    assert table.loc["VGG-6", "ours_theoretical_us"] < 0.85 * PAPER_TIME.loc["VGG-6", "theoretical_us"]


def test_nt_we_is_slow_because_an_empty_column_costs_a_cycle(hw, plan_of):
    """NT-We (600 rows: 9-10 per PE at 10%, one entry per column on average): a PE spends a cycle on every
    broadcast column even when its slice of it is empty (the pointer-read stage takes one column a cycle).
    That cycle is a bubble in the paper's measure (no entry in the multiplier), so efficiency at depth 8 is
    near the paper's 0.662; without the cycle the layer would be more than 15% below the paper's time."""
    plan = plan_of("NT-We")
    stored = plan.works[0].matrix.stored[0]                      # (columns, PEs), every column is active
    free_empty = fifo_schedule(stored, 8).total[0]
    assert free_empty < 0.9 * plan.schedule().total[0]
    assert free_empty / 800 < 0.85 * PAPER_TIME.loc["NT-We", "actual_us"]
    assert plan.load_balance_efficiency(8) == pytest.approx(PAPER_FIG8.loc["NT-We", 8], abs=0.03)


def test_row_density_variation_caps_what_fifos_can_do(hw):
    """Sensitivity to mask structure: per-row densities with a coefficient of variation cv (Beta-distributed;
    magnitude-pruning masks of exact count) give PEs persistently unequal work, which no FIFO evens out, so
    efficiency is lower at every depth from 4 on and stops improving sooner (gain past depth 8 under 1 point
    at cv 0.5)."""
    table = val.mask_structure_table(hw, cvs=(0.0, 0.5), depths=(1, 4, 8, 256))
    uniform, varied = table.iloc[0], table.iloc[1]
    assert (varied[[4, 8, 256]] < uniform[[4, 8, 256]] - 0.02).all()
    assert varied[256] - varied[8] < 0.01
    paper = val.paper_layer("Alex-7")
    mask, _ = val.row_varied_masks(paper, 0.5, seed=0)
    assert mask.sum() == rounded_count(paper.weight_density, mask.size)
    row_density = mask.mean(axis=1)
    assert row_density.std() / row_density.mean() == pytest.approx(0.5, abs=0.05)


@pytest.mark.slow
def test_nt_we_scales_worst_with_pes():
    """Paper Sec. VII-B (Fig. 11): scaling is near-linear for every benchmark except NT-We (600 rows), which
    suffers serious load imbalance at 64 PEs and more: its gain from 64 to 256 PEs is the smallest of the
    nine, and under half of the 4x more PEs."""
    times = val.scaling(pe_counts=(64, 256))
    gain = times[64] / times[256]
    assert gain.idxmin() == "NT-We"
    assert gain["NT-We"] < 2
