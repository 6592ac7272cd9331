"""Small ONNX models built with onnx.helper for the importer's tests: each returns a checked ModelProto."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT


def weights(shape, seed=0, scale=1.0):
    """Seeded float32 weights with no exact zeros."""
    values = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * scale
    values[values == 0] = 0.5
    return values


def model(nodes, inputs, outputs, initializers=(), opset=17, value_info=()):
    graph = helper.make_graph(nodes, "test", inputs, outputs, [numpy_helper.from_array(a, n) for n, a in initializers],
                              value_info=list(value_info))
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = 8
    proto = onnx.shape_inference.infer_shapes(proto)    # fills the outputs given without a shape
    onnx.checker.check_model(proto)
    return proto


def tensor(name, shape, kind=FLOAT):
    return helper.make_tensor_value_info(name, kind, shape)


def conv(x_shape, w_shape, out_name="y", **attrs):
    """One Conv node ``conv`` of weights ``w_shape`` on input ``x`` of ``x_shape``."""
    w = weights(w_shape)
    node = helper.make_node("Conv", ["x", "w"], [out_name], name="conv", **attrs)
    return model([node], [tensor("x", x_shape)], [tensor(out_name, None)], [("w", w)]), w
