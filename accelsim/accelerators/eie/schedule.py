"""The exact schedule of EIE's activation broadcast through per-PE FIFOs (layer 5; ``docs/eie.md``).

The non-zero input activations (items k) are broadcast to every PE's FIFO of depth D; the broadcast is
disabled while any FIFO is full and issues at most one item per cycle. A PE processes the item at the head
of its FIFO and frees that slot when it has finished it. With c[k, p] the cycles PE p spends on item k
(b = broadcast time, F = finish time)::

    b_k    = max(b_{k-1} + 1 + gap_k,  max_p F_{k-D, p})      # one per cycle; a slot free in every FIFO
    F_k,p  = max(b_k, F_{k-1, p}) + c_{k, p}                  # the PE pops when it is free

F_{k-D} frees the slot item k needs; ``gap_k`` are cycles the broadcaster pauses before item k (EIE:
reloading the source registers). Load-balance efficiency (EIE Sec. VI-C, Fig. 8) = 1 - idle / total = sum
of busy cycles / (N x segment cycles).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class FifoSchedule:
    """The recurrence's result for S independent segments of N PEs.

    ``finish`` (S, N): cycle each PE finished its last item (0 if none); ``busy`` (S, N): sum of its item
    costs; ``broadcast_end`` (S,): cycle the broadcaster finished (last broadcast + 1 + trailing gap);
    ``total`` (S,): the segment's length, max(finish, broadcast_end); ``full_stall`` (S,): cycles the
    broadcast was held by a full FIFO; ``gap_idle`` (S, N): the part of each PE's idle cycles spent while
    the broadcaster sat in a gap (reloading source registers), not waiting for another PE.
    """

    finish: np.ndarray
    busy: np.ndarray
    broadcast_end: np.ndarray
    total: np.ndarray
    full_stall: np.ndarray
    gap_idle: np.ndarray

    @property
    def idle(self) -> np.ndarray:
        """(S, N) cycles each PE waited within its segment (FIFO empty, or done before the others)."""
        return self.total[:, None] - self.busy

    @property
    def efficiency(self) -> float:
        """EIE's load-balance efficiency, 1 - idle / total, over all segments and PEs."""
        total = float(self.total.sum()) * self.busy.shape[1]
        return float(self.busy.sum()) / total if total else 1.0


def fifo_schedule(costs, depth: int, gaps=None, lengths=None, tail=None) -> FifoSchedule:
    """Exact schedule of activations broadcast to N PEs through FIFOs of ``depth`` (see the module docstring).

    ``costs`` (K, S, N) or (K, N): cycles PE p spends on item k of segment s (>= 0, integers). ``gaps``
    (K, S) or (K,): extra cycles the broadcaster waits before item k (e.g. reloading source registers).
    ``lengths`` (S,): items of each segment (the rest of its K rows is padding and ignored); default K.
    ``tail`` (S,): cycles the broadcaster works after its last item. Vectorised over segments and PEs; one
    numpy step per item.
    """
    costs = np.asarray(costs)
    if costs.ndim == 2:
        costs = costs[:, None, :]
    if depth < 1:
        raise ValueError("FIFO depth must be >= 1")
    n_items, n_seg, n_pes = costs.shape
    gaps = np.zeros((n_items, n_seg), np.int64) if gaps is None else np.asarray(gaps, np.int64)
    gaps = np.broadcast_to(gaps if gaps.ndim == 2 else gaps[:, None], (n_items, n_seg))
    lengths = np.full(n_seg, n_items, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    tail = np.zeros(n_seg, np.int64) if tail is None else np.asarray(tail, np.int64)
    ragged = bool((lengths < n_items).any())
    finish = np.zeros((n_seg, n_pes), np.int64)
    broadcast = np.full(n_seg, -1, np.int64)
    slowest = np.zeros((n_items, n_seg), np.int64)      # max_p F[k, p]
    full_stall = np.zeros(n_seg, np.int64)
    gap_idle = np.zeros((n_seg, n_pes), np.int64)
    in_gap = gaps.any(axis=1)
    for k in range(n_items):
        window = broadcast + 1                          # the broadcaster is free from here on
        earliest = window + gaps[k]
        issue = np.maximum(earliest, slowest[k - depth]) if k >= depth else earliest
        if ragged:
            valid = k < lengths
            if k >= depth:
                full_stall += np.where(valid, issue - earliest, 0)
            broadcast = np.where(valid, issue, broadcast)
            start = np.maximum(finish, np.where(valid, issue, -1)[:, None])
        else:
            if k >= depth:
                full_stall += issue - earliest
            broadcast = issue
            start = np.maximum(finish, issue[:, None])
        if in_gap[k]:       # the PE's idle time before this item that falls in the gap's window
            overlap = np.minimum(start, earliest[:, None]) - np.maximum(finish, window[:, None])
            gap_idle += np.maximum(overlap * valid[:, None] if ragged else overlap, 0)
        finish = start + costs[k]
        slowest[k] = finish.max(axis=1)
    busy = costs.sum(axis=0, dtype=np.int64)
    last_broadcast = np.where(lengths > 0, broadcast + 1, 0)
    broadcast_end = last_broadcast + tail
    total = np.maximum(finish.max(axis=1, initial=0), broadcast_end)
    gap_idle += np.maximum(broadcast_end[:, None] - np.maximum(finish, last_broadcast[:, None]), 0)
    return FifoSchedule(finish=finish, busy=busy, broadcast_end=broadcast_end, total=total,
                        full_stall=full_stall, gap_idle=gap_idle)


def concat_schedules(parts: list[FifoSchedule]) -> FifoSchedule:
    """The schedules of consecutive segments as one."""
    return FifoSchedule(*(np.concatenate([getattr(s, f.name) for s in parts]) for f in fields(FifoSchedule)))


def take_segments(schedule: FifoSchedule, index: np.ndarray) -> FifoSchedule:
    """The schedule of segments ``index`` of ``schedule``, in that order."""
    return FifoSchedule(*(getattr(schedule, f.name)[index] for f in fields(FifoSchedule)))
