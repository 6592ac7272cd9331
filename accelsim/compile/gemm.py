"""Lowering layers to matrix multiplications (layer 3), as SCALE-Sim does.

A :class:`Gemm` multiplies an ``E x K`` input operand (one row per output pixel or input vector, one column
per element of the window / input vector) by a ``K x M`` weight operand, ``repeats`` times in sequence.
``ifmap_elements`` is the number of distinct input values the operand matrix is built from (a convolution's
im2col matrix repeats each pixel up to R*S times) and ``weight_elements`` the distinct weights.

* Conv2D with g groups: g GEMMs of E = out_h*out_w, K = kh*kw*C/g, M = out_channels/g (a depthwise layer is
  C single-channel GEMMs, as SCALE-Sim splits ``DP`` layers).
* Linear: E = steps, K = in_features, M = out_features.
* LSTM: E = 1, K = input + hidden, M = 4*hidden, once per step and direction (the recurrence serialises steps).
* Attention: the memory projection once (E = memory_length), then per step the query projection, the scores
  and the context.
* Embedding: no GEMM (a row lookup; see :func:`embedding_rows`).
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.workloads.layers import LSTM, Attention, Conv2D, Embedding, Layer, Linear


@dataclass(frozen=True)
class Gemm:
    """``repeats`` sequential products of an (E x K) input by a (K x M) weight matrix."""

    E: int
    K: int
    M: int
    repeats: int = 1
    ifmap_elements: int = 0
    weight_elements: int = 0

    @property
    def macs(self) -> int:
        return self.repeats * self.E * self.K * self.M


def lower(layer: Layer) -> tuple[Gemm, ...]:
    """The GEMMs that compute ``layer`` at inference (empty for an Embedding)."""
    if isinstance(layer, Conv2D):
        k = layer.kernel_h * layer.kernel_w * layer.in_channels_per_group
        m = layer.out_channels // layer.groups
        return (Gemm(E=layer.out_h * layer.out_w, K=k, M=m, repeats=layer.groups,
                     ifmap_elements=layer.in_channels_per_group * layer.in_h * layer.in_w,
                     weight_elements=k * m),)
    if isinstance(layer, Linear):
        return (Gemm(E=layer.steps, K=layer.in_features, M=layer.out_features,
                     ifmap_elements=layer.steps * layer.in_features, weight_elements=layer.weight_count),)
    if isinstance(layer, LSTM):
        k = layer.input_size + layer.hidden_size
        return (Gemm(E=1, K=k, M=4 * layer.hidden_size, repeats=layer.steps * layer.directions,
                     ifmap_elements=k, weight_elements=k * 4 * layer.hidden_size),)
    if isinstance(layer, Attention):
        u, length = layer.units, layer.memory_length
        return (Gemm(E=length, K=layer.memory_size, M=u, ifmap_elements=length * layer.memory_size,
                     weight_elements=layer.memory_size * u),
                Gemm(E=1, K=layer.query_size, M=u, repeats=layer.steps, ifmap_elements=layer.query_size,
                     weight_elements=layer.query_size * u),
                Gemm(E=1, K=u, M=length, repeats=layer.steps, ifmap_elements=u, weight_elements=u * length),
                Gemm(E=1, K=length, M=layer.memory_size, repeats=layer.steps, ifmap_elements=length,
                     weight_elements=length * layer.memory_size))
    if isinstance(layer, Embedding):
        return ()
    raise TypeError(f"no GEMM lowering for {type(layer).__name__}")


def embedding_rows(layer: Embedding) -> int:
    """Rows an Embedding reads per inference (one per token)."""
    return layer.steps
