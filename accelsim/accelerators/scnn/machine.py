"""SCNN's PE organisation, shared with its dense baseline DCNN (layer 5): the machine read from a hardware
config, where a planar tile runs, and the accumulator-bank function (``docs/scnn.md``)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from accelsim.energy.table import EnergyTable
from accelsim.errors import ConfigError
from accelsim.hardware.schema import Buffer, Dram, HardwareConfig


@dataclass(frozen=True)
class Machine:
    """SCNN's PE organisation (shared with its dense baseline DCNN), read from a hardware config."""

    rows: int
    cols: int
    f: int                      # weights per multiplier-array step (F)
    i: int                      # activations per multiplier-array step (I)
    banks: int                  # accumulator banks (A)
    entries: int                # entries per bank (one buffer of the double-buffered pair)
    fifo_entries: int           # weight FIFO depth
    halo_link_bits: int         # width of a link to a neighbour PE (output halos)
    iaram: Buffer
    oaram: Buffer
    weight_bits: int
    activation_bits: int
    psum_bits: int
    index_bits: int             # 0 for a dense machine
    dram: Dram                  # the DRAM channel (the kernel simulates candidate mappings on it)
    bank_queue: int = 0         # products each accumulator bank can queue (0: a step waits for its busiest bank)
    activations_on_chip: bool = False   # a layer's outputs may stay in the OARAMs as the next layer's inputs
    fixed_kc: int | None = None         # output channels of every convolution's groups (None: the mapper's choice)
    energy: object = field(default=None, compare=False, repr=False)   # EnergyTable: the mapper's energy tie-break
    built_f: int = 0            # weight lanes built when fewer (f) are in use (0: f, all of them)

    def grid(self, rows: int, cols: int) -> "Machine":
        """This machine cut to a ``rows`` x ``cols`` sub-array of its PEs (the mapper's candidates)."""
        return replace(self, rows=rows, cols=cols)

    def with_weight_lanes(self, f: int) -> "Machine":
        """This machine feeding ``f`` of its weight lanes (the mapper's candidates on SCNN): weight vectors of
        ``f`` entries, the bank function's stride ``f`` (:func:`bank_of`); the other lanes idle, counted as
        unfed multiplier slots."""
        return self if f == self.f else replace(self, f=f, built_f=self.built_f or self.f)

    @property
    def n_pes(self) -> int:
        return self.rows * self.cols

    @property
    def lanes(self) -> int:
        """Multipliers per PE (F x I, every lane built)."""
        return (self.built_f or self.f) * self.i

    @property
    def accumulator_capacity(self) -> int:
        """Partial sums one accumulator buffer holds (banks x entries)."""
        return self.banks * self.entries

    @property
    def weight_entry_bits(self) -> int:
        return self.weight_bits + self.index_bits

    @property
    def activation_entry_bits(self) -> int:
        return self.activation_bits + self.index_bits

    def pe_of_tile(self, tx: np.ndarray, ty: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
        """(physical PE, pass) of planar tiles (tx, ty) when each axis has ``factor`` x PEs tiles."""
        pe = (ty % self.rows) * self.cols + (tx % self.cols)
        return pe, (ty // self.rows) * factor + (tx // self.cols)


def machine(hw: HardwareConfig, sparse: bool) -> Machine:
    """The SCNN/DCNN organisation of ``hw``; ``sparse`` machines store a zero-run index per entry."""
    pe = hw.pe
    needed = {"pe.multipliers_f": pe.multipliers_f, "pe.multipliers_i": pe.multipliers_i,
              "pe.accumulator_banks": pe.accumulator_banks, "pe.accumulator_entries": pe.accumulator_entries,
              "pe.weight_fifo_entries": pe.weight_fifo_entries, "pe.halo_link_bits": pe.halo_link_bits}
    if sparse:
        needed["data_widths.index_bits"] = hw.data_widths.index_bits
    for key, value in needed.items():
        if value is None:
            raise ConfigError("missing key", file=hw.source, key=key, expected=f"set for engine {hw.engine}")
    return Machine(rows=hw.pe_array.rows, cols=hw.pe_array.cols, f=pe.multipliers_f, i=pe.multipliers_i,
                   banks=pe.accumulator_banks, entries=pe.accumulator_entries,
                   fifo_entries=pe.weight_fifo_entries, halo_link_bits=pe.halo_link_bits, iaram=_buffer(hw, "input_activations"),
                   oaram=_buffer(hw, "output_activations"), weight_bits=hw.data_widths.weight_bits,
                   activation_bits=hw.data_widths.activation_bits, psum_bits=hw.data_widths.psum_bits,
                   index_bits=hw.data_widths.index_bits if sparse else 0,
                   dram=hw.dram, bank_queue=(pe.bank_queue_entries or 0) if sparse else 0,
                   activations_on_chip=bool(hw.activations_on_chip), fixed_kc=hw.output_group_channels or None,
                   energy=EnergyTable.from_config(hw))


@dataclass(frozen=True)
class Chain:
    """Which layers of one inference hand their activations over on chip (``activations_on_chip``): a
    convolution followed by a convolution leaves its outputs in the OARAMs (``keeps``), and the next one
    finds them there (``finds``). Every other boundary (the model's input and output, fully connected and
    sequence layers) crosses DRAM."""

    keeps: frozenset[str]
    finds: frozenset[str]

    @classmethod
    def of(cls, layers, planar) -> "Chain":
        """The chain of ``layers`` (one inference, network order); ``planar(layer)``: it runs on the planar
        tiling (a convolution that is not fully connected)."""
        pairs = [(a.name, b.name) for a, b in zip(layers, layers[1:]) if planar(a) and planar(b)]
        return cls(frozenset(a for a, _ in pairs), frozenset(b for _, b in pairs))


def _buffer(hw: HardwareConfig, kind: str) -> Buffer:
    holding = hw.buffers_holding(kind)
    if holding[0].level != "pe":
        raise ConfigError("SCNN's activation RAMs are per PE", file=hw.source, key=f"buffers.{holding[0].name}.level",
                          expected="pe", got=holding[0].level)
    return holding[0]


def bank_of(k: np.ndarray, x: np.ndarray, y: np.ndarray, f: int, row: int, banks: int) -> np.ndarray:
    """Accumulator bank of output (channel k, column x, row y): ``(k + f * (x + row * y)) mod banks``.

    The paper gives A = 2FI banks but not the function. Ours interleaves the outputs over the banks in the
    order a dense step produces them: ``x + row * y`` is the output's raster position in a plane ``row``
    outputs wide (the planar tile's width in one stride phase), so a dense step, F consecutive output
    channels x I consecutive activations of a tile's raster order (a row, or wrapping onto the next one),
    covers F x I consecutive values of ``k + f * (x + row * y)``: distinct banks whenever ``banks >= F x I``,
    and ``ceil(F x I / banks)`` products on the busiest bank otherwise, the fewest possible. A common shift of
    k, x or y adds one constant to every bank of a step, so global and tile-local coordinates give the same
    conflicts, and the bank depends on k mod ``banks`` and on x and y mod ``banks / gcd(f, banks)`` only
    (``docs/scnn.md``, "Bank function").
    """
    k, x, y = np.asarray(k, np.int64), np.asarray(x, np.int64), np.asarray(y, np.int64)
    return (k + f * (x + row * y)) % banks


def bank_period(f: int, banks: int) -> int:
    """Period of :func:`bank_of` in x and y: ``banks / gcd(f, banks)``."""
    return banks // math.gcd(f, banks)
