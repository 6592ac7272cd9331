"""The N:M weight-stationary systolic array: SCALE-Sim 3.0.0's layer-wise and row-wise N:M models on accelsim's
fold schedule, and the skipping of all-zero weight tiles (``docs/structured.md``).

A layer whose weight mask keeps at most N of every M weights along the reduction dimension (the order of
:mod:`accelsim.pruning.structured`), for a pattern the machine declares (``nm_patterns``), runs condensed.

**Layer-wise** ``N:M`` (SCALE-Sim's ``OptimizedMapping: false``):

* the reduction dimension K of each of its GEMMs shrinks to the stored slots, K_c = floor(K / M) * N +
  min(N, K mod M) (SCALE-Sim's condensed filter operand matrix, trailing empty rows dropped), so row folds
  and cycles shrink with it; a group with fewer than N non-zeros still occupies N slots;
* each stored weight carries ceil(log2 M) bits of position: fetched from DRAM with it, and read once per
  weight loaded into the array (``metadata.read_bits``; SCALE-Sim's metadata storage in its SPARSE_REPORT);
* a PE selects its input with an M-to-1 multiplexer driven by the metadata (``mux.select``, one per MAC);
  the input buffer is read M/N times as often (SCALE-Sim: "a single block of input is shared among M/N rows
  ... assume absence of any broadcast").

**Row-wise** ``row:M`` (SCALE-Sim's ``OptimizedMapping: true``, ``BlockSize`` M): every weight row (filter)
has its own N <= M/2 (SCALE-Sim draws it per filter), and the array gives every group of M weights M/2 slots
whatever that N: it pairs the groups and pads K to a multiple of 2M, so K_c = ceil(K / 2M) * M; one fold
covers 2 x rows of the original K. Each PE row receives the M inputs of its weight's group (the M/2 PE rows
of a group each read them: SCALE-Sim's ``skew_matrix_row_sparsity`` replicates every block M/2 times), so the
input buffer is read M/2 times per input: K x M/2 reads per streamed row and column fold; ceil(log2 M)
position bits per slot, an M-to-1 multiplexer per PE. A mask complies when every group of M along each row
keeps at most M/2 weights: exactly the layer-wise (M/2):M condition; the cycles are those of (M/2):M but
for the padding to 2M.

The pattern chosen is the declared one of fewest slots per weight (N/M, 1/2 for row-wise), then smallest M
(less metadata), then layer-wise before row-wise (fewer input reads). A layer with no mask, a mask that fits
no declared pattern, or no single reduction per weight row (Attention's four GEMMs; Embedding lookups) runs
dense, as on the dense array; ``nm_n = nm_m = 0`` in its report row says so.

**Empty tiles** (``skip_empty_tiles: true``): a fold whose tile of the weight matrix as the array holds it
(condensed, for N:M) is all zeros is skipped (:mod:`accelsim.accelerators.systolic.tiles`); each fold's
non-empty bit is read from the filter buffer before its weight load (``metadata.read_bits``, one per fold).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from accelsim.accelerators.systolic.folds import Streams, build_program, check_systolic, live_work
from accelsim.accelerators.systolic.mapper import mapping_for
from accelsim.accelerators.systolic.tiles import Occupancy, tile_live
from accelsim.compile.gemm import Gemm, lower
from accelsim.compile.masks import checked_mask
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.pruning.structured import nm_complies, nm_groups, reduction_rows
from accelsim.sim.engine import Engine
from accelsim.workloads.layers import LSTM, Conv2D, Layer, Linear

#: Layer kinds whose weight rows are their GEMM's reduction (one GEMM type per layer).
CONDENSABLE = (Conv2D, Linear, LSTM)


class Pattern(NamedTuple):
    """How a layer runs condensed: N slots per group of M weights, layer-wise or row-wise (N = M/2)."""

    n: int
    m: int
    row_wise: bool = False

    @classmethod
    def parse(cls, text: str) -> "Pattern":
        if text.startswith("row:"):
            m = int(text[4:])
            return cls(m // 2, m, True)
        n, m = (int(x) for x in text.split(":"))
        return cls(n, m)


def condensed_k(k: int, n: int, m: int) -> int:
    """Stored slots of a reduction of ``k`` elements at layer-wise N:M (the condensed K of SCALE-Sim 3.0.0)."""
    return k // m * n + min(n, k % m)


def row_wise_k(k: int, m: int) -> int:
    """Stored slots of a reduction of ``k`` elements in row-wise mode with blocks of ``m`` (SCALE-Sim 3.0.0:
    K padded to a multiple of 2m, every block of m given m/2 slots)."""
    return -(-k // (2 * m)) * m


def slots(k: int, pattern: Pattern) -> int:
    """The condensed K of ``pattern``."""
    return row_wise_k(k, pattern.m) if pattern.row_wise else condensed_k(k, pattern.n, pattern.m)


def chosen_pattern(layer: Layer, mask: np.ndarray | None, patterns: tuple[str, ...]) -> Pattern | None:
    """The pattern ``layer`` runs at (module docstring); None (dense) without a mask, for a kind that cannot
    condense, or when none fits."""
    if mask is None or not isinstance(layer, CONDENSABLE):
        return None
    for p in sorted(map(Pattern.parse, patterns), key=lambda p: (p.n / p.m, p.m, p.row_wise)):
        if nm_complies(mask, p.n, p.m):
            return p
    return None


def occupancy(gemm: Gemm, mask: np.ndarray, pattern: Pattern | None) -> Occupancy | None:
    """The non-zero slots of the (K_c x M) weight matrix of ``gemm`` (as the array runs it: condensed at
    ``pattern``) for the weight ``mask``; the weight matrices of
    a grouped convolution's groups (and of an LSTM's two directions) share one fold sequence, so a slot counts
    as empty only where it is empty in all of them."""
    rows = reduction_rows(mask)                                     # (out, K)
    if pattern is not None:
        kept = np.count_nonzero(nm_groups(rows, pattern.m, fill=False), axis=2)    # (out, groups)
        held = (kept[:, :, None] > np.arange(pattern.n)).reshape(len(rows), -1)
        rows = np.zeros((len(rows), gemm.K), dtype=bool)             # gemm.K: the condensed K
        rows[:, :min(gemm.K, held.shape[1])] = held[:, :gemm.K]
    return Occupancy.of(rows.reshape(-1, gemm.M, rows.shape[1]).any(axis=0).T)


def compile_nm(layer: Layer, hw, mask: np.ndarray | None) -> Program:
    """``layer`` on the N:M array of ``hw`` (module docstring)."""
    pattern = chosen_pattern(layer, mask, hw.nm_patterns)
    gemms, streams, details = lower(layer), Streams("ws"), {"nm_n": 0, "nm_m": 0, "nm_row_wise": 0}
    useful, bits = layer.macs, 0
    if pattern is not None:
        n, m = pattern.n, pattern.m
        bits = math.ceil(math.log2(m))
        gemms = tuple(Gemm(E=g.E, K=slots(g.K, pattern), M=g.M, repeats=g.repeats, ifmap_elements=g.ifmap_elements,
                           weight_elements=slots(g.K, pattern) * g.M) for g in gemms)
        # Input-buffer reads per slot: M/N (layer-wise); M/2 per original input (row-wise, K x M/2 over K_c).
        reads = m / 2 * lower(layer)[0].K / gemms[0].K if pattern.row_wise else m / n
        streams = Streams("ws", ifmap_read_factor=reads, weight_dram_bits=hw.data_widths.weight_bits + bits)
        details = {"nm_n": n, "nm_m": m, "nm_row_wise": int(pattern.row_wise)}
        useful = layer.macs * int(np.count_nonzero(mask)) // mask.size   # each weight is used equally often
    if hw.skip_empty_tiles and mask is not None and isinstance(layer, CONDENSABLE):
        streams = Streams("ws", streams.ifmap_read_factor, streams.weight_dram_bits,
                          occupancy(gemms[0], mask, pattern))
    check_systolic(layer, hw, "ws")
    mapping = mapping_for(layer, gemms, hw, streams)
    work = live_work(gemms, streams, mapping)
    tile_bits = work["folds"] if hw.skip_empty_tiles else 0
    counts = Counts.of(metadata={"read_bits": work["weights"] * bits + tile_bits},
                       mux={"select": work["macs"] if pattern is not None else 0})
    return build_program(layer, gemms, hw, streams, mapping, useful_macs=useful, counts=counts,
                         details={**details, "skipped_folds": work["skipped"]})


class NMSystolicEngine(Engine):
    """A ``pe_array.rows x pe_array.cols`` weight-stationary array with N:M support (``engine: nm_systolic``)."""

    def check(self, layer: Layer) -> None:
        check_systolic(layer, self.hw, "ws")

    def compile(self, layer: Layer, masks=None, activations=None, *, plan=None) -> Program:
        mask = None if masks is None else checked_mask(layer, "weight mask", masks, layer.weight_shape)
        return compile_nm(layer, self.hw, mask)

    def ignores_mask(self, layer: Layer, mask) -> bool:
        """Whether ``mask`` changes nothing: it fits no pattern, and (when empty tiles are skipped) no tile of
        the whole array's size is empty."""
        pattern = chosen_pattern(layer, mask, self.hw.nm_patterns)
        if pattern is not None or not self.hw.skip_empty_tiles or not isinstance(layer, CONDENSABLE):
            return pattern is None
        occupied = occupancy(lower(layer)[0], np.asarray(mask, dtype=bool), None)
        return occupied is None or bool(tile_live(occupied, self.hw.pe_array.rows, self.hw.pe_array.cols).all())
