"""Bitmask storage: one bit per element says whether it is stored, then the non-zero values (layer 2)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.formats.base import Format, readonly


@dataclass(frozen=True)
class BitmaskTile:
    """One bitmask tile: ``mask`` (True where stored, one per element) and the stored ``values`` in order."""

    mask: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask", readonly(self.mask, np.bool_))
        object.__setattr__(self, "values", readonly(self.values))


@dataclass(frozen=True)
class Bitmask(Format):
    """Non-zeros only: stored = nnz (entries), metadata = 1 bit per element (bits).

    ``metadata_bits`` is exactly the bit-mask overhead of Zhu & Gupta 2017 (Sec. 5, Table 5): 1 bit per
    matrix element, whatever the sparsity.
    """

    name = "bitmask"

    def _count(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_tiles = masks.shape[0]
        return np.count_nonzero(masks, axis=1), np.full(n_tiles, masks.shape[1], np.int64)

    def _encode(self, values: np.ndarray) -> BitmaskTile:
        mask = values != 0
        return BitmaskTile(mask, values[mask])

    def decode(self, encoded: BitmaskTile) -> np.ndarray:
        out = np.zeros(encoded.mask.shape, encoded.values.dtype)
        out[encoded.mask] = encoded.values
        return out
