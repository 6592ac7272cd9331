"""Storage footprint of a pruned model in each sparse format (layer 3).

Definitions (MB = 10**6 bytes; the paper stores every parameter as a 32-bit float):

* ``nnz``: non-zero parameters: kept weights of pruned layers + every weight of unpruned layers + biases.
* ``unpruned_mb``: the model stored dense, every parameter at 4 bytes, zeros included.
* ``model_mb``: the whole pruned model: 4 bytes per non-zero + the smaller of the bit-mask and CSR(C)
  overheads (paper Table 6); a dense model (sparsity 0) carries no overhead.
* ``*_overhead_mb``: what a format stores beside the non-zero values (the values not included); without
  masks (sparsity 0) the model is stored dense and every overhead is 0:

  * ``bitmask_overhead_mb``: 1 bit per weight element of the pruned layers (paper Table 5);
  * ``csrc_overhead_mb``: the paper's CSR(C) convention, a 4-bit zero-count per non-zero parameter,
    padding ignored (paper Table 5: 2.13M x 0.5 B = 1.06 MB);
  * ``runlength_overhead_mb``: the real 4-bit run-length encoding of the actual masks: each row of a pruned
    layer's weight matrix (one output channel / output unit) is one stream; every stored entry carries a
    4-bit count and every padding entry (a run longer than 15 zeros) also stores a 32-bit zero value.
  * ``nm_overhead_mb``: the overhead of N:M compressed storage (:mod:`accelsim.formats.nm`) of masks pruned N:M: the
    ceil(log2 M)-bit positions of the stored values plus the 32-bit zeros stored in groups with fewer than N
    non-zeros; each row of a layer's reduction matrix (:mod:`accelsim.pruning.structured`) is one tile. Layers
    whose masks are not N:M (dense embeddings) are stored dense and add nothing. Empty (NaN) without N:M.
  * ``bsr_overhead_mb``: the overhead of BSR (:mod:`accelsim.formats.bsr`) with ``block`` x ``block`` blocks of each
    layer's reduction matrix: a 16-bit block-column index per stored block, a 32-bit pointer per block row + 1,
    and the 32-bit zeros stored inside kept blocks.
* ``model_mb_paper_rounding``: the same with NNZ rounded to 0.01M and overheads to 0.01 MB first, as the
  paper does (2.13M x 4 B + 0.52 MB = 9.04 MB).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from accelsim.formats import Bitmask, BlockSparse, NMCompressed, RunLength
from accelsim.pruning.structured import nm_complies, reduction_rows
from accelsim.units import bits_to_mb
from accelsim.workloads.model import Model

VALUE_BITS = 32        # the paper trains and stores 32-bit floats
PAPER_INDEX_BITS = 4   # "usually stored as a 4 or 5 bit integer"; Table 5 uses 4


@dataclass(frozen=True)
class Footprint:
    """Storage of one model at one sparsity; sizes in MB (10**6 bytes)."""

    model: str
    sparsity: float
    params: int
    nnz: int
    padding_entries: int
    unpruned_mb: float
    bitmask_overhead_mb: float
    csrc_overhead_mb: float
    runlength_overhead_mb: float
    nm_overhead_mb: float
    bsr_overhead_mb: float
    model_mb: float
    model_mb_paper_rounding: float


def paper_model_mb(nnz: int, mask_bits: int) -> float:
    """A pruned model's size by the paper's convention (Table 6), MB: ``VALUE_BITS`` per non-zero parameter
    plus the smaller sparse overhead, a bit-mask of ``mask_bits`` (one per weight of a pruned layer) or
    CSR(C)'s ``PAPER_INDEX_BITS`` per non-zero."""
    return bits_to_mb(VALUE_BITS * nnz) + min(bits_to_mb(mask_bits), bits_to_mb(PAPER_INDEX_BITS * nnz))


def footprint(model: Model, sparsity: float, masks: Mapping[str, np.ndarray], *,
              nm: tuple[int, int] | None = None, block: int = 4) -> Footprint:
    """Storage of ``model`` whose pruned layers keep the weights where ``masks`` is True.

    ``masks`` holds one boolean array of ``layer.weight_shape`` per pruned layer; layers without a mask are
    stored dense. ``nm``: the (N, M) the masks were pruned to, for ``nm_mb``; ``block``: BSR's block side.
    """
    runlength = RunLength(value_bits=VALUE_BITS, index_bits=PAPER_INDEX_BITS)
    bitmask = Bitmask(value_bits=VALUE_BITS)
    pruned_zeros = stored = padding = bitmask_bits = 0
    for layer in model.layers:
        mask = masks.get(layer.name)
        if mask is None:
            continue
        rows = np.asarray(mask, dtype=bool).reshape(layer.weight_shape[0], -1)
        stats = runlength.measure(rows)
        bitmask_bits += int(bitmask.measure(rows).metadata_bits.sum())
        pruned_zeros += int(mask.size - stats.nnz.sum())
        stored += int(stats.stored.sum())
        padding += int((stats.stored - stats.nnz).sum())
    nnz = model.params - pruned_zeros
    bitmask_mb = bits_to_mb(bitmask_bits)
    csrc_mb = bits_to_mb(PAPER_INDEX_BITS * nnz) if masks else 0.0
    runlength_mb = bits_to_mb(stored * PAPER_INDEX_BITS + padding * VALUE_BITS)
    nm_mb = _overhead_mb(model, masks, NMCompressed(value_bits=VALUE_BITS, n=nm[0], m=nm[1]), 1) if nm else np.nan
    bsr_mb = _overhead_mb(model, masks, BlockSparse(value_bits=VALUE_BITS, block=block), 2)
    nnz_rounded = round(nnz / 1e6, 2) * 1e6
    model_mb = paper_model_mb(nnz, bitmask_bits) if masks else bits_to_mb(VALUE_BITS * nnz)
    if masks:
        model_mb_paper = (bits_to_mb(VALUE_BITS * nnz_rounded)
                          + min(round(bitmask_mb, 2), round(csrc_mb, 2)))
    else:
        model_mb_paper = bits_to_mb(VALUE_BITS * nnz_rounded)
    return Footprint(model=model.name, sparsity=sparsity, params=model.params, nnz=nnz,
                     padding_entries=padding, unpruned_mb=bits_to_mb(VALUE_BITS * model.params),
                     bitmask_overhead_mb=bitmask_mb, csrc_overhead_mb=csrc_mb, runlength_overhead_mb=runlength_mb,
                     nm_overhead_mb=nm_mb, bsr_overhead_mb=bsr_mb, model_mb=model_mb,
                     model_mb_paper_rounding=model_mb_paper)


def _overhead_mb(model: Model, masks: Mapping[str, np.ndarray], fmt, tile_ndim: int) -> float:
    """Metadata + padding values (MB) of ``fmt`` over the masked layers' reduction matrices (one tile per row
    for a 1-D format, one per layer for a 2-D one); an N:M format skips layers whose masks are not N:M."""
    bits = 0
    for layer in model.layers:
        mask = masks.get(layer.name)
        if mask is None or (isinstance(fmt, NMCompressed) and not nm_complies(mask, fmt.n, fmt.m)):
            continue
        rows = reduction_rows(np.asarray(mask, dtype=bool))
        stats = fmt.measure(rows if tile_ndim == 1 else rows[np.newaxis]).totals()
        bits += stats["metadata_bits"] + (stats["stored"] - stats["nnz"]) * fmt.value_bits
    return bits_to_mb(bits)
