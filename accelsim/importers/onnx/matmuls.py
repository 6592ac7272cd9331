"""ONNX matrix products -> accelsim Linear layers with their real weights (layer 2).

* ``Gemm`` (transA, transB, alpha; C is the bias), ``MatMul``, ``MatMulInteger`` and ``QLinearMatMul``
  with a constant operand: ``Linear(in_features=K, out_features=N, steps=M)``, weights (N, K), where M is
  the number of input vectors (every leading dimension of the activation operand). A constant left operand
  (``W @ X``) is the same layer with the activation's columns as its input vectors.
* A product of two activations (attention's scores Q K^T and context P V): ``Linear`` with
  ``prunable: false`` and no stored weights; its "weights" are the right operand's values, so a sparse
  engine runs it on a dense right operand unless activations are measured, when both operands' masks are
  (the right one as the layer's weight mask, per sample). Batched products (heads) are one layer whose
  ``steps`` cover every batch and row: the MACs and the left operand's mask are exact, and the first batch
  entry's (K, N) right operand stands for every one's (the importer says so).
"""
from __future__ import annotations

import math

import numpy as np

from accelsim.importers.onnx.context import GraphContext, Unmappable, attributes, optional_input
from accelsim.importers.onnx.convs import dequantized, zero_point
from accelsim.importers.onnx.mapped import Mapped, nonzero
from accelsim.workloads.layers import Linear

#: op type -> input indices of (A, B, A's zero point, B's zero point, B's scale, A's scale, bias)
MATMUL_INPUTS = {"MatMul": (0, 1, None, None, None, None, None),
                 "Gemm": (0, 1, None, None, None, None, 2),
                 "MatMulInteger": (0, 1, 2, 3, None, None, None),
                 "QLinearMatMul": (0, 3, 2, 5, 4, 1, None)}


def map_matmul(node, context: GraphContext, name: str) -> list[Mapped]:
    a_at, b_at, az_at, bz_at, bs_at, as_at, bias_at = MATMUL_INPUTS[node.op_type]
    a, b = node.input[a_at], node.input[b_at]
    attrs = attributes(node)
    trans_a, trans_b = bool(attrs.get("transA", 0)), bool(attrs.get("transB", 0))
    bias = bool(bias_at is not None and optional_input(node, bias_at))
    if b in context.consts:
        weights = dequantized(context, node, b_at, bz_at, bs_at, axis=1)
        weights = weights if trans_b else np.swapaxes(weights, -1, -2) if weights.ndim >= 2 else weights[None]
        weights = weights * float(attrs.get("alpha", 1.0))
        return [_linear(name, weights, a, context, zero_point(context, node, az_at), trans_a, bias)]
    if a in context.consts:       # W @ X: X's columns are the input vectors
        weights = dequantized(context, node, a_at, az_at, as_at, axis=0)
        weights = weights.T if trans_a else weights
        return [_linear(name, weights, b, context, zero_point(context, node, bz_at), not trans_b, bias)]
    return [_two_activations(node, context, name, a, b, trans_a, trans_b,
                             (zero_point(context, node, az_at), zero_point(context, node, bz_at)))]


def _linear(name: str, weights: np.ndarray, x: str, context: GraphContext, zero: float, transposed: bool,
            bias: bool) -> Mapped:
    if weights.ndim != 2:
        raise Unmappable(f"a constant operand of {weights.ndim} dimensions (accelsim's Linear has one matrix)")
    out_features, in_features = weights.shape
    shape = context.shape(x)
    if transposed and len(shape) != 2:
        raise Unmappable("a transposed activation operand of more than 2 dimensions")
    steps = (shape[1] if transposed else math.prod(shape[:-1])) if len(shape) > 1 else 1

    def to_mask(values):
        rows = np.asarray(values[0])
        rows = rows.T if transposed else rows
        return nonzero(rows, zero).reshape(steps, in_features)
    layer = Linear(name, in_features=in_features, out_features=out_features, steps=steps, bias=bias)
    return Mapped(layer, weights.astype(np.float32), (x,), to_mask)


def _two_activations(node, context: GraphContext, name: str, a: str, b: str, trans_a: bool, trans_b: bool,
                     zeros: tuple[float, float]) -> Mapped:
    a_shape, b_shape = context.shape(a), context.shape(b)
    if len(a_shape) < 2 or len(b_shape) < 2:
        raise Unmappable("a product of two activations with a vector operand")
    k = a_shape[-2] if trans_a else a_shape[-1]
    n = b_shape[-2] if trans_b else b_shape[-1]
    out = context.shape(node.output[0])
    steps = math.prod(out[:-1])

    def to_mask(values):
        rows = np.asarray(values[0])
        rows = np.swapaxes(rows, -1, -2) if trans_a else rows
        rows = np.broadcast_to(rows, (*out[:-2], *rows.shape[-2:]))
        return nonzero(rows, zeros[0]).reshape(steps, k)

    def operand(values):   # (N, K), as a Linear layer's weights; the first batch entry's
        first = np.asarray(values[1]).reshape(-1, *b_shape[-2:])[0]
        return nonzero(first if trans_b else first.T, zeros[1])
    layer = Linear(name, in_features=k, out_features=n, steps=steps, bias=False, prunable=False)
    entries = math.prod(b_shape[:-2])
    note = "product of two activations: its right operand is measured with --samples, else simulated dense"
    if entries > 1:
        note += f"; the first of its {entries} batch entries (heads) stands for every one"
    return Mapped(layer, None, (a, b), to_mask, note=note, operand=operand)
