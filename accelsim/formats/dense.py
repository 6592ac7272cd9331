"""Dense storage: every element stored, no metadata (layer 2)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.formats.base import Format, readonly


@dataclass(frozen=True)
class DenseTile:
    """One dense tile: ``values``, every element in storage order."""

    values: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", readonly(self.values))


@dataclass(frozen=True)
class Dense(Format):
    """Every element stored: stored = tile length (entries), metadata 0 bits."""

    name = "dense"

    def _count(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_tiles = masks.shape[0]
        return np.full(n_tiles, masks.shape[1], np.int64), np.zeros(n_tiles, np.int64)

    def _encode(self, values: np.ndarray) -> DenseTile:
        return DenseTile(values)

    def decode(self, encoded: DenseTile) -> np.ndarray:
        return encoded.values.copy()
