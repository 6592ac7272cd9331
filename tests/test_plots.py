"""Figures from report DataFrames (accelsim.plots): each figure's panels, artists and unit-bearing labels, the
Pareto front on hand-made points, and plot_directory on real sweep, compare and simulate outputs."""
import pathlib
import shutil
import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from accelsim import plots
from accelsim.errors import InputError
from accelsim.hardware import load_hardware
from accelsim.reference import paper_table
from accelsim.reports import write_results
from accelsim.study import sweep
from accelsim.study.single import simulate
from accelsim.workloads import zoo

ROOT = pathlib.Path(__file__).resolve().parent.parent
DENSE_EDGE = ROOT / "hwconfigs" / "dense_edge.yaml"
SCNN_LIKE = ROOT / "hwconfigs" / "scnn_like.yaml"


# --------------------------------------------------------------------------------------------------------
# fixtures: small real results
# --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory):
    """A real sweep: MobileNet 0.25 and 1.0 at 0 / 50 / 90 % on dense_edge, plus 0.25 @ 90 % on scnn_like."""
    out = tmp_path_factory.mktemp("sweep")
    points = sweep.grid("mobilenet_v1", {"width": [0.25, 1.0]}, [0.0, 0.5, 0.9], [DENSE_EDGE], [0])
    points += sweep.grid("mobilenet_v1", {"width": [0.25]}, [0.9], [SCNN_LIKE], [0])
    sweep.run(points, out, jobs=1)
    sweep.gather(points, out)
    return out


@pytest.fixture(scope="session")
def totals(sweep_dir):
    return pd.read_csv(sweep_dir / "totals.csv")


@pytest.fixture(scope="session")
def points(sweep_dir):
    return pd.read_csv(sweep_dir / "points.csv")


def make_compare(totals: pd.DataFrame) -> pd.DataFrame:
    """compare.csv as ``accelsim compare`` writes it: sweep totals joined with the paper's Table 6 (kind,
    size, top-1) and Table 2 (non-zeros)."""
    t6 = paper_table(6).rename(columns={"model_size_mb": "model_mb", "top1": "accuracy"})
    t2 = paper_table(2)[["width", "sparsity", "nnz_params"]].rename(columns={"nnz_params": "nnz"})
    table = totals.merge(t6, on=["width", "sparsity"]).merge(t2, on=["width", "sparsity"])
    return table.assign(accuracy_metric="top1", higher_is_better=True, accuracy_source="paper Table 6")


@pytest.fixture(scope="session")
def compare(totals):
    table = make_compare(totals)
    assert set(table["kind"]) == {"small-dense", "large-sparse"} and len(table) == 3
    return table


@pytest.fixture(scope="session")
def compare_dir(sweep_dir, compare, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    for name in ("totals.csv", "points.csv"):
        shutil.copy(sweep_dir / name, out / name)
    compare.to_csv(out / "compare.csv", index=False)
    return out


@pytest.fixture(scope="session")
def simulate_dir(tmp_path_factory):
    model = zoo.build("mobilenet_v1", width=0.25)
    out = tmp_path_factory.mktemp("simulate") / "run"
    write_results(simulate(model, load_hardware(DENSE_EDGE), sparsity=0.5, seed=0), out)
    return out


def one_point(points: pd.DataFrame, width: float, sparsity: float, hardware: str) -> pd.DataFrame:
    rows = points[(points["width"] == width) & (points["sparsity"] == sparsity) & (points["hardware"] == hardware)]
    assert rows["point"].nunique() == 1
    return rows


def two_hardware(table: pd.DataFrame) -> pd.DataFrame:
    """The same rows again on a made-up second machine (twice the cost), to get panels per hardware."""
    other = table.copy()
    other["hardware"] = "other_hw"
    for column in ("energy_pj", "latency_s", "cycles"):
        other[column] = other[column] * 2
    return pd.concat([table, other], ignore_index=True)


# --------------------------------------------------------------------------------------------------------
# the Pareto front (pure function)
# --------------------------------------------------------------------------------------------------------

def test_pareto_front_higher_is_better():
    cost = [1.0, 2.0, 3.0, 2.5, 4.0]
    accuracy = [50.0, 60.0, 70.0, 55.0, 65.0]
    #         front   front   front  (2.0 is cheaper and better)  (3.0 is cheaper and better)
    assert plots.pareto_front(cost, accuracy).tolist() == [True, True, True, False, False]


def test_pareto_front_lower_is_better():
    cost = [1.0, 2.0, 3.0, 2.5, 4.0]
    perplexity = [115.0, 90.0, 80.0, 100.0, 78.0]
    assert plots.pareto_front(cost, perplexity, higher_is_better=False).tolist() == [True, True, True, False, True]
    # the same points read as higher-is-better: only the cheapest and those cheaper-or-better survive
    assert plots.pareto_front(cost, perplexity, higher_is_better=True).tolist() == [True, False, False, False,
                                                                                   False]


def test_pareto_front_ties_nan_and_shapes():
    # equal cost: only the more accurate stays; identical points both stay; NaN is never on the front
    assert plots.pareto_front([1, 1, 2, 2], [5, 6, 7, 7]).tolist() == [False, True, True, True]
    assert plots.pareto_front([1, np.nan, 3], [5, 9, 9]).tolist() == [True, False, True]
    assert plots.pareto_front([], []).tolist() == []
    with pytest.raises(ValueError):
        plots.pareto_front([1, 2], [1])


# --------------------------------------------------------------------------------------------------------
# the figures
# --------------------------------------------------------------------------------------------------------

def test_energy_breakdown_by_sparsity(totals):
    fig = plots.energy_breakdown(totals)
    assert isinstance(fig, Figure)
    # models 0.25 and 1.0 x machines dense_edge and scnn_like; 1.0 never ran on scnn_like: 3 panels
    assert len(fig.axes) == 3
    titles = sorted(ax.get_title() for ax in fig.axes)
    assert titles == ["mobilenet_v1_0.25 on dense_edge", "mobilenet_v1_0.25 on scnn_like",
                      "mobilenet_v1_1 on dense_edge"]
    for ax in fig.axes:
        assert "(µJ)" in ax.get_ylabel() or ax.get_ylabel() == ""
        panel = totals[totals["model"] + " on " + totals["hardware"] == ax.get_title()]
        # one stack of bars per component with energy, plus the static layer; the stack's top is the total
        components = [c for c in totals.columns if c.startswith("energy_") and c not in
                      ("energy_pj", "energy_dynamic_pj", "energy_static_pj") and panel[c].fillna(0).any()]
        assert len(ax.containers) == len(components) + 1
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            {0: "dense", 0.5: "50%", 0.9: "90%"}[s] for s in panel["sparsity"]]
        heights = np.sum([[bar.get_height() for bar in c] for c in ax.containers], axis=0)
        np.testing.assert_allclose(heights, panel["energy_pj"].to_numpy() / 1e6, rtol=1e-6)
    assert "(%" in fig.axes[-1].get_xlabel()
    assert any("static" in t.get_text() for t in fig.legends[0].get_texts())


def test_energy_breakdown_by_variant(compare):
    fig = plots.energy_breakdown(two_hardware(compare), by="variant")
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["mobilenet_v1 on dense_edge", "mobilenet_v1 on other_hw"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0.25 dense", "1.0 @ 50%", "1.0 @ 90%"]
    assert "(µJ)" in fig.axes[0].get_ylabel()
    with pytest.raises(InputError) as error:
        plots.energy_breakdown(compare, by="layer")
    assert error.value.key == "by"


def test_latency_vs_sparsity(totals):
    fig = plots.latency_vs_sparsity(totals)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 3          # (dense_edge, 0.25), (dense_edge, 1.0), (scnn_like, 0.25)
    assert "(ms" in ax.get_ylabel() and "(%)" in ax.get_xlabel()
    assert "mobilenet_v1" in ax.get_title() and "dense_edge" in ax.get_title() and "scnn_like" in ax.get_title()
    line = next(l for l in ax.get_lines() if l.get_label() == "mobilenet_v1_1 on dense_edge")
    expected = totals[(totals["width"] == 1.0) & (totals["hardware"] == "dense_edge")]
    np.testing.assert_allclose(line.get_ydata(), expected["latency_s"] * 1e3)
    np.testing.assert_allclose(line.get_xdata(), expected["sparsity"] * 100)
    assert len(fig.legends) == 2              # colours: hardware; markers: models


def test_latency_axis_is_log_only_when_the_range_is_wide():
    base = pd.DataFrame({"model": ["m"] * 3, "hardware": ["h"] * 3, "sparsity": [0.0, 0.5, 0.9]})
    narrow = plots.latency_vs_sparsity(base.assign(latency_s=[2e-3, 1.5e-3, 1e-3])).axes[0]
    wide = plots.latency_vs_sparsity(base.assign(latency_s=[1e-2, 1e-3, 1e-4])).axes[0]
    assert narrow.get_yscale() == "linear" and wide.get_yscale() == "log"
    assert "log scale" in wide.get_ylabel() and "(ms" in wide.get_ylabel()


def test_accuracy_tradeoff(compare):
    fig = plots.accuracy_tradeoff(two_hardware(compare))
    assert len(fig.axes) == 4                 # 2 machines x (energy, latency)
    energy, latency = fig.axes[0], fig.axes[1]
    assert "(µJ" in energy.get_xlabel() and "(ms" in latency.get_xlabel()
    assert energy.get_ylabel() == "top-1 accuracy (%)"
    assert energy.get_title() == "mobilenet_v1 on dense_edge" and fig.axes[2].get_title() == "mobilenet_v1 on other_hw"
    labels = {t.get_text() for t in energy.texts}
    assert labels == {"0.25 dense", "1.0 @ 50%", "1.0 @ 90%"}
    # small-dense and large-sparse are separate scatters; the ringed points are the Pareto front
    rings = [c for c in energy.collections if len(c.get_facecolors()) == 0]
    assert len(rings) == 1
    ringed = {tuple(p) for p in np.round(rings[0].get_offsets(), 6)}
    rows = compare[compare["hardware"] == "dense_edge"]
    front = plots.pareto_front(rows["energy_pj"], rows["accuracy"])
    assert ringed == {(round(e / 1e6, 6), a) for e, a in zip(rows["energy_pj"][front], rows["accuracy"][front])}
    assert sum(1 for c in energy.collections if len(c.get_facecolors())) == 2
    assert not energy.yaxis_inverted()


def test_accuracy_tradeoff_lower_is_better_inverts_the_axis(compare):
    ppl = compare.assign(accuracy_metric="perplexity", higher_is_better=False, accuracy=100 - compare["accuracy"])
    fig = plots.accuracy_tradeoff(ppl)
    ax = fig.axes[0]
    assert ax.yaxis_inverted() and "lower is better" in ax.get_ylabel()
    rings = [c for c in ax.collections if len(c.get_facecolors()) == 0][0]
    front = plots.pareto_front(ppl["energy_pj"], ppl["accuracy"], higher_is_better=False)
    assert len(rings.get_offsets()) == front.sum()
    # from CSV, higher_is_better may come back as text
    assert plots.accuracy_tradeoff(ppl.assign(higher_is_better="False")).axes[0].yaxis_inverted()


def test_accuracy_tradeoff_refuses_mixed_metrics(compare):
    mixed = pd.concat([compare, compare.assign(accuracy_metric="bleu_en_de")])
    with pytest.raises(InputError) as error:
        plots.accuracy_tradeoff(mixed)
    assert error.value.key == "accuracy_metric"
    with pytest.raises(InputError) as error:
        plots.accuracy_tradeoff(compare.drop(columns="higher_is_better"))
    assert error.value.key == "higher_is_better" and "\n" not in str(error.value)


def test_layer_latency(points):
    dense = one_point(points, 0.25, 0.9, "dense_edge")
    sparse = one_point(points, 0.25, 0.9, "scnn_like")
    fig = plots.layer_latency({"dense_edge": dense, "scnn_like": sparse}, title="0.25 @ 90%")
    (ax,) = fig.axes
    assert len(ax.containers) == 2 and all(len(c) == 28 for c in ax.containers)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(dense["layer"])
    assert "(µs" in ax.get_xlabel()
    widths = [bar.get_width() for bar in ax.containers[0]]
    np.testing.assert_allclose(widths, dense["latency_s"] * 1e6)
    default = plots.layer_latency({"a": dense, "b": sparse})
    assert default.get_suptitle() == "Per-layer latency: a vs b"
    with pytest.raises(InputError):
        plots.layer_latency({})


def test_stall_segments_add_up_to_cycles(totals, points):
    for frame in (totals, points):
        segments = plots.stall_segments(frame)
        np.testing.assert_allclose(segments.sum(axis=1), frame["cycles"], rtol=1e-6, atol=1)
        assert (segments["busy_no_conflict"] >= 0).all()


def test_stall_breakdown_per_layer(points):
    run = one_point(points, 0.25, 0.9, "scnn_like")
    fig = plots.stall_breakdown(run)
    (ax,) = fig.axes
    assert 1 <= len(ax.containers) <= 6 and all(len(c) == 28 for c in ax.containers)
    ends = np.max([[bar.get_x() + bar.get_width() for bar in c] for c in ax.containers], axis=0)
    np.testing.assert_allclose(ends, run["cycles"], rtol=1e-6, atol=1)
    assert "cycles" in ax.get_xlabel() and "mobilenet_v1_0.25 @ 90% on scnn_like" in fig.get_suptitle()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "memory stall" in legend and "bank conflicts (part of busy)" in legend
    shares = plots.stall_breakdown(run, normalize=True).axes[0]
    assert "(%)" in shares.get_xlabel()
    with pytest.raises(InputError) as error:
        plots.stall_breakdown(points)
    assert error.value.key == "point"


def test_stall_breakdown_per_config(totals):
    fig = plots.stall_breakdown(totals, by="config")
    assert [ax.get_title() for ax in fig.axes] == ["mobilenet_v1 on dense_edge", "mobilenet_v1 on scnn_like"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "0.25 dense", "0.25 @ 50%", "0.25 @ 90%", "1.0 dense", "1.0 @ 50%", "1.0 @ 90%"]
    assert all("cycles" in ax.get_xlabel() for ax in fig.axes)


def test_missing_column_is_named(totals):
    with pytest.raises(InputError) as error:
        plots.latency_vs_sparsity(totals.drop(columns="latency_s"))
    assert error.value.key == "latency_s"
    with pytest.raises(InputError):
        plots.energy_breakdown(totals.iloc[0:0])


def test_seeds_are_averaged(totals):
    again = totals.assign(seed=1, latency_s=totals["latency_s"] * 3)
    fig = plots.latency_vs_sparsity(pd.concat([totals, again], ignore_index=True))
    line = next(l for l in fig.axes[0].get_lines() if l.get_label() == "mobilenet_v1_1 on dense_edge")
    expected = totals[(totals["width"] == 1.0) & (totals["hardware"] == "dense_edge")]["latency_s"] * 2e3
    np.testing.assert_allclose(line.get_ydata(), expected)


# --------------------------------------------------------------------------------------------------------
# plot_directory
# --------------------------------------------------------------------------------------------------------

def listing(folder: pathlib.Path) -> dict:
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*") if "figures" not in p.parts}


def written_names(paths) -> set[str]:
    return {p.name for p in paths}


def test_plot_directory_on_a_sweep(sweep_dir):
    before = listing(sweep_dir)
    paths = plots.plot_directory(sweep_dir)
    stems = {"energy_vs_sparsity", "latency_vs_sparsity", "stalls_by_config",
             "layer_latency_mobilenet_v1_0.25_s90",               # dense_edge vs scnn_like at 90%
             "stalls_by_layer_mobilenet_v1_1_s90_dense_edge"}     # the largest model at its top sparsity
    assert written_names(paths) == {f"{s}.{ext}" for s in stems for ext in ("png", "svg")}
    for path in paths:
        assert path.parent == sweep_dir / "figures" and path.stat().st_size > 1000
    assert paths[0].read_bytes().startswith(b"\x89PNG") and b"<svg" in paths[1].read_bytes()[:1000]
    assert listing(sweep_dir) == before                           # nothing outside figures/ touched
    assert not [p for p in (sweep_dir / "figures").iterdir() if p.name.startswith(".")]   # no temp files left


def test_plot_directory_on_a_compare_dir(compare_dir):
    paths = plots.plot_directory(compare_dir, formats=("png",))
    names = written_names(paths)
    assert {"accuracy_vs_cost.png", "energy_by_variant.png", "stalls_by_config.png"} <= names
    assert all(p.suffix == ".png" for p in paths)
    assert "latency_vs_sparsity.png" not in names        # a comparison's variants are not a sparsity sweep
    # a per-layer figure for every variant compared, the large-sparse ones included
    layer_figures = {n for n in names if n.startswith("layer_latency_")}
    assert layer_figures == {"layer_latency_mobilenet_v1_0.25_s0.png", "layer_latency_mobilenet_v1_1_s50.png",
                             "layer_latency_mobilenet_v1_1_s90.png"}


def test_figures_drawn_on_workers_are_the_serial_ones(compare_dir, tmp_path):
    """``accelsim plot --jobs``: the figures drawn by 3 worker processes (each figure by whichever is free) are
    the files one process writes, PNG and SVG byte for byte, listed in the same order."""
    from accelsim.study.figures import plot_directory
    no_figures = shutil.ignore_patterns("figures")
    serial = plots.plot_directory(shutil.copytree(compare_dir, tmp_path / "serial", ignore=no_figures))
    parallel = plot_directory(shutil.copytree(compare_dir, tmp_path / "jobs", ignore=no_figures), jobs=3)
    assert len(serial) // 2 >= 2 * 3                      # figures (two files each): two or more per worker
    assert [p.name for p in parallel] == [p.name for p in serial]
    assert all(p.read_bytes() == q.read_bytes() for p, q in zip(parallel, serial))


def test_plot_directory_on_simulate_output(simulate_dir):
    paths = plots.plot_directory(simulate_dir)
    assert written_names(paths) == {"stalls_by_layer.png", "stalls_by_layer.svg"}


def test_plot_directory_on_a_folder_of_simulations(simulate_dir, tmp_path):
    for name in ("a", "b"):
        shutil.copytree(simulate_dir, tmp_path / name, ignore=shutil.ignore_patterns("figures"))
    names = written_names(plots.plot_directory(tmp_path, formats=("png",)))
    assert names == {"layer_latency.png", "stalls_by_layer_a.png", "stalls_by_layer_b.png"}


def test_plot_directory_refuses_bad_paths(tmp_path):
    with pytest.raises(InputError) as error:
        plots.plot_directory(tmp_path / "missing")
    assert error.value.key == "DIR" and "not found" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(InputError) as error:
        plots.plot_directory(tmp_path)                           # exists, holds nothing
    assert error.value.key == "DIR" and "no results" in str(error.value)
    (tmp_path / "totals.csv").write_text("\n")                   # what sweep.gather writes for no finished point
    with pytest.raises(InputError, match="no results"):
        plots.plot_directory(tmp_path)
    with pytest.raises(InputError, match="not a directory"):
        plots.plot_directory(tmp_path / "totals.csv")
    assert not (tmp_path / "figures").exists()


def test_plot_directory_names_the_file_with_a_missing_column(tmp_path, totals):
    totals.drop(columns="energy_pj").to_csv(tmp_path / "totals.csv", index=False)
    with pytest.raises(InputError) as error:
        plots.plot_directory(tmp_path)
    assert error.value.key == "energy_pj" and error.value.file.endswith("totals.csv")


def test_saved_figures_are_reproducible(totals, tmp_path):
    fig = plots.latency_vs_sparsity(totals)
    from accelsim.plots.common import save_figure
    first = save_figure(fig, tmp_path / "a")
    second = save_figure(plots.latency_vs_sparsity(totals), tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()


def test_no_pyplot_and_no_rcparams_leak(totals):
    before = dict(matplotlib.rcParams)
    plots.energy_breakdown(totals).canvas.draw()
    assert dict(matplotlib.rcParams) == before
    code = "import sys, accelsim.plots; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --------------------------------------------------------------------------------------------------------
# accelsim plot DIR
# --------------------------------------------------------------------------------------------------------

def test_plot_command(simulate_dir, capsys):
    from accelsim.cli import main
    assert main(["plot", str(simulate_dir), "--format", "png"]) == 0
    out = capsys.readouterr().out
    assert "1 figures (png)" in out and str(simulate_dir / "figures") in out
    assert (simulate_dir / "figures" / "stalls_by_layer.png").is_file()


def test_plot_command_refuses_unknown_format_and_writes_nothing(tmp_path, simulate_dir, capsys):
    from accelsim.cli import main
    run = shutil.copytree(simulate_dir, tmp_path / "run", ignore=shutil.ignore_patterns("figures"))
    assert main(["plot", str(run), "--format", "png,jpeg2000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("accelsim: error:") and "--format" in err and "jpeg2000" in err and "\n" not in err
    assert not (run / "figures").exists()


#: compare.csv of ``accelsim compare --family ptb --hw eie_like dense_edge`` (the values it wrote, to 4 digits):
#: (size, sparsity, latency_s, energy_pj) per machine; perplexities of paper Table 3.
PTB_COMPARE = {
    "eie_like": [("small", 0.0, 5.252e-05, 3.126e7), ("medium", 0.0, 0.001239, 1.143e9),
                 ("medium", 0.8, 5.498e-05, 3.451e7), ("medium", 0.85, 4.29e-05, 2.753e7),
                 ("medium", 0.9, 3.118e-05, 2.081e7), ("medium", 0.95, 1.984e-05, 1.399e7),
                 ("medium", 0.975, 1.399e-05, 9.944e6), ("large", 0.8, 0.0007408, 7.04e8),
                 ("large", 0.85, 0.0004065, 3.612e8), ("large", 0.9, 0.00027, 2.419e8),
                 ("large", 0.95, 7.636e-05, 5.361e7), ("large", 0.975, 5.337e-05, 3.81e7)],
    "dense_edge": [("small", 0.0, 0.0003462, 1.81e8), ("medium", 0.0, 0.001588, 9.049e8)]
    + [("medium", s, 0.001588, 9.049e8) for s in (0.8, 0.85, 0.9, 0.95, 0.975)]
    + [("large", s, 0.005953, 3.476e9) for s in (0.8, 0.85, 0.9, 0.95, 0.975)],
}
PTB_PERPLEXITY = {("small", 0.0): 115.3, ("medium", 0.0): 83.37, ("medium", 0.8): 83.87, ("medium", 0.85): 85.17,
                  ("medium", 0.9): 87.86, ("medium", 0.95): 96.3, ("medium", 0.975): 113.6, ("large", 0.8): 77.52,
                  ("large", 0.85): 78.31, ("large", 0.9): 80.24, ("large", 0.95): 87.83, ("large", 0.975): 103.2}


def test_accuracy_tradeoff_labels_neither_overlap_nor_touch():
    """Two point labels of a panel side by side keep at least a wide word space between them (8 px at the
    figure's dpi), one above the other a few pixels (2 px), so that two labels never read as one, as
    "medium @ 90% large @ 95%" did on the PTB comparison."""
    rows = [{"model": f"ptb_lstm_{size}", "size": size, "family": "ptb_lstm", "sparsity": sparsity,
             "kind": "small-dense" if sparsity == 0 else "large-sparse", "hardware": hw, "latency_s": seconds,
             "energy_pj": pj, "accuracy": PTB_PERPLEXITY[(size, sparsity)]}
            for hw, points in PTB_COMPARE.items() for size, sparsity, seconds, pj in points]
    table = pd.DataFrame(rows).assign(accuracy_metric="perplexity", higher_is_better=False,
                                      accuracy_source="paper Table 3")
    fig = plots.accuracy_tradeoff(table)
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts]
        assert len(boxes) >= 8
        for i, (text_a, a) in enumerate(boxes):
            for text_b, b in boxes[i + 1:]:
                gap_x, gap_y = max(b.x0 - a.x1, a.x0 - b.x1), max(b.y0 - a.y1, a.y0 - b.y1)
                assert gap_y >= 2 or gap_x >= 8, (ax.get_title(), text_a, text_b, gap_x, gap_y)
