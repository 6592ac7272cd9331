"""Workload files: accelsim's own YAML and SCALE-Sim topology CSVs -> :class:`Model` (layer 1).

Two entry points, chosen by what the caller needs:

* :func:`load_workload` ``(path) -> Model``: the layers only (what ``accelsim simulate --workload`` needs).
* :func:`read_workload` ``(path) -> Workload``: the model plus the per-layer ``weight_density`` and
  ``activation_density`` a YAML file may give (a sparse simulation can use them when it has no masks).
  Densities are kept here, beside the model, so the layer types stay pure shapes.

The format is chosen by the extension: ``.yaml``/``.yml`` (accelsim's format, ``traces/README.md``) or
``.csv`` (a SCALE-Sim topology, convolution or GEMM, told apart by the header; see :func:`parse_scalesim`).

Every problem raises :class:`WorkloadError` naming the file, where in it (``layers[2].kernel_h (layer
conv3)``, ``line 5 (Conv3): Filter Height``), what was expected and what was found, on one line. Files over
``MAX_FILE_BYTES`` are refused before they are read.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from accelsim.errors import WorkloadError, did_you_mean
from accelsim.inputfiles import open_regular
from accelsim.workloads.layers import (LSTM, Attention, Conv2D, DepthwiseConv2D, Embedding, Layer, Linear,
                                       same_padding)
from accelsim.workloads.model import Model
from accelsim.yamltext import MERGE_TAG, SafeLoader, load

__all__ = ["MAX_FILE_BYTES", "LAYER_TYPES", "Workload", "load_workload", "parse_scalesim", "parse_workload",
           "parse_yaml", "read_workload", "read_workload_text"]

MAX_FILE_BYTES = 10_000_000  # 10 MB: the largest real workload file is a few kB

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


@dataclass(frozen=True)
class Workload:
    """A workload file's model and the densities it gives, by layer name (only layers that give one).

    ``weight_density`` and ``activation_density`` are read-only maps ``{layer name: density in (0, 1]}``.
    """

    model: Model
    weight_density: Mapping[str, float] = field(default_factory=dict)
    activation_density: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_density", MappingProxyType(dict(self.weight_density)))
        object.__setattr__(self, "activation_density", MappingProxyType(dict(self.activation_density)))


def load_workload(path: str | os.PathLike[str]) -> Model:
    """The model described by the workload file ``path`` (``.yaml``/``.yml`` or SCALE-Sim ``.csv``)."""
    return read_workload(path).model


def read_workload(path: str | os.PathLike[str]) -> Workload:
    """The model and per-layer densities of the workload file ``path``; the extension picks the format."""
    return parse_workload(read_workload_text(path), str(path))


def read_workload_text(path: str | os.PathLike[str]) -> str:
    """The text of the workload file ``path``: a known extension, at most ``MAX_FILE_BYTES``, UTF-8 (a
    WorkloadError naming ``path`` otherwise); :func:`parse_workload` of it is :func:`read_workload`."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise WorkloadError("unknown workload file type", file=path,
                            expected=".yaml or .yml (accelsim) or .csv (SCALE-Sim topology)",
                            got=Path(path).suffix or "no extension")
    return _read_text(path)


def parse_workload(text: str, file: str) -> Workload:
    """The workload in ``text``, read as the format the extension of ``file`` says (``.csv``: a SCALE-Sim
    topology named after the file; otherwise accelsim YAML)."""
    if Path(file).suffix.lower() == ".csv":
        return Workload(parse_scalesim(text, file, name=Path(file).stem))
    return parse_yaml(text, file)


def _read_text(path: str | os.PathLike[str]) -> str:
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise WorkloadError("file too large", file=path, expected=f"at most {MAX_FILE_BYTES} bytes",
                                got=f"{size} bytes")
        with open_regular(path) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise WorkloadError("cannot read the file", file=path, expected="a readable workload file",
                            got=exc.strerror or type(exc).__name__) from None
    if len(data) > MAX_FILE_BYTES:   # grew since stat, or a special file
        raise WorkloadError("file too large", file=path, expected=f"at most {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorkloadError("not UTF-8 text", file=path, expected="a UTF-8 text file",
                            got=f"byte {exc.start}") from None


# --- SCALE-Sim topology CSV --------------------------------------------------------------------------------

CONV_COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides")
GEMM_COLUMNS = ("Layer name", "M", "N", "K")
_INTEGER = re.compile(r"^\+?[0-9]+$")


def parse_scalesim(text: str, file: str = "<string>", name: str = "topology") -> Model:
    """A SCALE-Sim topology (CSV text) as a Model named ``name``.

    The first line is a header; each further non-blank line is one layer. Cells are comma-separated and
    stripped of spaces; the trailing comma SCALE-Sim requires is accepted and so is its absence.

    * Convolution topology: ``name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
      Num Filter, Strides,`` (an optional ninth column, Stride Width, must equal Strides: accelsim's
      convolutions have one stride). SCALE-Sim's IFMAP sizes already include padding, so each row is a
      :class:`Conv2D` with padding ``(0, 0, 0, 0)`` and the given IFMAP as its input. One exception keeps
      SCALE-Sim's shapes and MACs: SCALE-Sim makes ``ceil((IFMAP - Filter) / Strides) + 1`` outputs per
      axis, one more than fit when the stride does not divide ``IFMAP - Filter`` (its last window hangs over
      the edge and reads nothing there). Such an axis gets that overhang as padding at the bottom/right
      (AlexNet Conv1, 224, 11x11, stride 4: padding (0, 3, 0, 3), 55x55 outputs as in SCALE-Sim and the
      real AlexNet). Every row of MobileNet's and YOLO-tiny's topologies divides exactly.
      A row whose name contains ``DP`` (case-sensitive, SCALE-Sim's convention) is depthwise. SCALE-Sim
      splits such a row into ``Channels`` single-channel layers of ``Num Filter`` filters each, i.e. it reads
      Num Filter *per channel* (a channel multiplier). With Num Filter 1 (every real topology) the row is a
      :class:`DepthwiseConv2D` with ``groups = in = out = Channels``; with Num Filter m > 1 it is a grouped
      :class:`Conv2D` with ``groups = Channels`` and ``Channels * m`` outputs, which has SCALE-Sim's MACs.
    * GEMM topology (SCALE-Sim's ``-i gemm`` input, header ``Layer name, M, N, K``): an (M x K) by (K x N)
      product, weights K x N, as :class:`Linear` ``(in_features=K, out_features=N, steps=M, bias=False)``;
      SCALE-Sim maps it to IFMAP M x K, filter 1 x K, 1 channel, N filters, which has the same M*N*K MACs.
    """
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise WorkloadError("empty workload", file=file, expected="a header line and at least one layer row")
    header = _cells(lines[header_at])
    if len(header) > 1 and _INTEGER.match(header[1]):
        raise WorkloadError("missing header line", file=file, key=f"line {header_at + 1}",
                            expected="a header (" + ", ".join(CONV_COLUMNS) + ") before the layer rows",
                            got=lines[header_at].strip())
    gemm = [h.lower() for h in header[1:]] == ["m", "n", "k"]
    columns = GEMM_COLUMNS if gemm else CONV_COLUMNS
    if len(header) < len(columns):
        raise WorkloadError("missing columns in the header", file=file, key=f"line {header_at + 1}",
                            expected=f"{len(columns)} columns: " + ", ".join(CONV_COLUMNS)
                            + " (or Layer name, M, N, K for a GEMM topology)", got=f"{len(header)}: {header}")
    max_cells = len(columns) + (0 if gemm else 1)   # a convolution row may add Stride Width
    layers: list[Layer] = []
    first_line: dict[str, int] = {}
    for index in range(header_at + 1, len(lines)):
        if not lines[index].strip():
            continue
        line = index + 1
        cells = _cells(lines[index])
        layer_name = cells[0]
        where = f"line {line}"
        if not layer_name:
            raise WorkloadError("layer without a name", file=file, key=f"{where}: {columns[0]}",
                                expected="a layer name", got=lines[index].strip())
        where = f"line {line} ({layer_name})"
        if layer_name in first_line:
            raise WorkloadError(f"duplicate layer name (lines {first_line[layer_name]} and {line})", file=file,
                                key=f"{where}: {columns[0]}", expected="each layer name once")
        first_line[layer_name] = line
        if len(cells) < len(columns):
            raise WorkloadError("missing columns", file=file, key=f"{where}: {columns[len(cells)]}",
                                expected=f"{len(columns)} columns: " + ", ".join(columns), got=len(cells))
        if len(cells) > max_cells:
            raise WorkloadError("too many columns", file=file, key=where,
                                expected=f"{len(columns)} columns: " + ", ".join(columns), got=len(cells))
        values = [_positive_cell(cell, file, f"{where}: {column}") for cell, column in
                  zip(cells[1:], columns[1:] + ("Stride Width",))]
        if gemm:
            m, n, k = values
            try:
                layers.append(Linear(layer_name, in_features=k, out_features=n, steps=m, bias=False))
            except WorkloadError as exc:   # layers.py's own checks (a layer too large)
                raise _located(exc, file, layer_name, lambda field: where) from None
            continue
        ifmap_h, ifmap_w, filt_h, filt_w, channels, num_filt, stride = values[:7]
        if len(values) == 8 and values[7] != stride:
            raise WorkloadError("different row and column strides", file=file, key=f"{where}: Stride Width",
                                expected=f"the same as Strides ({stride})", got=values[7])
        for size, kernel, what in ((ifmap_h, filt_h, "Height"), (ifmap_w, filt_w, "Width")):
            if kernel > size:
                raise WorkloadError("filter larger than the ifmap", file=file, key=f"{where}: Filter {what}",
                                    expected=f"at most the IFMAP {what} {size}", got=kernel)
        shape = dict(kernel_h=filt_h, kernel_w=filt_w, in_h=ifmap_h, in_w=ifmap_w, stride=stride,
                     padding=(0, _overhang(ifmap_h, filt_h, stride), 0, _overhang(ifmap_w, filt_w, stride)))
        try:
            if "DP" in layer_name and num_filt == 1:
                layer: Layer = DepthwiseConv2D(layer_name, in_channels=channels, out_channels=channels,
                                               groups=channels, **shape)
            elif "DP" in layer_name:
                layer = Conv2D(layer_name, in_channels=channels, out_channels=channels * num_filt,
                               groups=channels, **shape)
            else:
                layer = Conv2D(layer_name, in_channels=channels, out_channels=num_filt, **shape)
        except WorkloadError as exc:   # layers.py's own checks not made above (e.g. a layer too large)
            raise _located(exc, file, layer_name, lambda field: f"{where}: {field}" if field else where) from None
        layers.append(layer)
    if not layers:
        raise WorkloadError("empty workload", file=file, expected="at least one layer row after the header")
    return Model(name=name, family="scalesim_topology", layers=tuple(layers))


def _overhang(size: int, kernel: int, stride: int) -> int:
    """Pixels SCALE-Sim's last window reaches past the IFMAP edge: it makes ``ceil((size - kernel) / stride)
    + 1`` outputs (topology_utils.topo_calc_hyperparams), one more than fit when the stride does not divide
    ``size - kernel``; that window's missing elements are read as nothing, i.e. zero padding after."""
    outputs = -(-(size - kernel) // stride) + 1
    return (outputs - 1) * stride + kernel - size


def _cells(line: str) -> list[str]:
    cells = [cell.strip() for cell in line.split(",")]
    if len(cells) > 1 and cells[-1] == "":
        cells.pop()   # SCALE-Sim's trailing comma
    return cells


def _positive_cell(cell: str, file: str, key: str) -> int:
    if cell.startswith("-") and _INTEGER.match(cell[1:]):
        raise WorkloadError("dimension must be positive", file=file, key=key, expected="a positive integer",
                            got=cell)
    if not _INTEGER.match(cell):
        raise WorkloadError("not a whole number", file=file, key=key, expected="a positive integer", got=cell)
    if len(cell) > 30:   # int() refuses over 4300 digits; any layer this large is refused later anyway
        raise WorkloadError("number too large", file=file, key=key, expected="a positive integer",
                            got=f"{len(cell)} digits")
    value = int(cell)
    if value <= 0:
        raise WorkloadError("dimension must be positive", file=file, key=key, expected="a positive integer",
                            got=value)
    return value


def _located(exc: WorkloadError, file: str, layer_name: str, place: Callable[[str | None], str]) -> WorkloadError:
    """``exc``, raised by a layer constructor (which knows no file and keys a problem ``conv1`` or
    ``conv1.groups``), with the file added and the key ``place(field)``: ``place("groups")``, or
    ``place(None)`` for the layer as a whole."""
    prefix = f"{layer_name}."
    field = exc.key[len(prefix):] if exc.key and exc.key.startswith(prefix) else None
    return WorkloadError(exc.problem, file=file, key=place(field), expected=exc.expected, got=exc.got)


# --- accelsim YAML -----------------------------------------------------------------------------------------

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
        raise _located(exc, file, name, lambda field: key_of(field) if field else f"{where} (layer {name})") from None
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

