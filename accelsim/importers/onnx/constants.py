"""Constant tensors of an ONNX graph (layer 2): initializers, ``Constant`` nodes, and what exporters compute
from them (``ConstantOfShape``, ``DequantizeLinear`` of int8 weights, a ``Transpose`` or ``Reshape`` of a
weight), folded with the ``onnx`` package's reference evaluator at the model's own opset.

Only nodes whose every input is constant and whose type is in :data:`FOLDABLE` are folded; a weight made by
anything else is not constant to the importer, and its layer is then listed as unmapped.
"""
from __future__ import annotations

import numpy as np

#: Op types folded when all their inputs are constant (weights made by exporters from stored tensors).
FOLDABLE = frozenset({
    "Identity", "Cast", "ConstantOfShape", "DequantizeLinear", "Transpose", "Reshape", "Squeeze", "Unsqueeze",
    "Flatten", "Concat", "Mul", "Add", "Sub", "Div", "Sqrt", "Reciprocal", "Neg", "Slice", "Gather", "Split",
})
_MAX_FOLDED_ELEMENTS = 2**28   # accelsim's largest tensor (workloads.layers.MAX_TENSOR_ELEMENTS)


def constant_values(model) -> dict[str, np.ndarray]:
    """Every constant tensor of ``model``'s main graph by name: initializers, then the outputs of Constant
    nodes and of foldable nodes fed only by constants, in graph (topological) order."""
    from onnx import numpy_helper
    values = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    opsets = {entry.domain: entry.version for entry in model.opset_import}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            values[node.output[0]] = _constant_node(node)
        elif (node.op_type in FOLDABLE and node.domain in ("", "ai.onnx")
              and all(not name or name in values for name in node.input)):
            folded = _fold(node, values, opsets.get("", 13))
            if folded is not None:
                values.update(folded)
    return values


def _constant_node(node) -> np.ndarray:
    from onnx import helper, numpy_helper
    attribute = node.attribute[0]
    value = helper.get_attribute_value(attribute)
    if attribute.name in ("value", "sparse_value"):
        return numpy_helper.to_array(value) if attribute.name == "value" else _dense(value)
    if attribute.name in ("value_float", "value_floats"):
        return np.asarray(value, dtype=np.float32)
    if attribute.name in ("value_int", "value_ints"):
        return np.asarray(value, dtype=np.int64)
    return np.asarray(value)


def _dense(sparse) -> np.ndarray:
    from onnx import numpy_helper
    values = numpy_helper.to_array(sparse.values)
    indices = numpy_helper.to_array(sparse.indices)
    dense = np.zeros(int(np.prod(sparse.dims)), dtype=values.dtype)
    flat = indices if indices.ndim == 1 else np.ravel_multi_index(indices.T, tuple(sparse.dims))
    dense[flat] = values
    return dense.reshape(tuple(sparse.dims))


def _fold(node, values: dict[str, np.ndarray], opset: int) -> dict[str, np.ndarray] | None:
    """The outputs of ``node`` evaluated on constant inputs, or None when the reference evaluator cannot
    (the output then stays non-constant)."""
    from onnx import helper
    from onnx.reference import ReferenceEvaluator
    inputs = [name for name in node.input if name]
    function = helper.make_function("accelsim.fold", "node", inputs, list(node.output), [node],
                                    [helper.make_opsetid("", opset)])
    try:
        outputs = ReferenceEvaluator(function).run(None, {name: values[name] for name in inputs}, attributes={})
    except Exception:   # noqa: BLE001 - any failure of the reference ops leaves the tensor non-constant
        return None
    if any(np.asarray(out).size > _MAX_FOLDED_ELEMENTS for out in outputs):
        return None
    return {name: np.asarray(out) for name, out in zip(node.output, outputs) if name}
