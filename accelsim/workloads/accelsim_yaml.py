"""accelsim's own workload YAML (format: ``traces/README.md``) -> :class:`Workload` (layer 1); one of the
workload file formats of :mod:`accelsim.workloads.files`.

The file is checked against declarations (:mod:`accelsim.schema`; each layer type's keys in
:mod:`accelsim.workloads.layer_schema`) and every problem of the file is reported in one pass, as the
hardware loader does: one as a :class:`WorkloadError`, several together as
:class:`~accelsim.errors.ManyInputErrors`. Each names the file and the key, with the layer's name
(``layers[2].kernel_h (layer conv3)``). YAML syntax errors and duplicate keys stop the reading at once.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml

from accelsim.errors import InputError, WorkloadError
from accelsim.schema import INVALID, Checker, Spec, Text, field_spec
from accelsim.workloads.layer_schema import DENSITY_KEYS, LAYER_TYPE, LAYER_TYPES, layer_schema
from accelsim.workloads.layers import Layer, relocated, same_padding
from accelsim.workloads.model import Model, Workload
from accelsim.yamltext import MERGE_TAG, SafeLoader, load

__all__ = ["LAYER_TYPES", "WorkloadKeys", "parse_yaml"]


@dataclasses.dataclass(frozen=True)
class LayerList:
    """A non-empty list of layers, each a mapping checked against its type's keys."""

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "list of layers", "", " | ".join(LAYER_TYPES)

    @property
    def expected(self) -> str:
        return "a list of layers"


@dataclasses.dataclass(frozen=True)
class WorkloadKeys:
    """The top-level keys of a workload file."""

    name: str = field_spec(Text(1000), help="the workload's name")
    layers: tuple = field_spec(LayerList(), help="the layers, in order")
    description: str = field_spec(Text(100_000, blank=True), default="", help="free text")


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
    checker = _WorkloadChecker(file, error=WorkloadError)
    top = checker.fields(WorkloadKeys, raw, "")
    checker.raise_if_failed()
    layers, densities = top["layers"]
    return Workload(Model(name=top["name"].strip(), family="workload", layers=layers),
                    weight_density=densities["weight_density"], activation_density=densities["activation_density"])


class _WorkloadChecker(Checker):
    """Checks a workload file's data; names each layer's keys with the layer's name."""

    def __init__(self, file: str, error: type[InputError]) -> None:
        super().__init__(file, error=error)
        self.layer_names: dict[int, str] = {}

    def where(self, key: str) -> str:
        match = re.match(r"layers\[(\d+)\]", key)
        name = self.layer_names.get(int(match.group(1))) if match else None
        return f"{key} (layer {name})" if name is not None else key

    def value(self, spec: Spec, raw: object, key: str, parent: dict[str, Any]) -> Any:
        if isinstance(spec, LayerList):
            return self.layers(raw)
        return super().value(spec, raw, key, parent)

    def layers(self, entries: object) -> Any:
        """(layers, {density key: {layer name: density}}) of the ``layers`` list, or INVALID."""
        if entries is None or entries == []:
            self.fail("layers", "empty workload", expected="at least one layer", got=entries)
            return INVALID
        if not isinstance(entries, list):
            self.fail("layers", "layers is not a list", expected="a list of layers", got=entries)
            return INVALID
        before = len(self.errors)
        layers: list[Layer] = []
        densities: dict[str, dict[str, float]] = {key: {} for key in DENSITY_KEYS}
        first_index: dict[str, int] = {}
        for index, entry in enumerate(entries):
            loaded = self.layer(entry, index)
            if loaded is INVALID:
                continue
            layer, given = loaded
            if layer.name in first_index:
                self.fail(f"layers[{index}].name", f"duplicate layer name (layers[{first_index[layer.name]}] and "
                          f"layers[{index}])", expected="each layer name once", got=layer.name)
                continue
            first_index[layer.name] = index
            layers.append(layer)
            for key, value in given.items():
                densities[key][layer.name] = value
        if len(self.errors) > before:
            return INVALID
        if not any(layer.at_inference for layer in layers):
            self.fail("layers", "no layer runs at inference",
                      expected="at least one layer without at_inference: false")
            return INVALID
        return tuple(layers), densities

    def layer(self, entry: object, index: int) -> Any:
        """One ``layers[index]`` entry -> (layer, its densities), or INVALID."""
        where = f"layers[{index}]"
        if not isinstance(entry, dict):
            self.fail(where, "layer is not a mapping",
                      expected="a mapping with keys name, type and the layer's fields", got=entry)
            return INVALID
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            self.layer_names[index] = name.strip()
        kind = entry.get("type")
        if not isinstance(kind, str) or kind not in LAYER_TYPES:   # the other keys depend on the type
            if "type" not in entry:
                self.fail(f"{where}.type", "missing key", expected=LAYER_TYPE.expected)
            else:
                self.value(LAYER_TYPE, kind, f"{where}.type", {})
            return INVALID
        before = len(self.errors)
        values = {k: v for k, v in self.fields(layer_schema(kind), entry, where).items() if v is not None}
        if len(self.errors) > before:
            return INVALID
        given = {key: values.pop(key) for key in DENSITY_KEYS if key in values}
        name = values.pop("name").strip()
        del values["type"]
        if kind == "depthwise_conv2d":
            values.setdefault("out_channels", values["in_channels"])
            values.setdefault("groups", values["in_channels"])
        if values.get("padding") == "same":
            rows, cols = values.get("stride", 1), values.get("stride", 1)
            if isinstance(rows, tuple):
                rows, cols = rows
            values["padding"] = (same_padding(values["in_h"], values["kernel_h"], rows)
                                 + same_padding(values["in_w"], values["kernel_w"], cols))
        try:
            return LAYER_TYPES[kind](name, **values), given
        except WorkloadError as exc:   # cross-field checks of layers.py (groups, kernel vs input, depthwise)
            self.errors.append(relocated(exc, self.file, name,
                                         lambda field: self.where(f"{where}.{field}" if field else where)))
            return INVALID
