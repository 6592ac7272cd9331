"""A real trained model shipped in a PyPI wheel (PaddleOCR's text-direction classifier in the rapidocr-onnxruntime
1.4.4 wheel, Apache-2.0; benchmarks/real_model.py says what it is and prints the measured densities and cycles):
imported, measured on real inputs (rendered text lines), one-shot pruned from its real weights, simulated on
SCNN, DCNN and the systolic array. Slow; skipped unless the wheel is installed (``make test-slow`` installs
it). References: the samples' own labels (upright / turned), the ONNX graph's shapes (MACs), the samples'
non-zeros, and the definition of a useful product (a non-zero weight times a non-zero activation whose
output lies in the plane) counted with numpy."""
from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from conftest import ROOT

pytest.importorskip("onnxruntime")
pytest.importorskip("PIL")
pytestmark = pytest.mark.slow


def _load():
    spec = importlib.util.spec_from_file_location("real_model", ROOT / "benchmarks" / "real_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


real = _load()
if real.model_file() is None:
    pytest.skip("rapidocr-onnxruntime 1.4.4 is not installed (make test-slow installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from accelsim.importers import bundle
    found = real.study(tmp_path_factory.mktemp("real"), 0.5)
    return {**found, "bundle": bundle.read_bundle(found["measured"])}


def test_the_model_is_trained_it_tells_upright_from_turned_text():
    import onnxruntime
    x, turned = real.samples()
    session = onnxruntime.InferenceSession(str(real.model_file()), providers=["CPUExecutionProvider"])
    labels = [int(session.run(None, {real.INPUT: sample})[0].argmax()) for sample in x]
    assert labels == turned.astype(int).tolist()


def _conv_macs() -> list[tuple[int, tuple[int, int]]]:
    """(MACs from the ONNX graph's inferred shapes: output elements x input channels per group x kernel, its
    strides (rows, columns)) of every Conv node in graph order."""
    import onnx
    model = onnx.load(real.model_file())
    for dim, size in zip(model.graph.input[0].type.tensor_type.shape.dim, real.SHAPE):
        dim.dim_value = size
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.value_info}
    weights = {t.name: list(t.dims) for t in model.graph.initializer}
    weights.update({node.output[0]: list(node.attribute[0].t.dims) for node in model.graph.node
                    if node.op_type == "Constant" and node.attribute[0].name == "value"})
    found = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            k, c_per_group, kh, kw = weights[node.input[1]]
            strides = next((list(a.ints) for a in node.attribute if a.name == "strides"), [1, 1])
            found.append((int(np.prod(shapes[node.output[0]])) * c_per_group * kh * kw, tuple(strides)))
    return found


def test_every_convolution_is_simulated_with_the_graphs_macs_and_strides(study):
    layers = study["bundle"].workload.model.layers
    graph = _conv_macs()
    assert [(layer.macs, (layer.stride_h, layer.stride_w)) for layer in layers] == graph
    assert sum(strides == (2, 1) for _, strides in graph) == 4


def test_first_layers_measured_density_is_the_samples_non_zeros(study):
    x, _ = real.samples()
    first = study["bundle"].workload.model.layers[0].name
    acts = study["bundle"].activations[first]
    assert acts.shape[0] == len(x)
    np.testing.assert_array_equal(acts.reshape(len(x), -1), x.reshape(len(x), -1) != 0)


def test_one_shot_pruning_keeps_each_layers_largest_real_weights(study):
    from accelsim.pruning import load_masks
    model = study["bundle"].workload.model
    masks = load_masks(study["pruned"], model)
    weights = study["bundle"].weights()
    for layer in model.layers:
        kept, w = masks[layer.name], np.abs(weights[layer.name])
        assert abs(kept.mean() - 0.5) <= 1 / kept.size, layer.name
        if kept.any() and (~kept).any():
            assert w[kept].min() >= w[~kept].max(), layer.name


def _useful_products(layer, weights: np.ndarray, acts: np.ndarray) -> int:
    """Products of a non-zero weight and a non-zero activation whose output lies in the plane, by definition:
    for each kernel offset (r, s), the non-zero activations each output position reads there, per channel."""
    top, bottom, left, right = layer.padding
    padded = np.pad(acts, ((0, 0), (top, bottom), (left, right))).astype(np.int64)
    per_group_k, per_group_c = layer.out_channels // layer.groups, layer.in_channels // layer.groups
    total = 0
    for r in range(layer.kernel_h):
        for s in range(layer.kernel_w):
            window = padded[:, r:r + layer.stride_h * (layer.out_h - 1) + 1:layer.stride_h,
                            s:s + layer.stride_w * (layer.out_w - 1) + 1:layer.stride_w]
            reads = window.sum(axis=(1, 2))                                          # per input channel
            for g in range(layer.groups):
                w = weights[g * per_group_k:(g + 1) * per_group_k, :, r, s].astype(np.int64)
                total += int(w.sum(axis=0) @ reads[g * per_group_c:(g + 1) * per_group_c])
    return total


def test_scnn_useful_products_are_the_pruned_weights_times_the_measured_activations(study):
    from accelsim.pruning import load_masks
    model = study["bundle"].workload.model
    masks = load_masks(study["pruned"], model)
    acts = study["bundle"].activations
    rows = {row["layer"]: row for row in study["results"]["scnn_like.yaml", "pruned", "measured"].rows}
    for layer in model.layers:
        expected = np.mean([_useful_products(layer, masks[layer.name], a) for a in acts[layer.name]])
        assert rows[layer.name]["useful_macs"] == pytest.approx(expected, rel=1e-12), layer.name


def test_every_machine_simulates_it_and_says_which_activations_it_used(study):
    results = study["results"]
    assert results["scnn_like.yaml", "real", "measured"].metadata["activations"] == f"measured ({len(real.TEXTS)} samples)"
    assert results["scnn_like.yaml", "real", "density"].metadata["activations"] == "density model"
    for machine in ("dcnn.yaml", "dense_edge.yaml"):
        assert results[machine, "real", "measured"].metadata["activations"] == "not used (dense engine)"
    for result in results.values():
        assert result.total["cycles"] > 0
        assert result.total["useful_macs"] <= result.total["macs"]
