"""Logic and small storage at a technology node (layer 1): energy per action in pJ, leakage in mW and area
in mm² of one instance, from the published points of ``tables/logic_points.csv``.

* Energy: the 45 nm points (Horowitz ISSCC 2014 for adders, multipliers and register files; Accelergy for
  MACs), interpolated linearly in log-log between the two published widths of a primitive and extrapolated
  with the same slope (width in bits for an adder; product of the operand widths for a multiplier or MAC,
  the number of partial-product cells), then scaled to the node by Stillmaker & Baas.
* Area and leakage: Aladdin's 40 nm figures (Shao et al., ISCA 2014), linear in the bits for an adder or a
  register, in the product of the operand widths for a multiplier (Aladdin's own scaling), scaled to the
  node by Stillmaker & Baas. Aladdin gives no register leakage: registers (a MAC's accumulator, a link's
  latch) leak at the adder's leakage per area, an assumption.
* A register file (FIFO, accumulator, scratch pad) costs Horowitz's 1 pJ per 32-bit access, per bit, at any
  depth (no published depth dependence in these sources); its storage (area, leakage) is the smaller of its
  bits as Aladdin registers and a CACTI array of them with one read and one write port
  (:mod:`accelsim.cost.sram`): flip-flops for a few entries, an array for many.
* A crossbar of n inputs to m outputs of b bits is m x b n-to-1 multiplexer trees of (n - 1) 2-to-1
  multiplexers; a transfer toggles the ceil(log2 n) levels of one path. ASSUMPTION (no mux figure in these
  sources): a 2-to-1 multiplexer bit costs a full-adder bit (Horowitz's 8-bit add / 8 in energy, Aladdin's
  adder area per bit), an upper estimate.
* A link between PEs moves a datum at 2x a MAC's energy per operand-width of bits (Eyeriss, Chen et al.,
  ISCA 2016: inter-PE NoC = 2x a MAC per datum), through one register of its width.
"""
from __future__ import annotations

import math
from functools import cache

from accelsim.cost.sram import sram_bank
from accelsim.cost.tables import rows
from accelsim.cost.technology import area_factor, energy_factor
from accelsim.units import BITS_PER_BYTE, bits_to_bytes

UM2_PER_MM2 = 1e6
UW_PER_MW = 1e3
#: The DRAM types a machine's ``dram.type`` may name (Accelergy's pJ per bit, accelerators.md).
DRAM_TYPES = ("lpddr4", "lpddr", "ddr3", "gddr5", "hbm2")


@cache
def point(primitive: str, quantity: str, bits: int = 0) -> tuple[float, int, str]:
    """(value, node_nm, source) of the published point of ``primitive``'s ``quantity`` at ``bits``."""
    for r in rows("logic_points"):
        if r["primitive"] == primitive and r["quantity"] == quantity and int(r["bits"]) == bits:
            return float(r["value"]), int(r["node_nm"]), r["source"]
    raise KeyError(f"no published {quantity} of {primitive} at {bits} bits")


def _published_energy(primitive: str, x: float, x_of_bits, node_nm: int) -> float:
    """Energy of ``primitive`` at size ``x`` (bits, or operand-bit product): log-log through its two
    published 45 nm points, scaled to ``node_nm``."""
    bits = sorted({int(r["bits"]) for r in rows("logic_points")
                   if r["primitive"] == primitive and r["quantity"] == "energy"})
    (e0, n0, _), (e1, _, _) = point(primitive, "energy", bits[0]), point(primitive, "energy", bits[-1])
    x0, x1 = x_of_bits(bits[0]), x_of_bits(bits[-1])
    slope = math.log(e1 / e0) / math.log(x1 / x0)
    return e0 * (x / x0) ** slope * energy_factor(node_nm, n0)


def _aladdin(primitive: str, quantity: str, scale: float, node_nm: int) -> float:
    """Aladdin's 40 nm area (um²) or leakage (uW) of ``primitive`` times ``scale``, at ``node_nm``."""
    bits = 1 if primitive == "register" else 32
    value, node, _ = point(primitive, quantity, bits)
    factor = area_factor(node_nm, node) if quantity == "area" else energy_factor(node_nm, node)
    return value * scale * factor


def _register_leak_uw_per_um2(node_nm: int) -> float:
    """Leakage per area of registers: the Aladdin adder's (an assumption, see the module docstring)."""
    return _aladdin("adder", "leakage", 1, node_nm) / _aladdin("adder", "area", 1, node_nm)


def adder(bits: int, node_nm: int) -> tuple[float, float, float]:
    """(pJ per add, leakage mW, area mm²) of one ``bits``-bit adder."""
    return (_published_energy("adder", bits, lambda b: b, node_nm),
            _aladdin("adder", "leakage", bits / 32, node_nm) / UW_PER_MW,
            _aladdin("adder", "area", bits / 32, node_nm) / UM2_PER_MM2)


def multiplier_area_leak(a_bits: int, b_bits: int, node_nm: int) -> tuple[float, float]:
    """(leakage mW, area mm²) of one ``a_bits`` x ``b_bits`` multiplier."""
    cells = a_bits * b_bits / (32 * 32)
    return (_aladdin("multiplier", "leakage", cells, node_nm) / UW_PER_MW,
            _aladdin("multiplier", "area", cells, node_nm) / UM2_PER_MM2)


def multiplier(a_bits: int, b_bits: int, node_nm: int) -> tuple[float, float, float]:
    """(pJ per multiply, leakage mW, area mm²) of one ``a_bits`` x ``b_bits`` multiplier."""
    return (_published_energy("multiplier", a_bits * b_bits, lambda b: b * b, node_nm),
            *multiplier_area_leak(a_bits, b_bits, node_nm))


def registers(bits: int, node_nm: int) -> tuple[float, float]:
    """(leakage mW, area mm²) of ``bits`` register bits."""
    area_um2 = _aladdin("register", "area", bits, node_nm)
    return area_um2 * _register_leak_uw_per_um2(node_nm) / UW_PER_MW, area_um2 / UM2_PER_MM2


def mac(a_bits: int, b_bits: int, acc_bits: int, node_nm: int) -> tuple[float, float, float, float]:
    """(pJ per MAC, pJ per clock-gated MAC, leakage mW, area mm²) of one MAC unit: an ``a_bits`` x ``b_bits``
    multiplier, an ``acc_bits`` adder and its ``acc_bits`` accumulator register (area and leakage)."""
    op = _published_energy("mac", a_bits * b_bits, lambda b: b * b, node_nm)
    gated_ratio = point("mac", "gated", 16)[0] / point("mac", "energy", 16)[0]
    mult_leak, mult_area = multiplier_area_leak(a_bits, b_bits, node_nm)
    _, add_leak, add_area = adder(acc_bits, node_nm)
    reg_leak, reg_area = registers(acc_bits, node_nm)
    return op, op * gated_ratio, mult_leak + add_leak + reg_leak, mult_area + add_area + reg_area


def register_file(entries: int, width_bits: int, node_nm: int) -> tuple[float, float, float]:
    """(pJ per access of one ``width_bits`` entry, leakage mW, area mm²) of a register file: Horowitz's
    energy per bit accessed; its storage is the smaller of its bits as registers and a one-read, one-write
    CACTI array of its bits."""
    per_32, node, _ = point("register_file", "energy", 32)
    array = sram_bank(bits_to_bytes(entries * width_bits), width_bits, 1, 1, node_nm)
    leak, area = min(registers(entries * width_bits, node_nm), (array["leakage_mw"], array["area_mm2"]),
                     key=lambda leak_area: leak_area[1])
    return per_32 * width_bits / 32 * energy_factor(node_nm, node), leak, area


#: The adder whose cost per bit prices a 2:1 multiplexer bit (no sourced multiplexer figure: an upper estimate).
MUX_ADDER_BITS = 8


def crossbar(inputs: int, outputs: int, bits: int, node_nm: int) -> tuple[float, float, float]:
    """(pJ per transfer of one ``bits`` datum, leakage mW, area mm²) of an ``inputs`` x ``outputs`` crossbar:
    a tree of 2:1 multiplexers per output bit, each priced as one bit of an adder."""
    add_pj, add_leak, add_area = (x / MUX_ADDER_BITS for x in adder(MUX_ADDER_BITS, node_nm))
    levels = math.ceil(math.log2(inputs)) if inputs > 1 else 0
    muxes = outputs * bits * (inputs - 1)
    return bits * levels * add_pj, muxes * add_leak, muxes * add_area


def link(datum_bits: int, mac_pj: float, operand_bits: int, node_nm: int) -> tuple[float, float, float]:
    """(pJ per ``datum_bits`` moved, leakage mW, area mm²) of a link between PEs at 2x the MAC energy
    ``mac_pj`` per ``operand_bits`` bits, through a ``datum_bits`` register."""
    ratio = point("link", "energy_per_mac", 0)[0]
    return (ratio * mac_pj * datum_bits / operand_bits, *registers(datum_bits, node_nm))


def dram_pj_per_byte(kind: str) -> tuple[float, str]:
    """(pJ per byte moved, source) of a DRAM of ``kind`` (one of DRAM_TYPES); DRAM is off the die: no
    leakage or area on it."""
    pj_per_bit, _, source = point(f"dram_{kind}", "energy", 1)
    return pj_per_bit * BITS_PER_BYTE, source
