"""Bounded per-process memos of pure computations (layer 0): the last ``size`` results, the least recently
used dropped first, under keys their callers derive from everything a result depends on; arrays enter a
key through :func:`array_digest`."""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


class Lru(Generic[T]):
    """At most ``size`` results of a pure computation, by key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._results: OrderedDict[Hashable, T] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The result kept under ``key``, or ``compute()`` kept under it."""
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        result = compute()
        self._results[key] = result
        if len(self._results) > self.size:
            self._results.popitem(last=False)
        return result

    def clear(self) -> None:
        self._results.clear()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._results

    def __len__(self) -> int:
        return len(self._results)


def array_digest(*arrays: np.ndarray) -> bytes:
    """SHA-256 of the shapes, types and bytes of ``arrays`` (boolean arrays packed eight to a byte)."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(repr((array.shape, array.dtype.str)).encode())
        digest.update(np.packbits(array, axis=None) if array.dtype == np.bool_ else array)
    return digest.digest()
