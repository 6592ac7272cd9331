"""accelsim's own workload YAML (format: ``traces/README.md``) -> :class:`Workload` (layer 1); one of the
workload file formats of :mod:`accelsim.workloads.files`. Problems name the file and the key
(``layers[2].kernel_h (layer conv3)``)."""
from __future__ import annotations

from dataclasses import fields
from typing import Any

import yaml

from accelsim.errors import WorkloadError, did_you_mean
from accelsim.workloads.layers import (LSTM, Attention, Conv2D, DepthwiseConv2D, Embedding, Layer, Linear,
                                       relocated, same_padding)
from accelsim.workloads.model import Model, Workload
from accelsim.yamltext import MERGE_TAG, SafeLoader, load

#: YAML ``type`` -> layer class.
LAYER_TYPES: dict[str, type[Layer]] = {
    "conv2d": Conv2D, "depthwise_conv2d": DepthwiseConv2D, "linear": Linear, "lstm": LSTM,
    "embedding": Embedding, "attention": Attention,
}

#: Keys each YAML layer type must give (its shape); every other dataclass field is optional with the
#: dataclass default. A depthwise layer's out_channels and groups default to its in_channels.
REQUIRED: dict[str, tuple[str, ...]] = {
    "conv2d": ("in_channels", "out_channels", "kernel_h", "kernel_w", "in_h", "in_w"),
    "depthwise_conv2d": ("in_channels", "kernel_h", "kernel_w", "in_h", "in_w"),
    "linear": ("in_features", "out_features"),
    "lstm": ("input_size", "hidden_size"),
    "embedding": ("vocab_size", "dim"),
    "attention": ("units", "query_size", "memory_size", "memory_length"),
}
DENSITY_KEYS = ("weight_density", "activation_density")
TOP_KEYS = ("name", "description", "layers")


class _UniqueKeyLoader(SafeLoader):
    """accelsim's SafeLoader (:mod:`accelsim.yamltext`), but a key given twice in one mapping is an error
    (PyYAML would keep the last)."""

    file = "<string>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise WorkloadError(f"duplicate key (lines {seen[key]} and {line})", file=self.file,
                                    key=str(key), expected="each key once per mapping")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _safe_load(text: str, file: str) -> Any:
    def read(loader: _UniqueKeyLoader) -> Any:
        loader.file = file
        return loader.get_single_data()
    return load(_UniqueKeyLoader, text, file, WorkloadError, read)


def parse_yaml(text: str, file: str = "<string>") -> Workload:
    """An accelsim workload given as YAML text (format: ``traces/README.md``); ``file`` names it in errors."""
    raw = _safe_load(text, file)
    if raw is None:
        raise WorkloadError("empty workload", file=file, expected="a mapping with keys name and layers")
    if not isinstance(raw, dict):
        raise WorkloadError("the top level is not a mapping", file=file,
                            expected="a mapping with keys name and layers", got=raw)
    for key in raw:
        if key not in TOP_KEYS:
            raise WorkloadError("unknown key" + did_you_mean(key, list(TOP_KEYS)), file=file, key=str(key),
                                expected="one of " + ", ".join(TOP_KEYS))
    for key in ("name", "layers"):
        if key not in raw:
            raise WorkloadError("missing key", file=file, key=key,
                                expected="a name (text)" if key == "name" else "a list of layers")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip():
        raise WorkloadError("bad workload name", file=file, key="name", expected="non-empty text", got=name)
    if "description" in raw and not isinstance(raw["description"], str):
        raise WorkloadError("bad description", file=file, key="description", expected="text",
                            got=raw["description"])
    entries = raw["layers"]
    if entries is None or entries == []:
        raise WorkloadError("empty workload", file=file, key="layers", expected="at least one layer", got=entries)
    if not isinstance(entries, list):
        raise WorkloadError("layers is not a list", file=file, key="layers", expected="a list of layers",
                            got=entries)
    layers: list[Layer] = []
    densities: dict[str, dict[str, float]] = {key: {} for key in DENSITY_KEYS}
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        layer, given = _yaml_layer(entry, index, file)
        if layer.name in first_index:
            raise WorkloadError(f"duplicate layer name (layers[{first_index[layer.name]}] and layers[{index}])",
                                file=file, key=f"layers[{index}].name", expected="each layer name once",
                                got=layer.name)
        first_index[layer.name] = index
        layers.append(layer)
        for key, value in given.items():
            densities[key][layer.name] = value
    if not any(layer.at_inference for layer in layers):
        raise WorkloadError("no layer runs at inference", file=file, key="layers",
                            expected="at least one layer without at_inference: false")
    model = Model(name=name.strip(), family="workload", layers=tuple(layers))
    return Workload(model, weight_density=densities["weight_density"],
                    activation_density=densities["activation_density"])


def _yaml_layer(entry: object, index: int, file: str) -> tuple[Layer, dict[str, float]]:
    """One ``layers[index]`` entry -> (layer, its densities)."""
    where = f"layers[{index}]"
    if not isinstance(entry, dict):
        raise WorkloadError("layer is not a mapping", file=file, key=where,
                            expected="a mapping with keys name, type and the layer's fields", got=entry)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise WorkloadError("missing key" if name is None else "bad layer name", file=file, key=f"{where}.name",
                            expected="the layer's name (non-empty text)", got=name)
    name = name.strip()

    def key_of(key: object) -> str:
        return f"{where}.{key} (layer {name})"

    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in LAYER_TYPES:   # a list is no type (and no dict key)
        problem = "missing key" if kind is None else "unknown layer type" + did_you_mean(kind, list(LAYER_TYPES))
        raise WorkloadError(problem, file=file, key=key_of("type"), expected=" | ".join(LAYER_TYPES), got=kind)
    cls = LAYER_TYPES[kind]
    specs = {f.name: f for f in fields(cls) if f.name != "name"}
    allowed = ["name", "type", *specs, *DENSITY_KEYS]
    for key in entry:
        if key not in allowed:
            raise WorkloadError(f"unknown key for a {kind} layer" + did_you_mean(key, allowed), file=file,
                                key=key_of(key), expected="one of " + ", ".join(allowed))
    for key in REQUIRED[kind]:
        if key not in entry:
            raise WorkloadError(f"missing key of a {kind} layer", file=file, key=key_of(key),
                                expected="a positive integer")
    values: dict[str, Any] = {}
    for key, f in specs.items():
        if key not in entry or key == "padding":
            continue
        value = entry[key]
        if f.type in ("bool", bool):
            if not isinstance(value, bool):
                raise WorkloadError("not a boolean", file=file, key=key_of(key), expected="true or false",
                                    got=value)
        elif not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise WorkloadError("bad layer dimension", file=file, key=key_of(key), expected="a positive integer",
                                got=value)
        values[key] = value
    if kind == "depthwise_conv2d":
        values.setdefault("out_channels", values["in_channels"])
        values.setdefault("groups", values["in_channels"])
    if "padding" in specs:
        values["padding"] = _padding(entry.get("padding", "valid"), values, file, key_of("padding"))
    given: dict[str, float] = {}
    for key in DENSITY_KEYS:
        if key in entry:
            value = entry[key]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
                raise WorkloadError("density out of range", file=file, key=key_of(key),
                                    expected="a number in (0, 1]", got=value)
            given[key] = float(value)
    try:
        layer = cls(name, **values)
    except WorkloadError as exc:   # cross-field checks of layers.py (groups, kernel vs input, depthwise)
        raise relocated(exc, file, name, lambda field: key_of(field) if field else f"{where} (layer {name})") from None
    return layer, given


def _padding(value: object, values: dict[str, Any], file: str, key: str) -> tuple[int, int, int, int]:
    """``same`` (TensorFlow's SAME, from kernel, stride and input size), ``valid`` or [top, bottom, left,
    right] pixels."""
    if value == "valid":
        return (0, 0, 0, 0)
    if value == "same":
        stride = values.get("stride", 1)
        return (same_padding(values["in_h"], values["kernel_h"], stride)
                + same_padding(values["in_w"], values["kernel_w"], stride))
    if (isinstance(value, list) and len(value) == 4
            and all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in value)):
        return tuple(value)  # type: ignore[return-value]
    raise WorkloadError("bad padding", file=file, key=key,
                        expected="same | valid | [top, bottom, left, right] (integers >= 0)", got=value)
