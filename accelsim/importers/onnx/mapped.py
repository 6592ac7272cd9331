"""What mapping one ONNX node gives (layer 2): an accelsim layer, its real weights, and how to read its
input-activation mask from the tensors the model computes."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from accelsim.workloads.layers import Layer


@dataclass(frozen=True)
class Mapped:
    """One simulated layer made from an ONNX node.

    ``weights``: float array of ``layer.weight_shape`` (biases are not stored), or None when both operands
    are activations (a MatMul of two activations: nothing to store or prune). ``sources``: the tensors
    whose values (one inference, batch 1) give the layer's input activations; ``to_mask`` turns their
    values, in that order, into the boolean mask of ``accelsim.pruning.activation_shape(layer)``
    (True = non-zero). ``operand``: for a product of two activations, turns the same values into its right
    operand's mask, of ``layer.weight_shape`` (measured per sample like the input), else None. ``note``: what
    the mapping approximates, or "".
    """

    layer: Layer
    weights: np.ndarray | None
    sources: tuple[str, ...]
    to_mask: Callable[[Sequence[np.ndarray]], np.ndarray]
    note: str = ""
    operand: Callable[[Sequence[np.ndarray]], np.ndarray] | None = None


def nonzero(values: np.ndarray, zero: float = 0.0) -> np.ndarray:
    """True where ``values`` differ from ``zero`` (a quantized tensor's zero point, else 0)."""
    return np.asarray(values) != zero
