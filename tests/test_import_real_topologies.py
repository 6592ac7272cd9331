"""The real topologies the onnx package ships (onnx/backend/test/data/light/: the ONNX model zoo's networks
with their weights replaced by constants) import completely, with the MACs their published tables give.

References, multiply-accumulates for one 224x224 image: torchvision's model table ("GFLOPS", which counts
multiply-accumulates): ResNet-50 4.09 G (the v1.5 layout these files have: stride 2 in the 3x3
convolutions), VGG-19 19.63 G, DenseNet-121 2.83 G, SqueezeNet 1.1 0.35 G. Each is checked to the precision
the table prints. Inception v1 (GoogLeNet) against a closed form of its paper's channel counts.
"""
from __future__ import annotations

from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
from accelsim.importers.onnx import import_onnx  # noqa: E402

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
PUBLISHED_GMACS = {"light_resnet50.onnx": (4.09, 2), "light_vgg19.onnx": (19.63, 2),
                   "light_densenet121.onnx": (2.83, 2), "light_squeezenet.onnx": (0.35, 2)}


@pytest.mark.parametrize("name", sorted(PUBLISHED_GMACS))
def test_real_topology_macs_match_published(name):
    if not (LIGHT / name).exists():
        pytest.skip(f"this onnx version ships no {name}")
    result = import_onnx(LIGHT / name)
    gmacs, digits = PUBLISHED_GMACS[name]
    assert round(result.model.macs / 1e9, digits) == gmacs
    assert not [r for r in result.reports if r.status == "unmapped"]
    simulated = sum(r.macs for r in result.reports if r.status == "simulated")
    assert simulated == result.model.macs


def test_inception_v1_has_googlenets_channels_at_the_files_pooled_sizes():
    """light_inception_v1.onnx is Caffe's bvlc_googlenet with its max pools rounding down (pads 0, no
    ceil_mode), so its planes are 55, 27, 13 and 6 pixels where the GoogLeNet paper's (Szegedy et al. 2015,
    Table 1, Caffe rounding up) are 56, 28, 14 and 7: 1.43 G MACs against the table's 1.59 G. The closed
    form: Table 1's channel counts at the file's sizes (floor((in - 3) / 2) + 1 after each 3x3 stride-2
    pool: 112 -> 55 -> 27 -> 13 -> 6), conv1 at 112x112, and the 1024 -> 1000 classifier."""
    from test_googlenet import TABLE1, module_weights
    if not (LIGHT / "light_inception_v1.onnx").exists():
        pytest.skip("this onnx version ships no light_inception_v1.onnx")
    size = {"3": 27, "4": 13, "5": 6}
    expected = (112 * 112 * 64 * 3 * 7 * 7 + 55 * 55 * (64 * 64 + 64 * 192 * 9)
                + sum(size[name[0]] ** 2 * module_weights(row) for name, row in TABLE1.items()) + 1024 * 1000)
    result = import_onnx(LIGHT / "light_inception_v1.onnx")
    assert result.model.macs == expected
    assert len(result.model.layers) == 1 + 2 + 6 * len(TABLE1) + 1       # conv1, conv2's two, modules, classifier
    assert not [r for r in result.reports if r.status == "unmapped"]


CONVERTED = Path(onnx.__file__).parent / "backend" / "test" / "data" / "pytorch-converted"
TORCH_CASES = sorted(p.name for p in CONVERTED.glob("test_Conv[12]d*")) + ["test_Linear", "test_Linear_no_bias"]


@pytest.mark.parametrize("case", TORCH_CASES)
def test_torch_exported_layers_have_torchs_output_shapes(case):
    """PyTorch's own exports (onnx/backend/test/data/pytorch-converted/, with the outputs PyTorch computed):
    each imports as one layer whose outputs per sample are PyTorch's, and whose MACs are those outputs times
    the weights each output reads (the weight tensor's size over its output channels)."""
    from onnx import numpy_helper
    folder = CONVERTED / case
    if not folder.exists():
        pytest.skip(f"this onnx version ships no {case}")
    model = onnx.load(folder / "model.onnx")
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    batch = dims[0] if case.startswith("test_Conv") else 1
    shapes = {model.graph.input[0].name: (1, *dims[1:])} if case.startswith("test_Conv") else {}
    result = import_onnx(folder / "model.onnx", shapes)
    (layer,) = result.model.layers
    expected = numpy_helper.to_array(onnx.load_tensor(folder / "test_data_set_0" / "output_0.pb"))
    outputs = expected.size // batch
    weights = numpy_helper.to_array(model.graph.initializer[0])
    if case.startswith("test_Conv"):
        assert layer.out_channels * layer.out_h * layer.out_w == outputs
    else:
        assert layer.out_features * layer.steps == outputs
    assert layer.macs == outputs * weights.size // weights.shape[0]
