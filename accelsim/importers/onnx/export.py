"""Writing accelsim's trained MLPs as ONNX (layer 2), so they travel the same road as a user's model:
``accelsim train --export-onnx FILE`` then ``accelsim import FILE``.

The graph: input ``x`` (1, features), float32; per layer ``fc<i>`` a ``Gemm`` node of that name with
``transB = 1`` (weights stored (out, in), as the trainer keeps them, pruned entries exactly 0) and its bias;
a ``Relu`` between layers (the trainer's :func:`accelsim.training.forward`); output ``logits``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from accelsim.atomic import replacing
from accelsim.importers.onnx.reader import onnx_module

OPSET = 13


def mlp_model(names: Sequence[str], weights: Mapping[str, np.ndarray], biases: Mapping[str, np.ndarray]):
    """The ONNX ModelProto of the MLP whose layers ``names`` have ``weights`` (out, in) and ``biases``."""
    onnx = onnx_module()
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    nodes, initializers = [], []
    current = "x"
    for index, name in enumerate(names):
        w, b = np.asarray(weights[name], np.float32), np.asarray(biases[name], np.float32)
        initializers += [numpy_helper.from_array(w, f"{name}.weight"), numpy_helper.from_array(b, f"{name}.bias")]
        output = "logits" if index == len(names) - 1 else f"{name}.out"
        nodes.append(helper.make_node("Gemm", [current, f"{name}.weight", f"{name}.bias"], [output], name=name,
                                      transB=1))
        if index < len(names) - 1:
            nodes.append(helper.make_node("Relu", [output], [f"{name}.relu"], name=f"{name}.relu"))
            output = f"{name}.relu"
        current = output
    features = np.asarray(weights[names[0]]).shape[1]
    classes = np.asarray(weights[names[-1]]).shape[0]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, features])],
                              [helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, [1, classes])],
                              initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="accelsim")
    onnx.checker.check_model(model)
    return model


def save_mlp(path: str | os.PathLike[str], names: Sequence[str], weights: Mapping[str, np.ndarray],
             biases: Mapping[str, np.ndarray]) -> None:
    """Write :func:`mlp_model` to ``path`` (atomically)."""
    data = mlp_model(names, weights, biases).SerializeToString()
    with replacing(path, what="ONNX file") as temporary, open(temporary, "xb") as stream:
        stream.write(data)
