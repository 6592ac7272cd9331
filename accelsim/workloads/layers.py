"""Frozen layer types with exact shapes, parameter counts and MAC counts (layer 1).

Conventions, said once:

* ``weight_shape`` is the shape of the layer's weight tensor, the tensor a pruning mask covers. Biases are
  counted in ``params`` but never pruned and never masked.
* ``macs`` are multiply-accumulates for one inference (batch 1), including every time step of sequence
  layers. Depthwise and grouped convolutions count only the products that exist (no zeros of the block
  structure).
* Sequence layers (Linear, LSTM, Embedding, Attention) have ``steps``: how many input vectors (time steps or
  tokens) one inference feeds them.
* ``prunable`` says whether the paper prunes the layer; ``at_inference`` is False for parts that are trained
  but not run when predicting (InceptionV3's auxiliary classifier): counted in ``params``, not simulated.
* No tensor of a layer (weights, input or output activations of one inference) may exceed
  ``MAX_TENSOR_ELEMENTS``: 2.6 times the largest tensor of the zoo's paper variants (VGG-16's 102.8M-entry
  ``fc6`` weights), seven times GNMT's 37.4M-entry embedding. Larger sizes are typos of orders of magnitude,
  and their masks would not fit in memory.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from accelsim.errors import WorkloadError


def same_padding(in_size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's ``SAME`` padding along one axis -> (before, after) pixels.

    The output size is ``ceil(in_size / stride)``; any odd total padding goes after (bottom/right).
    """
    out = math.ceil(in_size / stride)
    total = max((out - 1) * stride + kernel - in_size, 0)
    return total // 2, total - total // 2


MAX_TENSOR_ELEMENTS = 2**28   # elements of one weight or activation tensor (module docstring)
TOO_LARGE = "layer too large"  # how the problem of a layer over MAX_TENSOR_ELEMENTS starts (the zoo looks for it)


def relocated(exc: WorkloadError, file: str, layer_name: str, place: Callable[[str | None], str]) -> WorkloadError:
    """``exc``, raised by a layer constructor (which knows no file and keys a problem ``conv1`` or
    ``conv1.groups``), with the file added and the key ``place(field)``: ``place("groups")``, or
    ``place(None)`` for the layer as a whole. What a workload file's reader raises for a layer it built."""
    prefix = f"{layer_name}."
    field = exc.key[len(prefix):] if exc.key and exc.key.startswith(prefix) else None
    return WorkloadError(exc.problem, file=file, key=place(field), expected=exc.expected, got=exc.got)


def _bounded(layer: str, **tensors: int) -> None:
    """Refuse a layer one of whose tensors (``name=elements``) exceeds ``MAX_TENSOR_ELEMENTS``."""
    for what, elements in tensors.items():
        if elements > MAX_TENSOR_ELEMENTS:
            raise WorkloadError(f"{TOO_LARGE} ({what.replace('_', ' ')})", key=layer,
                                expected=f"at most {MAX_TENSOR_ELEMENTS} elements per tensor", got=elements)


def _positive(layer: str, **values: int) -> None:
    for key, value in values.items():
        if not isinstance(value, (int,)) or isinstance(value, bool) or value <= 0:
            raise WorkloadError("bad layer dimension", key=f"{layer}.{key}", expected="a positive integer",
                                got=value)


@dataclass(frozen=True)
class Layer:
    """What every layer has: a name, whether the paper prunes it, whether it runs at inference."""

    name: str
    prunable: bool = True
    at_inference: bool = True

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def weight_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def weight_count(self) -> int:
        """Elements of the weight tensor (what a mask covers)."""
        return math.prod(self.weight_shape)

    @property
    def bias_count(self) -> int:
        return 0

    @property
    def params(self) -> int:
        """Weights + biases."""
        return self.weight_count + self.bias_count

    @property
    def macs(self) -> int:
        raise NotImplementedError


@dataclass(frozen=True)
class Conv2D(Layer):
    """2-D convolution, NCHW, batch 1.

    ``padding`` is ``(top, bottom, left, right)`` in pixels; use :func:`same_padding` for TF ``SAME``.
    ``stride`` is one stride for both axes, or ``(rows, columns)`` when they differ (kept as one integer when
    they do not: ``stride=(2, 2)`` is ``stride=2``); :attr:`stride_h` and :attr:`stride_w` give each axis's.
    ``groups`` splits input and output channels into independent groups (``groups == in_channels`` is a
    depthwise convolution).
    """

    in_channels: int = 1
    out_channels: int = 1
    kernel_h: int = 1
    kernel_w: int = 1
    in_h: int = 1
    in_w: int = 1
    stride: int | tuple[int, int] = 1
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    groups: int = 1
    bias: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.stride, (tuple, list)):
            if len(self.stride) != 2:
                raise WorkloadError("bad stride", key=f"{self.name}.stride",
                                    expected="one integer or (rows, columns)", got=self.stride)
            rows, cols = self.stride
            _positive(self.name, **{"stride[0]": rows, "stride[1]": cols})
            object.__setattr__(self, "stride", rows if rows == cols else (rows, cols))
        _positive(self.name, in_channels=self.in_channels, out_channels=self.out_channels,
                  kernel_h=self.kernel_h, kernel_w=self.kernel_w, in_h=self.in_h, in_w=self.in_w,
                  stride=self.stride_h, groups=self.groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise WorkloadError("channels not divisible by groups", key=f"{self.name}.groups",
                                expected=f"a divisor of {self.in_channels} and {self.out_channels}",
                                got=self.groups)
        if any(p < 0 for p in self.padding) or len(self.padding) != 4:
            raise WorkloadError("bad padding", key=f"{self.name}.padding",
                                expected="(top, bottom, left, right) >= 0", got=self.padding)
        if self.out_h <= 0 or self.out_w <= 0:
            raise WorkloadError("kernel larger than padded input", key=self.name,
                                expected=f"kernel <= padded input {self.padded_h}x{self.padded_w}",
                                got=f"{self.kernel_h}x{self.kernel_w}")
        _bounded(self.name, weights=self.weight_count, input_activations=self.input_elements,
                 output_activations=self.output_elements)

    @property
    def padded_h(self) -> int:
        return self.in_h + self.padding[0] + self.padding[1]

    @property
    def padded_w(self) -> int:
        return self.in_w + self.padding[2] + self.padding[3]

    @property
    def stride_h(self) -> int:
        """The stride between output rows, in input pixels."""
        return self.stride[0] if isinstance(self.stride, tuple) else self.stride

    @property
    def stride_w(self) -> int:
        """The stride between output columns, in input pixels."""
        return self.stride[1] if isinstance(self.stride, tuple) else self.stride

    @property
    def out_h(self) -> int:
        return (self.padded_h - self.kernel_h) // self.stride_h + 1

    @property
    def out_w(self) -> int:
        return (self.padded_w - self.kernel_w) // self.stride_w + 1

    @property
    def in_channels_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """(out_channels, in_channels / groups, kernel_h, kernel_w)."""
        return (self.out_channels, self.in_channels_per_group, self.kernel_h, self.kernel_w)

    @property
    def bias_count(self) -> int:
        return self.out_channels if self.bias else 0

    @property
    def macs(self) -> int:
        return self.out_h * self.out_w * self.weight_count

    @property
    def input_elements(self) -> int:
        return self.in_channels * self.in_h * self.in_w

    @property
    def output_elements(self) -> int:
        return self.out_channels * self.out_h * self.out_w


@dataclass(frozen=True)
class DepthwiseConv2D(Conv2D):
    """Depthwise convolution (channel multiplier 1): ``groups == in_channels == out_channels``."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.groups == self.in_channels == self.out_channels):
            raise WorkloadError("depthwise layer needs groups == in_channels == out_channels", key=self.name,
                                expected=str(self.in_channels),
                                got=(self.groups, self.in_channels, self.out_channels))


@dataclass(frozen=True)
class Linear(Layer):
    """Fully connected layer y = W x + b, W of shape (out_features, in_features), run on ``steps`` vectors."""

    in_features: int = 1
    out_features: int = 1
    bias: bool = True
    steps: int = 1

    def __post_init__(self) -> None:
        _positive(self.name, in_features=self.in_features, out_features=self.out_features, steps=self.steps)
        _bounded(self.name, weights=self.weight_count, input_activations=self.steps * self.in_features,
                 output_activations=self.steps * self.out_features)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.out_features, self.in_features)

    @property
    def bias_count(self) -> int:
        return self.out_features if self.bias else 0

    @property
    def macs(self) -> int:
        return self.steps * self.weight_count


@dataclass(frozen=True)
class LSTM(Layer):
    """LSTM layer: 4 gates (i, f, g, o) over the concatenation [x, h], one bias per gate row.

    The weight matrix of one direction is (4 * hidden_size, input_size + hidden_size); a bidirectional layer
    stacks its two directions' matrices row-wise, so ``weight_shape`` is
    (directions * 4 * hidden_size, input_size + hidden_size). Element-wise gate arithmetic is not counted in
    ``macs``.
    """

    input_size: int = 1
    hidden_size: int = 1
    bias: bool = True
    bidirectional: bool = False
    steps: int = 1

    def __post_init__(self) -> None:
        _positive(self.name, input_size=self.input_size, hidden_size=self.hidden_size, steps=self.steps)
        _bounded(self.name, weights=self.weight_count,
                 input_activations=self.steps * (self.input_size + self.hidden_size),
                 output_activations=self.steps * self.directions * self.hidden_size)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.directions * 4 * self.hidden_size, self.input_size + self.hidden_size)

    @property
    def bias_count(self) -> int:
        return self.directions * 4 * self.hidden_size if self.bias else 0

    @property
    def macs(self) -> int:
        return self.steps * self.weight_count


@dataclass(frozen=True)
class Embedding(Layer):
    """Lookup table (vocab_size, dim): each of ``steps`` tokens reads one row; no multiplications."""

    vocab_size: int = 1
    dim: int = 1
    steps: int = 1

    def __post_init__(self) -> None:
        _positive(self.name, vocab_size=self.vocab_size, dim=self.dim, steps=self.steps)
        _bounded(self.name, weights=self.weight_count, input_activations=self.steps * self.vocab_size,
                 output_activations=self.steps * self.dim)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.vocab_size, self.dim)

    @property
    def macs(self) -> int:
        return 0


@dataclass(frozen=True)
class Attention(Layer):
    """GNMT-style additive (Bahdanau) attention, kept dense by the paper.

    Parameters: a query projection (units x query_size), a memory projection (units x memory_size) and the
    score vector v (units, counted as ``bias_count``). ``weight_shape`` is the two projections side by side:
    (units, query_size + memory_size).
    Per inference: the memory (``memory_length`` encoder states) is projected once; each of ``steps`` decoder
    steps projects its query, scores every memory slot (units MACs each) and forms the context
    (memory_size MACs per slot).
    """

    units: int = 1
    query_size: int = 1
    memory_size: int = 1
    memory_length: int = 1
    steps: int = 1
    prunable: bool = False

    def __post_init__(self) -> None:
        _positive(self.name, units=self.units, query_size=self.query_size, memory_size=self.memory_size,
                  memory_length=self.memory_length, steps=self.steps)
        _bounded(self.name, weights=self.weight_count, memory=self.memory_length * self.memory_size,
                 projected_memory=self.memory_length * self.units, queries=self.steps * self.query_size,
                 scores=self.steps * self.memory_length)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.units, self.query_size + self.memory_size)

    @property
    def bias_count(self) -> int:
        return self.units  # the score vector v

    @property
    def macs(self) -> int:
        memory_projection = self.memory_length * self.units * self.memory_size
        per_step = (self.units * self.query_size + self.memory_length * self.units
                    + self.memory_length * self.memory_size)
        return memory_projection + self.steps * per_step
