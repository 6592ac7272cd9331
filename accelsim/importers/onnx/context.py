"""What the op mappers see of a checked, shape-inferred ONNX graph (layer 2): tensor shapes and element
sizes, constant values, and attributes read with their ONNX defaults."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from accelsim.importers.onnx.constants import constant_values


class Unmappable(Exception):
    """A node of a mapped type that accelsim's layers cannot express; the message says why. The node is
    then listed among the unmapped ops."""


@dataclass
class GraphContext:
    """Shapes (inferred), element sizes in bytes, constants and producers of one ONNX graph."""

    model: object
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    item_bytes: dict[str, int] = field(default_factory=dict)
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    producer: dict[str, object] = field(default_factory=dict)
    consumers: dict[str, list] = field(default_factory=dict)

    @classmethod
    def of(cls, model) -> GraphContext:
        from onnx import helper
        context = cls(model, consts=constant_values(model))
        graph = model.graph
        for value in [*graph.input, *graph.value_info, *graph.output]:
            kind = value.type.tensor_type
            if kind.HasField("shape") and all(d.HasField("dim_value") for d in kind.shape.dim):
                context.shapes[value.name] = tuple(int(d.dim_value) for d in kind.shape.dim)
            if kind.elem_type:
                context.item_bytes[value.name] = helper.tensor_dtype_to_np_dtype(kind.elem_type).itemsize
        for name, array in context.consts.items():
            context.shapes[name] = tuple(array.shape)
            context.item_bytes[name] = array.dtype.itemsize
        for node in graph.node:
            for name in node.output:
                context.producer[name] = node
            for name in node.input:
                context.consumers.setdefault(name, []).append(node)
        return context

    def shape(self, name: str) -> tuple[int, ...]:
        """The inferred shape of tensor ``name``; Unmappable when inference left it unknown."""
        if name not in self.shapes:
            raise Unmappable(f"the shape of tensor {name!r} is unknown after shape inference")
        return self.shapes[name]

    def const(self, name: str) -> np.ndarray:
        """The constant value of tensor ``name``; Unmappable when it is computed at run time."""
        if name not in self.consts:
            raise Unmappable(f"tensor {name!r} is not constant (weights must be initializers or constants)")
        return self.consts[name]

    def tensor_bytes(self, name: str) -> int:
        if not name or name not in self.shapes:
            return 0
        return math.prod(self.shapes[name]) * self.item_bytes.get(name, 4)


def attributes(node) -> dict[str, object]:
    """The node's attributes as Python values."""
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def optional_input(node, index: int) -> str:
    """The name of input ``index`` of ``node``, or "" when absent."""
    return node.input[index] if len(node.input) > index else ""


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def layer_names(nodes) -> dict[int, str]:
    """A unique, file-safe layer name for each node (by position): its ONNX name with other characters as
    ``_``, or ``<op type>_<position>`` when it has none."""
    names: dict[int, str] = {}
    used: set[str] = set()
    for index, node in enumerate(nodes):
        base = _UNSAFE.sub("_", node.name).strip("_.") or f"{node.op_type}_{index}"
        name, suffix = base, 1
        while name in used:
            suffix += 1
            name = f"{base}_{suffix}"
        used.add(name)
        names[index] = name
    return names
