"""Workload files: the shipped traces, SCALE-Sim topologies against SCALE-Sim's own report and the zoo, and
one test per kind of bad input (each message names the file and where in it)."""
import csv
import io
import pathlib

import pytest

from accelsim.errors import ManyInputErrors, WorkloadError
from accelsim.workloads import Conv2D, DepthwiseConv2D, Linear, zoo
from accelsim.workloads import files
from accelsim.workloads.files import Workload, load_workload, read_workload

ROOT = pathlib.Path(__file__).resolve().parent.parent
TRACES = ROOT / "traces"
REFERENCE = ROOT / "benchmarks" / "reference"

#: EIE, Han et al. ISCA 2016, Table III: (name, in, out, weight density, activation density).
EIE_TABLE3 = [
    ("Alex-6", 9216, 4096, 0.09, 0.351), ("Alex-7", 4096, 4096, 0.09, 0.353),
    ("Alex-8", 4096, 1000, 0.25, 0.375), ("VGG-6", 25088, 4096, 0.04, 0.183),
    ("VGG-7", 4096, 4096, 0.04, 0.375), ("VGG-8", 4096, 1000, 0.23, 0.411),
    ("NT-We", 4096, 600, 0.10, 1.0), ("NT-Wd", 600, 8791, 0.11, 1.0), ("NT-LSTM", 1201, 2400, 0.10, 1.0),
]


# --- shipped traces ----------------------------------------------------------------------------------------

def test_eie_benchmarks_match_table3():
    workload = read_workload(TRACES / "eie_benchmarks.yaml")
    layers = workload.model.layers
    assert [layer.name for layer in layers] == [row[0] for row in EIE_TABLE3]
    for layer, (name, n_in, n_out, weight, activation) in zip(layers, EIE_TABLE3):
        assert isinstance(layer, Linear)
        assert layer.weight_shape == (n_out, n_in)
        assert (layer.bias, layer.steps) == (False, 1)
        assert workload.weight_density[name] == weight
        assert workload.activation_density[name] == activation


def test_eie_benchmarks_comments_carry_the_published_times():
    text = (TRACES / "eie_benchmarks.yaml").read_text()
    for theoretical, actual in [("28.1", "30.3"), ("11.7", "12.2"), ("8.9", "9.9"), ("28.1", "34.4"),
                                ("7.9", "8.7"), ("7.3", "8.4"), ("5.2", "8.0"), ("13.0", "13.9"), ("6.5", "7.5")]:
        assert f"{theoretical} us theoretical, {actual} us actual" in text


def test_example_small_loads():
    workload = read_workload(TRACES / "example_small.yaml")
    conv, dw, fc = workload.model.layers
    assert workload.model.name == "example_small"
    assert type(conv) is Conv2D and conv.padding == (1, 1, 1, 1) and (conv.out_h, conv.out_w) == (32, 32)
    assert conv.prunable is False
    assert isinstance(dw, DepthwiseConv2D) and dw.groups == dw.out_channels == 16 and dw.out_h == 16
    assert isinstance(fc, Linear) and fc.in_features == dw.output_elements and fc.bias
    assert dict(workload.weight_density) == {"fc": 0.2}
    assert dict(workload.activation_density) == {"dw2": 0.6, "fc": 0.5}


def test_load_workload_returns_the_model_and_workload_is_read_only():
    path = TRACES / "example_small.yaml"
    assert load_workload(path) == read_workload(path).model
    with pytest.raises(TypeError):
        read_workload(path).weight_density["fc"] = 0.5  # type: ignore[index]
    assert isinstance(read_workload(REFERENCE / "alexnet.csv"), Workload)
    assert not read_workload(REFERENCE / "alexnet.csv").weight_density


def test_yaml_fields_of_every_layer_type(tmp_path):
    path = write(tmp_path, "all.yml", """
name: all
layers:
  - {name: c, type: conv2d, in_channels: 4, out_channels: 8, kernel_h: 3, kernel_w: 1, in_h: 9, in_w: 7,
     stride: 2, padding: [1, 0, 0, 2], groups: 2, bias: true}
  - {name: l, type: lstm, input_size: 10, hidden_size: 20, bidirectional: true, steps: 3, bias: false}
  - {name: e, type: embedding, vocab_size: 100, dim: 8, steps: 5, weight_density: 1e-1}
  - {name: a, type: attention, units: 16, query_size: 8, memory_size: 4, memory_length: 6, steps: 2,
     at_inference: false}
""")
    c, lstm, e, a = load_workload(path).layers
    assert (c.padding, c.groups, c.bias, c.out_h, c.out_w) == ((1, 0, 0, 2), 2, True, 4, 5)
    assert lstm.weight_shape == (2 * 4 * 20, 30) and lstm.steps == 3 and lstm.bias_count == 0
    assert e.weight_shape == (100, 8) and read_workload(path).weight_density["e"] == 0.1
    assert a.at_inference is False and a.prunable is False


def test_stride_per_axis_and_same_padding_per_axis(tmp_path):
    """``stride: [2, 1]`` with SAME padding on a 9 x 7 input, 3 x 3 kernel: rows ceil(9 / 2) = 5 outputs, total
    padding (5 - 1) * 2 + 3 - 9 = 2, i.e. (1, 1); columns ceil(7 / 1) = 7, total 6 + 3 - 7 = 2, i.e. (1, 1);
    ``stride: [3, 3]`` is the one integer 3."""
    path = write(tmp_path, "s.yml", """
name: s
layers:
  - {name: c, type: conv2d, in_channels: 2, out_channels: 4, kernel_h: 3, kernel_w: 3, in_h: 9, in_w: 7,
     stride: [2, 1], padding: same}
  - {name: d, type: conv2d, in_channels: 4, out_channels: 4, kernel_h: 1, kernel_w: 1, in_h: 5, in_w: 7,
     stride: [3, 3]}
""")
    c, d = load_workload(path).layers
    assert (c.stride, c.padding, c.out_h, c.out_w) == ((2, 1), (1, 1, 1, 1), 5, 7)
    assert d.stride == 3 and (d.out_h, d.out_w) == (2, 3)


# --- SCALE-Sim topologies ----------------------------------------------------------------------------------

def scalesim_report(name):
    """SCALE-Sim's per-layer report (benchmarks/reference), its '#' metadata lines skipped."""
    text = (REFERENCE / name).read_text()
    return list(csv.DictReader(io.StringIO("".join(l for l in text.splitlines(True) if not l.startswith("#")))))


def test_mobilenet_topology_macs_match_scalesim_report():
    model = load_workload(REFERENCE / "mobilenet_v1_224.csv")
    report = scalesim_report("scalesim_mobilenet_v1_ws.csv")
    assert len(model.layers) == 28 == len(report)
    assert [layer.name for layer in model.layers] == [row["layer"] for row in report]
    for layer, row in zip(model.layers, report):
        assert layer.macs == int(row["macs"]), layer.name
        assert (layer.out_h, layer.out_w) == (int(row["ofmap_h"]), int(row["ofmap_w"]))
        assert isinstance(layer, DepthwiseConv2D) == (row["layer_type"] == "depthwise")


def test_mobilenet_topology_matches_the_zoo():
    """The topology's 27 convolutions are the zoo's MobileNet v1 1.0 layer for layer (SCALE-Sim pre-pads
    the IFMAP, the zoo pads SAME). Its last row, FC, is a 1024 -> 1000 classifier; the zoo's has 1001
    classes (TF-slim's background class), so it is compared on its own."""
    topology = load_workload(REFERENCE / "mobilenet_v1_224.csv")
    ours = zoo.mobilenet_v1(1.0)
    convs = [layer for layer in ours.layers if isinstance(layer, Conv2D)]
    assert len(convs) == 27 and len(topology.layers) == 28
    for theirs, mine in zip(topology.layers[:27], convs):
        assert type(theirs) is type(mine)
        assert theirs.weight_shape == mine.weight_shape and theirs.macs == mine.macs
    assert sum(layer.macs for layer in topology.layers[:27]) == sum(layer.macs for layer in convs)
    fc = topology.layer("FC")
    assert type(fc) is Conv2D and fc.weight_shape == (1000, 1024, 1, 1) and fc.macs == 1024 * 1000
    assert ours.layer("fc").macs == 1024 * 1001


@pytest.mark.parametrize("name,count,report", [("yolo_tiny.csv", 9, "scalesim_yolo_tiny_ws.csv"),
                                               ("alexnet.csv", 5, "scalesim_alexnet_ws.csv")])
def test_other_topologies_load(name, count, report):
    model = load_workload(REFERENCE / name)
    assert len(model.layers) == count and model.name == name[:-4]
    assert all(type(layer) is Conv2D for layer in model.layers)
    rows = scalesim_report(report)
    assert [layer.macs for layer in model.layers] == [int(row["macs"]) for row in rows]


def test_alexnet_first_layer_shape():
    conv1 = load_workload(REFERENCE / "alexnet.csv").layers[0]
    assert (conv1.in_channels, conv1.out_channels, conv1.kernel_h, conv1.stride) == (3, 96, 11, 4)
    assert (conv1.in_h, conv1.padding, conv1.out_h, conv1.out_w) == (224, (0, 3, 0, 3), 55, 55)
    assert all(layer.padding == (0, 0, 0, 0) for layer in load_workload(REFERENCE / "alexnet.csv").layers[1:])


def test_scalesim_overhanging_last_window_is_padding(tmp_path):
    """SCALE-Sim's outputs per axis are ceil((H - R + s) / s) (topology_utils.topo_calc_hyperparams)."""
    path = write(tmp_path, "o.csv", HEADER + "a, 10, 9, 3, 3, 1, 1, 2,\n")
    layer = load_workload(path).layers[0]
    assert layer.padding == (0, 1, 0, 0) and (layer.out_h, layer.out_w) == (5, 4)


def test_depthwise_row_with_several_filters_per_channel(tmp_path):
    """SCALE-Sim reads Num Filter of a DP row per channel: C single-channel layers of m filters each."""
    path = write(tmp_path, "dp.csv", HEADER + "DP_a, 10, 10, 3, 3, 8, 2, 1,\nconvDP_b, 8, 8, 3, 3, 16, 1, 1,\n")
    grouped, depthwise = load_workload(path).layers
    assert type(grouped) is Conv2D and (grouped.groups, grouped.out_channels) == (8, 16)
    assert grouped.macs == 8 * (8 * 8 * 3 * 3 * 1 * 2)
    assert isinstance(depthwise, DepthwiseConv2D)


def test_lowercase_dp_is_not_depthwise(tmp_path):
    path = write(tmp_path, "dp.csv", HEADER + "dp_a, 10, 10, 3, 3, 8, 8, 1,\n")
    assert type(load_workload(path).layers[0]) is Conv2D


def test_rows_without_trailing_comma_and_nine_columns(tmp_path):
    path = write(tmp_path, "t.csv", "Layer, IH, IW, FH, FW, C, NF, SH, SW,\nc1, 9, 9, 3, 3, 2, 4, 2, 2\n\n")
    layer = load_workload(path).layers[0]
    assert (layer.stride, layer.padding, layer.out_h) == (2, (0, 0, 0, 0), 4)


def test_gemm_topology(tmp_path):
    """SCALE-Sim's GEMM input (topologies/GEMM_mnk/): M x K times K x N -> Linear(K -> N) on M vectors."""
    path = write(tmp_path, "g.csv", "Layer Name, M, N, K,\nTest 1, 256, 128, 64,\n")
    layer = load_workload(path).layers[0]
    assert isinstance(layer, Linear) and layer.weight_shape == (128, 64) and layer.steps == 256
    assert layer.macs == 256 * 128 * 64 and not layer.bias


# --- bad input: one test per case, each message names the file and where ----------------------------------

HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
GOOD_LAYER = "  - {name: fc, type: linear, in_features: 8, out_features: 4}\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path):
    """The one-line message of a bad file: one problem as a WorkloadError, several as ManyInputErrors."""
    with pytest.raises((WorkloadError, ManyInputErrors)) as info:
        read_workload(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    return message


def test_missing_file(tmp_path):
    assert "cannot read the file" in error_of(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name,text,fragments", [
    pytest.param("w.json", "{}",
                 ("unknown workload file type", "'.json'"), id="unknown_extension"),
    pytest.param("h.csv", "Conv1, 9, 9, 3, 3, 1, 1, 1,\n",
                 ("missing header line", "line 1"), id="csv_missing_header"),
    pytest.param("h.csv", "Layer name, IFMAP Height, IFMAP Width,\nc, 1, 1,\n",
                 ("missing columns in the header", "line 1"), id="csv_header_missing_columns"),
    pytest.param("m.csv", HEADER + "Conv1, 9, 9, 3, 3, 1,\n",
                 ("missing columns", "line 2 (Conv1): Num Filter"), id="csv_row_missing_columns"),
    pytest.param("m.csv", HEADER + "Conv1, 9, 9, 3, 3, 1, 1, 1, 1, 7,\n",
                 ("too many columns", "line 2 (Conv1)"), id="csv_too_many_columns"),
    pytest.param("n.csv", HEADER + "Conv1, 9, 9.5, 3, 3, 1, 1, 1,\n",
                 ("not a whole number", "line 2 (Conv1): IFMAP Width", "'9.5'"), id="csv_non_integer"),
    pytest.param("z.csv", HEADER + "Conv1, 9, 9, 3, 3, 0, 1, 1,\n",
                 ("must be positive", "line 2 (Conv1): Channels"), id="csv_zero_dimension"),
    pytest.param("z.csv", HEADER + "Conv1, 9, 9, 3, 3, 1, 1, -2,\n",
                 ("line 2 (Conv1): Strides", "'-2'"), id="csv_negative_dimension"),
    pytest.param("f.csv", HEADER + "Conv1, 9, 2, 3, 3, 1, 1, 1,\n",
                 ("filter larger than the ifmap", "line 2 (Conv1): Filter Width"), id="csv_filter_larger_than_ifmap"),
    pytest.param("s.csv", HEADER + "Conv1, 9, 9, 3, 3, 1, 1, 1, 2,\n",
                 ("different row and column strides", "Stride Width"), id="csv_different_strides"),
    pytest.param("d.csv", HEADER + "A, 9, 9, 3, 3, 1, 1, 1,\n\nA, 7, 7, 3, 3, 1, 1, 1,\n",
                 ("duplicate layer name (lines 2 and 4)", "line 4 (A)"), id="csv_duplicate_names"),
    pytest.param("d.csv", HEADER + " , 9, 9, 3, 3, 1, 1, 1,\n",
                 ("layer without a name", "line 2"), id="csv_empty_name"),
    pytest.param("s.yaml", "name: x\nlayers: [\n",
                 ("not valid YAML", "line"), id="yaml_syntax_error"),
    pytest.param("t.yaml", "name: !!python/object/apply:os.getcwd []\nlayers: []\n",
                 ("not valid YAML",), id="yaml_python_tag_refused"),
    pytest.param("e.yaml", "name: x\nlayers: []\n",
                 ("empty workload", "layers"), id="yaml_no_layers"),
    pytest.param("e.yaml", "name: x\n",
                 ("missing key", ": layers:"), id="yaml_missing_layers_key"),
    pytest.param("k.yaml", "name: x\nlayer:\n" + GOOD_LAYER,
                 ("unknown key (did you mean 'layers'?)", ": layer:"), id="yaml_unknown_top_level_key"),
    pytest.param("k.yaml", "name: x\nlayers:\n  - {name: g, type: linear, in_features: 8}\n",
                 ("missing key", "layers[0].out_features (layer g)", "expected an integer >= 1 (features)"),
                 id="yaml_missing_layer_key"),
    pytest.param("k.yaml", "name: x\nlayers:\n  - {type: linear, in_features: 8}\n",
                 ("missing key", "layers[0].name"), id="yaml_missing_layer_name"),
    pytest.param("d.yaml", "name: x\nlayers:\n" + GOOD_LAYER + GOOD_LAYER,
                 ("duplicate layer name (layers[0] and layers[1])", "layers[1].name"), id="yaml_duplicate_layer_names"),
    pytest.param("m.yaml", "name: x\nlayers:\n  - fc\n",
                 ("layer is not a mapping", "layers[0]"), id="yaml_layer_not_a_mapping"),
])
def test_bad_workload_file_is_named_with_its_place(tmp_path, name, text, fragments):
    """Each bad file: the one-line message says what is wrong and where (line and layer, or key path)."""
    message = error_of(write(tmp_path, name, text))
    for fragment in fragments:
        assert fragment in message


def test_file_too_large_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    path = write(tmp_path, "big.yaml", "name: x\n" + "#" * 200 + "\n")
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("the file was opened"))
    assert "file too large" in error_of(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes(b"\xff\xfe\x00bad")
    assert "not UTF-8" in error_of(path)


def test_csv_empty(tmp_path):
    assert "empty workload" in error_of(write(tmp_path, "e.csv", "\n\n"))


def test_csv_header_only(tmp_path):
    assert "empty workload" in error_of(write(tmp_path, "e.csv", HEADER))


def test_yaml_duplicate_key(tmp_path):
    message = error_of(write(tmp_path, "d.yaml", "name: x\nlayers:\n  - name: fc\n    type: linear\n"
                                                "    in_features: 8\n    out_features: 4\n    in_features: 9\n"))
    assert "duplicate key (lines 5 and 7)" in message and "in_features" in message


def test_yaml_empty_document(tmp_path):
    assert "empty workload" in error_of(write(tmp_path, "e.yaml", "# nothing\n"))


def test_yaml_unknown_layer_type(tmp_path):
    message = error_of(write(tmp_path, "t.yaml", "name: x\nlayers:\n"
                                                "  - {name: c, type: conv_2d, in_channels: 1}\n"))
    assert "unknown value (did you mean 'conv2d'?)" in message and "layers[0].type (layer c)" in message
    assert "'conv_2d'" in message


def test_yaml_unknown_layer_key(tmp_path):
    message = error_of(write(tmp_path, "k.yaml", "name: x\nlayers:\n" + GOOD_LAYER
                                                + "  - {name: g, type: linear, in_feature: 8, out_features: 4}\n"))
    assert "did you mean 'in_features'?" in message and "layers[1].in_feature (layer g)" in message


def test_yaml_bad_dimension(tmp_path):
    message = error_of(write(tmp_path, "d.yaml", "name: x\nlayers:\n"
                                                "  - {name: g, type: linear, in_features: 8.0, out_features: 4}\n"))
    assert "not an integer" in message and "layers[0].in_features (layer g)" in message and "8.0" in message


def test_yaml_zero_dimension(tmp_path):
    message = error_of(write(tmp_path, "d.yaml", "name: x\nlayers:\n"
                                                "  - {name: g, type: lstm, input_size: 0, hidden_size: 4}\n"))
    assert "layers[0].input_size (layer g): out of range" in message and "an integer >= 1" in message


def test_yaml_bad_boolean(tmp_path):
    message = error_of(write(tmp_path, "b.yaml", "name: x\nlayers:\n"
                                                "  - {name: g, type: linear, in_features: 8, out_features: 4,"
                                                " bias: 'no'}\n"))
    assert "not a boolean" in message and "layers[0].bias (layer g)" in message


def test_yaml_bad_padding(tmp_path):
    message = error_of(write(tmp_path, "p.yaml", "name: x\nlayers:\n"
                                                "  - {name: c, type: conv2d, in_channels: 1, out_channels: 1,"
                                                " kernel_h: 3, kernel_w: 3, in_h: 8, in_w: 8, padding: [1, 1]}\n"))
    assert "bad padding" in message and "layers[0].padding (layer c)" in message


def test_yaml_filter_larger_than_input(tmp_path):
    message = error_of(write(tmp_path, "f.yaml", "name: x\nlayers:\n"
                                                "  - {name: c, type: conv2d, in_channels: 1, out_channels: 1,"
                                                " kernel_h: 5, kernel_w: 5, in_h: 4, in_w: 8}\n"))
    assert "kernel larger than padded input" in message and "layers[0] (layer c)" in message


def test_yaml_groups_not_dividing_channels(tmp_path):
    message = error_of(write(tmp_path, "g.yaml", "name: x\nlayers:\n"
                                                "  - {name: c, type: conv2d, in_channels: 6, out_channels: 4,"
                                                " kernel_h: 1, kernel_w: 1, in_h: 4, in_w: 4, groups: 4}\n"))
    assert "not divisible by groups" in message and "layers[0].groups (layer c)" in message


@pytest.mark.parametrize("value", ["0", "1.5", "-0.1", "'0.5'", ".nan", "true"])
def test_yaml_density_out_of_range(tmp_path, value):
    message = error_of(write(tmp_path, "d.yaml", "name: x\nlayers:\n"
                                                "  - {name: g, type: linear, in_features: 8, out_features: 4,"
                                                f" activation_density: {value}}}\n"))
    assert "layers[0].activation_density (layer g)" in message and "> 0 and <= 1" in message


def test_yaml_top_level_not_a_mapping(tmp_path):
    assert "top level is not a mapping" in error_of(write(tmp_path, "m.yaml", "- a\n- b\n"))


def test_yaml_reports_every_problem_in_one_pass(tmp_path):
    """Three layers with a problem each, and a misspelt top-level key: four problems on one line."""
    message = error_of(write(tmp_path, "many.yaml", "name: x\nnotes: hi\nlayers:\n"
                                                    "  - {name: a, type: linear, in_features: 0, out_features: 4}\n"
                                                    "  - {name: b, type: lstm, input_size: 8}\n"
                                                    "  - {name: c, type: conv_2d}\n"))
    problems = message.split(" | ")
    assert len(problems) == 4 and all(p.startswith(str(tmp_path / "many.yaml")) for p in problems)
    for fragment in ("notes: unknown key", "layers[0].in_features (layer a): out of range",
                     "layers[1].hidden_size (layer b): missing key", "layers[2].type (layer c): unknown value"):
        assert sum(fragment in p for p in problems) == 1, fragment
