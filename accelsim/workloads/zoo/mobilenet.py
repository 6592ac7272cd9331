"""MobileNet v1 (Howard et al. 2017) at any width multiplier and square input resolution (224 by default; Eyeriss
v2 runs width 0.5 at 128: 49.2 M MACs, its Table VI), TF ``SAME`` padding.

Counting follows the paper's 4.21M for width 1.0 (Zhu & Gupta 2017, Table 2): convolutions have no bias
(batch-norm folded, not counted), the classifier is a fully connected layer 1024*alpha -> 1001 with a bias.
The first standard convolution and the depthwise convolutions are not pruned (paper Sec. 4.1); pointwise
convolutions and the classifier are.
"""
from __future__ import annotations

from accelsim.errors import WorkloadError
from accelsim.workloads.layers import Conv2D, DepthwiseConv2D, Linear, same_padding
from accelsim.workloads.model import Model

#: (stride, output channels at width 1.0) of the 13 depthwise-separable blocks (Howard et al. 2017, Table 1).
BLOCKS = ((1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
          (1, 512), (1, 512), (1, 512), (1, 512), (1, 512), (2, 1024), (1, 1024))
MIN_DEPTH = 8  # TF-slim's min_depth: no layer is narrower than 8 channels


def scaled_channels(channels: int, width: float) -> int:
    """Channels of a layer at width multiplier ``width``: ``max(int(channels * width), 8)`` as TF-slim."""
    return max(int(channels * width), MIN_DEPTH)


def mobilenet_v1(width: float = 1.0, resolution: int = 224, num_classes: int = 1001) -> Model:
    """MobileNet v1 with every layer's input and output channels scaled by ``width`` (alpha), on a
    ``resolution`` x ``resolution`` input (the name says the resolution when it is not 224)."""
    if not isinstance(width, (int, float)) or isinstance(width, bool) or not 0 < width <= 4:
        raise WorkloadError("bad width multiplier", key="--width", expected="a number in (0, 4]", got=width)
    if not isinstance(resolution, int) or resolution < 32:
        raise WorkloadError("bad resolution", key="--resolution", expected="an integer >= 32", got=resolution)
    layers = []
    size = resolution
    channels = scaled_channels(32, width)
    pad = same_padding(size, 3, 2)
    layers.append(Conv2D("conv1", prunable=False, in_channels=3, out_channels=channels, kernel_h=3, kernel_w=3,
                         in_h=size, in_w=size, stride=2, padding=pad + pad))
    size = layers[-1].out_h
    for index, (stride, base_out) in enumerate(BLOCKS, start=1):
        pad = same_padding(size, 3, stride)
        dw = DepthwiseConv2D(f"dw{index}", prunable=False, in_channels=channels, out_channels=channels,
                             groups=channels, kernel_h=3, kernel_w=3, in_h=size, in_w=size, stride=stride,
                             padding=pad + pad)
        size = dw.out_h
        out = scaled_channels(base_out, width)
        pw = Conv2D(f"pw{index}", in_channels=channels, out_channels=out, in_h=size, in_w=size)
        layers += [dw, pw]
        channels = out
    layers.append(Linear("fc", in_features=channels, out_features=num_classes, bias=True))
    name = f"mobilenet_v1_{width:g}" + (f"_{resolution}" if resolution != 224 else "")
    options = (("width", float(width)),) + ((("resolution", resolution),) if resolution != 224 else ())
    return Model(name=name, family="mobilenet_v1", layers=tuple(layers), options=options)
