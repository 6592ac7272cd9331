"""Every layer Eyeriss v2 maps, seen as a grouped convolution with its masks (layer 5).

Eyeriss v2 runs one layer at a time, each a convolution in the row-stationary-plus dataflow (Chen et al.,
JETCAS 2019, Sec. II): a fully connected layer is a 1x1 convolution whose "output positions" are its input
vectors (one at batch 1), an LSTM layer the same over its gate matrix (its time steps one after another,
each a position; the recurrence is not modelled beyond that order).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.workloads.layers import LSTM, Conv2D, Layer, Linear


@dataclass(frozen=True)
class ConvView:
    """``groups`` groups of ``m`` output x ``c`` input channels, an ``r`` x ``s`` kernel at ``stride_h`` rows
    and ``stride_w`` columns, an ``e`` x ``f`` output. ``weights``: non-zero mask (groups, m, c, r, s); ``acts``: non-zero mask of the
    padded input (groups, c, padded height, padded width), padding False (a zero never enters the CSC
    stream); ``input_elements``: the unpadded input activations (what crosses DRAM); ``real_rows``: the first
    padded row holding input and how many do."""

    name: str
    groups: int
    m: int
    c: int
    r: int
    s: int
    stride_h: int
    stride_w: int
    e: int
    f: int
    weights: np.ndarray
    acts: np.ndarray
    input_elements: int
    real_rows: tuple[int, int]

    @property
    def dense_macs(self) -> int:
        return self.groups * self.m * self.c * self.r * self.s * self.e * self.f

    @property
    def output_elements(self) -> int:
        return self.groups * self.m * self.e * self.f


def view(layer: Layer, masks=None, activations=None) -> ConvView:
    """``layer`` with its weight mask and input-activation mask (None: dense)."""
    weights = np.ones(layer.weight_shape, bool) if masks is None else np.asarray(masks, bool)
    if isinstance(layer, Conv2D):
        shape = (layer.in_channels, layer.in_h, layer.in_w)
        acts = np.ones(shape, bool) if activations is None else np.asarray(activations, bool)
        top, bottom, left, right = layer.padding
        padded = np.zeros((layer.in_channels, layer.padded_h, layer.padded_w), bool)
        padded[:, top:top + layer.in_h, left:left + layer.in_w] = acts
        g = layer.groups
        return ConvView(layer.name, g, layer.out_channels // g, layer.in_channels_per_group, layer.kernel_h,
                        layer.kernel_w, layer.stride_h, layer.stride_w, layer.out_h, layer.out_w,
                        weights.reshape(g, layer.out_channels // g, *weights.shape[1:]),
                        padded.reshape(g, layer.in_channels_per_group, *padded.shape[1:]),
                        acts.size, (top, layer.in_h))
    if isinstance(layer, (Linear, LSTM)):
        out_features, in_features = layer.weight_shape
        acts = np.ones((layer.steps, in_features), bool) if activations is None else np.asarray(activations, bool)
        return ConvView(layer.name, 1, out_features, in_features, 1, 1, 1, 1, 1, layer.steps,
                        weights.reshape(1, out_features, in_features, 1, 1),
                        acts.T.reshape(1, in_features, 1, layer.steps), acts.size, (0, 1))
    raise TypeError(f"Eyeriss v2 has no mapping for {type(layer).__name__}")
