"""What SCNN and DCNN do differently, behind one small interface (layer 5).

SCNN and its dense baseline DCNN share one planar pipeline (:mod:`.conv`, :mod:`.fc`, :mod:`.lowering`): the
tiling, output-channel groups, halos, DRAM traffic, counts and details. What differs is how a PE's operands
are stored and how its products become cycles, the :class:`Products` strategy it is handed (as scipy's
``_cs_matrix`` serves CSR and CSC with one ``_swap``): SCNN's sparse Cartesian product with its bank
conflicts (:data:`accelsim.accelerators.scnn.sparse.CARTESIAN`), DCNN's dense ``ceil(work / F x I)``
(:data:`accelsim.accelerators.dcnn.dense.DENSE`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from accelsim.accelerators.scnn.fc import FcPlan
    from accelsim.accelerators.scnn.machine import Machine
    from accelsim.accelerators.scnn.plane import Plane
    from accelsim.workloads.layers import Conv2D


@dataclass(frozen=True)
class Work:
    """A mapping's products on the PEs, as a strategy computes them.

    ``pe_cycles``: (Program steps, PEs) multiplier-array cycles, bank conflicts included. ``useful``:
    products that reach an accumulator (``mac.op``). ``fragmentation``: multiplier slots of those cycles no
    product occupied. ``weight_reads`` / ``activation_reads``: weight-FIFO and IARAM entries read.
    ``weight_bits``: DRAM bits of the weights, per (group, input block) (conv, FC) or per group (serial FC).
    ``counts`` and ``details``: the strategy's own actions and declared details. ``iaram_reads``: the
    activation entries each PE reads from its IARAM in each Program step, (steps, PEs) (None: not reported)."""

    pe_cycles: np.ndarray
    useful: int
    fragmentation: int
    weight_reads: float
    activation_reads: float
    weight_bits: np.ndarray
    conflicts: int = 0
    counts: Mapping[tuple[str, str], float] = field(default_factory=dict)
    details: Mapping[str, float] = field(default_factory=dict)
    iaram_reads: np.ndarray | None = None


class ConvProducts(Protocol):
    """A strategy's view of one convolution: what a tile's inputs take in the IARAM, and the work of a
    tiling."""

    def input_bits(self, plane: Plane) -> np.ndarray:
        """IARAM bits of each tile's inputs (all channels)."""

    def work(self, plane: Plane, tile_pe: np.ndarray, tile_pass: np.ndarray) -> Work:
        """The (pass, group, input block) steps' work, tile t running on PE ``tile_pe[t]`` in pass ``tile_pass[t]``."""

    def estimate(self, plane: Plane, tile_pe: np.ndarray, tile_pass: np.ndarray) -> Work:
        """``work``'s PE cycles and weight bits, estimated cheaply for the mapper (:mod:`.mapper`)."""


class Products(Protocol):
    """How a planar machine stores its operands and turns products into cycles."""

    def conv(self, layer: Conv2D, m: Machine, weights: np.ndarray, acts: np.ndarray) -> ConvProducts:
        """``layer`` with its weight mask and input-activation mask (C, H, W)."""

    def stream_bits(self, m: Machine, streams: np.ndarray) -> np.ndarray:
        """Stored bits of each row of the boolean activation mask ``streams`` (float64)."""

    def fc(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """y = W x for the (M x K) weight mask and every (positions x K) input vector at once."""

    def serial_fc(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """y_t = W x_t for the input vectors one after another: (vectors x groups) Program steps."""

    def fc_estimate(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """``fc``'s PE cycles and weight bits, estimated cheaply for the mapper (:mod:`.mapper`)."""

    def serial_fc_estimate(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """``serial_fc``'s PE cycles and weight bits, estimated cheaply for the mapper (:mod:`.mapper`)."""
