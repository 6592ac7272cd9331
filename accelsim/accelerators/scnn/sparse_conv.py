"""SCNN's products of a convolution (layer 5; ``docs/scnn.md``, "Cartesian product"): the PE's channel-c
activations of its tile (raster order) and the (c, g) weights of each group (storage order r, s, k) as
run-length streams, cut into I- and F-vectors per stride phase, multiplied by :func:`.cartesian.cartesian`."""
from __future__ import annotations

import numpy as np

from accelsim.accelerators.scnn.cartesian import (BankTable, Chunks, Side, Tally, Window, bank_table, cartesian, chunk,
                                                  step_kinds)
from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.plane import Plane
from accelsim.accelerators.scnn.products import Work
from accelsim.formats import RunLength
from accelsim.formats.runlength import stream_entries
from accelsim.units import ceil_div
from accelsim.workloads.layers import Conv2D


def sparse_work(tally: Tally, weight_bits: np.ndarray, iaram_reads: np.ndarray | None = None) -> Work:
    """SCNN's work from a tally of its Cartesian products: every product fed has its output coordinate
    computed (``index.decode``), the useful ones go through the crossbar to a bank (``crossbar.transfer``);
    the rest are wasted (a placeholder entry, or an output outside the plane)."""
    return Work(pe_cycles=tally.pe_cycles, useful=tally.useful, fragmentation=tally.slots - tally.fed,
                weight_reads=tally.weight_reads, activation_reads=tally.activation_reads, weight_bits=weight_bits,
                conflicts=tally.conflicts,
                counts={("crossbar", "transfer"): tally.useful, ("index", "decode"): tally.fed},
                details={"wasted_products": tally.fed - tally.useful}, iaram_reads=iaram_reads)


class SparseConv:
    """One convolution's operands on SCNN: the real weight and activation masks, compressed."""

    def __init__(self, layer: Conv2D, m: Machine, weights: np.ndarray, acts: np.ndarray) -> None:
        self.layer, self.m, self.weights, self.acts = layer, m, weights, acts
        self._tiles: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._activations: dict[int, tuple[BankTable, Chunks, np.ndarray, np.ndarray, tuple | None]] = {}
        self._per_k: np.ndarray | None = None
        self._nonzeros: dict[int, np.ndarray] = {}

    def _tiled(self, plane: Plane) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The tiles' pixel index (:meth:`Plane.pixel_index`), the (tile, channel) activation streams, each
        tile's stored bits and each (tile, channel) stream's stored entries, computed once per tiling (the
        planner tries several)."""
        if plane.factor not in self._tiles:
            m = self.m
            index = plane.pixel_index()
            streams = _activation_streams(self.acts, index)
            stored = RunLength(value_bits=m.activation_bits, index_bits=m.index_bits).measure(streams).stored
            bits = stored.reshape(plane.n_tiles, -1).sum(axis=1) * m.activation_entry_bits
            self._tiles[plane.factor] = index, streams, bits, stored.reshape(plane.n_tiles, -1)
        return self._tiles[plane.factor]

    def input_bits(self, plane: Plane) -> np.ndarray:
        return self._tiled(plane)[2]

    def work(self, plane: Plane, tile_pe: np.ndarray, tile_pass: np.ndarray) -> Work:
        layer, m = self.layer, self.m
        table, acts, a_pass = self._activation_side(plane, tile_pe, tile_pass)
        weights, fits, weight_bits = self._weight_side(plane, table)
        n_keys = layer.in_channels * plane.stride_w * plane.stride_h
        tally = cartesian(weights, acts, fits, table, m, (n_keys, plane.steps))
        return sparse_work(tally, weight_bits, _iaram_reads(plane, m.n_pes, n_keys, weights, fits, acts, a_pass))

    def estimate(self, plane: Plane, tile_pe: np.ndarray, tile_pass: np.ndarray) -> Work:
        """Conflict-free steps: per PE, input channel c and group g, ceil(non-zero weights of (c, g) / F)
        weight vectors x ceil(stored activations of the tile's channel c / I) activation vectors (the
        weights' placeholders and the split into stride phases ignored); weight bits of the non-zeros."""
        layer, m = self.layer, self.m
        stored = self._tiled(plane)[3]                                               # (tiles, C)
        vectors_a = -(-stored // m.i)           # integers: numpy's own matrix product, no BLAS threads
        per_group = self._group_nonzeros(plane.kc)                                   # (groups, C)
        vectors_w = -(-per_group // m.f)
        block = plane.block_of(np.arange(layer.in_channels))
        cycles = np.zeros((plane.passes, plane.groups, plane.blocks, m.n_pes))
        bits = np.zeros((plane.groups, plane.blocks))
        for b in range(plane.blocks):
            inside = block == b
            steps = vectors_w[:, inside] @ vectors_a[:, inside].T                    # (groups, tiles)
            cycles[tile_pass, :, b, tile_pe] += steps.T
            bits[:, b] = per_group[:, inside].sum(axis=1) * m.weight_entry_bits
        return Work(pe_cycles=cycles.reshape(plane.steps, m.n_pes), useful=0, fragmentation=0, weight_reads=0,
                    activation_reads=0, weight_bits=bits)

    def _group_nonzeros(self, kc: int) -> np.ndarray:
        """(groups, C): non-zero weights of each group of ``kc`` output channels reading each input channel.
        Summed over the segments of k that lie in one group and one convolution group (whose channels are
        the convolution group's). Computed once per group size (the mapper's tilings share them)."""
        layer = self.layer
        k_total, cg = layer.out_channels, layer.in_channels_per_group
        kpg = k_total // layer.groups
        if kc in self._nonzeros:
            return self._nonzeros[kc]
        if self._per_k is None:
            self._per_k = self.weights.reshape(k_total, cg, -1).sum(axis=2)          # (K, cg)
        bounds = np.union1d(np.arange(0, k_total, kc), np.arange(0, k_total, kpg))
        per_group = np.zeros((-(-k_total // kc), layer.in_channels), np.int64)
        per_group[(bounds // kc)[:, None], (bounds // kpg * cg)[:, None] + np.arange(cg)] = \
            np.add.reduceat(self._per_k, bounds, axis=0)
        self._nonzeros[kc] = per_group
        return per_group

    def _activation_side(self, plane: Plane, tile_pe: np.ndarray,
                         tile_pass: np.ndarray) -> tuple[BankTable, Side, np.ndarray]:
        """The tiling's bank table, the I-vectors of every (tile, channel, stride phase) and each one's pass:
        they meet the weights of their channel and phase on the tile's PE, in the tile's pass."""
        table, a, key, tile, kinds = self._activation_vectors(plane)
        a_pass = tile_pass[tile]
        return table, Side(a, key=key, pe=tile_pe[tile], step=a_pass * plane.groups * plane.blocks,
                           kinds=kinds), a_pass

    def _activation_vectors(self, plane: Plane) -> tuple[BankTable, Chunks, np.ndarray, np.ndarray, tuple | None]:
        """The tiling's bank table, the I-vectors, each one's key (channel, stride phase) and tile, and (without
        bank queues) their kinds: computed once per tiling (the mappings the mapper compiles differ in their
        groups only)."""
        if plane.factor not in self._activations:
            layer, m = self.layer, self.m
            table = bank_table(Window.of(layer, plane.tile_w), m.f, m.banks)
            index, streams, _, _ = self._tiled(plane)
            sw, sh, cin = plane.stride_w, plane.stride_h, layer.in_channels
            phases = sw * sh
            sid, pos, real, _ = stream_entries(streams, m.index_bits)
            pixel = index[sid // cin, pos]
            big_x = pixel % layer.in_w + plane.pad_left
            big_y = pixel // layer.in_w + plane.pad_top
            phase = (big_x % sw) * sh + big_y % sh
            code = np.where(real, table.x_class[big_x] * table.n_y + table.y_class[big_y], table.act_discard)
            a = chunk(sid * phases + phase, code, m.i, table.act_discard, presorted=phases == 1)
            a_sid, a_phase = a.key // phases, a.key % phases
            kinds = None if m.bank_queue else step_kinds(table.shifted_activations(a.codes))
            self._activations[plane.factor] = table, a, (a_sid % cin) * phases + a_phase, a_sid // cin, kinds
        return self._activations[plane.factor]

    def _weight_side(self, plane: Plane, table: BankTable) -> tuple[Side, np.ndarray, np.ndarray]:
        """F-vectors of every (c, g, stride phase) weight stream (any PE, the step of the group and c's block,
        of any pass); whether each fits the weight FIFO; and each (group, block)'s DRAM bits."""
        layer, m = self.layer, self.m
        sw, sh, kw = plane.stride_w, plane.stride_h, layer.kernel_w
        phases = sw * sh
        streams, w_c, w_g, w_k0, w_len = _conv_weight_streams(layer, self.weights, plane.kc)
        sid, pos, real, stored = stream_entries(streams, m.index_bits)
        k = w_k0[sid] + pos % w_len[sid]
        kernel_pos = pos // w_len[sid]
        ry, rx = kernel_pos // kw, kernel_pos % kw
        phase = (rx % sw) * sh + ry % sh
        code = np.where(real, table.weight_code(k, ry * kw + rx, layer.kernel_h * kw), table.weight_discard)
        w = chunk(sid * phases + phase, code, m.f, table.weight_discard, presorted=phases == 1)
        w_sid, w_phase = w.key // phases, w.key % phases
        w_step = w_g * plane.blocks + plane.block_of(w_c)
        side = Side(w, key=w_c[w_sid] * phases + w_phase, pe=np.zeros(w.key.size, np.int64), step=w_step[w_sid])
        weight_bits = np.bincount(w_step, weights=stored * m.weight_entry_bits,
                                  minlength=plane.groups * plane.blocks).reshape(plane.groups, plane.blocks)
        return side, (stored <= m.fifo_entries)[w_sid], weight_bits


def _iaram_reads(plane: Plane, n_pes: int, n_keys: int, weights: Side, fits: np.ndarray, acts: Side,
                 a_pass: np.ndarray) -> np.ndarray:
    """(steps, PEs): activation entries each PE reads from its IARAM in each (pass, group, block) step, in
    the loop order of :func:`.cartesian.cartesian`: an activation vector is read once for the weight run of
    its key (channel, phase) in the step when the run fits the weight FIFO (activation vector outer), once
    per weight vector of the run otherwise."""
    per_pass = plane.groups * plane.blocks
    cell = weights.key * per_pass + weights.step
    vectors = np.bincount(cell, minlength=n_keys * per_pass)
    fit = np.zeros(n_keys * per_pass, bool)
    fit[cell] = fits
    per_entry = np.where(fit, vectors > 0, vectors).reshape(n_keys, per_pass)
    entries = np.bincount((a_pass * n_pes + acts.pe) * n_keys + acts.key, weights=acts.chunks.entries,
                          minlength=plane.passes * n_pes * n_keys).reshape(plane.passes * n_pes, n_keys)
    # in integers: numpy's own matrix product (a float one runs on BLAS threads that fight for a shared core)
    reads = (entries.astype(np.int64) @ per_entry).reshape(plane.passes, n_pes, per_pass)
    return reads.transpose(0, 2, 1).reshape(plane.steps, n_pes).astype(np.float64)


def _conv_weight_streams(layer: Conv2D, mask: np.ndarray, kc: int):
    """The (c, g) weight streams of a (grouped) convolution: boolean (n_streams, length) in storage order
    (kernel row, kernel column, k): consecutive entries are consecutive output channels at one kernel
    position. Per stream: its input channel c, group g, first output channel and number of output channels
    (the k of group g that read channel c: all of them, or those of c's convolution group)."""
    k_total, cg = layer.out_channels, layer.in_channels_per_group
    kpg = k_total // layer.groups
    rs = layer.kernel_h * layer.kernel_w
    n_groups = ceil_div(k_total, kc)
    g = np.arange(n_groups)
    j_lo, j_hi = (g * kc) // kpg, (np.minimum((g + 1) * kc, k_total) - 1) // kpg
    seg_g = np.repeat(g, j_hi - j_lo + 1)
    seg_j = np.repeat(j_lo, j_hi - j_lo + 1) + (np.arange(seg_g.size) - np.repeat(np.cumsum(j_hi - j_lo + 1)
                                                                                 - (j_hi - j_lo + 1), j_hi - j_lo + 1))
    k_lo = np.maximum(seg_g * kc, seg_j * kpg)
    k_hi = np.minimum(np.minimum((seg_g + 1) * kc, k_total), (seg_j + 1) * kpg)
    length = k_hi - k_lo
    span = int(length.max())
    kk = np.arange(span)[None, :]
    inside = kk < length[:, None]                                # (segments, span)
    w = mask.reshape(k_total, cg, rs)
    gathered = w[np.minimum(k_lo[:, None] + kk, k_total - 1)]     # (segments, span, cg, rs)
    gathered = gathered.transpose(0, 2, 3, 1)                     # (segments, cg, rs, span)
    column = np.arange(rs)[:, None] * length[:, None, None] + kk[:, None, :]   # (segments, rs, span)
    seg_idx, r_idx, k_idx = np.nonzero(np.broadcast_to(inside[:, None, :], column.shape))
    streams = np.zeros((seg_g.size, cg, span * rs), dtype=bool)
    streams[seg_idx, :, column[seg_idx, r_idx, k_idx]] = gathered[seg_idx, :, r_idx, k_idx]
    c = (seg_j[:, None] * cg + np.arange(cg)[None, :]).ravel()
    return (streams.reshape(-1, span * rs), c, np.repeat(seg_g, cg), np.repeat(k_lo, cg),
            np.repeat(length, cg))


def _activation_streams(acts: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Per (tile, channel) stream (raster order within the tile): boolean (n_tiles * C, longest tile)."""
    c = acts.shape[0]
    flat = acts.reshape(c, -1)
    gathered = flat[:, np.maximum(index, 0)] & (index >= 0)[None]          # (C, tiles, L)
    return np.ascontiguousarray(gathered.transpose(1, 0, 2)).reshape(-1, index.shape[1])
