"""The hardware description: its YAML schema and the frozen config objects it loads into (layer 1).

One YAML file describes one accelerator::

    name: scnn_like                  # text
    engine: scnn                     # systolic | dcnn | scnn | eie: the engine model that runs it
    clock_hz: 1.0e9                  # Hz
    dataflow: ws                     # ws | os | is; systolic only (see ENGINE_KEYS)
    data_widths: {weight_bits: 16, activation_bits: 16, psum_bits: 24,
                  index_bits: 4, pointer_bits: 16, codebook_bits: 4}   # bits; the last three per engine
    pe_array: {rows: 8, cols: 8}     # PEs
    pe: {multipliers_f: 4, ...}      # per-PE resources; which ones, per engine (see ENGINE_KEYS)
    buffers:                         # named on-chip SRAMs
      iaram: {level: pe, size_bytes: 10240, banks: 1, width_bits: 64,
              read_ports: 1, write_ports: 1, holds: [input_activations]}
    dram: {bandwidth_bytes_per_cycle: 16, latency_cycles: 100}   # or bandwidth_gb_per_s (exactly one)
    energy:
      dynamic:                       # pJ per unit of the count an engine reports for (component, action)
        mac: {op: {pj: 2.2, source: "..."}}
      static:                        # optional: leakage in mW of all instances of a component together
        mac: {mw: 5.0, source: "..."}

Every key, its unit and its accepted range is declared once, on the field it fills (``field_spec``), and
the loader (:mod:`accelsim.hardware.loader`) checks files against these declarations. The bounds reject
typos of several orders of magnitude, not unusual designs: clock from ``MIN_CLOCK_HZ`` (1 MHz) to
``MAX_CLOCK_HZ`` (10 GHz), one memory up to ``MAX_SIZE_BYTES`` (1 TB), word widths up to 64 bits, up to 4096
PEs per row or column and ``MAX_PES`` (65,536, a TPU v1) in all, DRAM from 0.001 to 10,000 bytes/cycle or
0.001 to 10,000 GB/s and up to 10**6 cycles of latency, energies up to 10**5 pJ per action and static power
up to 10**5 mW per component. The lower bounds keep every simulated time finite and within 64-bit
integers: a DRAM of 10**-300 bytes/cycle, or a clock of 10**-300 Hz, is a typo, not a design.

What depends on the engine is said in three tables here: ``ENGINE_KEYS`` (the optional keys an engine
requires; every other optional key is rejected for it, so a setting that would be silently ignored is an
error), ``REQUIRED_HOLDS`` (the data kinds some buffer must hold) and ``REQUIRED_ENERGY`` (the
(component, action) pairs the engine counts, which the energy section must price exactly, together with
``read_words``/``write_words`` of every declared buffer).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from accelsim.errors import ConfigError, did_you_mean

ENGINES = ("systolic", "dcnn", "scnn", "eie")
DATAFLOWS = ("ws", "os", "is")
LEVELS = ("pe", "global")            # pe: one instance per PE; global: one instance shared by all PEs
DATA_KINDS = ("weights", "input_activations", "output_activations", "pointers")

MIN_CLOCK_HZ = 1e6                   # 1 MHz
MAX_CLOCK_HZ = 10e9                  # 10 GHz
MAX_SIZE_BYTES = 10**12              # 1 TB, one memory instance
MAX_BITS = 64                        # one data word
MAX_PE_DIM = 4096                    # PEs per array row or column
MAX_PES = 65536                      # PEs in all (rows x cols): a TPU v1's 256 x 256
MIN_DRAM_BYTES_PER_CYCLE = 1e-3
MAX_DRAM_BYTES_PER_CYCLE = 1e4
MIN_DRAM_GB_PER_S = 1e-3             # 1 MB/s
MAX_DRAM_GB_PER_S = 1e4              # 10 TB/s
MAX_LATENCY_CYCLES = 10**6
MAX_PJ = 1e5                         # one action
MAX_MW = 1e5                         # 100 W, one component

# The optional keys each engine needs (dotted paths); an optional key not listed for an engine is rejected.
ENGINE_KEYS: dict[str, frozenset[str]] = {
    "systolic": frozenset({"dataflow"}),
    # SCNN's dense baseline: the same PE (F x I multipliers, accumulator banks, weight FIFO), no compression.
    "dcnn": frozenset({"pe.multipliers_f", "pe.multipliers_i", "pe.accumulator_banks",
                       "pe.accumulator_entries", "pe.weight_fifo_entries"}),
    "scnn": frozenset({"pe.multipliers_f", "pe.multipliers_i", "pe.accumulator_banks",
                       "pe.accumulator_entries", "pe.weight_fifo_entries", "data_widths.index_bits"}),
    "eie": frozenset({"pe.activation_fifo_depth", "data_widths.index_bits", "data_widths.pointer_bits",
                      "data_widths.codebook_bits"}),
}

# Data kinds that at least one buffer must hold. SCNN and DCNN stream weights from DRAM into each PE's
# weight FIFO (pe.weight_fifo_entries), so no buffer holds them.
REQUIRED_HOLDS: dict[str, frozenset[str]] = {
    "systolic": frozenset({"weights", "input_activations", "output_activations"}),
    "dcnn": frozenset({"input_activations", "output_activations"}),
    "scnn": frozenset({"input_activations", "output_activations"}),
    "eie": frozenset({"weights", "pointers", "input_activations", "output_activations"}),
}

# (component, action) pairs each engine counts, beside BUFFER_ACTIONS of every buffer. The action name is
# the name of the count in ``Counts``; an energy entry is pJ per unit of that count: ``op`` per MAC,
# ``*_bytes`` per byte, ``*_words`` per word of the buffer's width_bits, ``update`` per accumulation.
_DENSE_COUNTS = frozenset({("mac", "op"), ("dram", "read_bytes"), ("dram", "write_bytes")})
REQUIRED_ENERGY: dict[str, frozenset[tuple[str, str]]] = {
    "systolic": _DENSE_COUNTS,
    # DCNN/SCNN (docs/scnn.md): weight_fifo.read_entries per weight entry read into the multiplier array;
    # halo.transfer per partial sum sent to a neighbour PE; SCNN adds crossbar.transfer per product scattered
    # to an accumulator bank and index.decode per product whose output coordinate is computed.
    "dcnn": _DENSE_COUNTS | {("accumulator", "update"), ("weight_fifo", "read_entries"), ("halo", "transfer")},
    "scnn": _DENSE_COUNTS | {("accumulator", "update"), ("weight_fifo", "read_entries"), ("halo", "transfer"),
                             ("crossbar", "transfer"), ("index", "decode")},
    # EIE: padding entries go through the multiplier (mac.padding_op); every broadcast is pushed into every
    # PE's activation FIFO (fifo.push).
    "eie": _DENSE_COUNTS | {("mac", "padding_op"), ("fifo", "push")},
}
BUFFER_ACTIONS = ("read_words", "write_words")


def required_energy(engine: str, buffer_names: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    """Every (component, action) an engine counts on hardware with these buffers: the entries the energy
    section must price, no more and no less."""
    return REQUIRED_ENERGY[engine] | {(name, action) for name in buffer_names for action in BUFFER_ACTIONS}


# --- field declarations: what a key accepts, with its unit -------------------------------------------------

class InvalidValue(Exception):
    """A value does not fit its declaration; ``problem`` says how, in a few words."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _number(value: object) -> float | int:
    """``value`` if it is an int or float (a bool is neither); else why not."""
    if isinstance(value, bool):
        raise InvalidValue("wrong type: a boolean is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            raise InvalidValue("wrong type: text is not a number") from None
        raise InvalidValue("wrong type: a quoted number is text")
    raise InvalidValue(f"wrong type: a {type(value).__name__} is not a number")


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]``, in ``unit``."""

    low: int
    high: int
    unit: str

    @property
    def expected(self) -> str:
        return f"an integer from {self.low} to {self.high} ({self.unit})"

    def convert(self, value: object) -> int:
        number = _number(value)
        if not isinstance(number, int):
            raise InvalidValue("wrong type: not an integer")
        if not self.low <= number <= self.high:
            raise InvalidValue("out of range")
        return number


@dataclass(frozen=True)
class Real:
    """A finite number in ``[low, high]``, in ``unit``; kept as float."""

    low: float
    high: float
    unit: str

    @property
    def expected(self) -> str:
        return f"a finite number >= {self.low:g} and <= {self.high:g} ({self.unit})"

    def convert(self, value: object) -> float:
        try:
            number = float(_number(value))
        except OverflowError:   # an integer with hundreds of digits
            raise InvalidValue("out of range") from None
        if not math.isfinite(number):
            raise InvalidValue("not a finite number")
        if not self.low <= number <= self.high:
            raise InvalidValue("out of range")
        return number


@dataclass(frozen=True)
class Text:
    """Non-blank text of at most ``max_chars`` characters."""

    max_chars: int

    @property
    def expected(self) -> str:
        return f"text of 1 to {self.max_chars} characters"

    def convert(self, value: object) -> str:
        if not isinstance(value, str):
            raise InvalidValue(f"wrong type: a {type(value).__name__} is not text")
        if not value.strip() or len(value) > self.max_chars:
            raise InvalidValue("blank or too long")
        return value


@dataclass(frozen=True)
class OneOf:
    """One word out of ``options``."""

    options: tuple[str, ...]

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
class Section:
    """A nested mapping loaded into ``cls``; ``inherit`` names fields of the parent passed on to ``cls``."""

    cls: type
    inherit: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        return "a mapping with keys " + ", ".join(yaml_keys(self.cls))


@dataclass(frozen=True)
class Named:
    """Mappings nested ``len(keys)`` deep whose keys are names (``keys`` names the fields they fill in
    ``cls``), loaded into a tuple of ``cls`` sorted by those names."""

    cls: type
    keys: tuple[str, ...]

    @property
    def expected(self) -> str:
        inner = "{" + ", ".join(yaml_keys(self.cls)) + "}"
        return "a mapping " + " -> ".join(self.keys) + f" -> {inner}"


Spec = Int | Real | Text | OneOf | SetOf | Section | Named


def field_spec(spec: Spec, **kwargs: Any) -> Any:
    """A dataclass field read from the YAML key of the same name, as ``spec`` declares; with a ``default``
    (or ``default_factory``) the key is optional."""
    return field(metadata={"spec": spec}, **kwargs)


def yaml_keys(cls: type) -> list[str]:
    """The YAML keys of a config class (its fields that are read from the file)."""
    return [f.name for f in dataclasses.fields(cls) if "spec" in f.metadata]


_BITS = Int(1, MAX_BITS, "bits")
_SOURCE = Text(500)


# --- the config objects ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DataWidths:
    """Word widths, in bits. ``index_bits`` (zero-run / relative index of a compressed entry: scnn, eie),
    ``pointer_bits`` (column pointer: eie) and ``codebook_bits`` (a weight is stored as an index into
    2**codebook_bits shared weight_bits-wide values: eie) are present for the engines that need them."""

    weight_bits: int = field_spec(_BITS)
    activation_bits: int = field_spec(_BITS)
    psum_bits: int = field_spec(_BITS)
    index_bits: int | None = field_spec(_BITS, default=None)
    pointer_bits: int | None = field_spec(_BITS, default=None)
    codebook_bits: int | None = field_spec(Int(1, 16, "bits"), default=None)

    def bits_of(self, kind: str) -> int | None:
        """Bits of one element of a data kind (``DATA_KINDS``); None for pointers when not set."""
        return {"weights": self.weight_bits, "input_activations": self.activation_bits,
                "output_activations": self.activation_bits, "pointers": self.pointer_bits}[kind]


@dataclass(frozen=True)
class PeArray:
    """The PE array: ``rows`` x ``cols`` PEs (at most ``MAX_PES`` in all, checked by the loader)."""

    rows: int = field_spec(Int(1, MAX_PE_DIM, "PEs"))
    cols: int = field_spec(Int(1, MAX_PE_DIM, "PEs"))


@dataclass(frozen=True)
class Pe:
    """Resources of one PE; each is present exactly for the engines that use it (``ENGINE_KEYS``).

    ``multipliers_f`` x ``multipliers_i``: SCNN's F x I multiplier array (F weights times I activations per
    cycle); ``accumulator_banks`` x ``accumulator_entries``: the accumulator buffer (banks, entries of
    psum_bits each); ``weight_fifo_entries``: entries of the FIFO weights stream through;
    ``activation_fifo_depth``: EIE's queue of broadcast activations, in entries.
    """

    multipliers_f: int | None = field_spec(Int(1, 64, "multipliers"), default=None)
    multipliers_i: int | None = field_spec(Int(1, 64, "multipliers"), default=None)
    accumulator_banks: int | None = field_spec(Int(1, 4096, "banks"), default=None)
    accumulator_entries: int | None = field_spec(Int(1, 2**20, "entries per bank"), default=None)
    weight_fifo_entries: int | None = field_spec(Int(1, 2**20, "entries"), default=None)
    activation_fifo_depth: int | None = field_spec(Int(1, 2**20, "entries"), default=None)

    @property
    def multipliers(self) -> int:
        """Multipliers in one PE: F x I when the PE has a multiplier array, else 1 (one MAC per PE)."""
        if self.multipliers_f is None or self.multipliers_i is None:
            return 1
        return self.multipliers_f * self.multipliers_i


@dataclass(frozen=True)
class Buffer:
    """One on-chip SRAM (one instance per PE at level ``pe``, one in all at level ``global``).

    ``size_bytes`` per instance, split into ``banks`` banks of words ``width_bits`` wide; each bank serves
    ``read_ports`` reads and ``write_ports`` writes per cycle. ``holds``: the data kinds stored in it.
    """

    name: str
    level: str = field_spec(OneOf(LEVELS))
    size_bytes: int = field_spec(Int(1, MAX_SIZE_BYTES, "bytes"))
    banks: int = field_spec(Int(1, 4096, "banks"))
    width_bits: int = field_spec(Int(8, 4096, "bits per word"))
    read_ports: int = field_spec(Int(1, 16, "ports per bank"))
    write_ports: int = field_spec(Int(1, 16, "ports per bank"))
    holds: tuple[str, ...] = field_spec(SetOf(DATA_KINDS))

    @property
    def word_bytes(self) -> int:
        """Bytes in one word (width_bits is a whole number of bytes)."""
        return self.width_bits // 8

    @property
    def words(self) -> int:
        """Words in one instance."""
        return self.size_bytes // self.word_bytes


@dataclass(frozen=True)
class Dram:
    """Off-chip DRAM: one channel, its bandwidth given either in bytes per cycle of the accelerator's clock
    or in GB/s (10**9 bytes per second), and its latency in cycles."""

    clock_hz: float
    latency_cycles: int = field_spec(Int(0, MAX_LATENCY_CYCLES, "cycles"))
    bandwidth_bytes_per_cycle: float | None = field_spec(
        Real(MIN_DRAM_BYTES_PER_CYCLE, MAX_DRAM_BYTES_PER_CYCLE, "bytes per cycle"), default=None)
    bandwidth_gb_per_s: float | None = field_spec(
        Real(MIN_DRAM_GB_PER_S, MAX_DRAM_GB_PER_S, "GB/s"), default=None)

    @property
    def bytes_per_cycle(self) -> float:
        """Bandwidth in bytes per cycle at ``clock_hz`` (converted when given in GB/s)."""
        if self.bandwidth_bytes_per_cycle is not None:
            return self.bandwidth_bytes_per_cycle
        return self.bandwidth_gb_per_s * 1e9 / self.clock_hz  # type: ignore[operator]


@dataclass(frozen=True)
class EnergyEntry:
    """Dynamic energy: ``pj`` picojoules per unit of the count of (``component``, ``action``)."""

    component: str
    action: str
    pj: float = field_spec(Real(0, MAX_PJ, "pJ per action"))
    source: str = field_spec(_SOURCE)


@dataclass(frozen=True)
class StaticPower:
    """Static (leakage) power of all instances of ``component`` together, in mW."""

    component: str
    mw: float = field_spec(Real(0, MAX_MW, "mW"))
    source: str = field_spec(_SOURCE)


@dataclass(frozen=True)
class EnergySection:
    """The energy figures: ``dynamic`` per (component, action), ``static`` per component (optional)."""

    dynamic: tuple[EnergyEntry, ...] = field_spec(Named(EnergyEntry, ("component", "action")))
    static: tuple[StaticPower, ...] = field_spec(Named(StaticPower, ("component",)), default=())


@dataclass(frozen=True)
class HardwareConfig:
    """One accelerator, as loaded by :func:`accelsim.hardware.load_hardware`; immutable.

    ``source`` is the file it came from (for error messages); it is not part of ``config_hash``.
    """

    name: str = field_spec(Text(100))
    engine: str = field_spec(OneOf(ENGINES))
    clock_hz: float = field_spec(Real(MIN_CLOCK_HZ, MAX_CLOCK_HZ, "Hz"))
    data_widths: DataWidths = field_spec(Section(DataWidths))
    pe_array: PeArray = field_spec(Section(PeArray))
    buffers: tuple[Buffer, ...] = field_spec(Named(Buffer, ("name",)))
    dram: Dram = field_spec(Section(Dram, inherit=("clock_hz",)))
    energy: EnergySection = field_spec(Section(EnergySection))
    dataflow: str | None = field_spec(OneOf(DATAFLOWS), default=None)
    pe: Pe = field_spec(Section(Pe), default_factory=Pe)
    source: str = field(default="<string>", compare=False)

    @property
    def pe_count(self) -> int:
        """PEs in the array (rows x cols)."""
        return self.pe_array.rows * self.pe_array.cols

    @property
    def multipliers_per_pe(self) -> int:
        """Multipliers in one PE."""
        return self.pe.multipliers

    @property
    def total_multipliers(self) -> int:
        """Multipliers on the chip."""
        return self.pe_count * self.multipliers_per_pe

    @property
    def sram_bytes(self) -> int:
        """On-chip buffer capacity, in bytes: every instance of every buffer."""
        return sum(b.size_bytes * (self.pe_count if b.level == "pe" else 1) for b in self.buffers)

    def buffer(self, name: str) -> Buffer:
        """The buffer called ``name``; a ConfigError naming the file and the known buffers if none is."""
        for buffer in self.buffers:
            if buffer.name == name:
                return buffer
        names = [b.name for b in self.buffers]
        raise ConfigError("no such buffer" + did_you_mean(name, names), file=self.source,
                          key=f"buffers.{name}", expected="one of " + ", ".join(names))

    def buffers_at(self, level: str) -> tuple[Buffer, ...]:
        """The buffers at ``level`` (one of ``LEVELS``), sorted by name."""
        _known(level, LEVELS)
        return tuple(b for b in self.buffers if b.level == level)

    def buffers_holding(self, kind: str) -> tuple[Buffer, ...]:
        """The buffers that hold data of ``kind`` (one of ``DATA_KINDS``), sorted by name; a ConfigError
        naming the file if none does (a compiler cannot place that data)."""
        _known(kind, DATA_KINDS)
        holding = tuple(b for b in self.buffers if kind in b.holds)
        if not holding:
            raise ConfigError("no buffer holds this data", file=self.source, key="buffers",
                              expected=f"a buffer whose holds lists {kind}")
        return holding

    def canonical_json(self) -> str:
        """Everything loaded (not ``source``) as JSON with sorted keys and no spaces: equal configs, however
        spelled in YAML (key order, 1.0e9 or 1000000000.0, anchors), give the same text."""
        data = dataclasses.asdict(self)
        del data["source"]
        return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)

    @cached_property
    def config_hash(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_json`, for run metadata."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def _known(word: str, options: tuple[str, ...]) -> None:
    if word not in options:
        raise ValueError(f"{word!r} is not one of {', '.join(options)}")
