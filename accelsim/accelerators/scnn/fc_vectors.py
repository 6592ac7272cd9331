"""The weight vectors of a fully connected layer's (input channel, PE, group) streams on SCNN when each meets
one activation (layer 5; ``docs/scnn.md``, "Fully connected and sequence layers"): an LSTM's or Attention's
one vector per Program step, or a Linear layer at one position. A step is one F-vector of a stream's stored
entries (:mod:`accelsim.formats.runlength`: non-zeros and the padding entries of long zero runs) times that
activation, and lasts as many cycles as its busiest accumulator bank receives products (at least one).

With one activation every product of a step goes to the bank of its output channel (the bank function of
a 1x1 kernel at one position), so the streams are walked once, in storage order, in a compiled loop: no
per-entry arrays are built (on PTB-large's LSTM that is 10x faster than cutting entry arrays into vectors).
The general Cartesian product (:mod:`.cartesian`) computes the same steps for any number of activations.

The mapper's estimates of those layers count the non-zeros of each input channel over runs of output rows
(:func:`row_run_sums`), in a compiled loop too (15x faster than ``np.add.reduceat`` over the rows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from accelsim.accelerators.scnn.cartesian import BankTable


@dataclass(frozen=True)
class StreamVectors:
    """Per (input channel, PE, group) stream, each (channels, PEs, groups) int64: ``stored`` entries (non-zeros
    and padding), F-``vectors`` and the ``cycles`` of its steps with one activation (conflicts included)."""

    stored: np.ndarray
    vectors: np.ndarray
    cycles: np.ndarray


def one_activation_streams(by_channel: np.ndarray, n_pes: int, per_pe: int, kc: int, f: int, index_bits: int,
                           table: BankTable) -> StreamVectors:
    """The streams of the weights of each input channel (rows of the boolean (channels x M) ``by_channel``, a
    weight mask transposed): PE p owns outputs ``p * per_pe`` onwards, in groups of ``kc``; ``table`` is the
    bank table of one position (``Window.row_of(1, M)``)."""
    act_code = int(table.x_class[0]) * table.n_y + int(table.y_class[0])
    bank_of_k = np.ascontiguousarray(table.table[np.arange(table.k_codes) * table.n_act + act_code], np.int64)
    groups = -(-per_pe // kc)
    return StreamVectors(*_walk(np.ascontiguousarray(by_channel), n_pes, per_pe, kc, groups, f, index_bits, bank_of_k,
                                table.discard))


@njit(cache=True)
def _walk(mask_t, n_pes, per_pe, kc, groups, f, index_bits, bank_of_k, discard):
    """Stored entries, vectors and cycles of every stream of the (channels x M) transposed mask."""
    channels, m_out = mask_t.shape
    k_codes = bank_of_k.size
    stored = np.zeros((channels, n_pes, groups), np.int64)
    vectors = np.zeros((channels, n_pes, groups), np.int64)
    cycles = np.zeros((channels, n_pes, groups), np.int64)
    counts = np.zeros(discard + 1, np.int64)
    lane_bank = np.full(f, discard, np.int64)
    for c in range(channels):
        for p in range(n_pes):
            for g in range(groups):
                first = p * per_pe + g * kc
                length = min(kc, per_pe - g * kc, m_out - first)
                lane, busiest, previous, entries, n_vectors, n_cycles = 0, 0, -1, 0, 0, 0
                for position in range(max(length, 0)):
                    if not mask_t[c, first + position]:
                        continue
                    # padding entries (no bank) for the zeros the index cannot count, then the non-zero
                    pads = (position - previous - 1) >> index_bits
                    for entry in range(pads + 1):
                        bank = discard if entry < pads else bank_of_k[(first + position) % k_codes]
                        lane_bank[lane] = bank
                        if bank < discard:
                            counts[bank] += 1
                            busiest = max(busiest, counts[bank])
                        lane += 1
                        entries += 1
                        if lane == f:
                            n_cycles += max(busiest, 1)
                            n_vectors += 1
                            for q in range(f):
                                counts[lane_bank[q]] = 0
                            lane, busiest = 0, 0
                    previous = position
                if lane:
                    n_cycles += max(busiest, 1)
                    n_vectors += 1
                    for q in range(lane):
                        counts[lane_bank[q]] = 0
                stored[c, p, g], vectors[c, p, g], cycles[c, p, g] = entries, n_vectors, n_cycles
    return stored, vectors, cycles


def row_run_sums(mask: np.ndarray, first: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(runs, K) int64: the non-zeros of each column of the (M x K) boolean ``mask`` over each run of ``rows[i]``
    rows from row ``first[i]`` (0 rows: zeros)."""
    return _row_run_sums(np.ascontiguousarray(mask).view(np.uint8), np.asarray(first, np.int64),
                         np.asarray(rows, np.int64))


@njit(cache=True)
def _row_run_sums(mask, first, rows):
    out = np.zeros((first.size, mask.shape[1]), np.int64)
    for run in range(first.size):
        total = out[run]
        for r in range(first[run], first[run] + rows[run]):
            row = mask[r]
            for c in range(row.size):
                total[c] += row[c]
    return out
