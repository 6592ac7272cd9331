"""Shape bookkeeping for zoo networks with branches (InceptionV3, GoogLeNet) (layer 1).

A network is built by passing feature-map shapes (channels, height, width, in elements) through
:class:`Net`, which appends a layer per convolution. Pooling and depth concatenation have no parameters and
no layer objects: :func:`tf_pool`, :func:`caffe_pool` and :func:`concat` give only their output shape, so a
branch's input channels are the sum of the branches concatenated before it.
"""
from __future__ import annotations

import math

from accelsim.workloads.layers import Conv2D, Layer, same_padding

#: A feature map as (channels, height, width) in elements.
Shape = tuple[int, int, int]


class Net:
    """Collects layers in order while shapes flow through them."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []

    def conv(self, name: str, x: Shape, out: int, kernel: tuple[int, int], stride: int = 1,
             padding: str | int = "SAME", at_inference: bool = True) -> Shape:
        """Append a convolution with bias of ``kernel`` (height, width); return its output shape.

        ``padding`` is TensorFlow's ``"SAME"`` (:func:`same_padding`) or ``"VALID"`` (none), or a number of
        pixels on every side (Caffe's ``pad``).
        """
        channels, h, w = x
        kh, kw = kernel
        if padding == "SAME":
            pad = same_padding(h, kh, stride) + same_padding(w, kw, stride)
        else:
            pad = (0, 0, 0, 0) if padding == "VALID" else (padding,) * 4
        layer = Conv2D(name, at_inference=at_inference, in_channels=channels, out_channels=out, kernel_h=kh,
                       kernel_w=kw, in_h=h, in_w=w, stride=stride, padding=pad, bias=True)
        self.layers.append(layer)
        return out, layer.out_h, layer.out_w

    def chain(self, scope: str, x: Shape, *convs: tuple) -> Shape:
        """Convolutions one after another: each ``(name, out, kernel[, stride, padding])`` inside ``scope``."""
        for name, out, kernel, *rest in convs:
            x = self.conv(f"{scope}/{name}", x, out, kernel, *rest)
        return x

    def split(self, scope: str, x: Shape, first: tuple, second: tuple) -> Shape:
        """Two convolutions reading the same ``x``, outputs concatenated (the 1x3 / 3x1 pairs of Mixed_7)."""
        return concat(self.chain(scope, x, first), self.chain(scope, x, second))


def tf_pool(x: Shape, kernel: int, stride: int, padding: str) -> Shape:
    """Output shape of a TensorFlow max or average pool, ``"SAME"`` or ``"VALID"`` (channels unchanged)."""
    channels, h, w = x
    if padding == "SAME":
        return channels, -(-h // stride), -(-w // stride)
    return channels, (h - kernel) // stride + 1, (w - kernel) // stride + 1


def caffe_pool(x: Shape, kernel: int, stride: int, pad: int = 0) -> Shape:
    """Output shape of a Caffe max or average pool (channels unchanged).

    Caffe rounds the output size up, ``ceil((size + 2 pad - kernel) / stride) + 1``, and drops a last window
    that would start inside the bottom/right padding.
    """
    def size(n: int) -> int:
        out = math.ceil((n + 2 * pad - kernel) / stride) + 1
        return out - 1 if pad and (out - 1) * stride >= n + pad else out

    channels, h, w = x
    return channels, size(h), size(w)


def concat(*branches: Shape) -> Shape:
    """Depth concatenation of branches with equal spatial size."""
    _, h, w = branches[0]
    assert all((bh, bw) == (h, w) for _, bh, bw in branches), branches
    return sum(c for c, _, _ in branches), h, w
