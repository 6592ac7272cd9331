"""Which layers of one inference keep their weights in EIE's SRAM: a model-level plan (layer 5).

A layer whose compressed slices fit every PE's sparse-matrix SRAM (entries) and sparse-matrix + pointer SRAM
together (pointers may overflow into free sparse-matrix rows, an assumption: VGG-6's 25,089 pointers per
PE exceed the 32 KB pointer SRAM the paper runs it from), beside the layers of the same inference already
resident, is resident: EIE loads it once in its I/O mode ("this is one time cost"). The layers of a model
claim the SRAM in network order, greedily: a model whose layers each fit but not all together keeps the
first ones on chip and streams the rest. :func:`plan_residency` decides this from the model's layers,
their masks and the hardware alone (a pure function: no state is kept between layers or runs); the engine
hands its result to each layer's compilation (:meth:`accelsim.sim.Engine.plan`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from accelsim.accelerators.eie.config import EieConfig
from accelsim.accelerators.eie.lowering import MatrixWork, lower_layer
from accelsim.hardware.schema import HardwareConfig
from accelsim.units import bits_to_bytes
from accelsim.workloads.layers import Layer


@dataclass(frozen=True)
class WeightSram:
    """What resident layers hold of the PEs' weight SRAMs (bytes): compressed entries per PE, and pointers
    (the same number on every PE). :data:`EMPTY_SRAM` holds nothing."""

    entry_bytes: np.ndarray | float
    pointer_bytes: float

    def fits(self, cfg: EieConfig) -> bool:
        """Every PE's entries fit its sparse-matrix SRAM, and entries + pointers fit sparse-matrix + pointer
        SRAM together (pointers may overflow into free sparse-matrix rows, see the module docstring)."""
        entries = float(np.max(self.entry_bytes))
        return entries <= cfg.spmat_bytes and entries + self.pointer_bytes <= cfg.spmat_bytes + cfg.ptr_bytes

    def __add__(self, other: WeightSram) -> WeightSram:
        return WeightSram(self.entry_bytes + other.entry_bytes, self.pointer_bytes + other.pointer_bytes)


EMPTY_SRAM = WeightSram(0.0, 0.0)


def weight_sram(works: Sequence[MatrixWork], cfg: EieConfig) -> WeightSram:
    """The weight SRAM a layer's matrices take when resident: entries per PE, one pointer per column and
    pass plus one."""
    entries = sum(w.matrix.entries_per_pe() for w in works)
    pointers = sum(w.matrix.passes * (w.matrix.n_cols + 1) for w in works)
    return WeightSram(bits_to_bytes(entries * cfg.entry_bits), bits_to_bytes(pointers * cfg.pointer_bits))


@dataclass(frozen=True)
class Residency:
    """The residency plan of one inference: ``layers`` the names planned (network order), ``resident`` those
    whose weights stay in the PEs' SRAM, ``held`` the SRAM the resident ones take together."""

    layers: tuple[str, ...]
    resident: frozenset[str]
    held: WeightSram

    def is_resident(self, layer: Layer) -> bool:
        """Whether ``layer`` keeps its weights on chip; a ValueError for a layer this plan does not cover."""
        if layer.name not in self.layers:
            raise ValueError(f"layer {layer.name} is not part of the planned model")
        return layer.name in self.resident


def plan_residency(layers: Sequence[Layer], masks: Mapping[str, np.ndarray] | None,
                   hw: HardwareConfig) -> Residency:
    """Which of ``layers`` (one inference, network order) stay resident on the EIE of ``hw`` with weight
    ``masks`` (by layer name; a layer without one is dense): each claims the SRAM in turn and stays if it
    fits beside those before it."""
    cfg = EieConfig.from_hw(hw)
    held, resident = EMPTY_SRAM, []
    for layer in layers:
        mask = masks.get(layer.name) if masks is not None else None
        needs = weight_sram(lower_layer(layer, mask, None, cfg), cfg)
        if (held + needs).fits(cfg):
            held, resident = held + needs, resident + [layer.name]
    return Residency(tuple(layer.name for layer in layers), frozenset(resident), held)
