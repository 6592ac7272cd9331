"""YAML text read the way every accelsim input file is read (layer 0).

``yaml.safe_load``'s constructs only (no Python tags), with YAML 1.2's exponent floats (``1e9``, ``1.0e-3``)
read as numbers where PyYAML (YAML 1.1) reads them as text. Every problem of the text, from a character
YAML does not allow to runaway nesting, becomes one error of the caller's type naming the file and, where
there is one, the line and column. The loaders of hardware descriptions and workload files subclass
:class:`SafeLoader` for their own checks (duplicate keys, node counts) and read through :func:`load`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from accelsim.errors import InputError, text_position

MERGE_TAG = "tag:yaml.org,2002:merge"    # `<<: *base`: its keys may be overridden in the mapping

Loader = TypeVar("Loader", bound="SafeLoader")


class SafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with YAML 1.2 exponent floats."""


SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def load(loader_class: type[Loader], text: str, file: str, error: type[InputError],
         read: Callable[[Loader], Any]) -> Any:
    """``read(loader)`` for a ``loader_class`` over ``text``; any problem of the YAML is an ``error``
    (file ``file``, expected "YAML text") on one line. The loader is disposed of in every case."""
    try:
        loader = loader_class(text)   # refuses control characters before reading anything
    except yaml.reader.ReaderError as exc:
        raise error(f"not valid YAML: {exc.reason} (character #x{exc.character:04x}) at "
                    f"{text_position(text, exc.position)}", file=file, expected="YAML text") from None
    try:
        return read(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"not valid YAML: {exc.problem}{where}", file=file, expected="YAML text") from None
    except RecursionError:
        raise error("nested too deeply", file=file, expected="YAML nested a few levels deep") from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:   # e.g. a bad timestamp or integer literal
        raise error(f"not valid YAML: {exc}", file=file, expected="YAML text") from None
    finally:
        loader.dispose()
