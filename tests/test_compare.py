"""compare: the paper's pairs, joined with footprint and accuracy, and the headline verdicts."""
import pathlib

import pandas as pd
import pytest

from accelsim.errors import InputError
from accelsim.pruning.structured import parse_structure
from accelsim.reference import paper_table
from accelsim.study import compare

ROOT = pathlib.Path(__file__).resolve().parent.parent
DENSE_EDGE = ROOT / "hwconfigs" / "dense_edge.yaml"


@pytest.fixture(scope="module")
def mobilenet(tmp_path_factory):
    return compare.compare("mobilenet", [DENSE_EDGE], tmp_path_factory.mktemp("cmp"), jobs=1)


def test_variants_are_the_papers_pairs():
    """paper Table 2: three small-dense widths and four large-sparse sparsities of width 1.0; Table 3 and 4
    likewise (the dense large / 1024 baselines are not part of a pair)."""
    family, chosen = compare.variants("mobilenet")
    assert family == "mobilenet_v1"
    assert sorted((dict(v.options)["width"], v.sparsity) for v in chosen) == [
        (0.25, 0.0), (0.5, 0.0), (0.75, 0.0), (1.0, 0.5), (1.0, 0.75), (1.0, 0.9), (1.0, 0.95)]
    assert {v.kind for v in compare.variants("ptb")[1] if v.sparsity == 0} == {"small-dense"}
    assert not any(v.higher_is_better for v in compare.variants("ptb")[1])
    assert len(compare.variants("gnmt")[1]) == 3 + 3


def test_table_joins_footprint_and_accuracy(mobilenet):
    """Sizes follow paper Table 6 (within 0.02 MB) and accuracies are Table 2's top-1."""
    t6 = paper_table(6)
    for _, row in t6.iterrows():
        ours = mobilenet[(mobilenet["model"].str.endswith(f"_{row['width']:g}"))
                         & (mobilenet["sparsity"] == row["sparsity"])].iloc[0]
        assert ours["model_mb"] == pytest.approx(row["model_size_mb"], abs=0.02)
        assert ours["accuracy"] == row["top1"]
    assert len(mobilenet) == 7 and set(mobilenet["kind"]) == {"small-dense", "large-sparse"}


def test_headline_pairs_each_small_dense_with_the_nearest_large_sparse(mobilenet):
    head = compare.headline(mobilenet)
    assert list(head["small_dense"]) == ["mobilenet_v1_0.25", "mobilenet_v1_0.5", "mobilenet_v1_0.75"]
    assert list(head["large_sparse"]) == ["mobilenet_v1_1 @ 0.9", "mobilenet_v1_1 @ 0.75", "mobilenet_v1_1 @ 0.5"]
    assert (head["more_accurate"] == "large-sparse").all()      # paper Table 6
    # a dense machine multiplies the large model's zeros at full price
    assert (head["faster"] == "small-dense").all()


def test_equal_costs_are_a_tie(tmp_path):
    """A dense machine ignores the large model's zeros, so PTB medium pruned 2:4 runs exactly as PTB medium
    dense: neither is faster nor cheaper (a tie), while the smaller PTB small is faster on any machine."""
    table = compare.compare("ptb", [DENSE_EDGE], tmp_path, jobs=1, structure=parse_structure("2:4"))
    head = compare.headline(table).set_index("small_dense")
    assert head.loc["ptb_lstm_medium", "faster"] == head.loc["ptb_lstm_medium", "less_energy"] == "tie"
    assert head.loc["ptb_lstm_small", "faster"] == "small-dense"
    assert compare.winner(1.0, 2.0) == "large-sparse" and compare.winner(2.0, 1.0) == "small-dense"


def test_compare_resumes_and_is_deterministic(mobilenet, tmp_path):
    again = compare.compare("mobilenet", [DENSE_EDGE], tmp_path, jobs=2)
    pd.testing.assert_frame_equal(mobilenet.reset_index(drop=True), again.reset_index(drop=True))


def test_unknown_family_is_bad_input():
    with pytest.raises(InputError, match="--family"):
        compare.variants("resnet")


def test_mb_columns_mean_the_same_in_footprint_and_compare(mobilenet):
    """A size column names what it holds, the same in ``footprint`` and ``compare``: ``model_mb`` is the
    whole stored model (values + index), ``unpruned_mb`` every parameter stored dense, ``*_overhead_mb``
    a format's overhead alone; the headline's ``small_dense_model_mb`` / ``large_sparse_model_mb`` are the
    two models' ``model_mb``."""
    from accelsim import study
    from accelsim.workloads import zoo
    storage = study.footprint_table(zoo.mobilenet_v1(width=0.25), [0.0, 0.9], with_paper=True)
    sizes = [c for c in storage.columns if c.endswith("_mb")]
    assert {"model_mb", "unpruned_mb"} <= set(sizes)
    assert all(c in ("model_mb", "unpruned_mb", "paper_model_mb") or c.endswith("_overhead_mb") for c in sizes), sizes
    head = compare.headline(mobilenet)
    assert "dense_mb" not in head and "dense_mb" not in mobilenet
    by_model = mobilenet.set_index(["model", "sparsity"])["model_mb"]
    for _, row in head.iterrows():
        model, sparsity = row["large_sparse"].split(" @ ")
        assert row["small_dense_model_mb"] == by_model[(row["small_dense"], 0.0)]
        assert row["large_sparse_model_mb"] == by_model[(model, float(sparsity))]
    dense = storage.set_index("sparsity").loc[0.0]
    assert dense["model_mb"] == dense["unpruned_mb"]
    assert head.iloc[0]["small_dense_model_mb"] == pytest.approx(dense["model_mb"])
