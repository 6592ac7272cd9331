"""Magnitude masks: which weights a pruned layer keeps (layer 2).

A mask is a boolean array of a layer's ``weight_shape``; True = the weight is kept (non-zero), False = pruned.
Sparsity is the fraction of a layer's weights that are pruned, in [0, 1).

Counting rule, said once: pruning N weights to sparsity s zeroes exactly k = floor(s * N + 0.5) of them
(round half up, s * N computed in float64), the k of smallest magnitude |w|. Ties are broken by flat
(C-order) index: among equal magnitudes the lower index is pruned first. The rule is deterministic and the
same for one layer (:func:`magnitude_mask`) and for a whole network (``prune(..., method="global")``, where
the order is (layer order in the model, flat index)).
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np
from numpy.typing import ArrayLike

from accelsim.errors import InputError, MaskError, did_you_mean
from accelsim.pruning.synthetic import synthetic_weights
from accelsim.schema import SPARSITY, checked
from accelsim.workloads.layers import Layer
from accelsim.workloads.model import Model, check_model

METHODS = ("uniform", "global")


class Masks(Mapping[str, np.ndarray]):
    """An immutable mapping layer name -> read-only boolean mask (True = weight kept), in insertion order.

    Built from any mapping of names to boolean arrays; the arrays are copied and made read-only, so a
    ``Masks`` never changes after construction. Two ``Masks`` are equal when they have the same names and
    equal arrays (order of names ignored).
    """

    __slots__ = ("_arrays",)

    def __init__(self, arrays: Mapping[str, ArrayLike]) -> None:
        frozen = {}
        for name, array in arrays.items():
            if not isinstance(name, str):
                raise MaskError("mask name is not a string", key=repr(name), expected="a layer name (str)",
                                got=type(name).__name__)
            mask = np.array(array, copy=True)
            if mask.dtype != np.bool_:
                raise MaskError("mask is not boolean", key=name, expected="dtype bool",
                                got=f"dtype {mask.dtype}")
            mask.setflags(write=False)
            frozen[name] = mask
        self._arrays = frozen

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Masks):
            return NotImplemented
        return (self._arrays.keys() == other._arrays.keys()
                and all(np.array_equal(mask, other[name]) for name, mask in self._arrays.items()))

    __hash__ = None  # type: ignore[assignment]  # equal by content, like the arrays it holds

    def __repr__(self) -> str:
        return (f"Masks({len(self)} layers, {self.total_nnz} of {self.total_elements} weights kept, "
                f"sparsity {self.total_sparsity:.4f})")

    def nnz(self, name: str) -> int:
        """Kept (non-zero) weights of layer ``name``."""
        return int(np.count_nonzero(self._arrays[name]))

    def sparsity(self, name: str) -> float:
        """Fraction of layer ``name``'s weights that are pruned."""
        mask = self._arrays[name]
        return 1.0 - self.nnz(name) / mask.size if mask.size else 0.0

    @property
    def total_nnz(self) -> int:
        """Kept weights over all masked layers."""
        return sum(self.nnz(name) for name in self._arrays)

    @property
    def total_elements(self) -> int:
        """Weights covered by the masks (kept + pruned)."""
        return sum(mask.size for mask in self._arrays.values())

    @property
    def total_sparsity(self) -> float:
        """Fraction of all masked weights that are pruned (0.0 for no masks)."""
        total = self.total_elements
        return 1.0 - self.total_nnz / total if total else 0.0



def masks_for(masks: object, model: Model, *, file: object = None, key: str = "masks") -> Masks:
    """``masks`` checked against ``model`` as a mask file is: a mapping of layer names to boolean arrays
    (a :class:`Masks`, or a dict to convert), every name a layer of the model, each array of its layer's
    ``weight_shape``, every prunable layer present. Returns them as a Masks in model layer order; a
    MaskError naming ``file`` (if any) and the layer, or ``key`` for what is not a mapping, otherwise."""
    if not isinstance(masks, Mapping):
        raise MaskError("masks are not a mapping", file=file, key=key,
                        expected="a Masks or a dict of layer name -> boolean array", got=type(masks).__name__)
    checked = masks if isinstance(masks, Masks) else Masks(masks)
    layers = {layer.name: layer for layer in model.layers}
    for name, mask in checked.items():
        if name not in layers:
            raise MaskError("mask for a layer the model does not have", file=file, key=name,
                            expected=f"a layer of {model.name}{did_you_mean(name, layers)}", got=name)
        if mask.shape != layers[name].weight_shape:
            raise MaskError("mask has the wrong shape", file=file, key=name,
                            expected=f"shape {layers[name].weight_shape}", got=f"shape {mask.shape}")
    for layer in model.prunable_layers:
        if layer.name not in checked:
            raise MaskError("no mask for a prunable layer", file=file, key=layer.name,
                            expected=f"a boolean array of shape {layer.weight_shape}")
    return Masks({name: checked[name] for name in layers if name in checked})


def uniform_sparsity(model: Model, sparsity: float) -> float:
    """The total sparsity of ``prune(model, sparsity)`` (uniform), from the counts alone: each prunable
    layer loses exactly ``rounded_count(sparsity, size)`` weights, whatever their values (equal, bit for
    bit, to that of the masks' :attr:`Masks.total_sparsity`)."""
    sizes = [math.prod(layer.weight_shape) for layer in model.prunable_layers]
    total = sum(sizes)
    nnz = total - sum(rounded_count(sparsity, size) for size in sizes)
    return 1.0 - nnz / total if total else 0.0


def rounded_count(fraction: float, size: int) -> int:
    """floor(fraction * size + 0.5): ``fraction`` of ``size`` elements rounded half up to a whole count
    (the weights pruning to sparsity ``fraction`` zeroes; the activations a density ``fraction`` keeps)."""
    return math.floor(fraction * size + 0.5)


def magnitude_mask(weights: ArrayLike, sparsity: float) -> np.ndarray:
    """Boolean mask of ``weights``' shape keeping all but the k = floor(sparsity * N + 0.5) smallest |w|.

    Ties are pruned lowest flat index first (module docstring). O(N) time (``np.partition`` for the
    threshold magnitude, then only the ties at it are ordered), about one pass of extra memory.
    Raises :class:`InputError` for a sparsity outside [0, 1) or non-finite or non-numeric weights.
    """
    checked(SPARSITY, sparsity, "sparsity")
    magnitudes = _magnitudes(weights, "weights")
    return _keep(magnitudes.ravel(), rounded_count(sparsity, magnitudes.size)).reshape(magnitudes.shape)


def prune(model: Model, sparsity: float, *, seed: int, method: str = "uniform",
          weights: Mapping[str, ArrayLike] | None = None) -> Masks:
    """Magnitude masks of ``model``'s prunable layers at ``sparsity`` (the end point of an AGP schedule).

    ``method``:

    * ``"uniform"``: every prunable layer is pruned to ``sparsity`` (k per layer as in the module docstring).
    * ``"global"``: one magnitude threshold across all prunable layers: the k = floor(sparsity * total + 0.5)
      smallest |w| of the whole network are pruned, ties by (layer order, flat index), so per-layer
      sparsities differ (See et al. 2016; paper Sec. 4.3).

    The paper's "layerwise constant" variant differs from uniform only while training (the order in which
    layers reach each level, see :func:`accelsim.pruning.schedule.layerwise_sparsity`); its end masks are the
    uniform ones, so it needs no method here.

    ``weights`` maps every prunable layer's name to its weights (``weight_shape``); when None, the seeded
    synthetic weights of :func:`accelsim.pruning.synthetic.synthetic_weights` are used (``seed`` is only
    used then). Masks come in model layer order.
    """
    check_model(model)
    checked(SPARSITY, sparsity, "sparsity")
    if method not in METHODS:
        raise InputError("unknown pruning method", key="method", expected=" or ".join(map(repr, METHODS)),
                         got=method)
    layers = model.prunable_layers
    magnitudes = _layer_magnitudes(model, seed, weights)
    if method == "uniform":   # one layer's |w| in memory at a time
        return Masks({layer.name: _keep(m.ravel(), rounded_count(sparsity, m.size)).reshape(m.shape)
                      for layer, m in zip(layers, magnitudes)})
    magnitudes = list(magnitudes)
    flat = np.concatenate([m.ravel() for m in magnitudes]) if magnitudes else np.empty(0, np.float32)
    keep = _keep(flat, rounded_count(sparsity, flat.size))
    ends = np.cumsum([m.size for m in magnitudes], dtype=np.int64)
    return Masks({layer.name: part.reshape(m.shape)
                  for layer, m, part in zip(layers, magnitudes, np.split(keep, ends[:-1]))})


def _keep(magnitudes: np.ndarray, k: int) -> np.ndarray:
    """Flat boolean keep-mask pruning the ``k`` smallest of the flat ``magnitudes``, ties by lower index."""
    if k == 0:
        return np.ones(magnitudes.size, dtype=bool)
    partitioned = np.partition(magnitudes, k - 1)
    threshold = partitioned[k - 1]                        # the k-th smallest magnitude
    below = int(np.count_nonzero(partitioned[:k - 1] < threshold))   # every smaller one lies before it
    keep = magnitudes > threshold
    ties = np.flatnonzero(magnitudes == threshold)        # ascending flat index
    keep[ties[k - below:]] = True                         # the first k - below ties are pruned
    return keep


def _magnitudes(weights: ArrayLike, key: str) -> np.ndarray:
    """|weights| as a float array; integer weights are converted to float64."""
    array = np.asarray(weights)
    if array.dtype.kind not in "iuf":
        raise InputError("weights are not real numbers", key=key, expected="an int or float array",
                         got=f"dtype {array.dtype}")
    magnitudes = np.abs(array.astype(np.float64) if array.dtype.kind in "iu" else array)
    if magnitudes.size and not np.isfinite(magnitudes.max()):    # the largest is NaN or inf if any is
        raise InputError("weights are not finite", key=key, expected="finite numbers (no NaN or inf)",
                         got=f"{int(np.count_nonzero(~np.isfinite(magnitudes)))} non-finite values")
    return magnitudes


def _layer_magnitudes(model: Model, seed: int, weights: Mapping[str, ArrayLike] | None) -> Iterator[np.ndarray]:
    """|w| of each prunable layer in model order, computed one at a time: from ``weights``, which must cover
    exactly the prunable layers, or from the synthetic weights of ``seed``."""
    if weights is None:
        return (np.abs(synthetic_weights(layer, seed)) for layer in model.prunable_layers)
    names = {layer.name for layer in model.prunable_layers}
    extra = [name for name in weights if name not in names]
    if extra:
        raise InputError("weights for a layer that is not pruned", key=str(extra[0]),
                         expected=f"names of prunable layers of {model.name}", got=extra)
    missing = [layer.name for layer in model.prunable_layers if layer.name not in weights]
    if missing:
        raise InputError("no weights for a prunable layer", key=missing[0],
                         expected=f"an array of shape {model.layer(missing[0]).weight_shape}")
    return (_layer_weights_magnitudes(layer, weights[layer.name]) for layer in model.prunable_layers)


def _layer_weights_magnitudes(layer: Layer, weights: ArrayLike) -> np.ndarray:
    """|w| of user-given ``weights`` of ``layer``, checked against its ``weight_shape``."""
    magnitudes = _magnitudes(weights, layer.name)
    if magnitudes.shape != layer.weight_shape:
        raise InputError("weights have the wrong shape", key=layer.name,
                         expected=f"shape {layer.weight_shape}", got=f"shape {magnitudes.shape}")
    return magnitudes
