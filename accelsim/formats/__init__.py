"""Compressed-sparse encodings behind one interface, one module per format (layer 2).

Each format is a frozen dataclass whose fields are its bit widths. ``measure(masks)`` reports, vectorised
over tiles, real non-zeros vs stored entries (padding included), payload bits and metadata bits;
``encode``/``decode`` turn one tile into its stored arrays and back exactly. Formats know no hardware.

>>> get_format("runlength", index_bits=4).encode([0, 0, 1, 2] + [0] * 18 + [3]).zero_runs.tolist()
[2, 0, 15, 2]
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import Any

from accelsim.errors import InputError
from accelsim.formats.base import Format, TileStats
from accelsim.formats.bitmask import Bitmask, BitmaskTile
from accelsim.formats.bsr import BlockSparse, BlockTile
from accelsim.formats.compressed import Compressed, CompressedTile
from accelsim.formats.dense import Dense, DenseTile
from accelsim.formats.nm import NMCompressed, NMTile
from accelsim.formats.runlength import RunLength, RunLengthTile, csrc_paper_bits

FORMATS: Mapping[str, type[Format]] = MappingProxyType(
    {cls.name: cls for cls in (Dense, Bitmask, RunLength, Compressed, NMCompressed, BlockSparse)})
"""Format name -> format class."""


def get_format(name: str, **params: Any) -> Format:
    """The format called ``name`` (a key of :data:`FORMATS`) with bit widths and options ``params``.

    Raises :class:`InputError` for an unknown name, an unknown parameter or a bad value, naming it.
    """
    if name not in FORMATS:
        raise InputError("unknown format", key="format", expected=f"one of {', '.join(FORMATS)}", got=name)
    cls = FORMATS[name]
    known = [f.name for f in fields(cls)]
    for key in params:
        if key not in known:
            raise InputError("unknown format parameter", key=f"{name}.{key}",
                             expected=f"one of {', '.join(known)}", got=params[key])
    return cls(**params)


__all__ = ["FORMATS", "Bitmask", "BitmaskTile", "BlockSparse", "BlockTile", "Compressed", "CompressedTile", "Dense",
           "DenseTile", "Format", "NMCompressed", "NMTile", "RunLength", "RunLengthTile", "TileStats", "csrc_paper_bits", "get_format"]
