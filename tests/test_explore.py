"""accelsim explore: the space file, the search's determinism and resumption, the front, the figures.

The Pareto front is checked against a front worked out by hand on a small table; determinism and resumption
against the search itself (the same seed twice; a search stopped after one generation and run again).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from accelsim.errors import InputError
from accelsim.study import constraints
from accelsim.study import space as space_module

TINY = """\
hardware:
  base: scnn_like.yaml
  keys:
    pe_array.rows: {choices: [2, 4]}
    dram.bandwidth_gb_per_s: {choices: [6.4, 25.6]}
model:
  family: mobilenet_v1
  width: 0.25
  resolution: 32
  sparsity: {choices: [0.0, 0.8]}
objectives: [energy, latency]
constraints: {sram_kb: 100000}
search: {population: 3}
"""


def write_space(folder: Path, text: str = TINY) -> Path:
    path = folder / "space.yaml"
    path.write_text(text)
    return path


def test_space_reads_dimensions_and_finds_a_shipped_base(tmp_path):
    space = space_module.read_space(write_space(tmp_path))
    assert [d.name for d in space.hardware] == ["hw.pe_array.rows", "hw.dram.bandwidth_gb_per_s"]
    assert [d.name for d in space.model] == ["model.sparsity"]
    assert space.fixed == (("width", 0.25), ("resolution", 32))
    assert space.base_file == "scnn_like.yaml"
    assert space.directions() == ["minimize", "minimize"]


def test_integer_and_real_ranges(tmp_path):
    text = TINY.replace("pe_array.rows: {choices: [2, 4]}", "pe_array.rows: {low: 2, high: 8, step: 2}").replace(
        "dram.bandwidth_gb_per_s: {choices: [6.4, 25.6]}", "dram.bandwidth_gb_per_s: {low: 6.4, high: 25.6, log: true}")
    rows, bandwidth = space_module.read_space(write_space(tmp_path, text)).hardware
    assert (rows.integer, rows.low, rows.high, rows.step) == (True, 2, 8, 2)
    assert (bandwidth.integer, bandwidth.log) == (False, True)


def test_hardware_only_constraint_checked_on_the_least_machine(tmp_path):
    # scnn_like: 64 PEs (8 x 8) with a 10 KB IARAM and a 10 KB OARAM each; rows 2..4 x 8 columns, so the
    # least on-chip SRAM is 2 x 8 PEs x 20 KB = 320 KB (hand count from the YAML)
    text = TINY.replace("sram_kb: 100000", "sram_kb: 319")
    space = space_module.read_space(write_space(tmp_path, text))
    with pytest.raises(InputError, match=r"constraints.sram_kb.*least on-chip SRAM is 320 KB"):
        constraints.check_feasible(space)
    constraints.check_feasible(space_module.read_space(write_space(tmp_path, TINY.replace("100000", "320"))))


def test_accuracy_objective_needs_the_papers_variants(tmp_path):
    text = TINY.replace("objectives: [energy, latency]", "objectives: [energy, accuracy]")
    with pytest.raises(InputError, match="accuracy is known only for a paper's variants"):
        space_module.read_space(write_space(tmp_path, text))
    paper = TINY.split("model:")[0] + "model: {paper: ptb}\nobjectives: [energy, accuracy]\n"
    space = space_module.read_space(write_space(tmp_path, paper))
    assert space.directions() == ["minimize", "minimize"]      # perplexity: lower is better (paper Table 3)


def test_footprint_without_masks_equals_the_one_measured_on_masks():
    # storage_mb counts the non-zeros a uniform pruning leaves; compile.footprint measures real masks
    import accelsim as acs
    from accelsim.study.explore import storage_mb
    from accelsim.study.single import footprint_table
    model = acs.zoo.mobilenet_v1(width=0.25, resolution=32)
    measured = footprint_table(model, [0.0, 0.5, 0.9])["model_mb"]
    assert [storage_mb(model, s) for s in (0.0, 0.5, 0.9)] == pytest.approx(list(measured), rel=1e-12)


def test_front_by_hand():
    from accelsim.study.explore import front
    table = pd.DataFrame({"trial": [0, 1, 2, 3, 4], "state": ["complete"] * 4 + ["violates"],
                          "point": ["a", "b", "c", "d", "e"],
                          "energy_pj": [1.0, 2.0, 3.0, 2.5, 0.5], "latency_s": [3.0, 2.0, 1.0, 2.5, 0.5]})

    class Two:                    # two minimised objectives, energy then latency
        objectives = ("energy", "latency")

        @staticmethod
        def directions():
            return ["minimize", "minimize"]
    # by hand: d (2.5, 2.5) is dominated by b (2, 2); e dominates all but breaks a constraint, so is left out
    assert list(front(table, Two)["trial"]) == [0, 1, 2]


def test_a_trial_of_the_papers_variants_carries_its_published_accuracy(tmp_path):
    from accelsim.study.explore import _plan
    paper = TINY.split("model:")[0] + "model: {paper: mobilenet}\nobjectives: [energy, accuracy]\n"
    space = space_module.read_space(write_space(tmp_path, paper))
    widths = [dict(v.options)["width"] for v in space.paper]
    trial = _plan(space, 0, 0, {"hw.pe_array.rows": 4, "hw.dram.bandwidth_gb_per_s": 6.4,
                                "model.variant": widths.index(0.25)})
    # paper Table 2: MobileNet 0.25, dense, top-1 50.6
    assert (trial.model, trial.sparsity, trial.accuracy) == ("mobilenet_v1_0.25", 0.0, 50.6)
    assert trial.point is not None and dict(trial.point.options) == {"width": 0.25}


def test_an_nm_trial_takes_its_structures_sparsity(tmp_path):
    from accelsim.study.explore import _plan
    text = TINY.replace("sparsity: {choices: [0.0, 0.8]}",
                        "sparsity: 0.8\n  structure: {choices: [unstructured, '2:4']}")
    space = space_module.read_space(write_space(tmp_path, text))
    trial = _plan(space, 0, 0, {"hw.pe_array.rows": 4, "hw.dram.bandwidth_gb_per_s": 6.4, "model.structure": "2:4"})
    assert (trial.sparsity, trial.structure, trial.point.structure) == (0.5, "2:4", "2:4")


def test_a_machine_over_the_sram_budget_is_not_simulated(tmp_path):
    from accelsim.study.explore import _plan
    # 4 x 8 PEs x 20 KB = 640 KB > 400 KB (hand count from scnn_like.yaml)
    space = space_module.read_space(write_space(tmp_path, TINY.replace("sram_kb: 100000", "sram_kb: 400")))
    trial = _plan(space, 0, 0, {"hw.pe_array.rows": 4, "hw.dram.bandwidth_gb_per_s": 6.4, "model.sparsity": 0.0})
    assert trial.point is None and trial.note == "infeasible: sram_kb 640 > 400"


def machine_area(**changes) -> float:
    """Area of scnn_like.yaml with ``changes``, mm², straight from the cost models (accelsim.cost.area_mm2)."""
    from accelsim.cost import area_mm2
    from accelsim.hardware.shipped import shipped_folder
    from accelsim.hardware.variants import file_variant
    return sum(area_mm2(file_variant(shipped_folder() / "scnn_like.yaml", changes)).values())


AREA = TINY.replace("objectives: [energy, latency]", "objectives: [energy, area]")


def test_area_objective_and_constraint_decided_by_the_machine(tmp_path):
    from accelsim.study.explore import _plan
    two, four = machine_area(**{"pe_array.rows": 2}), machine_area(**{"pe_array.rows": 4})
    # every component of scnn_like.yaml is per PE (no global buffer; DRAM off the die), so 4 x 8 PEs are
    # twice the area of 2 x 8 (hand reading of the YAML); a budget of 1.5x the smaller excludes the larger
    assert four == pytest.approx(2 * two, rel=1e-12)
    limit = 1.5 * two
    space = space_module.read_space(write_space(tmp_path, AREA.replace("sram_kb: 100000", f"area_mm2: {limit}")))
    assert space.directions() == ["minimize", "minimize"]
    params = {"hw.dram.bandwidth_gb_per_s": 6.4, "model.sparsity": 0.8}
    small = _plan(space, 0, 0, {"hw.pe_array.rows": 2, **params})
    large = _plan(space, 1, 0, {"hw.pe_array.rows": 4, **params})
    assert small.point is not None and small.area_mm2 == pytest.approx(two, rel=1e-12)
    assert large.point is None and large.area_mm2 == pytest.approx(four, rel=1e-12)
    assert large.note == f"infeasible: area_mm2 {four:g} > {limit:g}"


def test_area_constraint_no_machine_meets_is_refused_with_the_least_area(tmp_path):
    # nodes and banks are enumerated, PEs taken at their least: the least machine is 2 x 8 PEs at 16 nm
    text = TINY.replace("pe_array.rows: {choices: [2, 4]}", "pe_array.rows: {choices: [2, 4]}\n"
                        "    technology_nm: {choices: [45, 16]}\n    buffers.iaram.banks: {choices: [1, 2]}")
    least = min(machine_area(**{"pe_array.rows": 2, "technology_nm": node, "buffers.iaram.banks": banks})
                for node in (45, 16) for banks in (1, 2))
    assert least == pytest.approx(machine_area(**{"pe_array.rows": 2, "technology_nm": 16}), rel=1e-12)
    space = space_module.read_space(write_space(tmp_path, text.replace("sram_kb: 100000", f"area_mm2: {0.99 * least}")))
    assert constraints.least_keys(space, "area_mm2") == {"pe_array.rows", "dram.bandwidth_gb_per_s"}
    with pytest.raises(InputError, match=rf"constraints.area_mm2.*least area is {least:g} mm2"):
        constraints.check_feasible(space)
    met = space_module.read_space(write_space(tmp_path, text.replace("sram_kb: 100000", f"area_mm2: {least}")))
    constraints.check_feasible(met)


def test_area_needs_a_technology_node(tmp_path):
    from accelsim.hardware.shipped import shipped_folder
    text = (shipped_folder() / "scnn_like.yaml").read_text()
    (tmp_path / "bare.yaml").write_text("\n".join(line for line in text.splitlines()
                                                 if not line.startswith("technology_nm:")))
    bare = AREA.replace("base: scnn_like.yaml", "base: bare.yaml")
    with pytest.raises(InputError, match="objectives: area needs a technology node"):
        space_module.read_space(write_space(tmp_path, bare))
    searched = bare.replace("keys:\n", "keys:\n    technology_nm: {choices: [45, 16]}\n")
    assert space_module.read_space(write_space(tmp_path, searched)).objectives == ("energy", "area")
    ranged = searched.replace("{choices: [45, 16]}", "{low: 16, high: 45}")
    with pytest.raises(InputError, match="technology_nm: a technology node is searched among choices"):
        space_module.read_space(write_space(tmp_path, ranged))


def test_a_search_on_area(tmp_path):
    """A short search with area an objective and a budget: every trial's area is its machine's, the larger
    machine is never simulated, and the front is plotted with area on an axis."""
    pytest.importorskip("optuna")
    from accelsim.plots import plot_directory
    from accelsim.study.explore import explore
    two = machine_area(**{"pe_array.rows": 2})
    space = space_module.read_space(write_space(tmp_path, AREA.replace("sram_kb: 100000", f"area_mm2: {1.5 * two}")))
    table = explore(space, tmp_path / "out", trials=6, seed=2)         # a seed that asks both machines
    assert set(table["hw.pe_array.rows"]) == {2, 4}
    assert table["area_mm2"].to_numpy() == pytest.approx(table["hw.pe_array.rows"].to_numpy() / 2 * two, rel=1e-12)
    assert set(table[table["hw.pe_array.rows"] == 4]["state"]) <= {"infeasible"}
    assert set(table[table["hw.pe_array.rows"] == 2]["state"]) <= {"complete", "violates"}
    assert "area_mm2" in pd.read_csv(tmp_path / "out" / "trials.csv")
    assert {p.stem for p in plot_directory(tmp_path / "out", formats=("png",))} >= {"explore_front"}


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    pytest.importorskip("optuna")
    from accelsim.study.explore import explore
    folder = tmp_path_factory.mktemp("explore")
    space = space_module.read_space(write_space(folder))
    table = explore(space, folder / "out", trials=6, seed=3)
    return space, folder, table


def test_search_writes_every_table(searched):
    _, folder, table = searched
    out = folder / "out"
    assert len(table) == 6 and set(table["state"]) <= {"complete", "violates", "infeasible"}
    assert {"trials.csv", "front.csv", "importance.csv", "explore.json", "points"} <= {p.name for p in out.iterdir()}
    assert pd.read_csv(out / "trials.csv")["trial"].tolist() == list(range(6))
    assert json.loads((out / "explore.json").read_text())["seed"] == 3


def test_same_seed_same_trials_and_a_resumed_search_simulates_nothing_twice(searched, tmp_path, monkeypatch):
    from accelsim.study import explore as explore_module
    from accelsim.study import sweep
    space, folder, _ = searched
    explore_module.explore(space, tmp_path / "out", trials=3, seed=3)            # stopped after one generation
    first = set(pd.read_csv(tmp_path / "out" / "trials.csv")["point"])
    ran = []
    real = sweep.run_point
    monkeypatch.setattr(sweep, "run_point", lambda point: ran.append(point.key) or real(point))
    explore_module.explore(space, tmp_path / "out", trials=6, seed=3)            # resumed
    assert (tmp_path / "out" / "trials.csv").read_bytes() == (folder / "out" / "trials.csv").read_bytes()
    assert not set(ran) & first and len(ran) == len(set(ran))


def test_plot_of_a_search(searched):
    from accelsim.plots import plot_directory
    _, folder, _ = searched
    written = plot_directory(folder / "out", formats=("png",))
    assert {p.stem for p in written} >= {"explore_front"}


def test_sensitivity_of_a_search(searched):
    from accelsim.study.sensitivity import sensitivity
    _, folder, table = searched
    complete = table[table["state"] == "complete"]
    if not ((complete["sparsity"] > 0).any() and (complete["sparsity"] == 0).any()):
        pytest.skip("this seed's trials have one kind of model only")
    result = sensitivity(folder / "out")
    assert set(result["objective"]) == {"energy", "latency"}
    energy = result[result["objective"] == "energy"]
    # each verdict's winner is the kind whose best trial spends less energy within the budget
    for _, row in energy.drop_duplicates("verdict").iterrows():
        assert row["winner_value"] < row["loser_value"]
