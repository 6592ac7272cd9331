"""The interface every compressed-sparse format offers, and the per-tile statistics it reports (layer 2).

Vocabulary, said once:

* A **tile** is the unit a format encodes: a 1-D run of elements in storage order (dense, bitmask,
  run-length) or a 2-D matrix (compressed rows/columns). A **mask** is a boolean tile: True = non-zero.
* **nnz** counts real non-zeros. **stored** counts stored entries, padding entries included (run-length
  formats store a zero after too long a run of zeros). This is scipy.sparse's split between
  ``count_nonzero()`` (real non-zeros) and ``nnz`` (stored entries, explicit zeros included).
* **payload bits** = stored entries x ``value_bits``; **metadata bits** = everything else a format stores to
  locate its values (bitmasks, zero-run counts, pointers).

A format knows no hardware: bit widths are its fields, and what a machine does with the bits is left to
``compile`` and the engines.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from accelsim.errors import InputError, MaskError
from accelsim.schema import Int, checked_arguments, field_spec


def readonly(array: Any, dtype: Any = None) -> np.ndarray:
    """A read-only copy of ``array`` (optionally cast to ``dtype``), so frozen dataclasses stay frozen."""
    out = np.array(array, dtype=dtype)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class TileStats:
    """What storing each tile costs: int64 arrays of shape (n_tiles,), one entry per tile.

    Attributes
    ----------
    nnz:
        Real non-zeros (entries).
    stored:
        Stored entries, padding entries included (entries); ``stored >= nnz``.
    payload_bits:
        ``stored * value_bits`` (bits).
    metadata_bits:
        Bitmask, zero-run count and pointer bits (bits).
    """

    nnz: np.ndarray
    stored: np.ndarray
    payload_bits: np.ndarray
    metadata_bits: np.ndarray

    def __post_init__(self) -> None:
        shapes = set()
        for f in fields(self):
            array = readonly(getattr(self, f.name), np.int64)
            object.__setattr__(self, f.name, array)
            shapes.add(array.shape)
        if len(shapes) != 1 or len(shapes.pop()) != 1:
            raise ValueError("TileStats fields must be 1-D arrays of one shape (n_tiles,)")

    @property
    def total_bits(self) -> np.ndarray:
        """Payload + metadata per tile (bits)."""
        return self.payload_bits + self.metadata_bits

    def totals(self) -> dict[str, int]:
        """Sums over all tiles as plain ints: nnz and stored (entries), payload, metadata and total (bits)."""
        sums = {f.name: int(getattr(self, f.name).sum()) for f in fields(self)}
        sums["total_bits"] = sums["payload_bits"] + sums["metadata_bits"]
        return sums


@dataclass(frozen=True)
class Format(ABC):
    """A compressed-sparse encoding: a frozen dataclass whose fields are its bit widths.

    Every field is declared with :func:`accelsim.schema.field_spec` (bit widths: integers >= 1, up to a
    maximum where the format has one) and checked at construction, all at once; a bad value raises
    :class:`InputError` naming it (``runlength.index_bits``).

    A subclass sets or overrides exactly these:

    * ``name`` (class attribute): the key in :data:`accelsim.formats.FORMATS`.
    * ``tile_ndim`` (class attribute): dimensions of one tile, 1 (default) or 2.
    * ``_count(masks)``: for boolean ``masks`` of shape (n_tiles, *tile_shape), return
      ``(stored, metadata_bits)`` as integer arrays of shape (n_tiles,), vectorised over tiles.
    * ``_encode(values)``: encode one tile of numeric ``values`` (already checked to have ``tile_ndim``
      dimensions); elements equal to zero are the ones the mask leaves out.
    * ``decode(encoded)``: the exact inverse of ``_encode``.

    Public calls :meth:`measure` and :meth:`encode` check their input, then call the hooks.
    """

    name: ClassVar[str]
    tile_ndim: ClassVar[int] = 1

    value_bits: int = field_spec(Int(1, None, "bits"), default=16, help="one stored value")

    def __post_init__(self) -> None:
        values = checked_arguments({f"{self.name}.{f.name}": (f.metadata["spec"], getattr(self, f.name))
                                    for f in fields(self) if "spec" in f.metadata})
        for key, value in values.items():
            object.__setattr__(self, key.split(".", 1)[1], value)

    def measure(self, masks: Any) -> TileStats:
        """Per-tile storage of boolean ``masks`` of shape (n_tiles, *tile_shape), or one tile of tile_shape.

        Vectorised over tiles; returns :class:`TileStats` with one entry per tile.
        """
        masks = np.asarray(masks)
        if masks.dtype != np.bool_:
            raise MaskError("mask is not boolean", key="masks", expected="a numpy array of dtype bool",
                            got=f"dtype {masks.dtype}")
        if masks.ndim == self.tile_ndim:
            masks = masks[np.newaxis]
        if masks.ndim != self.tile_ndim + 1:
            raise MaskError(f"mask has the wrong number of dimensions for format {self.name!r}", key="masks",
                            expected=f"{self.tile_ndim} (one tile) or {self.tile_ndim + 1} (n_tiles first)",
                            got=f"shape {masks.shape}")
        nnz = np.count_nonzero(masks, axis=tuple(range(1, masks.ndim)))
        stored, metadata_bits = self._count(masks)
        return TileStats(nnz=nnz, stored=stored, payload_bits=np.asarray(stored, np.int64) * self.value_bits,
                         metadata_bits=metadata_bits)

    def encode(self, values: Any) -> Any:
        """Encode one tile of numeric ``values`` (``tile_ndim`` dimensions); zeros are left out."""
        values = np.asarray(values)
        if values.dtype.kind not in "biufc":
            raise InputError("values are not numeric", key="values", expected="a numeric array",
                             got=f"dtype {values.dtype}")
        if values.ndim != self.tile_ndim:
            raise InputError(f"one tile of format {self.name!r} has {self.tile_ndim} dimension(s)", key="values",
                             expected=f"{self.tile_ndim} dimension(s)", got=f"shape {values.shape}")
        return self._encode(values)

    @abstractmethod
    def _count(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(stored entries, metadata bits) per tile of ``masks`` (n_tiles, *tile_shape)."""

    @abstractmethod
    def _encode(self, values: np.ndarray) -> Any:
        """Encode one checked tile."""

    @abstractmethod
    def decode(self, encoded: Any) -> np.ndarray:
        """The tile ``encoded`` came from (zeros where nothing is stored)."""
