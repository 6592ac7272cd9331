"""Declarative checking of YAML data against typed dataclasses (layer 0): the one validator of every file a
user writes (hardware descriptions, workload files) and of the configurations and arguments a caller passes
(:class:`~accelsim.training.TrainConfig`, sparsities, densities, format parameters).

A dataclass declares each key it reads with :func:`field_spec`: a :data:`Spec` (what the key accepts, with
its unit and range) and a one-line help. :class:`Checker` walks a file's data against such a dataclass,
collects every problem in one pass (each an :class:`~accelsim.errors.InputError` naming the file, the key
path, what was expected and what was found) and builds the instance when nothing failed. The generated
references (``accelsim hwconfig --reference``) read the same declarations. :func:`checked` and
:func:`checked_arguments` check the values a caller passed (numpy scalars count as numbers) against the same
spec types.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accelsim.errors import ConfigError, InputError, ManyInputErrors, did_you_mean

INVALID = object()                  # a value that failed its check (the problem is already recorded)


class InvalidValue(Exception):
    """A value does not fit its declaration; ``problem`` says how, in a few words."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _number(value: object) -> float | int:
    """``value`` as an int or a float if it is a real number (a bool is none; numpy's scalars are); else
    why not."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise InvalidValue("wrong type: a boolean is not a number")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            raise InvalidValue("wrong type: text is not a number") from None
        raise InvalidValue("wrong type: a quoted number is text")
    raise InvalidValue(f"wrong type: a {type(value).__name__} is not a number")


def _in_unit(text: str, unit: str) -> str:
    return f"{text} ({unit})" if unit else text


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]`` (``high`` None: no upper bound), in ``unit`` (empty: a plain count)."""

    low: int
    high: int | None
    unit: str

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "integer", self.unit, f"{self.low} .. {'' if self.high is None else self.high}".rstrip()

    @property
    def expected(self) -> str:
        if self.high is None:
            return _in_unit(f"an integer >= {self.low}", self.unit)
        return _in_unit(f"an integer from {self.low} to {self.high}", self.unit)

    def convert(self, value: object) -> int:
        number = _number(value)
        if not isinstance(number, int):
            raise InvalidValue("wrong type: not an integer")
        if number < self.low or (self.high is not None and number > self.high):
            raise InvalidValue("out of range")
        return number


@dataclass(frozen=True)
class Real:
    """A finite number from ``low`` to ``high`` (``math.inf``: no upper bound), in ``unit``, kept as float;
    ``open_low`` / ``open_high`` leave out the bound itself."""

    low: float
    high: float
    unit: str
    open_low: bool = False
    open_high: bool = False

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        if not (self.open_low or self.open_high):
            return "number", self.unit, f"{self.low:g} .. {self.high:g}"
        return "number", self.unit, (("(" if self.open_low else "[") + f"{self.low:g}, {self.high:g}"
                                     + (")" if self.open_high else "]"))

    @property
    def expected(self) -> str:
        low = f"{'>' if self.open_low else '>='} {self.low:g}"
        if math.isinf(self.high):
            return _in_unit(f"a finite number {low}", self.unit)
        return _in_unit(f"a finite number {low} and {'<' if self.open_high else '<='} {self.high:g}", self.unit)

    def convert(self, value: object) -> float:
        try:
            number = float(_number(value))
        except OverflowError:   # an integer with hundreds of digits
            raise InvalidValue("out of range") from None
        if not math.isfinite(number):
            raise InvalidValue("not a finite number")
        if (number < self.low or number > self.high or (self.open_low and number == self.low)
                or (self.open_high and number == self.high)):
            raise InvalidValue("out of range")
        return number


@dataclass(frozen=True)
class Bool:
    """``true`` or ``false`` (a number is neither)."""

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "boolean", "", "true | false"

    @property
    def expected(self) -> str:
        return "true or false"

    def convert(self, value: object) -> bool:
        if not isinstance(value, bool) and type(value).__name__ != "bool_":
            raise InvalidValue(f"wrong type: a {type(value).__name__} is not a boolean")
        return bool(value)


@dataclass(frozen=True)
class ListOf:
    """A list of at least ``min_items`` values each accepted by ``item`` (an :class:`Int` or :class:`Real`),
    all different if ``distinct``; kept as a tuple in the given order."""

    item: Int | Real
    min_items: int = 1
    distinct: bool = False

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        kind, unit, accepts = self.item.describe()
        return f"list of {kind}s", unit, accepts

    @property
    def expected(self) -> str:
        count = "a list" if self.min_items == 0 else f"a list of at least {self.min_items}"
        return f"{count}{' distinct' if self.distinct else ''} values, each {self.item.expected}"

    def convert(self, value: object) -> tuple:
        if not isinstance(value, (list, tuple)):
            raise InvalidValue(f"wrong type: a {type(value).__name__} is not a list")
        if len(value) < self.min_items:
            raise InvalidValue("too few values")
        items = []
        for item in value:
            try:
                items.append(self.item.convert(item))
            except InvalidValue as exc:
                raise InvalidValue(f"{exc.problem} ({item!r})") from None
        if self.distinct and len(set(items)) != len(items):
            raise InvalidValue("a value is listed twice")
        return tuple(items)


@dataclass(frozen=True)
class Text:
    """Text of at most ``max_chars`` characters, not blank unless ``blank``."""

    max_chars: int
    blank: bool = False

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "text", "", f"{0 if self.blank else 1} .. {self.max_chars} characters"

    @property
    def expected(self) -> str:
        return f"text of {0 if self.blank else 1} to {self.max_chars} characters"

    def convert(self, value: object) -> str:
        if not isinstance(value, str):
            raise InvalidValue(f"wrong type: a {type(value).__name__} is not text")
        if (not self.blank and not value.strip()) or len(value) > self.max_chars:
            raise InvalidValue("blank or too long")
        return value


@dataclass(frozen=True)
class OneOf:
    """One word out of ``options``."""

    options: tuple[str, ...]

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "one of", "", " | ".join(self.options)

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(self.options)

    def convert(self, value: object) -> str:
        if value not in self.options:
            raise InvalidValue("unknown value" + did_you_mean(value, self.options))
        return str(value)


@dataclass(frozen=True)
class SetOf:
    """A non-empty list of distinct words out of ``options``; kept sorted."""

    options: tuple[str, ...]

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "list of", "", " | ".join(self.options)

    @property
    def expected(self) -> str:
        return "a non-empty list of distinct words out of " + ", ".join(self.options)

    def convert(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise InvalidValue("not a non-empty list")
        for item in value:
            if item not in self.options:
                raise InvalidValue(f"unknown value {item!r}" + did_you_mean(item, self.options))
        if len(set(value)) != len(value):
            raise InvalidValue("a value is listed twice")
        return tuple(sorted(value))


@dataclass(frozen=True)
class Parsed:
    """Text in a small grammar: ``parse`` turns it into its canonical form (or raises an
    :class:`~accelsim.errors.InputError`); ``grammar`` says in words what it accepts."""

    parse: Callable[[str], object]
    grammar: str

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "text", "", self.grammar

    @property
    def expected(self) -> str:
        return self.grammar

    def convert(self, value: object) -> object:
        if not isinstance(value, str):
            raise InvalidValue(f"wrong type: a {type(value).__name__} is not text")
        try:
            return self.parse(value)
        except InputError:
            raise InvalidValue("unknown value") from None


@dataclass(frozen=True)
class Section:
    """A nested mapping loaded into ``cls``; ``inherit`` names fields of the parent passed on to ``cls``."""

    cls: type
    inherit: tuple[str, ...] = ()

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "mapping", "", ""

    @property
    def expected(self) -> str:
        return "a mapping with keys " + ", ".join(yaml_keys(self.cls))


@dataclass(frozen=True)
class Named:
    """Mappings nested ``len(keys)`` deep whose keys are names (``keys`` names the fields they fill in
    ``cls``), loaded into a tuple of ``cls`` sorted by those names."""

    cls: type
    keys: tuple[str, ...]

    def describe(self) -> tuple[str, str, str]:
        """(type, unit, accepted values) for a reference table."""
        return "mapping", "", "by " + " -> ".join(self.keys)

    @property
    def expected(self) -> str:
        inner = "{" + ", ".join(yaml_keys(self.cls)) + "}"
        return "a mapping " + " -> ".join(self.keys) + f" -> {inner}"


Spec = Int | Real | Bool | ListOf | Text | OneOf | SetOf | Parsed | Section | Named

#: Specs several inputs share (hardware keys declare their own).
SPARSITY = Real(0, 1, "fraction of weights that are zero", open_high=True)
DENSITY = Real(0, 1, "fraction of values that are non-zero", open_low=True)
SEED = Int(0, None, "")


def field_spec(spec: Spec, help: str = "", **kwargs: Any) -> Any:
    """A dataclass field read from the YAML key of the same name, as ``spec`` declares, with a one-line
    ``help`` for the generated reference; with a ``default`` (or ``default_factory``) the key is optional."""
    return field(metadata={"spec": spec, "help": help}, **kwargs)


def yaml_keys(cls: type) -> list[str]:
    """The YAML keys of a config class (its fields that are read from the file)."""
    return [f.name for f in dataclasses.fields(cls) if "spec" in f.metadata]


# --- checking a file's data ---------------------------------------------------------------------------------

def join_key(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def many(errors: list[InputError]) -> InputError:
    return errors[0] if len(errors) == 1 else ManyInputErrors(errors)  # type: ignore[arg-type]


class Checker:
    """Checks one file's data against dataclasses declared with :func:`field_spec`, recording every problem
    in ``errors`` (instances of ``error``, an :class:`InputError` class) instead of stopping at the first."""

    def __init__(self, file: str | None, errors: list[InputError] | None = None,
                 error: type[InputError] = ConfigError) -> None:
        self.file = file
        self.errors: list[InputError] = [] if errors is None else errors
        self.error = error

    def fail(self, key: str, problem: str, expected: str | None = None, got: object = None) -> None:
        self.errors.append(self.error(problem, file=self.file, key=self.where(key) or None, expected=expected,
                                      got=got))

    def where(self, key: str) -> str:
        """How a key path is named in a message (a subclass may add context, e.g. a layer's name)."""
        return key

    def raise_if_failed(self) -> None:
        """Raise the problems recorded so far: one as itself, several as :class:`ManyInputErrors`."""
        if self.errors:
            raise many(self.errors)

    def fields(self, cls: type, raw: object, path: str, **given: Any) -> dict[str, Any]:
        """The values of ``cls``'s YAML keys that passed their checks (``given`` fills the others)."""
        specs = {f.name: f for f in dataclasses.fields(cls) if "spec" in f.metadata}
        if not isinstance(raw, dict):
            self.fail(path, "not a mapping", expected="a mapping with keys " + ", ".join(specs), got=raw)
            return {}
        for key in raw:
            if key not in specs:
                self.fail(join_key(path, key), "unknown key" + did_you_mean(key, specs),
                          expected="one of " + ", ".join(specs))
        values = dict(given)
        for name, f in specs.items():
            spec: Spec = f.metadata["spec"]
            key = join_key(path, name)
            if name not in raw:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.fail(key, "missing key", expected=spec.expected)
                continue
            value = self.value(spec, raw[name], key, values)
            if value is not INVALID:
                values[name] = value
        return values

    def build(self, cls: type, raw: object, path: str, **given: Any) -> Any:
        """An instance of ``cls``, or INVALID when a key of it failed."""
        before = len(self.errors)
        values = self.fields(cls, raw, path, **given)
        return cls(**values) if len(self.errors) == before else INVALID

    def value(self, spec: Spec, raw: object, key: str, parent: dict[str, Any]) -> Any:
        """``raw`` checked against ``spec``, or INVALID; ``parent``: the values loaded beside it so far."""
        if isinstance(spec, Section):   # an inherited value that failed is None: the section is still checked
            return self.build(spec.cls, raw, key, **{n: parent.get(n) for n in spec.inherit})
        if isinstance(spec, Named):
            return self.named(spec, raw, key, ())
        if raw is None:
            self.fail(key, "missing value", expected=spec.expected)
            return INVALID
        try:
            return spec.convert(raw)
        except InvalidValue as exc:
            self.fail(key, exc.problem, expected=spec.expected, got=raw)
            return INVALID

    def named(self, spec: Named, raw: object, path: str, names: tuple[str, ...]) -> Any:
        """A sorted tuple of ``spec.cls``, one per innermost name, or INVALID."""
        if not isinstance(raw, dict):
            self.fail(path, "not a mapping", expected=spec.expected, got=raw)
            return INVALID
        before = len(self.errors)
        items = []
        for name, sub in raw.items():
            key = join_key(path, name)
            if not (isinstance(name, str) and name.isidentifier()):
                self.fail(key, "not a name", expected="letters, digits and _, not starting with a digit",
                          got=name)
            elif len(names) + 1 < len(spec.keys):
                inner = self.named(spec, sub, key, names + (name,))
                items += inner if inner is not INVALID else ()
            else:
                items.append(self.build(spec.cls, sub, key, **dict(zip(spec.keys, names + (name,)))))
        if len(self.errors) > before:
            return INVALID
        return tuple(sorted(items, key=lambda item: [getattr(item, k) for k in spec.keys]))


def checked(spec: Spec, value: object, key: str, error: type[InputError] = InputError) -> Any:
    """``value`` (an argument a caller passed, named ``key``) converted as ``spec`` declares, or an ``error``
    naming ``key``, what was expected and what was found."""
    return checked_arguments({key: (spec, value)}, error)[key]


def checked_arguments(arguments: dict[str, tuple[Spec, object]],
                      error: type[InputError] = InputError) -> dict[str, Any]:
    """Every argument ``{key: (spec, value)}`` converted as its spec declares, all checked in one pass; raises
    the problems together (one ``error`` each, naming its key)."""
    checker = Checker(None, error=error)
    values = {key: checker.value(spec, value, key, {}) for key, (spec, value) in arguments.items()}
    checker.raise_if_failed()
    return values
