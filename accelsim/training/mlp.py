"""The network the trainer trains (layer 2): an MLP of Linear layers with ReLU between them and softmax
cross-entropy on the last (:mod:`accelsim.training.trainer`'s module docstring), its forward pass and
gradients in numpy, its accelsim :class:`Model`, and the dense width that matches a sparse model's NNZ."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from accelsim.schema import Int, checked_arguments
from accelsim.workloads.layers import Linear
from accelsim.workloads.model import Model

FAMILY = "mlp"


def forward(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
            x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The MLP (``weights[i]`` of shape (out, in), ReLU between layers) on ``x`` (samples x features): the
    input of every layer (``x`` itself, then each hidden layer's ReLU output) and the output logits."""
    inputs = []
    a = x
    for i, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(a)
        a = a @ w.T + b
        if i < len(weights) - 1:
            a = np.maximum(a, 0.0)
    return inputs, a


def loss_and_gradients(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], x: np.ndarray,
                       y: np.ndarray) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """Mean softmax cross-entropy of the MLP (``weights[i]`` of shape (out, in), ReLU between layers) on
    the batch ``x`` (samples x features), labels ``y``; and its gradients with respect to every weight
    matrix and bias (back-propagation, fresh arrays)."""
    inputs, logits = forward(weights, biases, x)
    log_p = _log_softmax(logits)
    rows = np.arange(len(y))
    loss = -float(np.mean(log_p[rows, y]))
    delta = np.exp(log_p)
    delta[rows, y] -= 1.0
    delta /= len(y)
    grad_w: list[np.ndarray] = [np.empty(0)] * len(weights)
    grad_b: list[np.ndarray] = [np.empty(0)] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        grad_w[i] = delta.T @ inputs[i]
        grad_b[i] = delta.sum(axis=0)
        if i:
            delta = (delta @ weights[i]) * (inputs[i] > 0)
    return loss, grad_w, grad_b


def evaluate(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], x: np.ndarray,
             y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the MLP on ``x``, ``y``; a prediction is the first arg-max."""
    _, logits = forward(weights, biases, x)
    log_p = _log_softmax(logits)
    loss = -float(np.mean(log_p[np.arange(len(y)), y]))
    return loss, float(np.mean(np.argmax(logits, axis=1) == y))


def mlp_model(name: str, sizes: Sequence[int], names: Sequence[str], pruned: Sequence[str]) -> Model:
    """The accelsim model of the MLP ``sizes`` (features, *hidden, classes): one Linear layer (with bias)
    per weight matrix, named ``names``; ``prunable`` for the layers in ``pruned``."""
    layers = tuple(Linear(layer, in_features=fan_in, out_features=out, bias=True, prunable=layer in pruned)
                   for layer, fan_in, out in zip(names, sizes[:-1], sizes[1:]))
    return Model(name=name, family=FAMILY, layers=layers)


def equal_nnz_width(nnz: int, in_features: int, out_features: int, n_hidden: int = 2) -> int:
    """The hidden width h of a dense MLP in_features-h-...-h-out_features (``n_hidden`` hidden layers) whose
    weight count in*h + (n_hidden-1)*h^2 + h*out is closest to ``nnz`` (the smaller h on a tie): the
    small-dense model with the footprint of a large-sparse one (biases not counted)."""
    checked_arguments({"nnz": (Int(1, None, "weights"), nnz),
                       "in_features": (Int(1, None, "features"), in_features),
                       "out_features": (Int(1, None, "classes"), out_features),
                       "n_hidden": (Int(1, None, "layers"), n_hidden)})

    def count(h: int) -> int:
        return in_features * h + (n_hidden - 1) * h * h + h * out_features

    h = 1
    while count(h + 1) <= nnz:
        h += 1
    return h + 1 if abs(count(h + 1) - nnz) < abs(count(h) - nnz) else h


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
