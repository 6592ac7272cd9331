"""SCNN's strategy (layer 5): the sparse Cartesian product of compressed operands with its accumulator-bank
conflicts (``docs/scnn.md``), for the planar pipeline SCNN shares with DCNN (:mod:`.products`). Convolutions
are :class:`.sparse_conv.SparseConv`; fully connected layers are here."""
from __future__ import annotations

import numpy as np

from accelsim.accelerators.scnn.cartesian import (BankTable, Chunks, Side, Tally, Window, bank_table,
                                                  cartesian, chunk, step_kinds)
from accelsim.accelerators.scnn.fc import FcPlan
from accelsim.accelerators.scnn.fc_vectors import StreamVectors, one_activation_streams, row_run_sums
from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.products import Work
from accelsim.accelerators.scnn.sparse_conv import SparseConv, sparse_work
from accelsim.formats import RunLength
from accelsim.formats.runlength import stream_entries
from accelsim.units import ceil_div
from accelsim.workloads.layers import Conv2D


class Cartesian:
    """SCNN: zero weights and activations are not stored (run-length entries with a zero-run index); every
    F-vector of stored weights meets every I-vector of stored activations, a step lasting as long as its
    busiest accumulator bank."""

    def conv(self, layer: Conv2D, m: Machine, weights: np.ndarray, acts: np.ndarray) -> SparseConv:
        return SparseConv(layer, m, weights, acts)

    def stream_bits(self, m: Machine, streams: np.ndarray) -> np.ndarray:
        stored = RunLength(value_bits=m.activation_bits, index_bits=m.index_bits).measure(streams).stored
        return (stored * m.activation_entry_bits).astype(np.float64)

    def fc(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """:func:`cartesian_fc`; at one position without bank queues, where a step's cycles are its weight
        vector's alone, :func:`one_position_fc` (the same work, 10x faster on PTB's softmax)."""
        if acts.shape[0] == 1 and not m.bank_queue:
            return one_position_fc(m, plan, weights, acts[0])
        return cartesian_fc(m, plan, weights, acts)

    def serial_fc(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """With one activation per channel every product of a step shares it, so a weight vector's bank
        conflicts do not depend on which vector it meets (shift invariance of the bank function): they are
        computed once per weight vector (:mod:`.fc_vectors`) and summed per input vector with a matrix
        product over the activation mask. A weight vector's streams depend only on its input channel's
        column of the mask, so they are computed once per distinct column (a dense layer has one) and shared
        by equal columns."""
        p, n_groups = m.n_pes, plan.groups
        columns, column_of, s = _one_activation_streams(weights, plan, m)
        a = acts.astype(np.float64)
        used = a.sum(axis=0)
        stored_c = s.stored.reshape(columns.size, p * n_groups)[column_of]
        fed = int(used @ stored_c.sum(axis=1).astype(np.float64))
        vectors_c = s.vectors.reshape(columns.size, -1).sum(axis=1)[column_of]
        conflicts_c = (s.cycles - s.vectors).reshape(columns.size, -1).sum(axis=1)[column_of]
        per_cpg = s.cycles[column_of].astype(np.float64)
        tally = Tally(pe_cycles=np.rint(np.einsum("tc,cpg->tgp", a, per_cpg).reshape(-1, p)).astype(np.int64),
                      useful=int(used @ weights.sum(axis=0).astype(np.float64)), fed=fed,
                      slots=int(used @ vectors_c) * m.lanes, conflicts=int(used @ conflicts_c),
                      weight_reads=fed, activation_reads=float(used @ (stored_c > 0).sum(axis=1)))
        w_stored = stored_c.reshape(-1)
        g_bits = np.bincount(np.arange(w_stored.size) % n_groups, weights=w_stored * m.weight_entry_bits,
                             minlength=n_groups)
        return sparse_work(tally, g_bits)

    def fc_estimate(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """Conflict-free steps, as a convolution's estimate: per (group, input block, PE), for each input
        channel c, ceil(the PE's non-zero weights of the group reading c / F) weight vectors x ceil(non-zero
        activations of c / I) activation vectors (placeholders ignored); weight bits of the non-zeros."""
        per_segment = _segment_nonzeros(weights, plan, m.n_pes)                         # (groups, PEs, K)
        steps = -(-per_segment // m.f) * -(-acts.sum(axis=0) // m.i)
        starts = np.arange(0, plan.in_features, ceil_div(plan.in_features, plan.blocks))
        cycles = np.add.reduceat(steps, starts, axis=2).transpose(0, 2, 1)              # (groups, blocks, PEs)
        bits = np.add.reduceat(per_segment.sum(axis=1), starts, axis=1) * m.weight_entry_bits
        return Work(pe_cycles=cycles.reshape(-1, m.n_pes), useful=0, fragmentation=0, weight_reads=0,
                    activation_reads=0, weight_bits=bits)

    def serial_fc_estimate(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """Conflict-free steps: per (input vector, group, PE), ceil(the PE's non-zero weights of the group
        reading c / F) weight vectors for each non-zero activation c of the vector; weight bits of the
        non-zeros."""
        per_segment = _segment_nonzeros(weights, plan, m.n_pes)                         # (groups, PEs, K)
        vectors_w = (-(-per_segment // m.f)).reshape(-1, plan.in_features).astype(np.float64)
        cycles = np.rint(acts.astype(np.float64) @ vectors_w.T).astype(np.int64)       # (vectors, groups x PEs)
        return Work(pe_cycles=cycles.reshape(-1, m.n_pes), useful=0, fragmentation=0, weight_reads=0,
                    activation_reads=0, weight_bits=per_segment.sum(axis=(1, 2)) * m.weight_entry_bits)


#: SCNN's strategy.
CARTESIAN = Cartesian()


def distinct_columns(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first index of each distinct column of a boolean (M x K) ``mask`` (M >= 1: layers have outputs), in
    increasing order, and for every column the position of its distinct column among them."""
    return distinct_rows(np.ascontiguousarray(mask.T))


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct_columns` of a mask given transposed: the (K x M) C-ordered ``rows``."""
    if rows.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    packed = np.packbits(rows, axis=1)                                        # a row of bytes per column
    as_values = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()     # a column's bits as one value
    _, first, inverse = np.unique(as_values, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[inverse.reshape(-1)]


def cartesian_fc(m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
    """Each input channel's non-zero activations (positions in order) are its I-vectors; a step runs on the PE
    of its weight vector, in the Program step of the weight's group and input block."""
    positions = acts.shape[0]
    table = bank_table(Window.row_of(positions, plan.out_features), m.f, m.banks)
    t, c = np.nonzero(acts)
    order = np.lexsort((t, c))
    t, c = t[order], c[order]
    a = chunk(c, table.x_class[t] * table.n_y + table.y_class[0], m.i, table.act_discard, presorted=True)
    columns, column_of = distinct_columns(weights)
    distinct, stored = _fc_weight_chunks(weights[:, columns], plan, m, table)
    kinds = None if m.bank_queue else step_kinds(table.shifted_weights(distinct.codes))
    w, w_stored, w_kinds = _every_column(distinct, stored, kinds, column_of, m.n_pes * plan.groups)
    w_c, w_pe, w_g = _stream_parts(w.key, m.n_pes, plan.groups)
    none = np.zeros(a.key.size, np.int64)
    tally = cartesian(Side(w, w_c, w_pe, w_g * plan.blocks + plan.block_of(w_c), kinds=w_kinds),
                      Side(a, a.key, none, none),
                      (w_stored <= m.fifo_entries)[w.key], table, m, (plan.in_features, plan.groups * plan.blocks))
    sid = np.arange(w_stored.size)
    stream_c, stream_g = sid // (m.n_pes * plan.groups), sid % plan.groups
    w_bits = np.bincount(stream_g * plan.blocks + plan.block_of(stream_c), weights=w_stored * m.weight_entry_bits,
                         minlength=plan.groups * plan.blocks).reshape(plan.groups, plan.blocks)
    return sparse_work(tally, w_bits)


def _one_activation_streams(weights: np.ndarray, plan: FcPlan,
                            m: Machine) -> tuple[np.ndarray, np.ndarray, StreamVectors]:
    """The distinct columns of an FC layer's (M x K) weight mask (:func:`distinct_columns`) and their streams
    on ``plan`` (:func:`.fc_vectors.one_activation_streams`), the mask transposed once for both."""
    by_channel = np.ascontiguousarray(weights.T)
    columns, column_of = distinct_rows(by_channel)
    if columns.size < by_channel.shape[0]:
        by_channel = by_channel[columns]
    streams = one_activation_streams(by_channel, m.n_pes, plan.per_pe, plan.kc, m.f, m.index_bits,
                                     bank_table(Window.row_of(1, plan.out_features), m.f, m.banks))
    return columns, column_of, streams


def one_position_fc(m: Machine, plan: FcPlan, weights: np.ndarray, act: np.ndarray) -> Work:
    """:func:`cartesian_fc` at one position on a machine without bank queues: every non-zero activation is an
    I-vector of one entry that meets each weight vector of its channel once, so each step lasts as long as
    its weight vector's busiest bank (:mod:`.fc_vectors`) and the steps add up per (group, input block, PE).
    Operand reads follow the same loop order: a stream that fits the weight FIFO reads its activation once,
    any other once per weight vector."""
    p, n_groups = m.n_pes, plan.groups
    _, column_of, s = _one_activation_streams(weights, plan, m)
    live = np.flatnonzero(act)
    of_live = column_of[live]
    vectors, stored = s.vectors[of_live], s.stored[of_live]                    # (live channels, PEs, groups)
    cycles = np.zeros((plan.blocks, p, n_groups), np.int64)
    np.add.at(cycles, plan.block_of(live), s.cycles[of_live])
    steps, fed = int(vectors.sum()), int(stored.sum())
    tally = Tally(pe_cycles=cycles.transpose(2, 0, 1).reshape(-1, p), useful=int(weights[:, live].sum()), fed=fed,
                  slots=steps * m.lanes, conflicts=int(cycles.sum()) - steps, steps=steps, weight_reads=fed,
                  activation_reads=int(np.where(stored <= m.fifo_entries, vectors > 0, vectors).sum()))
    per_channel = s.stored.sum(axis=1)[column_of] * m.weight_entry_bits            # (K, groups)
    w_bits = np.zeros((plan.blocks, n_groups))
    np.add.at(w_bits, plan.block_of(np.arange(plan.in_features)), per_channel)
    return sparse_work(tally, w_bits.T)


def _segment_nonzeros(weights: np.ndarray, plan: FcPlan, n_pes: int) -> np.ndarray:
    """(groups, PEs, K): the non-zero weights of each input channel among the outputs a PE owns in a group
    (a run of the (M x K) mask's rows)."""
    first, owned = plan.segments(n_pes), plan.owned(n_pes)
    sums = row_run_sums(np.asarray(weights, bool), np.maximum(first, 0).ravel(), owned.ravel())
    return sums.reshape(first.shape + (plan.in_features,))


def _fc_weight_streams(mask: np.ndarray, plan: FcPlan, n_pes: int) -> np.ndarray:
    """(c, PE, group) streams of a (M x K) weight mask: boolean (K * PEs * groups, kc), output order."""
    m_out, k_in = mask.shape
    padded = np.zeros((k_in, n_pes * plan.per_pe), dtype=bool)
    padded[:, :m_out] = mask.T
    padded = padded.reshape(k_in, n_pes, plan.per_pe)
    full = np.zeros((k_in, n_pes, plan.groups * plan.kc), dtype=bool)
    full[:, :, :plan.per_pe] = padded
    return full.reshape(k_in * n_pes * plan.groups, plan.kc)


def _fc_weight_chunks(weights: np.ndarray, plan: FcPlan, m: Machine, table: BankTable) -> tuple[Chunks, np.ndarray]:
    """F-vectors of the (c, PE, group) weight streams of an FC layer, keyed by stream (:func:`_stream_parts`),
    and each stream's stored entries."""
    p, n_groups = m.n_pes, plan.groups
    wsid, wpos, wreal, w_stored = stream_entries(_fc_weight_streams(weights, plan, p), m.index_bits)
    k = ((wsid // n_groups) % p) * plan.per_pe + (wsid % n_groups) * plan.kc + wpos
    codes = np.where(wreal, table.weight_code(k, 0, 1), table.weight_discard)
    return chunk(wsid, codes, m.f, table.weight_discard, presorted=True), w_stored


def _stream_parts(key: np.ndarray, n_pes: int, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The input channel, PE and group of each (c, PE, group) stream key."""
    return key // (n_pes * n_groups), (key // n_groups) % n_pes, key % n_groups


def _every_column(w: Chunks, w_stored: np.ndarray, kinds: tuple | None, column_of: np.ndarray,
                  per_column: int) -> tuple[Chunks, np.ndarray, tuple | None]:
    """The weight vectors, stored entries and vector kinds (:func:`.cartesian.step_kinds`, or None) of every
    input channel, from those of the distinct columns (:func:`distinct_columns`; equal columns give equal
    streams): channel c takes its distinct column's vectors, keyed by its own streams, in channel order."""
    if column_of.size == 0 or (column_of == np.arange(column_of.size)).all():
        return w, w_stored, kinds
    counts = np.bincount(w.key // per_column, minlength=w_stored.size // per_column)
    sizes = counts[column_of]
    take = np.arange(int(sizes.sum())) + np.repeat((np.cumsum(counts) - counts)[column_of] - (np.cumsum(sizes) - sizes),
                                                   sizes)
    key = np.repeat(np.arange(column_of.size), sizes) * per_column + w.key[take] % per_column
    return (Chunks(key, w.codes[take], w.entries[take], w.first[take]),
            w_stored.reshape(-1, per_column)[column_of].reshape(-1),
            None if kinds is None else (kinds[0][take], kinds[1]))
