"""Error types of accelsim (layer 0).

Every problem caused by what a user wrote is an :class:`InputError`. It carries where the problem is (a
file, a key path inside it, a layer name or a command-line option), what was expected and what was found,
and renders as one line. The command line prints that line on stderr and exits with status 2; anything
else that escapes is an internal error (status 1).
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class AccelsimError(Exception):
    """Base class of every error accelsim raises on purpose."""


class InputError(AccelsimError):
    """Something the user supplied is wrong: a file, a key, an option, a layer's mask.

    Parameters
    ----------
    problem:
        What is wrong, in a few words (e.g. ``"unknown key"``).
    file:
        The file the problem is in, if any.
    key:
        Where inside the input: a YAML key path (``"pe_array.rows"``), a layer name, an option (``"--width"``).
    expected:
        What would have been accepted.
    got:
        What was found instead (shown with ``repr``-like brevity).
    """

    def __init__(self, problem: str, *, file: object = None, key: str | None = None,
                 expected: str | None = None, got: object = None) -> None:
        self.problem = problem
        self.file = None if file is None else str(file)
        self.key = key
        self.expected = expected
        self.got = got
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message on one line: ``file: key: problem; expected ...; got ...``."""
        where = ": ".join(part for part in (self.file, self.key) if part)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.expected is not None:
            text += f"; expected {self.expected}"
        if self.got is not None:
            text += f"; got {_brief(self.got)}"
        return " ".join(text.split())


class Stopped(AccelsimError):
    """A run stopped before its end: interrupted (SIGINT, SIGTERM) or a worker process died. Renders as one
    line saying what was kept and how to resume; ``exit_status`` is the command line's."""

    def __init__(self, message: str, *, exit_status: int = 1) -> None:
        self.exit_status = exit_status
        super().__init__(message)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt so that a run stops the same way."""

    exit_status = 143        # 128 + SIGTERM, what a shell reports for a process SIGTERM ended


def interrupt_status(interrupt: KeyboardInterrupt) -> int:
    """The exit status of a run ``interrupt`` stopped: 130 (128 + SIGINT) for Ctrl-C, 143 for SIGTERM."""
    return getattr(interrupt, "exit_status", 130)


class ConfigError(InputError):
    """A hardware description (YAML) is malformed or inconsistent."""


class WorkloadError(InputError):
    """A model name, model option or workload file is wrong."""


class MaskError(InputError):
    """A mask (file or array) does not fit the model it is applied to."""


class OutputError(InputError):
    """An output path exists, is of the wrong kind, or cannot be written."""


class ManyInputErrors(InputError):
    """Several input errors found in one pass (e.g. every problem of one YAML file).

    Renders as one line listing each problem, separated by `` | ``; ``errors`` keeps them apart.
    """

    def __init__(self, errors: list[InputError]) -> None:
        if not errors:
            raise ValueError("ManyInputErrors needs at least one error")
        self.errors = list(errors)
        super().__init__(" | ".join(e.one_line() for e in self.errors))


def _brief(value: object, limit: int = 80) -> str:
    text = _bounded_repr(value, limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bounded_repr(value: object, budget: int) -> str:
    """``repr(value)``, except that a container stops after about ``budget`` characters: a YAML "bomb" of
    aliases is a list of billions of elements (and a list may contain itself) that a full repr would build
    before any truncation. Integers of over 4300 digits, which repr refuses, are described."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return f"an integer of {len(hex(value)) - 2} hex digits"
    if type(value) not in (list, tuple, dict, set) or not value:
        return repr(value)
    opening, closing = {list: "[]", tuple: "()"}.get(type(value), "{}")
    parts: list[str] = []
    used = 1
    for item in value.items() if isinstance(value, dict) else value:
        if used > budget:
            parts.append("...")
            break
        if isinstance(value, dict):
            key = _bounded_repr(item[0], budget - used)
            part = f"{key}: {_bounded_repr(item[1], budget - used - len(key) - 2)}"
        else:
            part = _bounded_repr(item, budget - used)
        parts.append(part)
        used += len(part) + 2
    trailer = "," if isinstance(value, tuple) and len(value) == 1 else ""
    return opening + ", ".join(parts) + trailer + closing


def text_position(text: str, offset: int) -> str:
    """``line L, column C`` (1-based) of the character at ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def did_you_mean(word: object, options: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options`` to ``word`` (difflib's ratio >= 0.6), or
    ``""``: the hint every "unknown name" message ends with."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
