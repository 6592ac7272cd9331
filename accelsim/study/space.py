"""A design space to explore (layer 8): the YAML file ``accelsim explore`` reads, checked whole before
anything runs.

::

    hardware:
      base: scnn_like.yaml                 # a file beside the space file, or a shipped machine's file name
      keys:                                # any key of the base's YAML, by dotted path
        pe_array.rows: {low: 4, high: 16, step: 4}          # integers (every bound whole)
        technology_nm: {choices: [45, 16]}                  # nodes of the cost tables (choices only)
        buffers.iaram.size_bytes: {choices: [4096, 8192, 16384]}
        dram.bandwidth_gb_per_s: {low: 6.4, high: 25.6, log: true}
    model:                                 # a zoo family with options, each a value or a dimension ...
      family: mobilenet_v1
      width: {choices: [0.25, 0.5, 0.75, 1.0]}
      sparsity: {low: 0.0, high: 0.9, step: 0.1}
      structure: {choices: [unstructured, "2:4"]}         # optional (docs/structured.md)
    # model: {paper: mobilenet}            # ... or the variants a paper reports, with their accuracy
    objectives: [energy, latency]          # minimised: latency, energy, area; accuracy: as its paper's metric
    constraints: {sram_kb: 2048, area_mm2: 10, power_mw: 1000}
    search: {population: 20}               # NSGA-II population (default 20)

A dimension is ``{choices: [...]}`` (distinct values) or ``{low, high}`` with an optional ``step`` or
``log: true``: integers when both bounds (and the step) are whole numbers, else real numbers. Every
hardware value is checked as a machine file is (:func:`accelsim.hardware.variants.variant` of the base at
each bound and choice), every model value by building the model, so an unknown key or a value out of range
is an :class:`~accelsim.errors.InputError` naming the space file and the key. Area (objective ``area``,
constraint ``area_mm2``) needs a technology node: the base machine's ``technology_nm`` or a searched one.
Hardware-only constraints (``sram_kb``, ``area_mm2``) are checked against the space before anything is
simulated (:func:`accelsim.study.constraints.check_feasible`).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import yaml

from accelsim import yamltext
from accelsim.cost import NODES_NM
from accelsim.errors import InputError, did_you_mean
from accelsim.hardware.loader import read_hardware_text
from accelsim.hardware.schema import HardwareConfig
from accelsim.hardware.shipped import shipped_folder
from accelsim.hardware.variants import variant
from accelsim.pruning.structured import parse_structure
from accelsim.study.single import check_sparsity
from accelsim.workloads import zoo

#: Objectives: the column of a trial's results each reads, and whether it is minimised.
OBJECTIVES = {"latency": ("latency_s", True), "energy": ("energy_pj", True), "area": ("area_mm2", True),
              "accuracy": ("accuracy", None)}
#: Constraints: the trial column each bounds from above, and whether the hardware alone decides it.
CONSTRAINTS = {"sram_kb": ("sram_kb", True), "area_mm2": ("area_mm2", True), "power_mw": ("power_mw", False)}
DEFAULT_POPULATION = 20
TOP_KEYS = ("hardware", "model", "objectives", "constraints", "search")


@dataclass(frozen=True)
class Dimension:
    """One searched value: ``name`` (``hw.<dotted key>`` or ``model.<option>``), and either ``choices`` or
    a range ``low``..``high`` (``integer`` or real, with ``step`` or ``log``)."""

    name: str
    choices: tuple = ()
    low: float = 0
    high: float = 0
    step: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def values(self) -> tuple:
        """The values a check tries: every choice, or both bounds."""
        return self.choices or (self.low, self.high)

    @property
    def key(self) -> str:
        """The dotted key of a hardware dimension (its name without ``hw.``)."""
        return self.name.split(".", 1)[1]

    def least(self) -> object:
        """The smallest value (the lower bound, or the least numeric choice); None if choices are not numbers."""
        if not self.choices:
            return self.low
        numbers_only = all(_is_number(c) for c in self.choices)
        return min(self.choices) if numbers_only else None

    def every(self) -> tuple | range | None:
        """Every value it takes: its choices, or each step of an integer range; None for a real range."""
        if self.choices:
            return self.choices
        if self.integer:
            return range(int(self.low), int(self.high) + 1, int(self.step or 1))
        return None


@dataclass(frozen=True)
class Space:
    """A checked design space (module docstring). ``base_data`` is the base machine's YAML as data."""

    file: str
    text: str
    base_file: str
    base_data: dict
    hardware: tuple[Dimension, ...]
    family: str                                      # the zoo family
    fixed: tuple[tuple[str, object], ...]            # zoo options that are not searched
    model: tuple[Dimension, ...]                     # model.<option>, model.sparsity, model.structure
    paper: tuple = ()                                # the paper's variants (accelsim.study.compare.Variant)
    objectives: tuple[str, ...] = ("energy", "latency")
    constraints: tuple[tuple[str, float], ...] = ()
    population: int = DEFAULT_POPULATION

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return self.hardware + self.model

    def machine(self, changes: dict) -> HardwareConfig:
        """The base machine with ``changes`` (dotted key -> value), checked."""
        return variant(self.base_data, changes, f"{self.base_file} with {changes}")

    def directions(self) -> list[str]:
        """Optuna's direction of each objective."""
        out = []
        for name in self.objectives:
            minimise = OBJECTIVES[name][1]
            if minimise is None:                       # accuracy: the paper's metric says which way is better
                minimise = not self.paper[0].higher_is_better
            out.append("minimize" if minimise else "maximize")
        return out


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def read_space(path: str | Path) -> Space:
    """Read and check the space file ``path`` (module docstring); an InputError naming it and the key."""
    path = Path(path)
    text = read_hardware_text(path)
    data = yamltext.load(yamltext.SafeLoader, text, str(path), InputError, lambda loader: loader.get_single_data())
    return _Reader(path, text).space(data)


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def error(self, problem: str, key: str, expected: str | None = None, got: object = None) -> InputError:
        return InputError(problem, file=self.path, key=key, expected=expected, got=got)

    def mapping(self, value: object, key: str, known: tuple[str, ...] | None = None) -> dict:
        if not isinstance(value, dict):
            raise self.error("not a mapping", key, "a mapping of keys to values", value)
        for name in value:
            if known is not None and name not in known:
                raise self.error("unknown key" + did_you_mean(name, known), f"{key}.{name}" if key else str(name),
                                 " | ".join(known), name)
        return value

    def space(self, data: object) -> Space:
        data = self.mapping(data if data is not None else {}, "", TOP_KEYS)
        for required in ("hardware", "model"):
            if required not in data:
                raise self.error("missing section", required, f"a {required}: section")
        base_file, base_data, hardware = self.hardware(data["hardware"])
        family, fixed, model, paper = self.model(data["model"])
        objectives = self.objectives(data.get("objectives", ["energy", "latency"]), paper)
        constraints = self.constraints(data.get("constraints") or {})
        self.check_node(base_data, hardware, objectives, constraints)
        search = self.mapping(data.get("search") or {}, "search", ("population",))
        population = search.get("population", DEFAULT_POPULATION)
        if not isinstance(population, int) or isinstance(population, bool) or population < 2:
            raise self.error("bad population size", "search.population", "a whole number >= 2", population)
        return Space(str(self.path), self.text, base_file, base_data, hardware, family, fixed, model, paper,
                     objectives, constraints, population)

    # --- hardware ------------------------------------------------------------------------------------------
    def hardware(self, section: object) -> tuple[str, dict, tuple[Dimension, ...]]:
        section = self.mapping(section, "hardware", ("base", "keys"))
        if not isinstance(section.get("base"), str):
            raise self.error("no base machine", "hardware.base", "the base machine's YAML file",
                             section.get("base"))
        base = self.path.parent / section["base"]
        if not base.is_file() and (shipped_folder() / section["base"]).is_file():
            base = shipped_folder() / section["base"]
        base_data = yaml.safe_load(read_hardware_text(base))
        try:
            variant(base_data, {}, str(base))
        except InputError as error:
            raise self.error(f"the base machine is not valid: {error.one_line()}", "hardware.base") from None
        dims = []
        for dotted, spec in self.mapping(section.get("keys") or {}, "hardware.keys").items():
            key = f"hardware.keys.{dotted}"
            dim = self.dimension(f"hw.{dotted}", spec, key)
            if dotted == "technology_nm" and not dim.choices:
                raise self.error("a technology node is searched among choices, not over a range", key,
                                 "{choices: [...]} of " + ", ".join(map(str, NODES_NM)), spec)
            for value in dim.values:
                self.check_machine(base_data, base.name, {str(dotted): value}, key)
            dims.append(dim)
        return base.name, base_data, tuple(dims)

    def check_node(self, base_data: dict, hardware: tuple[Dimension, ...], objectives: tuple[str, ...],
                   constraints: tuple[tuple[str, float], ...]) -> None:
        """Area (objective or constraint) needs a technology node: the base machine's or a searched one."""
        uses = ["objectives"] * ("area" in objectives) + ["constraints.area_mm2"] * ("area_mm2" in dict(constraints))
        searched = {d.name for d in hardware}
        if uses and base_data.get("technology_nm") is None and "hw.technology_nm" not in searched:
            raise self.error("area needs a technology node, and the base machine names none", uses[0],
                             "technology_nm: in the base machine, or hardware.keys.technology_nm: {choices: [...]}")

    def check_machine(self, base_data: dict, base_name: str, changes: dict, key: str) -> HardwareConfig:
        """The base machine with ``changes``, or an InputError naming the space file and ``key``."""
        try:
            return variant(base_data, changes, base_name)
        except (KeyError, TypeError, IndexError):
            raise self.error("unknown key in the base machine", key, f"a dotted path of {base_name}'s YAML") \
                from None
        except InputError as error:
            raise self.error(f"{error.problem} (in {base_name})", key, error.expected, error.got) from None

    # --- model ---------------------------------------------------------------------------------------------
    def model(self, section: object):
        section = self.mapping(section, "model")
        if "paper" in section:
            from accelsim.study.compare import FAMILIES, variants
            self.mapping(section, "model", ("paper",))
            if section["paper"] not in FAMILIES:
                raise self.error("unknown paper family" + did_you_mean(section["paper"], FAMILIES), "model.paper",
                                 " | ".join(FAMILIES), section["paper"])
            family, chosen = variants(section["paper"])
            dim = Dimension("model.variant", choices=tuple(range(len(chosen))))
            return family, (), (dim,), tuple(chosen)
        if "family" not in section:
            raise self.error("no model family", "model.family", "a zoo family or paper: mobilenet | ptb | gnmt")
        try:
            family = zoo.family(section["family"])
        except InputError as error:
            raise self.error(error.problem, "model.family", error.expected, error.got) from None
        options = tuple(family.options)
        self.mapping(section, "model", ("family", "sparsity", "structure") + options)
        fixed, dims = [], []
        for name in ("sparsity", "structure") + options:
            if name not in section:
                continue
            value = section[name]
            if isinstance(value, dict):
                dims.append(self.dimension(f"model.{name}", value, f"model.{name}"))
            else:
                fixed.append((name, value))
        for dim in dims:
            for value in dim.values:
                self.check_model(family.name, dim.name.split(".", 1)[1], value, dict(fixed))
        for name, value in fixed:
            self.check_model(family.name, name, value, dict(fixed))
        return family.name, tuple(fixed), tuple(dims), ()

    def check_model(self, family: str, name: str, value: object, fixed: dict) -> None:
        key = f"model.{name}"
        try:
            if name == "sparsity":
                check_sparsity(value, key)
            elif name == "structure":
                parse_structure(str(value))
            else:
                options = {k: v for k, v in fixed.items() if k not in ("sparsity", "structure")}
                zoo.build(family, **{**options, name: value})
        except InputError as error:
            raise self.error(error.problem, key, error.expected, value) from None

    # --- dimensions, objectives, constraints ---------------------------------------------------------------
    def dimension(self, name: str, spec: object, key: str) -> Dimension:
        spec = self.mapping(spec, key, ("choices", "low", "high", "step", "log"))
        if "choices" in spec:
            if set(spec) != {"choices"}:
                raise self.error("choices and a range together", key, "either choices: [...] or low/high")
            choices = spec["choices"]
            if not isinstance(choices, list) or not choices:
                raise self.error("empty choices", key, "a non-empty list of values", choices)
            if any(isinstance(c, (dict, list)) or c is None for c in choices):
                raise self.error("choices must be plain values", key, "numbers or words", choices)
            if len({repr(c) for c in choices}) < len(choices):
                raise self.error("repeated choice", key, "each value once", choices)
            return Dimension(name, choices=tuple(choices))
        if "low" not in spec or "high" not in spec:
            raise self.error("incomplete range", key, "choices: [...], or low: and high:", spec)
        low, high, step, log = spec["low"], spec["high"], spec.get("step"), spec.get("log", False)
        if not all(_is_number(v) and math.isfinite(v) for v in (low, high)):
            raise self.error("range bounds must be numbers", key, "finite numbers low and high", [low, high])
        if low > high:
            raise self.error("inverted range", key, "low < high", f"low {low}, high {high}")
        if low == high:
            raise self.error("empty range", key, "low < high (a single value is given without a range)",
                             f"low {low}, high {high}")
        if not isinstance(log, bool) or (log and (step is not None or low <= 0)):
            raise self.error("bad log range", key, "log: true with low > 0 and no step", spec)
        if step is not None and not (_is_number(step) and 0 < step <= high - low):
            raise self.error("bad step", key, f"a number in (0, {high - low}]", step)
        integer = all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, step or 1))
        return Dimension(name, low=low, high=high, step=step, log=log, integer=integer)

    def objectives(self, value: object, paper: tuple) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.error("no objectives", "objectives", "a list of " + ", ".join(OBJECTIVES), value)
        for name in value:
            if name not in OBJECTIVES:
                raise self.error("unknown objective" + did_you_mean(name, OBJECTIVES), "objectives",
                                 ", ".join(OBJECTIVES), name)
            if name == "accuracy" and not paper:
                raise self.error("accuracy is known only for a paper's variants", "objectives",
                                 "model: {paper: mobilenet | ptb | gnmt} with the accuracy objective", name)
        if len(set(value)) < len(value):
            raise self.error("repeated objective", "objectives", "each objective once", value)
        return tuple(value)

    def constraints(self, value: object) -> tuple[tuple[str, float], ...]:
        value = self.mapping(value, "constraints")
        out = []
        for name, limit in value.items():
            key = f"constraints.{name}"
            if name not in CONSTRAINTS:
                raise self.error("unknown constraint" + did_you_mean(name, CONSTRAINTS), key,
                                 ", ".join(CONSTRAINTS), name)
            if not (_is_number(limit) and math.isfinite(limit) and limit > 0):
                raise self.error("bad limit", key, "a number > 0", limit)
            out.append((name, float(limit)))
        return tuple(out)
