"""ONNX convolutions -> accelsim Conv2D / DepthwiseConv2D with their real weights (layer 2).

Conv, ConvInteger and QLinearConv, 1-D (as a height-1 2-D convolution) or 2-D, batch 1, with groups,
explicit or automatic padding, a stride per axis, and dilations. A dilated k x k kernel is mapped to
an undilated k x k kernel over the same output positions: the padding shrinks by (d - 1)(k - 1) per axis (and
where the padding is too small, the input: its last rows or columns), so the output size, the weights and the
MACs are exact, but which input pixel meets which weight is not (the
importer says so per layer). Quantized weights are stored dequantized, ``(w - zero_point) * scale``; a
quantized activation is zero where it equals its zero point.
"""
from __future__ import annotations

import numpy as np

from accelsim.importers.onnx.context import GraphContext, Unmappable, attributes, optional_input
from accelsim.importers.onnx.mapped import Mapped, nonzero
from accelsim.workloads.layers import Conv2D, DepthwiseConv2D

#: op type -> (input index of x, of w, of x's zero point, of w's zero point, of w's scale, of the bias)
CONV_INPUTS = {"Conv": (0, 1, None, None, None, 2), "ConvInteger": (0, 1, 2, 3, None, None),
               "QLinearConv": (0, 3, 2, 5, 4, 8)}


def map_conv(node, context: GraphContext, name: str) -> list[Mapped]:
    x_at, w_at, xz_at, wz_at, ws_at, b_at = CONV_INPUTS[node.op_type]
    x = node.input[x_at]
    shape = context.shape(x)
    weights = dequantized(context, node, w_at, wz_at, ws_at, axis=0)
    if len(shape) not in (3, 4) or weights.ndim != len(shape):
        raise Unmappable(f"a {len(shape) - 2}-D convolution (accelsim has 1-D and 2-D ones)")
    if shape[0] != 1:
        raise Unmappable(f"batch {shape[0]} (give --input-shape with batch 1)")
    if len(shape) == 3:                                  # 1-D: a 2-D convolution of height 1
        shape, weights = (shape[0], shape[1], 1, shape[2]), weights[:, :, None, :]
    attrs = attributes(node)
    out = context.shape(node.output[0])
    out_hw = (1, out[2]) if len(out) == 3 else out[2:]
    geometry = _geometry(attrs, shape[2:], weights.shape[2:], out_hw, one_d=len(context.shape(x)) == 3)
    groups = int(attrs.get("group", 1))
    channels = shape[1]
    cls = DepthwiseConv2D if groups == channels == weights.shape[0] and groups > 1 else Conv2D
    has_bias = bool(optional_input(node, b_at)) if b_at is not None else False
    layer = cls(name, in_channels=channels, out_channels=weights.shape[0], kernel_h=weights.shape[2],
                kernel_w=weights.shape[3], groups=groups, bias=has_bias, **geometry)
    if (layer.out_h, layer.out_w) != tuple(out_hw):
        raise Unmappable(f"output {out_hw} differs from accelsim's {(layer.out_h, layer.out_w)}")
    zero = zero_point(context, node, xz_at)
    full = (channels, shape[2], shape[3])

    def to_mask(values):   # the input the layer reads (a dilated layer's may be cropped at the end)
        return nonzero(values[0], zero).reshape(full)[:, :layer.in_h, :layer.in_w]
    return [Mapped(layer, weights.astype(np.float32), (x,), to_mask, note=_dilation_note(attrs))]


def _geometry(attrs: dict, in_hw, kernel_hw, out_hw, one_d: bool) -> dict:
    """``stride`` (rows, columns) and ``padding`` (top, bottom, left, right) of the undilated equivalent."""
    rank = 1 if one_d else 2
    strides = list(attrs.get("strides", [1] * rank))
    dilations = list(attrs.get("dilations", [1] * rank))
    if one_d:
        strides, dilations = [1] + strides, [1] + dilations
    pads = _pads(attrs, in_hw, kernel_hw, out_hw, strides, dilations, one_d)
    sizes = list(in_hw)
    for axis in (0, 1):   # dilation: the same outputs from an undilated kernel over less padding, then less input
        shrink = (dilations[axis] - 1) * (kernel_hw[axis] - 1)
        after = min(shrink, pads[axis][1])
        before = min(shrink - after, pads[axis][0])
        pads[axis] = (pads[axis][0] - before, pads[axis][1] - after)
        sizes[axis] -= shrink - after - before
    return {"stride": (int(strides[0]), int(strides[1])), "padding": (*pads[0], *pads[1]), "in_h": sizes[0], "in_w": sizes[1]}


def _pads(attrs, in_hw, kernel_hw, out_hw, strides, dilations, one_d) -> list[tuple[int, int]]:
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        pads = list(attrs.get("pads", [0] * (2 if one_d else 4)))
        if one_d:
            return [(0, 0), (int(pads[0]), int(pads[1]))]
        return [(int(pads[0]), int(pads[2])), (int(pads[1]), int(pads[3]))]
    result = []
    for size, kernel, out, stride, dilation in zip(in_hw, kernel_hw, out_hw, strides, dilations):
        total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0) if auto != "VALID" else 0
        small, large = total // 2, total - total // 2
        result.append((small, large) if auto == "SAME_UPPER" else (large, small))
    return result


def _dilation_note(attrs: dict) -> str:
    dilations = [int(d) for d in attrs.get("dilations", [])]
    if any(d > 1 for d in dilations):
        return (f"dilations {dilations} simulated as an undilated kernel over the same outputs "
                "(MACs and shapes exact, input pairing approximate)")
    return ""


def dequantized(context: GraphContext, node, w_at: int, zero_at: int | None, scale_at: int | None,
                axis: int) -> np.ndarray:
    """The constant weight input ``w_at`` of ``node`` as float64, ``(w - zero point) * scale`` for quantized
    ops (a per-channel zero point or scale runs along ``axis``)."""
    weights = context.const(node.input[w_at]).astype(np.float64)
    for at, combine in ((zero_at, np.subtract), (scale_at, np.multiply)):
        if at is not None and optional_input(node, at):
            value = context.const(node.input[at]).astype(np.float64)
            if value.ndim == 1 and value.size > 1:
                value = value.reshape([-1 if i == axis else 1 for i in range(weights.ndim)])
            weights = combine(weights, value)
    return weights


def zero_point(context: GraphContext, node, at: int | None) -> float:
    """The activation zero point input ``at`` of ``node`` (0 when absent or for float ops)."""
    if at is None or not optional_input(node, at):
        return 0.0
    value = context.const(node.input[at])
    if value.size != 1:
        raise Unmappable("a per-channel activation zero point")
    return float(value.reshape(()))
