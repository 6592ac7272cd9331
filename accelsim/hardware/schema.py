"""The hardware description: its YAML schema and the frozen config objects it loads into (layer 1).

One YAML file describes one accelerator::

    name: scnn_like                  # text
    engine: scnn                     # an accelerator of the registry (accelsim engines): its model runs it
    clock_hz: 1.0e9                  # Hz
    dataflow: ws                     # an accelerator's own top-level key (here: systolic's)
    data_widths: {weight_bits: 16, activation_bits: 16, psum_bits: 24,
                  index_bits: 4}     # bits; beyond the first three, the accelerator's own widths
    pe_array: {rows: 8, cols: 8}     # PEs
    pe: {multipliers_f: 4, ...}      # per-PE resources: the accelerator's own keys
    buffers:                         # named on-chip SRAMs
      iaram: {level: pe, size_bytes: 10240, banks: 1, width_bits: 64,
              read_ports: 1, write_ports: 1, holds: [input_activations]}
    dram: {bandwidth_bytes_per_cycle: 16, latency_cycles: 100}   # or bandwidth_gb_per_s (exactly one);
                                     # type: lpddr4 (default), lpddr, ddr3, gddr5 or hbm2
    technology_nm: 45                # optional: the cost models price every component at this node
    energy:                          # required without technology_nm; with it, given entries override
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

What depends on the accelerator is declared by it (:mod:`accelsim.accelerators`): its own keys (the
``pe`` section, extra ``data_widths`` and top-level keys are generated from the union of every accelerator's
parameters; a machine must give exactly its own accelerator's keys, so a setting that would be silently
ignored is an error), the data kinds some buffer must hold and the (component, action) pairs it counts,
which the energy section must price exactly, together with ``read_words``/``write_words`` of every buffer.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from accelsim.accelerators import ACCELERATORS, accelerator, parameter_specs
from accelsim.cost.logic import DRAM_TYPES
from accelsim.cost.technology import NODES_NM
from accelsim.errors import ConfigError, did_you_mean
from accelsim.schema import Int, Named, OneOf, Real, Section, SetOf, Text, field_spec
from accelsim.units import bits_to_whole_bytes, gbps_to_bytes_per_cycle

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
DEFAULT_REQUEST_BYTES = 64           # a DDR burst: 16 beats of a x32 LPDDR4 channel (JESD209-4 BL16)
MAX_REQUEST_BYTES = 2**20
MAX_OUTSTANDING_REQUESTS = 2**20
MAX_PJ = 1e5                         # one action
MAX_MW = 1e5                         # 100 W, one component
#: Names no buffer may take: its report column ``energy_<name>_pj`` would be one of the totals
#: ``energy_dynamic_pj``, ``energy_static_pj`` (an engine's own components are refused per engine).
RESERVED_BUFFER_NAMES = ("dynamic", "static")

_BITS = Int(1, MAX_BITS, "bits")
_SOURCE = Text(500)


# --- the config objects ------------------------------------------------------------------------------------

def _optional_fields(section: str) -> list[tuple[str, Any, Any]]:
    """The accelerators' parameters in ``section`` (``""``: top level) as optional dataclass fields, in
    registry order; each is present exactly on machines of the accelerators that declare it."""
    fields = {}
    for path, spec in parameter_specs().items():
        owner, _, name = path.rpartition(".")
        if owner == section:
            fields[name] = (name, Any, field_spec(spec, default=None))
    return list(fields.values())


def _generated(name: str, base: type, fields: list[tuple[str, Any, Any]]) -> type:
    """A frozen dataclass ``name`` of ``base``'s fields plus ``fields``, importable from this module."""
    cls = dataclasses.make_dataclass(name, fields, bases=(base,), frozen=True)
    cls.__module__, cls.__qualname__, cls.__doc__ = __name__, name, base.__doc__
    return cls


@dataclass(frozen=True)
class _DataWidths:
    """Word widths, in bits: ``weight_bits``, ``activation_bits``, ``psum_bits`` on every machine; the
    accelerators' own widths (``index_bits``, ``pointer_bits``, ``codebook_bits`` ...: see
    ``accelsim hwconfig --reference``) on the machines that use them."""

    weight_bits: int = field_spec(_BITS, help="one weight")
    activation_bits: int = field_spec(_BITS, help="one input or output activation")
    psum_bits: int = field_spec(_BITS, help="one partial sum")

    def bits_of(self, kind: str) -> int | None:
        """Bits of one element of a data kind (``DATA_KINDS``); None for pointers when not set."""
        return {"weights": self.weight_bits, "input_activations": self.activation_bits,
                "output_activations": self.activation_bits,
                "pointers": getattr(self, "pointer_bits", None)}[kind]


DataWidths = _generated("DataWidths", _DataWidths, _optional_fields("data_widths"))


@dataclass(frozen=True)
class PeArray:
    """The PE array: ``rows`` x ``cols`` PEs (at most ``MAX_PES`` in all, checked by the loader)."""

    rows: int = field_spec(Int(1, MAX_PE_DIM, "PEs"), help="PE rows")
    cols: int = field_spec(Int(1, MAX_PE_DIM, "PEs"), help="PE columns")


@dataclass(frozen=True)
class _Pe:
    """Resources of one PE: the accelerator's own keys (``accelsim hwconfig --reference ENGINE``)."""


Pe = _generated("Pe", _Pe, _optional_fields("pe"))


@dataclass(frozen=True)
class Buffer:
    """One on-chip SRAM (one instance per PE at level ``pe``, one in all at level ``global``).

    ``size_bytes`` per instance, split into ``banks`` banks of words ``width_bits`` wide; each bank serves
    ``read_ports`` reads and ``write_ports`` writes per cycle. ``holds``: the data kinds stored in it.
    Bandwidth: an instance serves ``banks x read_ports`` word reads and ``banks x write_ports`` word writes a
    cycle; a step whose PEs ask more of it lasts longer (:func:`accelsim.sim.sram.sram_step_cycles`, reported
    as ``stall_sram_cycles_per_pe``). The width also sets how many words the data takes (the counts, hence
    the energy, are in words).
    """

    name: str
    level: str = field_spec(OneOf(LEVELS), help="pe: one instance per PE; global: one shared by all PEs")
    size_bytes: int = field_spec(Int(1, MAX_SIZE_BYTES, "bytes"), help="capacity of one instance")
    banks: int = field_spec(Int(1, 4096, "banks"), help="banks of one instance, each serving its ports every cycle: "
                            "the instance reads banks x read_ports and writes banks x write_ports words a cycle; "
                            "a step that asks more of it stalls (stall_sram_cycles_per_pe; engines that report "
                            "their per-step demand: systolic, nm_systolic; eie's pointer and activation SRAMs "
                            "pace column starts and reloads)")
    width_bits: int = field_spec(Int(8, 4096, "bits per word"), help="one word, the unit of one access: sets how "
                                 "many accesses (read_words/write_words, priced per word) the data takes")
    read_ports: int = field_spec(Int(1, 16, "ports per bank"), help="word reads per cycle per bank (bandwidth, "
                                 "with banks)")
    write_ports: int = field_spec(Int(1, 16, "ports per bank"), help="word writes per cycle per bank (bandwidth, "
                                  "with banks)")
    holds: tuple[str, ...] = field_spec(SetOf(DATA_KINDS), help="the data kinds stored in it")

    @property
    def word_bytes(self) -> int:
        """Bytes in one word (width_bits is a whole number of bytes)."""
        return bits_to_whole_bytes(self.width_bits)

    @property
    def words(self) -> int:
        """Words in one instance."""
        return self.size_bytes // self.word_bytes


@dataclass(frozen=True)
class Dram:
    """Off-chip DRAM: one channel, its bandwidth given either in bytes per cycle of the accelerator's clock
    or in GB/s (10**9 bytes per second), its latency in cycles, and the requests of ``request_bytes`` it
    keeps in flight (:class:`accelsim.sim.dram.DramChannel`: reads and writes share them)."""

    clock_hz: float
    latency_cycles: int = field_spec(Int(0, MAX_LATENCY_CYCLES, "cycles"), help="from request to first byte")
    bandwidth_bytes_per_cycle: float | None = field_spec(
        Real(MIN_DRAM_BYTES_PER_CYCLE, MAX_DRAM_BYTES_PER_CYCLE, "bytes per cycle"), default=None,
        help="bandwidth at the accelerator clock (exactly one of the two bandwidth keys)")
    bandwidth_gb_per_s: float | None = field_spec(
        Real(MIN_DRAM_GB_PER_S, MAX_DRAM_GB_PER_S, "GB/s"), default=None,
        help="bandwidth in 10**9 bytes per second (exactly one of the two bandwidth keys)")
    request_bytes: int = field_spec(
        Int(1, MAX_REQUEST_BYTES, "bytes"), default=DEFAULT_REQUEST_BYTES,
        help="bytes one request moves (a burst); a transfer is split into requests of this size")
    type: str = field_spec(OneOf(DRAM_TYPES), default="lpddr4",
                           help="the DRAM's kind: its energy per byte when the models price it (docs/cost_models.md)")
    outstanding_requests: int | None = field_spec(
        Int(1, MAX_OUTSTANDING_REQUESTS, "requests"), default=None,
        help="requests in flight at once, reads and writes together; each holds its slot for latency + "
             "request_bytes / bandwidth cycles, so fewer than latency x bandwidth / request_bytes + 1 of them "
             "cap the throughput at outstanding_requests x request_bytes per round trip (default: that many, "
             "rounded up: the latency is fully covered)")

    @property
    def requests_in_flight(self) -> int:
        """``outstanding_requests``, or when not given the fewest that cover the latency at full bandwidth."""
        if self.outstanding_requests is not None:
            return self.outstanding_requests
        return math.ceil(self.latency_cycles * self.bytes_per_cycle / self.request_bytes - 1e-9) + 1

    @property
    def bytes_per_cycle(self) -> float:
        """Bandwidth in bytes per cycle at ``clock_hz`` (converted when given in GB/s)."""
        if self.bandwidth_bytes_per_cycle is not None:
            return self.bandwidth_bytes_per_cycle
        return gbps_to_bytes_per_cycle(self.bandwidth_gb_per_s, self.clock_hz)  # type: ignore[arg-type]


@dataclass(frozen=True)
class EnergyEntry:
    """Dynamic energy: ``pj`` picojoules per unit of the count of (``component``, ``action``)."""

    component: str
    action: str
    pj: float = field_spec(Real(0, MAX_PJ, "pJ per action"), help="energy of one unit of the count")
    source: str = field_spec(_SOURCE, help="where the figure comes from")


@dataclass(frozen=True)
class StaticPower:
    """Static (leakage) power of all instances of ``component`` together, in mW."""

    component: str
    mw: float = field_spec(Real(0, MAX_MW, "mW"), help="leakage of all instances together")
    source: str = field_spec(_SOURCE, help="where the figure comes from")


@dataclass(frozen=True)
class EnergySection:
    """The energy figures: ``dynamic`` per (component, action), ``static`` per component (optional)."""

    dynamic: tuple[EnergyEntry, ...] = field_spec(Named(EnergyEntry, ("component", "action")), default=(),
                                                  help="pJ per unit of each count the accelerator reports (all "
                                                       "of them without technology_nm; with it, those given "
                                                       "override the models)")
    static: tuple[StaticPower, ...] = field_spec(Named(StaticPower, ("component",)), default=(),
                                                help="leakage per component (optional; with technology_nm, "
                                                     "those given override the models)")


@dataclass(frozen=True)
class _HardwareConfig:
    """One accelerator, as loaded by :func:`accelsim.hardware.load_hardware`; immutable.

    ``source`` is the file it came from (for error messages); it is not part of ``config_hash``.
    """

    name: str = field_spec(Text(100), help="the machine's name in reports")
    engine: str = field_spec(OneOf(tuple(ACCELERATORS)), help="the accelerator model that runs it")
    clock_hz: float = field_spec(Real(MIN_CLOCK_HZ, MAX_CLOCK_HZ, "Hz"), help="the accelerator's clock")
    data_widths: DataWidths = field_spec(Section(DataWidths), help="word widths")
    pe_array: PeArray = field_spec(Section(PeArray), help="the PE array")
    buffers: tuple[Buffer, ...] = field_spec(Named(Buffer, ("name",)), help="the on-chip SRAMs, by name")
    dram: Dram = field_spec(Section(Dram, inherit=("clock_hz",)), help="the off-chip DRAM channel")
    technology_nm: int | None = field_spec(
        Int(1, 1000, "nm"), default=None,
        help="technology node: every component's energy per action, leakage and area from the cost models "
             "(docs/cost_models.md; one of " + ", ".join(map(str, NODES_NM)) + ")")
    energy: EnergySection = field_spec(Section(EnergySection), default_factory=EnergySection,
                                       help="energy per action and static power: required without "
                                            "technology_nm; with it, its entries override the models")

    @property
    def pe_count(self) -> int:
        """PEs in the array (rows x cols)."""
        return self.pe_array.rows * self.pe_array.cols

    @property
    def multipliers_per_pe(self) -> int:
        """Multipliers in one PE: F x I where the PE has a multiplier array, its SIMD width where it has one,
        else 1 (one MAC per PE)."""
        f, i = getattr(self.pe, "multipliers_f", None), getattr(self.pe, "multipliers_i", None)
        if f is not None and i is not None:
            return f * i
        return getattr(self.pe, "simd_width", None) or 1

    @property
    def accelerator(self):
        """The :class:`~accelsim.accelerators.spec.AcceleratorSpec` of its ``engine``."""
        return accelerator(self.engine)

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


HardwareConfig = _generated("HardwareConfig", _HardwareConfig, _optional_fields("") + [
    ("pe", Pe, field_spec(Section(Pe), help="per-PE resources", default_factory=Pe)),
    ("source", str, field(default="<string>", compare=False)),
])


def _known(word: str, options: tuple[str, ...]) -> None:
    if word not in options:
        raise ValueError(f"{word!r} is not one of {', '.join(options)}")
