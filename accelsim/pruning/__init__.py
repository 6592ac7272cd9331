"""Pruning (layer 2): the AGP schedule and its variants, magnitude masks, seeded synthetic weights,
activation densities and mask files.

* :mod:`~accelsim.pruning.schedule`: eq. (1) of Zhu & Gupta 2017 (uniform) and the layerwise-constant variant.
* :mod:`~accelsim.pruning.masks`: :class:`Masks`, :func:`magnitude_mask`, :func:`prune` (uniform or global).
* :mod:`~accelsim.pruning.synthetic`: seeded He-scaled Gaussian weights per layer.
* :mod:`~accelsim.pruning.activations`: input-activation densities and random activation masks.
* :mod:`~accelsim.pruning.files`: ``.npz`` mask files.
"""
from accelsim.pruning.activations import (POST_RELU_DENSITY, ActivationDensity, activation_mask,
                                          activation_shape)
from accelsim.pruning.files import load_masks, save_masks
from accelsim.pruning.masks import Masks, magnitude_mask, prune, rounded_count, uniform_sparsity
from accelsim.pruning.schedule import agp_sparsity, layerwise_sparsity
from accelsim.pruning.synthetic import row_varied_weights, synthetic_weights

__all__ = ["POST_RELU_DENSITY", "ActivationDensity", "Masks", "activation_mask", "activation_shape",
           "agp_sparsity", "layerwise_sparsity", "load_masks", "magnitude_mask", "prune", "rounded_count",
           "row_varied_weights", "save_masks", "synthetic_weights", "uniform_sparsity"]
