"""The real topologies the onnx package ships (onnx/backend/test/data/light/: the ONNX model zoo's networks
with their weights replaced by constants) import completely, with the MACs their published tables give.

References, multiply-accumulates for one 224x224 image: torchvision's model table ("GFLOPS", which counts
multiply-accumulates): ResNet-50 4.09 G (the v1.5 layout these files have: stride 2 in the 3x3
convolutions), VGG-19 19.63 G, DenseNet-121 2.83 G, SqueezeNet 1.1 0.35 G. Each is checked to the precision
the table prints.
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
