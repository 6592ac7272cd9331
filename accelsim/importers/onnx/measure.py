"""Measured activations (layer 2): run an imported model with onnxruntime on the user's samples and keep
each simulated layer's input-activation zero masks.

Samples: a ``.npy`` array for a model with one input, or an ``.npz`` archive with one array per input name.
Each array stacks the samples on a new first axis: shape ``(n, *input shape)``, or ``(n, *input shape[1:])``
when the input's first (batch) dimension is 1; its dtype is the input's. The graph is run without
onnxruntime's graph optimisations, so every intermediate tensor is the model's own.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from accelsim.errors import WorkloadError
from accelsim.inputfiles import open_regular
from accelsim.importers.onnx.reader import graph_inputs

MAX_SAMPLES_BYTES = 2**31   # a samples file larger than this is refused unread


def read_samples(path: str | os.PathLike[str], onnx_model) -> dict[str, np.ndarray]:
    """The samples in ``path`` for every graph input of ``onnx_model``, each ``(n, *input shape)``, checked
    (module docstring); a WorkloadError naming the file and input otherwise."""
    from onnx import helper
    path = Path(path)
    inputs = graph_inputs(onnx_model)
    arrays = _load(path, [value.name for value in inputs])
    counts = set()
    result = {}
    for value in inputs:
        tensor = value.type.tensor_type
        shape = tuple(d.dim_value for d in tensor.shape.dim)
        dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        array = arrays[value.name]
        stacked = array.ndim == len(shape) + 1 and array.shape[1:] == shape
        batched = shape[:1] == (1,) and array.ndim == len(shape) and array.shape[1:] == shape[1:]
        if not (stacked or batched) or array.shape[0] == 0:
            accepted = f"(n, {', '.join(map(str, shape))})"
            if shape[:1] == (1,):
                accepted += f" or (n, {', '.join(map(str, shape[1:]))})"
            raise WorkloadError("samples of the wrong shape", file=path, key=f"input {value.name}",
                                expected=accepted, got=array.shape)
        if array.dtype != dtype:
            raise WorkloadError("samples of the wrong dtype", file=path, key=f"input {value.name}",
                                expected=str(dtype), got=str(array.dtype))
        counts.add(array.shape[0])
        result[value.name] = array.reshape((array.shape[0], *shape))
    if len(counts) > 1:
        raise WorkloadError("inputs with different numbers of samples", file=path, expected="the same n for every "
                            "input", got=sorted(counts))
    return result


def _load(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    try:
        if path.stat().st_size > MAX_SAMPLES_BYTES:
            raise WorkloadError("samples file too large", file=path, expected=f"at most {MAX_SAMPLES_BYTES} bytes")
        with open_regular(path) as stream:          # a FIFO would block the read forever
            loaded = np.load(stream, allow_pickle=False)
            if isinstance(loaded, np.ndarray):
                arrays = None
                single = loaded
            else:
                with loaded:
                    arrays = {name: loaded[name] for name in loaded.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise WorkloadError("cannot read samples", file=path, expected="a .npy array or .npz archive",
                            got=str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    if arrays is None:
        if len(names) != 1:
            raise WorkloadError("one array for a model with several inputs", file=path,
                                expected="an .npz archive with arrays " + ", ".join(names))
        return {names[0]: single}
    missing = [name for name in names if name not in arrays]
    if missing:
        raise WorkloadError("no samples for an input", file=path, key=f"input {missing[0]}",
                            expected="an array named after each input: " + ", ".join(names),
                            got=", ".join(arrays) or "none")
    return arrays


def measure(imported, samples: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each simulated layer's input-activation masks over the samples, layer name -> bool array
    ``(n, *activation_shape(layer))``; and each product of two activations' right-operand masks, layer name
    -> bool array ``(n, *weight_shape)``."""
    import onnxruntime
    model = _with_outputs(imported.onnx_model, {s for m in imported.mapped for s in m.sources} - set(samples))
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3          # errors only: unused-initializer notices are not the user's problem
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    n = next(iter(samples.values())).shape[0]
    masks: dict[str, list[np.ndarray]] = {m.layer.name: [] for m in imported.mapped}
    operands: dict[str, list[np.ndarray]] = {m.layer.name: [] for m in imported.mapped if m.operand}
    for index in range(n):
        feed = {name: array[index] for name, array in samples.items()}
        values = dict(zip(names, session.run(names, feed)))
        values.update(feed)
        for m in imported.mapped:
            sources = [values[s] for s in m.sources]
            masks[m.layer.name].append(np.asarray(m.to_mask(sources), dtype=bool))
            if m.operand:
                operands[m.layer.name].append(np.asarray(m.operand(sources), dtype=bool))
    return ({name: np.stack(found) for name, found in masks.items()},
            {name: np.stack(found) for name, found in operands.items()})


def _with_outputs(onnx_model, tensors: set[str]):
    """A copy of ``onnx_model`` that also outputs ``tensors`` (with their inferred types)."""
    import onnx
    model = onnx.ModelProto()
    model.CopyFrom(onnx_model)
    present = {output.name for output in model.graph.output}
    infos = {info.name: info for info in model.graph.value_info}
    for name in sorted(tensors - present):
        model.graph.output.append(infos[name] if name in infos else onnx.ValueInfoProto(name=name))
    return model
