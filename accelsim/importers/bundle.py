"""An imported model's folder (layer 2): what ``accelsim import`` writes and ``--workload DIR`` reads.

| file | what |
|---|---|
| ``workload.yaml`` | the simulated layers in accelsim's workload format (``traces/README.md``); a layer whose input is not a ReLU's output has ``activation_density: 1.0`` for the density model |
| ``weights.npz`` | the real weights of every layer that has them: float32, ``weight_shape`` (biases not stored) |
| ``masks.npz`` | their exact zeros, a mask file as ``accelsim prune`` writes (True = non-zero) |
| ``activations.npz`` | only with ``--samples``: per layer, the input-activation masks of every sample, bool ``(n, *activation_shape)`` |
| ``operands.npz`` | only with ``--samples``, for each product of two activations (a layer marked not prunable): the right operand's mask of every sample, bool ``(n, *weight_shape)`` |
| ``import.json`` | the source model's name and SHA-256, the samples file's, every ONNX node's status, MACs and bytes, and the warnings |
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from accelsim.errors import InputError, MaskError, WorkloadError
from accelsim.inputfiles import open_regular
from accelsim.pruning.activations import activation_shape
from accelsim.pruning.files import load_masks
from accelsim.pruning.masks import Masks
from accelsim.workloads.files import Workload, read_workload
from accelsim.workloads.layer_schema import LAYER_TYPES, REQUIRED
from accelsim.workloads.layers import Layer

WORKLOAD, WEIGHTS, MASKS, ACTIVATIONS, OPERANDS, REPORT = ("workload.yaml", "weights.npz", "masks.npz",
                                                           "activations.npz", "operands.npz", "import.json")
FILES = (WORKLOAD, WEIGHTS, MASKS, ACTIVATIONS, OPERANDS, REPORT)
FAMILY = "imported"   # the model family of an imported model (reports, sweep points)
_TYPE_NAMES = {cls: name for name, cls in LAYER_TYPES.items()}


@dataclass(frozen=True)
class Bundle:
    """A folder's workload, real masks, measured activations and right operands of products of two
    activations (each None without samples) and the SHA-256 of each file read, by file name."""

    folder: Path
    workload: Workload
    masks: Masks
    activations: dict[str, np.ndarray] | None
    hashes: dict[str, str]
    operands: dict[str, np.ndarray] | None = None

    def weights(self) -> dict[str, np.ndarray]:
        """The real weights (read on demand: pruning needs them, simulation does not)."""
        return read_arrays(self.folder / WEIGHTS, self.workload.model.layers, lambda layer: layer.weight_shape,
                           np.float32)


def is_bundle(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder (an imported model's, or meant to be one)."""
    return Path(path).is_dir()


def read_bundle(folder: str | os.PathLike[str]) -> Bundle:
    """The imported model in ``folder``: its workload, masks and (if measured) activations, checked
    against the layers; a WorkloadError or MaskError naming the file otherwise."""
    folder = Path(folder)
    if not (folder / WORKLOAD).is_file():
        raise WorkloadError("not an imported model's folder", file=folder, key=WORKLOAD,
                            expected="a folder written by 'accelsim import'", got="no workload.yaml")
    workload = read_workload(folder / WORKLOAD)
    workload = Workload(replace(workload.model, family=FAMILY), workload.weight_density, workload.activation_density)
    masks = load_masks(folder / MASKS, workload.model)
    activations = None
    if (folder / ACTIVATIONS).is_file():
        layers = [layer for layer in workload.model.inference_layers if _has_activations(layer)]
        activations = read_arrays(folder / ACTIVATIONS, layers, activation_shape, np.bool_, stacked=True)
    operands = None
    if activations is not None and (folder / OPERANDS).is_file():
        layers = [layer for layer in workload.model.inference_layers if not layer.prunable]
        operands = read_arrays(folder / OPERANDS, layers, lambda layer: layer.weight_shape, np.bool_, stacked=True)
    hashes = {name: file_sha256(folder / name) for name in FILES if (folder / name).is_file() and name != REPORT}
    return Bundle(folder, workload, masks, activations, hashes, operands)


def origin(folder: str | os.PathLike[str]) -> dict:
    """What the model in ``folder`` was imported from, as its ``import.json`` records it: ``{"model": {"file",
    "sha256"}, "samples": {"file", "sha256", "count"} or None, "warnings": [the import's warnings: what the
    layers leave out or approximate]}``; ``{}`` when that file is missing or unreadable (it informs,
    simulation does not need it)."""
    try:
        with open_regular(Path(folder) / REPORT) as stream:
            report = json.load(stream)
        return {"model": {"file": str(report["source"]), "sha256": str(report["source_sha256"])},
                "samples": report["samples"], "warnings": [str(w) for w in report["warnings"]]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _has_activations(layer: Layer) -> bool:
    try:
        activation_shape(layer)
    except InputError:   # Embedding, Attention: no activation input
        return False
    return True


def read_arrays(path: Path, layers, shape_of, dtype, *, stacked: bool = False) -> dict[str, np.ndarray]:
    """One array per layer of ``layers`` from the .npz file ``path``, each of ``shape_of(layer)`` (with a
    leading sample axis if ``stacked``) and ``dtype``; a MaskError naming the file and layer otherwise."""
    result = {}
    try:
        with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as archive:
            for layer in layers:
                if layer.name not in archive.files:
                    raise MaskError("no entry for a layer", file=path, key=layer.name,
                                    expected=f"an array of shape {shape_of(layer)}")
                array = archive[layer.name]
                expected = tuple(shape_of(layer))
                found = array.shape[1:] if stacked else array.shape
                if found != expected or array.dtype != dtype or (stacked and len(array) == 0):
                    raise MaskError("entry of the wrong shape or dtype", file=path, key=layer.name,
                                    expected=f"{np.dtype(dtype)} {('(n, ' + str(expected)[1:]) if stacked else expected}",
                                    got=f"{array.dtype} {array.shape}")
                result[layer.name] = array
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise MaskError("cannot read the file", file=path, expected="an .npz archive written by 'accelsim import'",
                        got=str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    return result


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def workload_entries(layers, dense_inputs) -> list[dict]:
    """The ``layers`` list of a workload.yaml: each layer's type, its required fields and the others that
    differ from their defaults, with ``activation_density: 1.0`` for layers in ``dense_inputs``."""
    entries = []
    for layer in layers:
        cls = type(layer)
        kind = _TYPE_NAMES[cls]
        entry: dict[str, object] = {"name": layer.name, "type": kind}
        for spec in fields(cls):
            value = getattr(layer, spec.name)
            if spec.name == "name" or (value == spec.default and spec.name not in REQUIRED[kind]):
                continue
            entry[spec.name] = list(value) if isinstance(value, tuple) else value
        if entry["type"] == "depthwise_conv2d":   # implied by in_channels
            entry.pop("out_channels", None)
            entry.pop("groups", None)
        if layer.name in dense_inputs:
            entry["activation_density"] = 1.0
        entries.append(entry)
    return entries
