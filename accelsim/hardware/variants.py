"""Machines that differ from a description in a few keys (layer 1): what sweeps over hardware, the
validation scripts and the tests build ("scnn_isca2017.yaml with 4 PEs of 16 x 16").

A change names a key by its dotted path (``pe_array.cols``, ``buffers.iaram.size_bytes``; ``__`` may stand
for the dots) and gives its new value, or :data:`DELETE` to remove the key; the changed description is
checked as a file is (:func:`~accelsim.hardware.loader.parse_hardware`).
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

import yaml

from accelsim.hardware.loader import parse_hardware, read_hardware_text
from accelsim.hardware.schema import HardwareConfig

#: The value of a change that removes its key.
DELETE = object()


def set_key(data: dict, dotted: str, value: object) -> None:
    """Set (or, with :data:`DELETE`, remove) the value at the dotted key path of the YAML data ``data``."""
    *parents, last = dotted.replace("__", ".").split(".")
    for key in parents:
        data = data[key]
    if value is DELETE:
        del data[last]
    else:
        data[last] = value


def changed(data: dict, changes: Mapping[str, object]) -> dict:
    """A copy of the YAML data ``data`` with ``changes`` (dotted path -> value) made."""
    data = copy.deepcopy(data)
    for dotted, value in changes.items():
        set_key(data, dotted, value)
    return data


def variant(data: dict, changes: Mapping[str, object], source_name: str) -> HardwareConfig:
    """The machine of the YAML data ``data`` with ``changes`` made, checked; ``source_name`` names it in errors."""
    return parse_hardware(yaml.safe_dump(changed(data, changes), sort_keys=False), source_name)


def file_variant(path: str | Path, changes: Mapping[str, object]) -> HardwareConfig:
    """The machine described in the YAML file ``path`` with ``changes`` made."""
    data = yaml.safe_load(read_hardware_text(path))
    return variant(data, changes, f"{Path(path).name} with {dict(changes)}")


def scaled_buffers(data: dict, factor: float) -> dict[str, int]:
    """The changes that scale every buffer of the YAML data ``data`` by ``factor``: ``buffers.<name>.size_bytes``
    -> the size times ``factor``, rounded to whole bytes (for :func:`changed` or :func:`file_variant`)."""
    return {f"buffers.{name}.size_bytes": round(buffer["size_bytes"] * factor)
            for name, buffer in data.get("buffers", {}).items()}
