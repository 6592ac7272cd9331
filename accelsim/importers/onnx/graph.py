"""Walking an ONNX graph (layer 2): which nodes become accelsim layers, which are folded, which are not
simulated, and what each costs, so the user sees what the numbers leave out.

Every node of the main graph gets one status:

* ``simulated``: mapped to accelsim layers (:data:`MAPPERS`);
* ``folded``: a BatchNormalization folded into the convolution before it (its weights scaled per output
  channel, a bias added), or a node computing a constant (weights made at export);
* ``not simulated``: an op accelsim does not time but understands (:data:`UNTIMED`: activations, which
  decide activation density, pooling, element-wise arithmetic, concatenation, reshaping);
* ``unmapped``: anything else, or a mapped type in a form accelsim's layers cannot express (the reason is
  given). An unmapped node on the path between two simulated layers is a warning, or an error with
  ``strict``.

Cost of a node (:func:`node_macs`): a simulated node's layers' MACs; otherwise multiply-accumulates where
the op multiplies (convolutions, matrix products, recurrent cells), one per window element for pooling, one
per output element for element-wise ops, none for ops that only move or reshape data. Bytes: every
non-constant tensor the node reads and writes, plus the constants it reads, at their element sizes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from accelsim.importers.onnx.context import GraphContext, Unmappable, attributes, layer_names, optional_input
from accelsim.importers.onnx.convs import map_conv
from accelsim.importers.onnx.mapped import Mapped
from accelsim.importers.onnx.matmuls import map_matmul
from accelsim.importers.onnx.recurrent import map_gru, map_lstm

MAPPERS = {"Conv": map_conv, "ConvInteger": map_conv, "QLinearConv": map_conv, "Gemm": map_matmul,
           "MatMul": map_matmul, "MatMulInteger": map_matmul, "QLinearMatMul": map_matmul, "LSTM": map_lstm,
           "GRU": map_gru}
RELU_LIKE = frozenset({"Relu", "Clip"})
ACTIVATIONS = frozenset({"Relu", "LeakyRelu", "PRelu", "Clip", "HardSwish", "HardSigmoid", "Sigmoid", "Tanh",
                         "Softmax", "LogSoftmax", "Gelu", "Erf", "Elu", "Selu", "Celu", "Mish", "Softplus",
                         "Softsign", "ThresholdedRelu", "Swish"})
POOLING = frozenset({"MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"})
#: Ops that only move, select or reshape data (no arithmetic); the first group keeps a ReLU's zeros.
KEEPS_ZEROS = frozenset({"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout",
                         "Concat", "Slice", "Split", "MaxPool", "GlobalMaxPool", "Pad", "Gather",
                         "DepthToSpace", "SpaceToDepth", "Tile", "Expand"})
DATA_MOVEMENT = KEEPS_ZEROS - {"MaxPool", "GlobalMaxPool"} | {"Shape", "Size", "Cast", "Constant",
                                                               "ConstantOfShape", "Range", "NonZero"}
ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div", "Sum", "Max", "Min", "Mean", "Pow", "Sqrt", "Exp", "Log",
                         "Neg", "Abs", "Reciprocal", "BatchNormalization", "LayerNormalization",
                         "InstanceNormalization", "LRN", "ReduceMean", "ReduceSum", "ReduceMax", "Where",
                         "Equal", "Less", "Greater", "Not", "And", "Or", "QuantizeLinear", "DequantizeLinear",
                         "Resize", "Upsample", "Floor", "Ceil", "Round", "Sign"})
UNTIMED = ACTIVATIONS | POOLING | DATA_MOVEMENT | ELEMENTWISE
RECURRENT_GATES = frozenset({"LSTM", "GRU", "RNN"})


@dataclass(frozen=True)
class NodeReport:
    """One ONNX node: its position, name and type, status (module docstring), the layers it became,
    MACs and bytes (module docstring) and why it is unmapped or what its mapping approximates."""

    index: int
    node: str
    op_type: str
    status: str
    layers: tuple[str, ...]
    macs: int
    bytes: int
    reason: str = ""


def walk(context: GraphContext) -> tuple[list[Mapped], list[NodeReport]]:
    """Map every node of the graph (module docstring): the simulated layers in graph order and one report
    per node that is not a constant computation."""
    nodes = list(context.model.graph.node)
    names = layer_names(nodes)
    folds = _batchnorm_folds(nodes, context)
    folded_into = {bn: conv for conv, bn in folds.items()}
    mapped: list[Mapped] = []
    reports: list[NodeReport] = []
    for index, node in enumerate(nodes):
        if all(name in context.consts for name in node.output if name):
            continue                                     # computes a constant: part of a weight
        io_bytes = sum(context.tensor_bytes(name) for name in [*node.input, *node.output])
        if index in folded_into:
            reports.append(NodeReport(index, node.name, node.op_type, "folded", (), 0, io_bytes,
                                      f"into {names[folded_into[index]]}"))
            continue
        batchnorm = nodes[folds[index]] if index in folds else None
        status, layers, reason = _map(node, context, names[index], batchnorm)
        mapped.extend(layers)
        macs = sum(m.layer.macs for m in layers) if layers else node_macs(node, context)
        notes = "; ".join(m.note for m in layers if m.note) or reason
        reports.append(NodeReport(index, node.name, node.op_type, status, tuple(m.layer.name for m in layers),
                                  macs, io_bytes, notes))
    return mapped, reports


def _map(node, context: GraphContext, name: str, batchnorm) -> tuple[str, list[Mapped], str]:
    if node.op_type in MAPPERS and node.domain in ("", "ai.onnx"):
        try:
            layers = MAPPERS[node.op_type](node, context, name)
        except Unmappable as why:
            return "unmapped", [], str(why)
        if batchnorm is not None:
            layers = [_fold(layers[0], context, batchnorm)]
        return "simulated", layers, ""
    if node.op_type in UNTIMED and node.domain in ("", "ai.onnx"):
        return "not simulated", [], ""
    return "unmapped", [], f"no accelsim layer for {node.domain + '.' if node.domain else ''}{node.op_type}"


def _batchnorm_folds(nodes: list, context: GraphContext) -> dict[int, int]:
    """Position of a Conv node -> position of the BatchNormalization node that alone reads its output, with
    constant statistics."""
    position = {name: index for index, node in enumerate(nodes) for name in node.output}
    folds = {}
    for index, node in enumerate(nodes):
        if node.op_type != "BatchNormalization" or not all(n in context.consts for n in node.input[1:5]):
            continue
        conv = position.get(node.input[0])
        if conv is not None and nodes[conv].op_type == "Conv" and len(context.consumers.get(node.input[0], [])) == 1:
            folds[conv] = index
    return folds


def _fold(mapped: Mapped, context: GraphContext, batchnorm) -> Mapped:
    """``mapped`` (a convolution) with ``batchnorm`` folded in: weights times gamma / sqrt(var + eps) per
    output channel, and a bias."""
    scale, _, _, var = (context.consts[name] for name in batchnorm.input[1:5])
    epsilon = float(attributes(batchnorm).get("epsilon", 1e-5))
    factor = (scale / np.sqrt(var + epsilon)).astype(np.float64)
    weights = (mapped.weights * factor.reshape(-1, *([1] * (mapped.weights.ndim - 1)))).astype(np.float32)
    return replace(mapped, layer=replace(mapped.layer, bias=True), weights=weights)


def node_macs(node, context: GraphContext) -> int:
    """The cost of a node that is not simulated (module docstring); 0 when its shapes are unknown."""
    out = context.shapes.get(node.output[0]) if node.output else None
    if out is None:
        return 0
    op = node.op_type
    if op in ("Conv", "ConvInteger", "QLinearConv", "ConvTranspose"):
        w = context.shapes.get(node.input[3 if op == "QLinearConv" else 1], ())
        return math.prod(out) * math.prod(w[1:]) if op != "ConvTranspose" else \
            math.prod(context.shapes.get(node.input[0], ())) * math.prod(w[1:])
    if op in ("MatMul", "Gemm", "MatMulInteger", "QLinearMatMul", "Einsum"):
        a = context.shapes.get(node.input[0], ())
        k = (a[-2] if attributes(node).get("transA") else a[-1]) if a else 0
        return math.prod(out) * k
    if op in RECURRENT_GATES:
        x, r = context.shapes.get(node.input[0], ()), context.shapes.get(node.input[2], ())
        return math.prod(x[:2]) * r[0] * r[1] * (x[2] + r[2]) if len(x) == 3 and len(r) == 3 else 0
    if op in POOLING:
        kernel = attributes(node).get("kernel_shape")
        return math.prod(context.shapes.get(node.input[0], ())) if kernel is None else math.prod(out) * math.prod(kernel)
    if op in DATA_MOVEMENT:
        return 0
    return math.prod(out)


def post_relu(tensor: str, context: GraphContext, depth: int = 0) -> bool:
    """Whether ``tensor`` holds a ReLU's output (or a clip at >= 0), possibly moved, max-pooled or
    concatenated since: its zeros are the ReLU's."""
    node = context.producer.get(tensor)
    if node is None or depth > 50:
        return False
    if node.op_type == "Relu":
        return True
    if node.op_type == "Clip":
        low = attributes(node).get("min")
        if low is None and optional_input(node, 1) in context.consts:
            low = float(context.consts[node.input[1]].reshape(()))
        return low is not None and low >= 0
    if node.op_type in KEEPS_ZEROS:
        sources = node.input if node.op_type == "Concat" else node.input[:1]
        return all(post_relu(name, context, depth + 1) for name in sources if name not in context.consts)
    return False


def between_layers(reports: list[NodeReport], context: GraphContext) -> list[NodeReport]:
    """The unmapped nodes that read a simulated layer's output (directly or not) and feed a simulated
    layer's input (directly or not)."""
    nodes = list(context.model.graph.node)
    simulated = {r.index for r in reports if r.status == "simulated"}
    downstream: set[str] = set()
    for index, node in enumerate(nodes):             # topological order
        if index in simulated or any(name in downstream for name in node.input):
            downstream.update(node.output)
    upstream: set[str] = set()
    for index in range(len(nodes) - 1, -1, -1):
        node = nodes[index]
        if index in simulated or any(name in upstream for name in node.output):
            upstream.update(name for name in node.input if name)
    return [r for r in reports if r.status == "unmapped"
            and any(name in downstream for name in nodes[r.index].input)
            and any(name in upstream for name in nodes[r.index].output)]
