"""Activation-density model for the sparse engines (layer 2).

SCNN and EIE skip zero input activations as well as zero weights, so a layer's time depends on how many of
its inputs are non-zero. accelsim has no input data; it models the density (fraction of non-zero inputs,
in (0, 1]) of each layer's input and places that many non-zeros uniformly at random (:func:`activation_mask`).

Default density of a layer's input when no override names it (:meth:`ActivationDensity.densities`):

* 1.0 for the model's first inference layer: its input is the image (or token vectors), not a ReLU output;
  SCNN's weak spots include the dense first layer (Parashar et al., ISCA 2017).
* 1.0 for an LSTM layer, and for any layer fed by an LSTM, Embedding or Attention layer: their outputs come
  from tanh/sigmoid gates or table lookups, not from ReLU. EIE Table III (Han et al., ISCA 2016) lists 100%
  activation density for its NeuralTalk LSTM, embedding and decoder layers.
* ``default`` (:data:`POST_RELU_DENSITY` = 0.5) for a Conv2D or Linear layer fed by a Conv2D or Linear layer,
  i.e. a post-ReLU input. 0.5 is our round figure within the reported range: EIE Table III gives 35.1-41.1%
  for AlexNet and VGG FC inputs (18.3% for VGG-6), and SCNN (secondary summaries; its Fig. 1) reports
  per-layer activation densities of AlexNet and GoogLeNet well below 1 after the first layer.

"Fed by" means the preceding inference layer in ``model.layers``; models whose layers are listed in another
order (branches) get the post-ReLU default for every Conv2D/Linear after the first. Pooling between layers
is not modelled (a global average pool makes its output nearly dense): use an override.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from accelsim.errors import InputError, did_you_mean
from accelsim.pruning.masks import rounded_count
from accelsim.pruning.synthetic import ACTIVATIONS, layer_rng
from accelsim.schema import DENSITY, checked
from accelsim.workloads.layers import LSTM, Conv2D, Layer, Linear
from accelsim.workloads.model import Model

POST_RELU_DENSITY = 0.5   # fraction of non-zero post-ReLU inputs assumed by default (see module docstring)
DENSE = 1.0


@dataclass(frozen=True)
class ActivationDensity:
    """Input-activation density per layer: a post-ReLU ``default`` plus per-layer ``overrides``.

    ``overrides`` may be given as a mapping layer name -> density; it is stored as sorted (name, density)
    pairs so the object is hashable. Every density is a fraction of non-zero inputs in (0, 1].
    """

    default: float = POST_RELU_DENSITY
    overrides: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        checked(DENSITY, self.default, "default")
        pairs = self.overrides.items() if isinstance(self.overrides, Mapping) else self.overrides
        pairs = tuple(sorted((str(name), density) for name, density in pairs))
        for name, density in pairs:
            checked(DENSITY, density, name)
        object.__setattr__(self, "overrides", pairs)

    def densities(self, model: Model) -> dict[str, float]:
        """Input density of every inference layer of ``model`` that takes activations (Conv2D, Linear,
        LSTM), in model order; rules in the module docstring. An override naming no such layer is an
        :class:`InputError` (with the closest layer name)."""
        result = {}
        previous: Layer | None = None
        for layer in model.inference_layers:
            if isinstance(layer, (Conv2D, Linear, LSTM)):
                post_relu = (isinstance(layer, (Conv2D, Linear))
                             and isinstance(previous, (Conv2D, Linear)))
                result[layer.name] = self.default if post_relu else DENSE
            previous = layer
        for name, density in self.overrides:
            if name not in result:
                raise InputError("activation density names no Conv2D, Linear or LSTM layer", key=name,
                                 expected=f"such a layer of {model.name} run at inference"
                                          f"{did_you_mean(name, result)}", got=name)
            result[name] = density
        return result


def activation_shape(layer: Layer) -> tuple[int, ...]:
    """Shape of ``layer``'s input activations for one inference: Conv2D (in_channels, in_h, in_w), unpadded;
    Linear (steps, in_features); LSTM (steps, input_size + hidden_size), the vector [x_t, h_t] each gate
    multiplies (per direction for a bidirectional layer). Other layers (Embedding: a token index;
    Attention) have no activation input to mask: :class:`InputError`."""
    if isinstance(layer, Conv2D):
        return (layer.in_channels, layer.in_h, layer.in_w)
    if isinstance(layer, Linear):
        return (layer.steps, layer.in_features)
    if isinstance(layer, LSTM):
        return (layer.steps, layer.input_size + layer.hidden_size)
    raise InputError("layer has no activation input to mask", key=layer.name,
                     expected="a Conv2D, Linear or LSTM layer", got=layer.kind)


def activation_mask(layer: Layer, density: float, seed: int) -> np.ndarray:
    """Boolean mask of :func:`activation_shape` (True = non-zero input) with exactly
    floor(density * size + 0.5) True entries at uniformly random places, drawn from the seeded stream of
    (seed, layer name), independent of the layer's weight stream."""
    checked(DENSITY, density, "density")
    shape = activation_shape(layer)
    size = math.prod(shape)
    rng = layer_rng(seed, layer.name, ACTIVATIONS)
    mask = np.zeros(size, dtype=bool)
    mask[rng.choice(size, size=rounded_count(density, size), replace=False)] = True
    return mask.reshape(shape)
