"""Seeded synthetic weights for any layer (layer 2).

accelsim has no trained checkpoints, so magnitude pruning runs on synthetic weights: i.i.d. Gaussian with
He scale, std = sqrt(2 / fan_in), where fan_in = prod(weight_shape[1:]) is the number of inputs one row of
the weight tensor sums over (Conv2D: in_channels / groups * kernel_h * kernel_w; Linear: in_features; LSTM:
input_size + hidden_size; Embedding, by the same rule: dim). The weights are unstructured, as the paper
observes for its pruned models (Sec. 3: "the sparsity in the weight tensors does not exhibit any specific
structure"), so magnitude masks of them are unstructured too.

Every random stream of a layer comes from :func:`layer_rng`: a ``numpy.random.SeedSequence`` whose entropy is
the user's seed and whose spawn key is (purpose, 64-bit BLAKE2b hash of the layer's UTF-8 name). A layer's
stream therefore depends on nothing but (seed, purpose, name): adding, removing or reordering other layers
never changes it, and weights and activation masks of one layer draw from independent streams. The result is
the same on every run and platform for a given numpy version (numpy may change ``Generator`` streams
between feature releases; NEP 19).
"""
from __future__ import annotations

import hashlib
import math

import numpy as np

from accelsim.errors import InputError
from accelsim.schema import SEED, checked
from accelsim.workloads.layers import Layer

WEIGHTS = 0       # purpose code of the weight stream in layer_rng's spawn key
ACTIVATIONS = 1   # purpose code of the activation-mask stream


def check_seed(seed: object, key: str = "seed") -> int:
    """A seed must be a non-negative integer (numpy's SeedSequence refuses negative entropy); numpy integers
    are accepted and returned as int. An InputError naming ``key`` otherwise."""
    return checked(SEED, seed, key)


def layer_rng(seed: int, name: str, purpose: int) -> np.random.Generator:
    """The random stream of layer ``name`` for ``purpose`` (:data:`WEIGHTS` or :data:`ACTIVATIONS`)."""
    name_hash = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")
    sequence = np.random.SeedSequence(check_seed(seed), spawn_key=(purpose, name_hash))
    return np.random.Generator(np.random.PCG64(sequence))


def synthetic_weights(layer: Layer, seed: int) -> np.ndarray:
    """Gaussian He-scaled weights of ``layer``: float32 array of ``layer.weight_shape`` (dimensionless).

    std = sqrt(2 / fan_in) with fan_in = prod(weight_shape[1:]); see the module docstring for the seeding.
    """
    shape = layer.weight_shape
    std = np.float32(math.sqrt(2.0 / math.prod(shape[1:])))
    weights = layer_rng(seed, layer.name, WEIGHTS).standard_normal(shape, dtype=np.float32)
    weights *= std        # in place: PTB-large draws 66 M weights
    return weights


def row_varied_weights(shape: tuple[int, int], density: float, cv: float, seed: int) -> np.ndarray:
    """Synthetic weights whose magnitude mask (:func:`accelsim.pruning.magnitude_mask` at sparsity
    ``1 - density``) keeps rows at different densities.

    Row i gets a density d_i ~ Beta with mean ``density`` and coefficient of variation ``cv`` (cv = 0: all
    rows at ``density``, a uniform mask); its weights are |w_ij| = u_ij / (1 - d_i) with u_ij ~ U(0, 1),
    so |w_ij| > 1 exactly with probability d_i and the common magnitude threshold of the pruning keeps
    about d_i of row i, while the layer keeps exactly its count. Real pruned layers are like this: some
    output neurons keep many more weights than others, which no FIFO can even out between PEs.
    """
    rng = np.random.default_rng(seed)
    rows = shape[0]
    if cv == 0:
        row_density = np.full(rows, density)
    else:
        variance = (cv * density) ** 2
        if variance >= density * (1 - density):
            raise InputError("row-density variation too large for the density", key="cv",
                             expected=f"cv^2 < (1 - d) / d = {(1 - density) / density:.3g}", got=cv)
        nu = density * (1 - density) / variance - 1
        row_density = rng.beta(density * nu, (1 - density) * nu, rows)
    row_density = np.clip(row_density, 1e-9, 1 - 1e-6)
    u = rng.random(shape, dtype=np.float32)
    return u / (1 - row_density[:, None]).astype(np.float32)
