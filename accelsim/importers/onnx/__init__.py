"""ONNX models -> accelsim (layer 2): the layers a model's simulated nodes become, with their real weights
and exact zeros, and a report of every node (docs/import.md).

:func:`import_onnx` reads, checks and maps a model (:mod:`.reader`, :mod:`.graph`, one module per op
family); :func:`accelsim.importers.onnx.measure.measure` runs it on samples with onnxruntime and returns each
simulated layer's input-activation masks.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.errors import WorkloadError
from accelsim.importers.onnx.context import GraphContext
from accelsim.importers.onnx.graph import NodeReport, between_layers, post_relu, walk
from accelsim.importers.onnx.mapped import Mapped
from accelsim.importers.onnx.reader import parse_input_shape, read_model
from accelsim.workloads.model import Model

__all__ = ["Imported", "import_onnx", "parse_input_shape"]


@dataclass(frozen=True)
class Imported:
    """An imported model: accelsim's ``model``, each simulated layer's mapping (weights, how to measure its
    input), one report per ONNX node, the input densities the density model should use where the input is
    not a ReLU's output (1.0), warnings, and the checked, shape-inferred ONNX model."""

    model: Model
    mapped: tuple[Mapped, ...]
    reports: tuple[NodeReport, ...]
    dense_inputs: tuple[str, ...]
    warnings: tuple[str, ...]
    onnx_model: object
    source: str
    sha256: str

    @property
    def weights(self) -> dict[str, np.ndarray]:
        """Real weights of every layer that has them (``weight_shape``, float32)."""
        return {m.layer.name: m.weights for m in self.mapped if m.weights is not None}

    @property
    def masks(self) -> dict[str, np.ndarray]:
        """The exact zeros of those weights (True = non-zero)."""
        return {name: w != 0 for name, w in self.weights.items()}


def import_onnx(path: str | os.PathLike[str], input_shapes: Mapping[str, tuple[int, ...]] | None = None, *,
                strict: bool = False) -> Imported:
    """Map the ONNX model in ``path`` to accelsim layers (module docstring of :mod:`.graph`).

    ``input_shapes`` fixes graph inputs' dimensions (needed for dynamic ones). An unmapped node between
    simulated layers is a warning, or with ``strict`` a WorkloadError listing them; a model with no layer
    accelsim can simulate is a WorkloadError."""
    path = Path(path)
    onnx_model = read_model(path, input_shapes)
    context = GraphContext.of(onnx_model)
    mapped, reports = walk(context)
    if not mapped:
        raise WorkloadError("no layer accelsim can simulate", file=path,
                            expected="Conv, Gemm, MatMul, LSTM or GRU nodes with constant weights",
                            got=", ".join(sorted({r.op_type for r in reports})) or "no nodes")
    gaps = between_layers(reports, context)
    listed = "; ".join(f"{r.node or r.op_type} ({r.op_type}: {r.reason})" for r in gaps)
    if gaps and strict:
        raise WorkloadError("ops accelsim cannot map between simulated layers", file=path, key="--strict",
                            expected="only mapped or untimed ops between layers", got=listed)
    warnings = [f"unmapped between simulated layers: {listed}"] if gaps else []
    warnings += [f"layer {m.layer.name}: {m.note}" for m in mapped if m.note]
    warnings += [f"layer {name}: every weight is zero (pruned to 100%)"
                 for name, mask in _masks(mapped).items() if not mask.any()]
    model = Model(name=path.stem, family="onnx", layers=tuple(m.layer for m in mapped))
    dense = tuple(m.layer.name for m in mapped if not all(post_relu(s, context) for s in m.sources[:1]))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Imported(model, tuple(mapped), tuple(reports), dense, tuple(warnings), onnx_model, path.name, digest)


def _masks(mapped) -> dict[str, np.ndarray]:
    return {m.layer.name: m.weights != 0 for m in mapped if m.weights is not None}
