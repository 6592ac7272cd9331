"""Sweeps: grid order, parallel = serial bit for bit, resume after a partial run, bad input up front."""
import pathlib
import shutil

import pandas as pd
import pytest

from accelsim.errors import InputError
from accelsim.workloads import zoo
from accelsim.study import sweep

ROOT = pathlib.Path(__file__).resolve().parent.parent
DENSE_EDGE = ROOT / "hwconfigs" / "dense_edge.yaml"


def small_grid():
    return sweep.grid("mobilenet_v1", {"width": [0.25, 0.5]}, [0.0, 0.5], [DENSE_EDGE], [0, 1])


def test_grid_is_every_combination_in_stable_order():
    points = small_grid()
    assert len(points) == 2 * 2 * 1 * 2
    assert [(dict(p.options)["width"], p.sparsity, p.seed) for p in points[:3]] == [
        (0.25, 0.0, 0), (0.25, 0.0, 1), (0.25, 0.5, 0)]
    assert len({p.key for p in points}) == len(points)
    assert [p.key for p in points] == [p.key for p in small_grid()]


def test_workers_get_a_models_points_together():
    """A pool's units of work are a model's points (one width and seed: every sparsity and machine), in grid
    order, each point once; halved while there are fewer than two per worker."""
    points = sweep.grid("mobilenet_v1", {"width": [0.25, 0.5]}, [0.0, 0.5, 0.9],
                        [DENSE_EDGE, ROOT / "hwconfigs" / "dcnn.yaml"], [0, 1])
    groups = sweep.model_groups(points, jobs=2)
    assert len(groups) == 2 * 2                         # two widths x two seeds
    assert sorted((points.index(p) for g in groups for p in g)) == list(range(len(points)))
    for group in groups:
        assert len({(p.options, p.seed) for p in group}) == 1 and len(group) == 3 * 2
        assert [points.index(p) for p in group] == sorted(points.index(p) for p in group)
    assert sorted(map(len, sweep.model_groups(points, jobs=4))) == [3] * 8        # 4 groups of 6, halved once
    halved = sweep.model_groups(points, jobs=8)     # 16 groups (6 = 3 + 3 = (2 + 1) x 2), then the costliest halved
    assert len(halved) >= 16 and max(map(len, halved)) <= 2 and sum(map(len, halved)) == len(points)
    total = sum(map(sweep.estimated_cost, halved))
    assert all(len(g) == 1 or 8 * sweep.estimated_cost(g) <= total for g in halved)
    assert [p for g in sweep.model_groups(points[:1], jobs=2) for p in g] == points[:1]


def test_machines_that_use_weight_masks_get_groups_of_their_own():
    """A model's points on machines that read weight masks (scnn_like) and on those that do not (dcnn) share
    nothing a worker keeps (masks for the first, a dense engine's layers for the second): separate groups,
    each in grid order."""
    scnn = ROOT / "hwconfigs" / "scnn_like.yaml"
    points = sweep.grid("mobilenet_v1", {"width": [0.25]}, [0.0, 0.5, 0.9], [ROOT / "hwconfigs" / "dcnn.yaml", scnn],
                        [0])
    groups = sweep.model_groups(points, jobs=1)
    assert [[points.index(p) for p in g] for g in groups] == [[0, 2, 4], [1, 3, 5]]
    assert {p.hw_file for p in groups[1]} == {scnn.name}


def test_a_group_larger_than_a_workers_share_is_halved():
    """PTB-large's points on SCNN (weight masks: each point compiles its own) outweigh PTB-small's on SCNN and
    both models' on DCNN (a dense engine simulates a model once per process, whatever the sparsity): with
    two workers it is halved, sparsities in grid order, so that one worker is not left alone with it; with
    one worker nothing is."""
    hw = [ROOT / "hwconfigs" / "dcnn.yaml", ROOT / "hwconfigs" / "scnn_like.yaml"]
    points = sweep.grid("ptb_lstm", {"size": ["small", "large"]}, [0.0, 0.8, 0.9, 0.95], hw, [0])
    large = zoo.ptb_lstm(size="large").macs
    masked = [p for p in points if dict(p.options)["size"] == "large" and p.hw_file == hw[1].name]
    assert sweep.estimated_cost(tuple(masked)) == 4 * large
    dense = tuple(p for p in points if dict(p.options)["size"] == "large" and p.hw_file == hw[0].name)
    assert sweep.estimated_cost(dense) == large                      # one machine: once, at any sparsity
    assert [list(g) for g in sweep.model_groups(points, jobs=1)].count(masked) == 1
    groups = sweep.model_groups(points, jobs=2)
    assert [list(g) for g in groups if g[0] in masked] == [masked[:2], masked[2:]]
    assert sorted(points.index(p) for g in groups for p in g) == list(range(len(points)))
    assert sweep.largest_first(groups)[:2] == [tuple(masked[:2]), tuple(masked[2:])]


def test_parallel_equals_serial_bit_for_bit(tmp_path):
    points = small_grid()
    sweep.run(points, tmp_path / "serial", jobs=1)
    sweep.run(points, tmp_path / "parallel", jobs=2)
    for a, b in zip(sweep.gather(points, tmp_path / "serial"), sweep.gather(points, tmp_path / "parallel")):
        pd.testing.assert_frame_equal(a, b)
    for name in ("points.csv", "totals.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes()


def test_resume_runs_only_missing_points_and_ends_identical(tmp_path):
    points = small_grid()
    assert sweep.run(points, tmp_path / "full", jobs=1) == len(points)
    complete = (tmp_path / "full" / "points.csv")
    sweep.gather(points, tmp_path / "full")
    shutil.copytree(tmp_path / "full" / "points", tmp_path / "partial" / "points")
    for lost in points[1::3]:        # as if killed before these finished: their marker never landed
        sweep.point_paths(tmp_path / "partial", lost)[1].unlink()
    assert sweep.run(points, tmp_path / "partial", jobs=2) == len(points[1::3])
    sweep.gather(points, tmp_path / "partial")
    assert (tmp_path / "partial" / "points.csv").read_bytes() == complete.read_bytes()
    assert sweep.run(points, tmp_path / "partial", jobs=2) == 0


def test_rows_and_totals_agree(tmp_path):
    points = small_grid()[:2]
    sweep.run(points, tmp_path, jobs=1)
    layers, totals = sweep.gather(points, tmp_path)
    assert len(layers) == 2 * 28 and len(totals) == 2
    by_point = layers.groupby("point", sort=False)["cycles"].sum()
    assert list(by_point) == list(totals["cycles"])


@pytest.mark.parametrize("args,key", [
    (("resnet", {}, [0.5], [DENSE_EDGE], [0]), "--model"),
    (("mobilenet_v1", {"width": [0]}, [0.5], [DENSE_EDGE], [0]), "--width"),
    (("mobilenet_v1", {}, [1.5], [DENSE_EDGE], [0]), "--sparsity"),
    (("mobilenet_v1", {}, [0.5], [ROOT / "missing.yaml"], [0]), "missing.yaml"),
    (("mobilenet_v1", {}, [0.5], [DENSE_EDGE], []), "--seeds"),
])
def test_bad_grid_rejected_before_running(args, key):
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        sweep.grid(*args)


@pytest.mark.slow
def test_dask_cluster_equals_local_pool_bit_for_bit(tmp_path):
    """The same sweep on a dask.distributed LocalCluster (what --scheduler tcp://... reaches) and on the
    local process pool: identical files."""
    distributed = pytest.importorskip("distributed")
    points = small_grid()
    sweep.run(points, tmp_path / "pool", jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        sweep.run(points, tmp_path / "dask", scheduler=cluster.scheduler_address)
    sweep.gather(points, tmp_path / "pool")
    sweep.gather(points, tmp_path / "dask")
    for name in ("points.csv", "totals.csv"):
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_unreachable_scheduler_is_bad_input(tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="--scheduler"):
        sweep.run(small_grid()[:1], tmp_path, scheduler="tcp://127.0.0.1:9")


def test_machine_that_cannot_run_the_model_is_refused_before_running():
    """EIE runs matrix-vector layers only: a MobileNet grid on eie_like fails up front, naming the layer."""
    with pytest.raises(InputError, match="eie_like.yaml: engine: hardware eie_like \\(eie\\) cannot run layer conv1"):
        sweep.grid("mobilenet_v1", {"width": [0.25]}, [0.5], [DENSE_EDGE, ROOT / "hwconfigs" / "eie_like.yaml"],
                   [0])


def test_a_workload_file_sweeps_with_its_densities_at_sparsity_0(tmp_path):
    """traces/example_small.yaml over sparsities 0 and 0.5 on SCNN: at 0 the file's weight and activation
    densities apply (the same result as simulating the workload), at 0.5 uniform pruning replaces the
    weight densities; rows say which file and machine; a second run has nothing left to do."""
    from accelsim.hardware import load_hardware
    from accelsim.study import simulate_workload
    from accelsim.workloads.files import read_workload
    example, scnn = ROOT / "traces" / "example_small.yaml", ROOT / "hwconfigs" / "scnn_like.yaml"
    points = sweep.grid_workload(example, [0.0, 0.5], [scnn], [0])
    assert [(p.family, p.workload_file, p.sparsity) for p in points] == [
        ("workload", "example_small.yaml", 0.0), ("workload", "example_small.yaml", 0.5)]
    assert sweep.run(points, tmp_path, jobs=1) == 2 and sweep.run(points, tmp_path, jobs=1) == 0
    layers, totals = sweep.gather(points, tmp_path)
    assert list(totals.columns[:6]) == ["point", "model", "family", "sparsity", "seed", "hardware"]
    assert list(totals["model"]) == ["example_small"] * 2 and list(totals["hardware"]) == ["scnn_like"] * 2
    alone = simulate_workload(read_workload(example), load_hardware(scnn), seed=0)
    assert totals["useful_macs"].iloc[0] == alone.total["useful_macs"]
    assert totals["cycles"].iloc[0] == alone.total["cycles"]
    assert list(layers[layers["sparsity"] == 0.0]["layer"]) == list(alone.layers["layer"])
    assert totals["useful_macs"].iloc[1] != totals["useful_macs"].iloc[0]


def test_a_point_is_the_same_with_the_workers_cache_warm_or_cold():
    """A worker keeps the last model's weights and masks (sweep._masks); a point's result never depends on
    what ran before it in the process: each point equals ``simulate`` of its model alone, and a dense
    machine, which draws no weights, reports the sparsity the masks reach."""
    import accelsim as acs
    from accelsim.hardware import load_hardware
    hws = [ROOT / "hwconfigs" / f"{name}.yaml" for name in ("scnn_like", "dcnn")]
    points = sweep.grid("mobilenet_v1", {"width": [0.25]}, [0.5, 0.9], hws, [3])
    sweep._LAST.clear()
    warm = [sweep.run_point(p) for p in points + points[::-1]]
    model = acs.zoo.mobilenet_v1(width=0.25)
    for point, (layers, summary) in zip(points + points[::-1], warm):
        masks = acs.prune(model, point.sparsity, seed=3)
        alone = acs.simulate(model, load_hardware(ROOT / "hwconfigs" / point.hw_file), masks=masks, seed=3)
        assert summary["totals"]["cycles"] == alone.total["cycles"]
        assert summary["totals"]["energy_pj"] == alone.total["energy_pj"]
        assert summary["metadata"]["sparsity"] == masks.total_sparsity
        assert list(layers["cycles"]) == list(alone.layers["cycles"])
