"""The N:M weight-stationary systolic array: SCALE-Sim 3.0.0's layer-wise N:M model on accelsim's fold schedule.

A layer whose weight mask keeps at most N of every M weights along the reduction dimension (the order of
:mod:`accelsim.pruning.structured`), for a pattern the machine declares (``nm_patterns``), runs condensed:

* the reduction dimension K of each of its GEMMs shrinks to the stored slots, K_c = floor(K / M) * N +
  min(N, K mod M) (SCALE-Sim's condensed filter operand matrix, trailing empty rows dropped), so row folds
  and cycles shrink with it; a group with fewer than N non-zeros still occupies N slots;
* each stored weight carries ceil(log2 M) bits of position: fetched from DRAM with it, and read once per
  weight loaded into the array (``metadata.read_bits``; SCALE-Sim's metadata storage in its SPARSE_REPORT);
* a PE selects its input with an M-to-1 multiplexer driven by the metadata (``mux.select``, one per MAC);
  the input buffer is read M/N times as often (SCALE-Sim: "a single block of input is shared among M/N rows
  ... assume absence of any broadcast").

The pattern chosen is the declared one of smallest N/M (then smallest M: less metadata) the mask fits. A layer
with no mask, a mask that fits no declared pattern, or no single reduction per weight row (Attention's four
GEMMs; Embedding lookups) runs dense, as on the dense array; ``nm_n = nm_m = 0`` in its report row says so.
"""
from __future__ import annotations

import math
import numpy as np

from accelsim.accelerators.systolic.folds import Streams, check_systolic
from accelsim.accelerators.systolic.mapper import compile_gemms
from accelsim.compile.gemm import Gemm, lower
from accelsim.compile.masks import checked_mask
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.pruning.structured import nm_complies
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import LSTM, Conv2D, Layer, Linear

#: Layer kinds whose weight rows are their GEMM's reduction (one GEMM type per layer).
CONDENSABLE = (Conv2D, Linear, LSTM)


def condensed_k(k: int, n: int, m: int) -> int:
    """Stored slots of a reduction of ``k`` elements at N:M (the condensed K of SCALE-Sim 3.0.0)."""
    return k // m * n + min(n, k % m)


def chosen_pattern(layer: Layer, mask: np.ndarray | None, patterns: tuple[str, ...]) -> tuple[int, int] | None:
    """The (N, M) ``layer`` runs at: the declared pattern of smallest N/M, then smallest M, that ``mask``
    fits; None (dense) without a mask, for a kind that cannot condense, or when none fits."""
    if mask is None or not isinstance(layer, CONDENSABLE):
        return None
    for n, m in sorted((tuple(int(x) for x in p.split(":")) for p in patterns), key=lambda nm: (nm[0] / nm[1], nm[1])):
        if nm_complies(mask, n, m):
            return n, m
    return None


def compile_nm(layer: Layer, hw, mask: np.ndarray | None) -> Program:
    """``layer`` on the N:M array of ``hw`` (module docstring)."""
    pattern = chosen_pattern(layer, mask, hw.nm_patterns)
    if pattern is None:
        return compile_gemms(layer, lower(layer), hw, Streams("ws"), useful_macs=layer.macs,
                             details={"nm_n": 0, "nm_m": 0})
    n, m = pattern
    position_bits = math.ceil(math.log2(m))
    gemms = tuple(Gemm(E=g.E, K=condensed_k(g.K, n, m), M=g.M, repeats=g.repeats, ifmap_elements=g.ifmap_elements,
                       weight_elements=condensed_k(g.K, n, m) * g.M) for g in lower(layer))
    slots = sum(g.repeats * g.K * g.M for g in gemms)         # weights loaded once each (ws)
    streams = Streams("ws", ifmap_read_factor=m / n, weight_dram_bits=hw.data_widths.weight_bits + position_bits)
    counts = Counts.of(metadata={"read_bits": slots * position_bits}, mux={"select": sum(g.macs for g in gemms)})
    useful = layer.macs * int(np.count_nonzero(mask)) // mask.size   # each weight is used equally often
    return compile_gemms(layer, gemms, hw, streams, useful_macs=useful, counts=counts,
                         details={"nm_n": n, "nm_m": m})


class NMSystolicEngine(Engine):
    """A ``pe_array.rows x pe_array.cols`` weight-stationary array with N:M support (``engine: nm_systolic``)."""

    def check(self, layer: Layer) -> None:
        check_systolic(layer, self.hw, "ws")

    def compile(self, layer: Layer, masks=None, activations=None, *, plan=None) -> Program:
        mask = None if masks is None else checked_mask(layer, "weight mask", masks, layer.weight_shape)
        return compile_nm(layer, self.hw, mask)

    def ignores_mask(self, layer: Layer, mask) -> bool:
        return chosen_pattern(layer, mask, self.hw.nm_patterns) is None
