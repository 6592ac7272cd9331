"""The keys of a layer in accelsim's workload YAML, declared as :mod:`accelsim.schema` specs (layer 1).

One declaration per layer type, generated from its class (:mod:`accelsim.workloads.layers`): every field of
the class is a key (an integer dimension >= 1 in its unit, a boolean, or ``padding``), plus ``name``,
``type`` and the two densities. The keys of :data:`REQUIRED` must be given (the layer's shape); every other
key is optional and defaults to the class's default (a depthwise layer's out_channels and groups default to
its in_channels).
"""
from __future__ import annotations

import dataclasses
import functools

from accelsim.schema import DENSITY, Bool, Int, InvalidValue, OneOf, Text, field_spec
from accelsim.workloads.layers import LSTM, Attention, Conv2D, DepthwiseConv2D, Embedding, Layer, Linear

#: YAML ``type`` -> layer class.
LAYER_TYPES: dict[str, type[Layer]] = {
    "conv2d": Conv2D, "depthwise_conv2d": DepthwiseConv2D, "linear": Linear, "lstm": LSTM,
    "embedding": Embedding, "attention": Attention,
}

#: Keys each YAML layer type must give (its shape).
REQUIRED: dict[str, tuple[str, ...]] = {
    "conv2d": ("in_channels", "out_channels", "kernel_h", "kernel_w", "in_h", "in_w"),
    "depthwise_conv2d": ("in_channels", "kernel_h", "kernel_w", "in_h", "in_w"),
    "linear": ("in_features", "out_features"),
    "lstm": ("input_size", "hidden_size"),
    "embedding": ("vocab_size", "dim"),
    "attention": ("units", "query_size", "memory_size", "memory_length"),
}
LAYER_TYPE = OneOf(tuple(LAYER_TYPES))
DENSITY_KEYS = ("weight_density", "activation_density")
MAX_NAME_CHARS = 1000

#: The unit of each integer field of the layer classes.
UNITS = {
    "in_channels": "channels", "out_channels": "channels", "kernel_h": "pixels", "kernel_w": "pixels",
    "in_h": "pixels", "in_w": "pixels", "groups": "groups", "in_features": "features",
    "out_features": "features", "steps": "time steps", "input_size": "features", "hidden_size": "units",
    "vocab_size": "tokens", "dim": "features", "units": "units", "query_size": "features",
    "memory_size": "features", "memory_length": "time steps",
}


@dataclasses.dataclass(frozen=True)
class Padding:
    """``same`` (TensorFlow's SAME, computed from kernel, stride and input size once they are known),
    ``valid`` (none) or [top, bottom, left, right] pixels."""

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "padding", "pixels", "same | valid | [top, bottom, left, right]"

    @property
    def expected(self) -> str:
        return "same | valid | [top, bottom, left, right] (integers >= 0)"

    def convert(self, value: object) -> str | tuple[int, int, int, int]:
        if value in ("same", "valid"):
            return (0, 0, 0, 0) if value == "valid" else "same"
        if (isinstance(value, list) and len(value) == 4
                and all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in value)):
            return tuple(value)  # type: ignore[return-value]
        raise InvalidValue("bad padding")


@dataclasses.dataclass(frozen=True)
class Stride:
    """One stride for both axes, or [rows, columns] when they differ (integers >= 1, pixels)."""

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "stride", "pixels", "n | [rows, columns]"

    @property
    def expected(self) -> str:
        return "an integer >= 1, or [rows, columns] (integers >= 1)"

    def convert(self, value: object) -> int | tuple[int, int]:
        def whole(v: object) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and v >= 1
        if whole(value):
            return value  # type: ignore[return-value]
        if isinstance(value, list) and len(value) == 2 and all(whole(v) for v in value):
            return tuple(value)  # type: ignore[return-value]
        raise InvalidValue("bad stride")


def _key_spec(kind: str, field: dataclasses.Field) -> tuple[str, type, dataclasses.Field]:
    """The declaration of the YAML key of ``field`` of layer type ``kind``."""
    if field.name == "padding":
        spec, help = Padding(), "padding"
    elif field.name == "stride":
        spec, help = Stride(), "stride (rows and columns, or [rows, columns])"
    elif field.type in ("bool", bool):
        spec, help = Bool(), field.name.replace("_", " ")
    else:
        spec, help = Int(1, None, UNITS[field.name]), field.name.replace("_", " ")
    default = {} if field.name in REQUIRED[kind] else {"default": None}
    return field.name, object, field_spec(spec, help=help, **default)


@functools.cache
def layer_schema(kind: str) -> type:
    """The declaration of a ``kind`` layer's keys: a dataclass whose fields carry their specs."""
    own = [_key_spec(kind, f) for f in dataclasses.fields(LAYER_TYPES[kind]) if f.name != "name"]
    required = [entry for entry in own if entry[0] in REQUIRED[kind]]
    optional = [entry for entry in own if entry[0] not in REQUIRED[kind]]
    common = [("name", object, field_spec(Text(MAX_NAME_CHARS), help="the layer's name")),
              ("type", object, field_spec(LAYER_TYPE, help="the layer type"))]
    densities = [(key, object, field_spec(DENSITY, default=None, help=key.replace("_", " ")))
                 for key in DENSITY_KEYS]
    return dataclasses.make_dataclass(f"{kind}_layer_keys", common + required + optional + densities,
                                      frozen=True)
