"""The one check of a mask handed to a compiler (layer 3)."""
from __future__ import annotations

import numpy as np

from accelsim.errors import MaskError
from accelsim.workloads.layers import Layer


def checked_mask(layer: Layer, what: str, array, shape: tuple[int, ...]) -> np.ndarray:
    """``array`` as a boolean array of ``shape``, or all ones (dense) when it is None; a MaskError naming
    ``layer`` and ``what`` (``"weight mask"``, ``"activation mask"`` ...) when it does not fit."""
    if array is None:
        return np.ones(shape, dtype=bool)
    array = np.asarray(array)
    if array.dtype != np.bool_ or array.shape != tuple(shape):
        raise MaskError(f"{what} does not fit the layer", key=layer.name,
                        expected=f"a boolean array of shape {tuple(shape)}",
                        got=f"{array.dtype} array of shape {array.shape}")
    return array
