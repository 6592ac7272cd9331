"""Structured sparsity through the workflows: SCALE-Sim v3's Sparsity column in topology files, the warning for
masks an N:M machine cannot use, and ``compare --structure``."""
import pathlib

import pytest
from conftest import run_cli

import accelsim as acs
from accelsim.errors import WorkloadError
from accelsim.pruning.structured import nm_complies
from accelsim.study import compare
from accelsim.study.single import simulate_workload
from accelsim.workloads.files import read_workload

ROOT = pathlib.Path(__file__).resolve().parent.parent
NM = ROOT / "hwconfigs" / "nm_systolic.yaml"
DENSE_EDGE = ROOT / "hwconfigs" / "dense_edge.yaml"

#: SCALE-Sim v3's sample header and rows (topologies/sparsity/conv.csv, alexnet_part.csv), a dense third row
#: with an empty Sparsity cell and a fourth at 1:1 (both dense in SCALE-Sim: topology_utils.py).
SPARSE_TOPOLOGY = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Sparsity,
CONV_1, 5, 5, 3, 3, 2, 6, 1, 2:4,
Conv1, 224, 224, 11, 11, 3, 96, 4, 1:4,
Conv3, 13, 13, 3, 3, 16, 24, 1, ,
Conv4, 13, 13, 3, 3, 24, 24, 1, 1:1,
"""


def write(tmp_path, text: str, name: str = "topo.csv") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_sparsity_column_gives_each_layers_nm(tmp_path):
    workload = read_workload(write(tmp_path, SPARSE_TOPOLOGY))
    assert [layer.name for layer in workload.model.layers] == ["CONV_1", "Conv1", "Conv3", "Conv4"]
    assert dict(workload.weight_nm) == {"CONV_1": (2, 4), "Conv1": (1, 4)}


def test_gemm_topology_with_sparsity(tmp_path):
    """SCALE-Sim v3's topologies/sparsity/gemm.csv (its two rows renamed: accelsim needs distinct names)."""
    workload = read_workload(write(tmp_path, "Layer Name, M, N, K, Sparsity,\nGEMM_1, 3, 5, 16, 3:4,\n"
                                              "GEMM_2, 1, 5, 16, 1:4,\n"))
    assert dict(workload.weight_nm) == {"GEMM_1": (3, 4), "GEMM_2": (1, 4)}


@pytest.mark.parametrize("cell", ["3:2", "0:4", "2-4", "two:four", "2:4:8"])
def test_bad_sparsity_cell_names_line_and_column(tmp_path, cell):
    text = SPARSE_TOPOLOGY.replace("1:4,", f"{cell},")
    with pytest.raises(WorkloadError, match=r"line 3 \(Conv1\): Sparsity.*N:M with 1 <= N <= M"):
        read_workload(write(tmp_path, text))


def test_sparsity_column_leaves_no_room_for_more(tmp_path):
    with pytest.raises(WorkloadError, match="too many columns"):
        read_workload(write(tmp_path, SPARSE_TOPOLOGY.replace("2:4,", "2:4, 7,")))


def test_file_nm_runs_condensed_on_the_nm_array_and_dense_elsewhere(tmp_path):
    """The layers the file marks N:M get N:M masks (every group of M keeps at most N: checked here with the
    pruning module's own group test) and the N:M array runs them at that pattern; the others run dense."""
    workload = read_workload(write(tmp_path, SPARSE_TOPOLOGY))
    result = simulate_workload(workload, acs.load_hardware(NM))
    rows = {row["layer"]: row for row in result.rows}
    assert (rows["CONV_1"]["nm_n"], rows["CONV_1"]["nm_m"]) == (2, 4)
    assert (rows["Conv1"]["nm_n"], rows["Conv1"]["nm_m"]) == (1, 4)
    assert (rows["Conv3"]["nm_n"], rows["Conv4"]["nm_n"]) == (0, 0)
    assert result.metadata["warnings"] == []


def test_unstructured_masks_on_the_nm_array_warn_per_layer():
    model = acs.zoo.mobilenet_v1(0.25)
    masks = acs.prune(model, 0.5, seed=0)
    fits = [name for name, mask in masks.items() if not mask.all() and nm_complies(mask, 2, 4)]
    result = acs.simulate(model, acs.load_hardware(NM), masks=masks)
    warned = [w for w in result.metadata["warnings"] if "fits none of nm_patterns" in w]
    sparse = [name for name, mask in masks.items() if not mask.all()]
    assert len(warned) == len(sparse) - len(fits) > 0


@pytest.fixture(scope="module")
def two_four(tmp_path_factory):
    return compare.compare("mobilenet", [NM, DENSE_EDGE], tmp_path_factory.mktemp("cmp24"), jobs=1,
                           structure=compare.Structure("nm", n=2, m=4))


def test_compare_structure_prunes_the_large_model_with_it(two_four):
    large = two_four[two_four["kind"] == "large-sparse"]
    assert set(large["model"]) == {"mobilenet_v1_1"} and set(large["sparsity"]) == {0.5}
    assert set(large["structure"]) == {"2:4"} and large["accuracy"].isna().all()
    small = two_four[two_four["kind"] == "small-dense"]
    assert set(small["structure"]) == {"unstructured"} and not small["accuracy"].isna().any()


def test_compare_structure_runs_condensed_only_on_the_nm_array(two_four):
    """dense_edge multiplies every zero: its 2:4 model takes the dense width-1.0 model's cycles (simulated
    here without masks); the N:M array, the same 32 x 32 array, runs it condensed and faster."""
    large = two_four[two_four["kind"] == "large-sparse"].set_index("hardware")
    dense = acs.simulate(acs.zoo.mobilenet_v1(1.0), acs.load_hardware(DENSE_EDGE))
    assert large.loc["dense_edge", "cycles"] == dense.total["cycles"]
    assert large.loc["nm_systolic", "cycles"] < large.loc["dense_edge", "cycles"]


def test_compare_structure_headline_says_accuracy_is_unknown(two_four):
    head = compare.headline(two_four)
    assert (head["large_sparse"] == "mobilenet_v1_1 @ 0.5 2:4").all()
    assert (head["more_accurate"] == "unknown").all()


def test_compare_structure_refused_with_imported_models(capsys, tmp_path):
    status, _, err = run_cli(capsys, "compare", "--workload", tmp_path, "--structure", "2:4", "--hw", NM,
                             "--out", tmp_path / "out")
    assert status == 2 and "--structure" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
