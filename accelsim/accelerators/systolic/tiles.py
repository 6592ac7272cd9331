"""Skipping all-zero weight tiles on a weight-stationary array (``docs/structured.md``, "Block sparsity").

A fold of a weight-stationary array holds one tile of the K x M weight matrix: ``rows`` x ``cols`` of it, as
the layer's mapping cuts it. An array that skips empty tiles keeps one non-empty bit per fold beside the
weights; its fold sequencer reads the bit before the fold's weight load and, for a 0, goes on to the next fold:
no weight fetch or load, no input streamed, no MAC, no partial sum written. :class:`Occupancy` is which weights
of the matrix are non-zero; :func:`live_folds` says which folds of a mapping run;
:func:`accumulation_ends` which fold of each column of tiles reads no partial sums (its first that runs) and
which writes the outputs (its last; a column whose tiles are all empty still writes its outputs once: zeros).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from accelsim.units import ceil_div


@dataclass(frozen=True)
class Occupancy:
    """Which elements of a K x M weight matrix (as the array holds it: condensed for N:M) are non-zero,
    packed (``np.packbits`` of the row-major bool matrix); hashable, so a mapping search keyed on it is
    cached per distinct occupancy."""

    shape: tuple[int, int]
    packed: bytes

    @classmethod
    def of(cls, nonzero: np.ndarray) -> "Occupancy | None":
        """The occupancy of the bool (K, M) matrix ``nonzero``; None when every element is non-zero (no fold
        of any size can be empty)."""
        nonzero = np.asarray(nonzero, dtype=bool)
        if nonzero.all():
            return None
        return cls(nonzero.shape, np.packbits(nonzero, axis=None).tobytes())

    def matrix(self) -> np.ndarray:
        count = self.shape[0] * self.shape[1]
        return np.unpackbits(np.frombuffer(self.packed, np.uint8), count=count).astype(bool).reshape(self.shape)


@lru_cache(maxsize=256)
def tile_live(occupancy: Occupancy, rows: int, cols: int) -> np.ndarray:
    """(row folds, column folds) bools: the ``rows`` x ``cols`` tile holds a non-zero weight."""
    k, m = occupancy.shape
    rf, cf = ceil_div(k, rows), ceil_div(m, cols)
    padded = np.zeros((rf * rows, cf * cols), dtype=bool)
    padded[:k, :m] = occupancy.matrix()
    return padded.reshape(rf, rows, cf, cols).any(axis=(1, 3))


def live_folds(occupancy: Occupancy | None, rows: int, cols: int, row_idx: np.ndarray,
               col_idx: np.ndarray) -> np.ndarray:
    """Per fold (its row and column fold index on a ``rows`` x ``cols`` mapping): whether it runs."""
    if occupancy is None:
        return np.ones(len(row_idx), dtype=bool)
    return tile_live(occupancy, rows, cols)[row_idx, col_idx]


def accumulation_ends(live: np.ndarray, group: np.ndarray, row_idx: np.ndarray, rf: int):
    """(ran, first, last) per fold: the folds that run or write outputs, the first of each accumulation
    group (a column of tiles in one stream tile: ``group``) that runs, and the one that writes the group's
    outputs: its last that runs, or its last row fold when none does (outputs of zeros, written once)."""
    if live.all():
        return live, row_idx == 0, row_idx == rf - 1
    ran = live | ((row_idx == rf - 1) & ~np.isin(group, group[live]))
    order = np.flatnonzero(ran)
    first, last = np.zeros(len(live), dtype=bool), np.zeros(len(live), dtype=bool)
    first[order[np.unique(group[order], return_index=True)[1]]] = True
    backwards = order[::-1]
    last[backwards[np.unique(group[backwards], return_index=True)[1]]] = True
    return ran, first, last
