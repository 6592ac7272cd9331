"""One Eyeriss v2 PE (Chen et al., JETCAS 2019, Sec. IV): CSC columns and the 7-stage pipeline, vectorised.

A *pass* is the work of one PE for one output position of one weight block: the block holds ``M0`` output
channels x (``C0`` input channels x ``S`` filter columns) weights, one CSC column of up to ``M0`` non-zero
weights per (channel, filter column), and the pass walks the ``C0 x S`` input activations (iacts) of the
position's window. Zero iacts are not in the iact CSC stream: they cost no cycle. A non-zero iact reads the
address of its weight column (the weight-address stage, one cycle per iact) and then streams the column's
entries through the weight-data and MAC stages, ``simd`` entries per cycle (an odd count is padded with a
clock-gated zero pair). A non-zero iact whose column is empty is dropped at the address stage: it costs a
cycle there, which is hidden when the data/MAC stages are still busy with the previous iact and exposed
otherwise (the paper: it "may not necessarily introduce bubbles").

The per-pass recurrence below is that two-resource pipeline, exact for each pass, vectorised over every pass
of a layer (numpy arrays of passes, a loop over the at most ``C0 x S`` <= 16 items of a pass). Each pass
starts with an empty address stage: its first address read is not overlapped with the previous pass' MACs.
The paper does not describe pass boundaries; this one exposed cycle per pass is the mechanism chosen because
it reproduces the third-party per-layer cycle counts of the PE (docs/eyeriss_v2.md shows the sensitivity).
"""
from __future__ import annotations

import numpy as np


def column_entries(nonzero: np.ndarray, count_bits: int) -> np.ndarray:
    """Stored CSC entries of each column (last axis: the column's ``M0`` weights): the non-zeros plus the
    placeholder zeros a run of more than ``2**count_bits - 1`` zeros before a non-zero needs."""
    nz = np.asarray(nonzero, bool)
    if nz.shape[-1] <= 2 ** count_bits:            # no run of zeros can outgrow the count: no placeholder
        return nz.sum(axis=-1, dtype=np.int32)
    dtype = np.int16 if nz.shape[-1] < np.iinfo(np.int16).max else np.int64
    idx = np.arange(nz.shape[-1], dtype=dtype)
    last = np.maximum.accumulate(np.where(nz, idx, dtype(-1)), axis=-1)
    previous = np.concatenate([np.full(nz.shape[:-1] + (1,), -1, dtype), last[..., :-1]], axis=-1)
    gaps = np.where(nz, idx - previous - 1, 0).astype(dtype)
    return nz.sum(axis=-1, dtype=np.int32) + (gaps >> count_bits).sum(axis=-1, dtype=np.int32)


def pass_cycles(entries: np.ndarray, present: np.ndarray, simd: int) -> np.ndarray:
    """Cycles of each pass (leading axes) of the PE pipeline over its items (last axis, in stream order).

    ``entries``: weight-column entries each item's iact fetches (broadcastable against ``present``);
    ``present``: the item's iact is non-zero. The address stage takes one cycle per non-zero iact and holds a
    non-empty one until the data/MAC stages are free; those take ``ceil(entries / simd)`` cycles per iact.
    Per item, with ``start`` the address stage's next free cycle and ``free`` the MAC stages': a present iact
    leaves the address stage at ``max(start + 1, free)`` if its column has entries (then the MAC stages are
    busy until that plus its cycles), at ``start + 1`` if not; an absent one changes nothing."""
    shape = np.broadcast_shapes(np.shape(entries), np.shape(present))
    items = shape[-1]
    cycles = -(-np.asarray(entries, np.int64) // simd)
    bound = items * (1 + int(cycles.max(initial=0)))            # no pass can take longer
    dtype = np.int16 if bound < np.iinfo(np.int16).max else np.int64
    here = np.moveaxis(np.broadcast_to(present, shape), -1, 0).reshape(items, -1).astype(dtype)
    work = np.moveaxis(np.broadcast_to(cycles.astype(dtype), shape), -1, 0).reshape(items, -1) * here
    busy = (work > 0).astype(dtype)
    start = np.zeros(here.shape[1], dtype)
    free = np.zeros_like(start)
    for item in range(items):
        leave = np.maximum(start + here[item], free * busy[item])
        free += busy[item] * (leave + work[item] - free)
        start = leave
    return np.maximum(start, free).reshape(shape[:-1]).astype(np.int64)


def dense_pass_cycles(items: int, m0: int, simd: int) -> int:
    """Cycles of one pass of a dense PE (Eyeriss v1): every (iact, weight) pair of the block, ``simd`` MACs per
    cycle, no compressed-address stage."""
    return items * -(-m0 // simd)
