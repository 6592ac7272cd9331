"""N:M compressed storage: N values per group of M plus each value's position in its group (layer 2).

The format of NVIDIA's sparse tensor cores (Mishra et al. 2021, Sec. 3.1, Fig. 1): a 1-D tile (a row of a
weight matrix along its reduction dimension) is cut into groups of ``m`` consecutive elements; every group
stores exactly ``n`` values (a group with fewer non-zeros stores zeros in the free slots: padding entries)
and ceil(log2 m) bits of position per stored value. The last group of a tile whose length is not a multiple
of ``m`` has r < m elements and stores min(n, r). 2:4 at 16-bit values: 2 x 2 bits per 2 x 16 bits = 12.5%
overhead, 25% at 8 bits. A tile with more than ``n`` non-zeros in some group cannot be stored (MaskError).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.errors import InputError, MaskError
from accelsim.formats.base import Format, readonly
from accelsim.schema import Int, field_spec


@dataclass(frozen=True)
class NMTile:
    """One N:M tile: stored ``values`` group after group, each one's ``positions`` in its group (0..m-1), and
    the tile's ``length`` (elements)."""

    values: np.ndarray
    positions: np.ndarray
    length: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", readonly(self.values))
        object.__setattr__(self, "positions", readonly(self.positions, np.int64))


@dataclass(frozen=True)
class NMCompressed(Format):
    """stored = n per whole group + min(n, r) for a last group of r (entries, padding included);
    metadata = stored x ceil(log2 m) (bits)."""

    name = "nm"

    n: int = field_spec(Int(1, None, "values"), default=2, help="values stored per group")
    m: int = field_spec(Int(1, None, "elements"), default=4, help="elements per group")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n > self.m:
            raise InputError("bad format parameter", key=f"{self.name}.n", expected=f"at most m = {self.m}",
                             got=self.n)

    @property
    def position_bits(self) -> int:
        """Bits of position per stored value: ceil(log2 m)."""
        return math.ceil(math.log2(self.m))

    def slots(self, length: int) -> int:
        """Stored entries of a tile of ``length`` elements."""
        return length // self.m * self.n + min(self.n, length % self.m)

    def _groups(self, tiles: np.ndarray, fill) -> np.ndarray:
        n_tiles, length = tiles.shape
        padded = np.full((n_tiles, -(-length // self.m) * self.m), fill, dtype=tiles.dtype)
        padded[:, :length] = tiles
        return padded.reshape(n_tiles, -1, self.m)

    def _count(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        worst = np.count_nonzero(self._groups(masks, False), axis=2).max(initial=0)
        if worst > self.n:
            raise MaskError(f"mask is not {self.n}:{self.m}", key="masks",
                            expected=f"at most {self.n} non-zeros in every group of {self.m}",
                            got=f"a group with {int(worst)}")
        stored = np.full(masks.shape[0], self.slots(masks.shape[1]), np.int64)
        return stored, stored * self.position_bits

    def _encode(self, values: np.ndarray) -> NMTile:
        self._count((values != 0)[np.newaxis])                  # refuses a non-compliant tile
        groups = self._groups(values[np.newaxis], 0)[0]
        index = np.arange(groups.size).reshape(groups.shape)
        # Slot order in a group: non-zeros, then zeros inside the tile, then padding beyond it; by position.
        rank = np.where(groups != 0, 0, np.where(index < values.size, 1, 2))
        chosen = np.sort(np.argsort(rank, axis=1, kind="stable")[:, : self.n], axis=1)
        keep = np.ones(chosen.shape, dtype=bool)
        keep[-1, min(self.n, values.size - (groups.shape[0] - 1) * self.m):] = False
        return NMTile(np.take_along_axis(groups, chosen, axis=1)[keep], chosen[keep], values.size)

    def decode(self, encoded: NMTile) -> np.ndarray:
        out = np.zeros(-(-encoded.length // self.m) * self.m, encoded.values.dtype)
        group = np.arange(encoded.values.size) // self.n
        out[group * self.m + encoded.positions] = encoded.values
        return out[: encoded.length]
