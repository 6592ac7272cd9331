"""accelsim sensitivity: the flip point of each energy figure, against closed forms worked out by hand.

One design against another: the verdict E_a < E_b under a figure scaled by k flips at
k* = 1 - (E_b - E_a) / (e_b - e_a) (e: the energy the figure contributes). Sets of designs: the best of each
set is a lower envelope of lines, and the flip is where the envelopes meet (worked out below case by case).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from accelsim.errors import InputError
from accelsim.study.sensitivity import flip_factors, sensitivity


def test_one_design_each_flips_where_the_lines_cross():
    # a wins (100 < 120); the figure is 40 pJ of a's energy and 80 of b's: lowering it helps b most.
    # by hand: 100 - 40 t = 120 - 80 t at t = 1/2, k = 1 - t = 0.5 (both 80 pJ there); raising never flips
    down, up = flip_factors([100], [40], [120], [80])
    assert down == pytest.approx(0.5, rel=1e-12) and math.isnan(up)
    # the figure is 60 pJ of a's and 20 of b's: raising it by k flips at 100 + 60 (k-1) = 120 + 20 (k-1), k = 1.5
    down, up = flip_factors([100], [60], [120], [20])
    assert math.isnan(down) and up == pytest.approx(1.5, rel=1e-12)


def test_no_flip_for_an_equal_share_or_below_zero():
    assert all(math.isnan(k) for k in flip_factors([100], [30], [120], [30]))     # parallel lines
    # b's share 50: at k = 0 b spends 70 < a's 80, so it flips, at k = 1 - 20 / 30 = 1/3. With b's share 25:
    # at k = 0 b still spends 95 > 80; the lines cross at k = 1 - 20 / 5 = -3, no energy figure is negative
    assert flip_factors([100], [20], [120], [50])[0] == pytest.approx(1 / 3, rel=1e-12)
    assert all(math.isnan(k) for k in flip_factors([100], [20], [120], [25]))


def test_the_best_of_a_set_is_an_envelope():
    # sparse: A1 100 + 0 (k-1), A2 90 + 50 (k-1); dense: B 95 + 80 (k-1). At k = 1 A2 (90) beats B (95).
    # Lowering: A2 = 90 - 50 t, B = 95 - 80 t meet at t = 1/6, k = 5/6 (A1 = 100 is above both there).
    # Raising: B grows faster than A2; B crosses A1 at k = 1 + 5/80, but A2 (93.1) is the best sparse design
    # there, so the verdict does not flip: no up factor.
    down, up = flip_factors([100, 90], [0, 50], [95], [80])
    assert down == pytest.approx(5 / 6, rel=1e-12) and math.isnan(up)
    # sparse: A 100 + 20 (k-1); dense: B1 110 + 100 (k-1), B2 130 + 0 (k-1). Raising: B1 runs away, A meets the
    # flat B2 at 100 + 20 (k-1) = 130, k = 2.5. Lowering: B1 = 110 - 100 t meets A = 100 - 20 t at t = 1/8.
    down, up = flip_factors([100], [20], [110, 130], [100, 0])
    assert down == pytest.approx(0.875, rel=1e-12) and up == pytest.approx(2.5, rel=1e-12)


def test_stored_actions_add_up_to_the_dynamic_energy():
    # an identity of the energy model (energy = sum of count x pJ), on a real simulation's summary
    import accelsim as acs
    from accelsim.reports.writers import summary_dict
    result = acs.simulate(acs.zoo.mobilenet_v1(width=0.25, resolution=32), acs.load_hardware(
        Path(__file__).resolve().parent.parent / "hwconfigs" / "scnn_like.yaml"), sparsity=0.5)
    actions = summary_dict(result)["actions"]
    assert all(a["energy_pj"] == a["count"] * a["pj_each"] for a in actions.values())
    assert sum(a["energy_pj"] for a in actions.values()) == pytest.approx(result.total["energy_dynamic_pj"], rel=1e-12)


def _point(folder: Path, key: str, energy: float, latency: float, actions: dict, static_pj: float) -> None:
    total = {"energy_pj": energy, "latency_s": latency, "static_mac_pj": static_pj}
    (folder / "points" / f"{key}.json").write_text(json.dumps({"totals": total, "metadata": {}, "actions": {
        name: {"count": count, "pj_each": pj, "energy_pj": count * pj} for name, (count, pj) in actions.items()}}))


def _compare_folder(folder: Path) -> Path:
    """A comparison of one small-dense and one large-sparse model on one machine, written by hand: dense
    1000 MACs at 2 pJ + 100 DRAM bytes at 10 pJ + 1000 pJ leakage = 4000 pJ; sparse 300 MACs + 250 DRAM
    bytes + 500 pJ leakage (it is faster) = 600 + 2500 + 500 = 3600 pJ."""
    (folder / "points").mkdir(parents=True)
    (folder / ".accelsim").write_text("compare\n")
    _point(folder, "dense", 4000, 1e-6, {"mac.op": (1000, 2.0), "dram.read_bytes": (100, 10.0)}, 1000)
    _point(folder, "sparse", 3600, 0.5e-6, {"mac.op": (300, 2.0), "dram.read_bytes": (250, 10.0)}, 500)
    pd.DataFrame([
        {"point": "dense", "model": "small", "sparsity": 0.0, "hardware": "m", "kind": "small-dense", "model_mb": 1.0},
        {"point": "sparse", "model": "large", "sparsity": 0.9, "hardware": "m", "kind": "large-sparse",
         "model_mb": 1.1}]).to_csv(folder / "compare.csv", index=False)
    return folder


def test_a_comparison_by_hand(tmp_path):
    table = sensitivity(_compare_folder(tmp_path / "cmp")).set_index("parameter")
    energy = table[table["objective"] == "energy"]
    # large-sparse wins by 400 pJ. MACs: 600 pJ (sparse) vs 2000 (dense): lowering them helps sparse;
    # raising, 3600 + 600 (k-1) = 4000 + 2000 (k-1)... never (dense loses more); lowering: k = 1 - 400/1400.
    mac = energy.loc["energy.dynamic.mac.op"]
    assert mac["winner"] == "large-sparse" and math.isnan(mac["flip_factor_up"])
    assert mac["flip_factor_down"] == pytest.approx(1 - 400 / 1400, rel=1e-12)
    assert mac["flip_value_down"] == pytest.approx(2.0 * (1 - 400 / 1400), rel=1e-12)     # pJ per MAC
    # DRAM: 2500 vs 1000 pJ: raising by k = 1 + 400/1500 flips it (sparse moves more bytes)
    dram = energy.loc["energy.dynamic.dram.read_bytes"]
    assert dram["flip_factor_up"] == pytest.approx(1 + 400 / 1500, rel=1e-12) and math.isnan(dram["flip_factor_down"])
    # leakage: 500 vs 1000 pJ over 0.5 and 1 us, the same 1 mW; lowering to k = 1 - 400/500 = 0.2 flips it
    leak = energy.loc["energy.static.mac"]
    assert leak["value"] == pytest.approx(1.0) and leak["flip_factor_down"] == pytest.approx(0.2, rel=1e-12)
    latency = table[table["objective"] == "latency"]
    assert list(latency["winner"]) == ["large-sparse"] and latency["margin"].iloc[0] == pytest.approx(1.0)
    assert (tmp_path / "cmp" / "sensitivity.csv").is_file()


def test_a_folder_without_action_counts_is_refused(tmp_path):
    folder = _compare_folder(tmp_path / "old")
    stored = json.loads((folder / "points" / "dense.json").read_text())
    del stored["actions"]
    (folder / "points" / "dense.json").write_text(json.dumps(stored))
    with pytest.raises(InputError, match="no action counts"):
        sensitivity(folder)
    assert not (folder / "sensitivity.csv").exists()


def test_tornado_figure(tmp_path):
    from accelsim.plots.directory import _tornado_jobs
    folder = _compare_folder(tmp_path / "cmp")
    sensitivity(folder)
    jobs = _tornado_jobs(folder)
    assert [stem for stem, _ in jobs] == ["sensitivity_1"]
    figure = jobs[0][1]()
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    # nearest flip on top: DRAM (k = 1.27, |ln k| = 0.24), then MACs (0.71: 0.34), then leakage (0.2: 1.61)
    assert labels == ["static.mac", "dynamic.mac.op", "dynamic.dram.read_bytes"]
