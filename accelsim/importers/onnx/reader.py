"""Reading an ONNX file safely (layer 2): size limits, external data kept inside the model's folder, the
``onnx`` checker, input shapes fixed by the user, and shape inference.

Every problem is a :class:`~accelsim.errors.WorkloadError` naming the file (and the input or tensor), on one
line; nothing is read past ``MAX_MODEL_BYTES`` (protobuf's own limit for one message) and no external data
file is opened outside the model's folder.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from accelsim.errors import WorkloadError, did_you_mean
from accelsim.inputfiles import open_regular

MAX_MODEL_BYTES = 2**31 - 1          # protobuf refuses larger messages; weights past this go in external data
MAX_EXTERNAL_BYTES = 16 * 2**30      # all external-data weights of one model (a 4G-parameter float32 model)


def onnx_module():
    """The ``onnx`` package, or a WorkloadError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise WorkloadError("the onnx package is not installed", key="import",
                            expected="pip install 'accelsim[onnx]'") from None
    return onnx


def read_model(path: str | os.PathLike[str], input_shapes: Mapping[str, tuple[int, ...]] | None = None):
    """The ONNX model in ``path``, checked, with its external data loaded, its graph inputs fixed to
    ``input_shapes`` (input name -> dims) and every tensor's shape inferred."""
    onnx = onnx_module()
    path = Path(path)
    model = _parse(onnx, path, _read_bytes(path))
    _load_external(onnx, model, path)
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as error:
        raise WorkloadError("model fails the ONNX checker", file=path, expected="a valid ONNX model",
                            got=str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    _fix_inputs(model, path, dict(input_shapes or {}))
    try:
        return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, RuntimeError, ValueError) as error:
        raise WorkloadError("ONNX shape inference failed", file=path, expected="shapes that chain",
                            got=str(error).splitlines()[0]) from None


def _read_bytes(path: Path) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > MAX_MODEL_BYTES:
            raise WorkloadError("model file too large", file=path, expected=f"at most {MAX_MODEL_BYTES} bytes "
                                "(larger weights belong in external data)", got=f"{size} bytes")
        with open_regular(path) as stream:          # a FIFO would block the read forever
            data = stream.read(MAX_MODEL_BYTES + 1)
    except OSError as error:
        raise WorkloadError("cannot read the model", file=path, expected="a readable .onnx file",
                            got=error.strerror or type(error).__name__) from None
    if len(data) > MAX_MODEL_BYTES:
        raise WorkloadError("model file too large", file=path, expected=f"at most {MAX_MODEL_BYTES} bytes")
    return data


def _parse(onnx, path: Path, data: bytes):
    from google.protobuf.message import DecodeError
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as error:
        raise WorkloadError("not an ONNX model (the protobuf does not parse: truncated or another format)",
                            file=path, expected="an ONNX ModelProto", got=str(error) or type(error).__name__) \
            from None
    if model.ir_version <= 0 or not model.graph.node:
        raise WorkloadError("not an ONNX model", file=path, expected="an ONNX ModelProto with an IR version "
                            "and a graph", got=f"ir_version {model.ir_version}, {len(model.graph.node)} nodes")
    return model


def _load_external(onnx, model, path: Path) -> None:
    """Check every external-data reference (relative, inside the model's folder, present, in bounds), then
    load them."""
    from onnx.external_data_helper import ExternalDataInfo, _get_all_tensors, uses_external_data
    folder = path.resolve().parent
    total = 0
    for tensor in _get_all_tensors(model):
        if not uses_external_data(tensor):
            continue
        info = ExternalDataInfo(tensor)
        where = f"tensor {tensor.name}: external data"
        target = (folder / info.location).resolve()
        if Path(info.location).is_absolute() or not target.is_relative_to(folder):
            raise WorkloadError("external data outside the model's folder", file=path, key=where,
                                expected="a file in the model's folder", got=info.location)
        if not target.is_file():
            raise WorkloadError("external data file missing", file=path, key=where,
                                expected=f"the file {info.location} beside the model", got="no such file")
        length = info.length or max(target.stat().st_size - (info.offset or 0), 0)
        if (info.offset or 0) + length > target.stat().st_size:
            raise WorkloadError("external data past the end of its file", file=path, key=where,
                                expected=f"at most {target.stat().st_size} bytes",
                                got=f"offset {info.offset} + length {length}")
        total += length
    if total > MAX_EXTERNAL_BYTES:
        raise WorkloadError("external data too large", file=path, expected=f"at most {MAX_EXTERNAL_BYTES} bytes",
                            got=f"{total} bytes")
    if total:
        onnx.external_data_helper.load_external_data_for_model(model, str(folder))


def graph_inputs(model) -> list:
    """The graph inputs the user feeds (those without an initializer of the same name)."""
    constant = {init.name for init in model.graph.initializer}
    return [value for value in model.graph.input if value.name not in constant]


def _fix_inputs(model, path: Path, shapes: dict[str, tuple[int, ...]]) -> None:
    """Give every graph input fixed dimensions: ``shapes`` where given, else its own; a dynamic dimension
    the user did not fix is an error naming the input."""
    inputs = {value.name: value for value in graph_inputs(model)}
    if shapes:      # every other shape the file declares follows from the inputs': inferred anew
        for value in model.graph.output:
            value.type.tensor_type.ClearField("shape")
        del model.graph.value_info[:]
    for name in shapes:
        if name not in inputs:
            raise WorkloadError("--input-shape names no input of the model", file=path, key=f"--input-shape {name}",
                                expected="one of " + ", ".join(inputs) + did_you_mean(name, inputs), got=name)
    for name, value in inputs.items():
        dims = value.type.tensor_type.shape.dim
        if name in shapes:
            wanted = shapes[name]
            if len(wanted) != len(dims):
                raise WorkloadError("--input-shape has the wrong rank", file=path, key=f"--input-shape {name}",
                                    expected=f"{len(dims)} dimensions", got="x".join(map(str, wanted)))
            for dim, size in zip(dims, wanted):
                dim.Clear()
                dim.dim_value = size
            continue
        dynamic = [dim.dim_param or "?" for dim in dims if not dim.HasField("dim_value") or dim.dim_value <= 0]
        if dynamic or not value.type.tensor_type.HasField("shape"):
            raise WorkloadError("input has dynamic dimensions", file=path, key=f"input {name}",
                                expected=f"--input-shape {name}=" + "x".join("N" for _ in dims),
                                got=", ".join(dynamic) or "no shape")


def parse_input_shape(text: str) -> tuple[str, tuple[int, ...]]:
    """``NAME=1x3x224x224`` -> (name, dims); a WorkloadError naming ``--input-shape`` otherwise."""
    name, _, dims = text.rpartition("=")
    try:
        sizes = tuple(int(part) for part in dims.lower().split("x"))
    except ValueError:
        sizes = ()
    if not name or not sizes or any(size <= 0 for size in sizes) or math.prod(sizes) > 2**31:
        raise WorkloadError("bad input shape", key="--input-shape", expected="NAME=D1xD2x... (positive integers)",
                            got=text)
    return name, sizes
