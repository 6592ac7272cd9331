"""The priced parts of a machine (layer 1): each energy component of a hardware config with its pJ per
counted action, and the leakage and area of all its instances at the config's ``technology_nm``.

Buffers and DRAM are priced here for every machine; what else a machine holds (MACs, register files,
crossbars, links) its accelerator declares (``AcceleratorSpec.hardware``: a function of the config and the
node returning its :class:`Part` s, built with the helpers below).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accelsim.cost import logic
from accelsim.cost.sram import SOURCE as SRAM_SOURCE
from accelsim.cost.sram import sram_bank

if TYPE_CHECKING:   # annotation only
    from accelsim.hardware.schema import Buffer, HardwareConfig


@dataclass(frozen=True)
class Part:
    """One energy component: ``pj`` per unit of each counted action, ``leakage_mw`` and ``area_mm2`` of all
    its instances together, and ``source``: how it is priced."""

    component: str
    pj: Mapping[str, float]
    leakage_mw: float
    area_mm2: float
    source: str


def node_of(hw: HardwareConfig) -> int:
    """The config's technology node, nm (a ValueError if it has none: the caller checks)."""
    if hw.technology_nm is None:
        raise ValueError(f"{hw.source} has no technology_nm")
    return hw.technology_nm


def machine_parts(hw: HardwareConfig) -> tuple[Part, ...]:
    """Every part of ``hw``: its accelerator's, then its buffers and its DRAM."""
    node = node_of(hw)
    return (*hw.accelerator.hardware(hw, node), *(buffer_part(b, hw, node) for b in hw.buffers), dram_part(hw))


def banked(size_bytes: int, banks: int, width_bits: int, read_ports: int, write_ports: int,
           node: int) -> tuple[dict[str, float], float, float]:
    """(one bank's figures, leakage mW, area mm²) of one instance of ``banks`` banks of size/banks. An access
    costs one bank's; leakage and area are the largest of b banks of size/b over b = 1, 2, 4 ... banks:
    CACTI's optimiser sometimes organises fewer, larger banks smaller than the split it was asked for, and a
    design that needs ``banks`` independent banks holds at least the cells and periphery of every coarser
    split (so more banks never make a memory smaller)."""
    bank = sram_bank(size_bytes / banks, width_bits, read_ports, write_ports, node)
    splits = sorted({banks} | {2**k for k in range(banks.bit_length()) if 2**k < banks})
    leak, area = max(((b * s["leakage_mw"], b * s["area_mm2"]) for b in splits
                      for s in [sram_bank(size_bytes / b, width_bits, read_ports, write_ports, node)]),
                     key=lambda leak_area: leak_area[1])
    return bank, leak, area


def buffer_part(buffer: Buffer, hw: HardwareConfig, node: int) -> Part:
    """A buffer: ``banks`` CACTI banks of size/banks per instance (one per PE at level pe), see :func:`banked`."""
    bank, leak, area = banked(buffer.size_bytes, buffer.banks, buffer.width_bits, buffer.read_ports,
                              buffer.write_ports, node)
    instances = hw.pe_count if buffer.level == "pe" else 1
    return Part(buffer.name, {"read_words": bank["read_pj"], "write_words": bank["write_pj"]},
                leak * instances, area * instances,
                f"{SRAM_SOURCE}: {buffer.banks} bank(s) of {buffer.size_bytes / buffer.banks:g} B, "
                f"{buffer.width_bits}-bit words, {buffer.read_ports}R{buffer.write_ports}W, x{instances} instance(s) "
                f"at {node} nm")


def dram_part(hw: HardwareConfig) -> Part:
    """DRAM: pJ per byte of its type; off the die, so no leakage or area."""
    pj, source = logic.dram_pj_per_byte(hw.dram.type)
    return Part("dram", {"read_bytes": pj, "write_bytes": pj}, 0.0, 0.0, f"{source} x 8 bit per byte")


# --- helpers for the accelerators' declarations --------------------------------------------------------------

def mac_part(hw: HardwareConfig, node: int, instances: int, actions: Mapping[str, str]) -> Part:
    """``instances`` MAC units of the machine's weight x activation widths into ``psum_bits``; ``actions``
    maps each counted action to ``"op"`` or ``"gated"``."""
    w = hw.data_widths
    op, gated, leak, area = logic.mac(w.weight_bits, w.activation_bits, w.psum_bits, node)
    pj = {action: {"op": op, "gated": gated}[kind] for action, kind in actions.items()}
    return Part("mac", pj, leak * instances, area * instances,
                f"{w.weight_bits}x{w.activation_bits}-bit MAC (Accelergy 45 nm points, log-log in operand bits; "
                f"Aladdin area/leakage) x{instances} at {node} nm")


def mac_pj(hw: HardwareConfig, node: int) -> float:
    """pJ of one of the machine's MACs at ``node`` (what links are priced against)."""
    w = hw.data_widths
    return logic.mac(w.weight_bits, w.activation_bits, w.psum_bits, node)[0]


def register_file_part(component: str, entries: int, width_bits: int, instances: int, node: int,
                       accesses: Mapping[str, float], what: str) -> Part:
    """``instances`` register files of ``entries`` x ``width_bits``; ``accesses``: entry accesses per count of
    each action (an update reads and writes: 2)."""
    pj, leak, area = logic.register_file(entries, width_bits, node)
    return Part(component, {action: n * pj for action, n in accesses.items()}, leak * instances, area * instances,
                f"{what}: register file {entries} x {width_bits} bit (Horowitz 1 pJ / 32 bit; Aladdin register "
                f"area) x{instances} at {node} nm")


def link_part(component: str, hw: HardwareConfig, node: int, datum_bits: Mapping[str, int], link_bits: int,
              instances: int, what: str) -> Part:
    """``instances`` links of ``link_bits`` registers; each counted action moves ``datum_bits[action]`` bits."""
    unit = mac_pj(hw, node)
    pj = {action: logic.link(bits, unit, hw.data_widths.activation_bits, node)[0]
          for action, bits in datum_bits.items()}
    _, leak, area = logic.link(link_bits, unit, hw.data_widths.activation_bits, node)
    return Part(component, pj, leak * instances, area * instances,
                f"{what}: 2x a MAC per {hw.data_widths.activation_bits}-bit datum (Eyeriss ratio) + a "
                f"{link_bits}-bit register x{instances} at {node} nm")


def adder_part(component: str, action: str, bits: int, adds: int, instances: int, node: int, what: str) -> Part:
    """``instances`` units of ``adds`` ``bits``-bit adders, all used by each count of ``action``."""
    pj, leak, area = logic.adder(bits, node)
    return Part(component, {action: adds * pj}, leak * adds * instances, area * adds * instances,
                f"{what}: {adds} x {bits}-bit add (Horowitz 45 nm points; Aladdin area/leakage) x{instances} "
                f"at {node} nm")


def crossbar_part(component: str, action: str, inputs: int, outputs: int, bits: int, instances: int,
                  node: int, what: str) -> Part:
    """``instances`` crossbars of ``inputs`` x ``outputs`` ports of ``bits``; each count moves one datum."""
    pj, leak, area = logic.crossbar(inputs, outputs, bits, node)
    return Part(component, {action: pj}, leak * instances, area * instances,
                f"{what}: {inputs}x{outputs} crossbar of {bits}-bit mux trees (ASSUMPTION: a 2:1 mux bit as a "
                f"full-adder bit) x{instances} at {node} nm")


def merged(component: str, *parts: Part) -> Part:
    """One component of several parts (a register file and its adders): pJ per action, leakage and area
    added up, sources joined."""
    pj: dict[str, float] = {}
    for part in parts:
        for action, value in part.pj.items():
            pj[action] = pj.get(action, 0.0) + value
    return Part(component, pj, sum(p.leakage_mw for p in parts), sum(p.area_mm2 for p in parts),
                " + ".join(p.source for p in parts))


def sram_bit_part(component: str, action: str, buffer: Buffer, node: int, what: str) -> Part:
    """Bits read from ``buffer`` at its read energy per bit; stored in it, so no leakage or area of their own."""
    bank = sram_bank(buffer.size_bytes / buffer.banks, buffer.width_bits, buffer.read_ports, buffer.write_ports,
                     node)
    return Part(component, {action: bank["read_pj"] / buffer.width_bits}, 0.0, 0.0,
                f"{what}: {buffer.name}'s read energy per bit ({SRAM_SOURCE}) at {node} nm")
