"""AlexNet as the Caffe reference model (BVLC ``bvlc_alexnet``, Krizhevsky et al. 2012): 227x227x3 input,
conv2, conv4 and conv5 split into two groups, max pooling (3x3, stride 2) after conv1, conv2 and conv5 (not
a layer here: the next layer's input size carries it), three fully connected layers.

724.4 M MACs in all (Eyeriss v2, Chen et al., JETCAS 2019, Table VI: "724.4M"): conv1 105.4 M, conv2 223.9 M,
conv3 149.5 M, conv4 112.1 M, conv5 74.8 M, fc6 37.7 M, fc7 16.8 M, fc8 4.1 M.
"""
from __future__ import annotations

from accelsim.workloads.layers import Conv2D, Linear
from accelsim.workloads.model import Model


def _conv(name: str, c: int, m: int, k: int, size: int, stride: int = 1, pad: int = 0, groups: int = 1) -> Conv2D:
    return Conv2D(name, in_channels=c, out_channels=m, kernel_h=k, kernel_w=k, in_h=size, in_w=size,
                  stride=stride, padding=(pad,) * 4, groups=groups, bias=True)


def alexnet(num_classes: int = 1000) -> Model:
    """Caffe AlexNet: every layer is prunable (Eyeriss v2 prunes them all, its Table III)."""
    layers = (
        _conv("conv1", 3, 96, 11, 227, stride=4),              # -> 55x55, pooled to 27x27
        _conv("conv2", 96, 256, 5, 27, pad=2, groups=2),        # -> 27x27, pooled to 13x13
        _conv("conv3", 256, 384, 3, 13, pad=1),
        _conv("conv4", 384, 384, 3, 13, pad=1, groups=2),
        _conv("conv5", 384, 256, 3, 13, pad=1, groups=2),       # -> 13x13, pooled to 6x6
        Linear("fc6", in_features=256 * 6 * 6, out_features=4096),
        Linear("fc7", in_features=4096, out_features=4096),
        Linear("fc8", in_features=4096, out_features=num_classes),
    )
    return Model(name="alexnet", family="alexnet", layers=layers, options=())
