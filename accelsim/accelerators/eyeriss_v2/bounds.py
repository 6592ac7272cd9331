"""Lower bounds on a candidate mapping's latency for Eyeriss v2's search (layer 5), in closed form from
per-layer tallies, without the per-pass model or the kernel.

A candidate's simulated cycles are at least its rounds' slowest PE summed over rounds plus the weights'
DRAM time (a step's weights are read once the step before has ended, nothing overlaps them:
``Program.late_load_bytes``). A PE's round lasts its cluster-row's weight-router load plus the longest of
its passes, its iact stream and its column's partial sums (:func:`.schedule.plan`). Two bounds follow:

* :meth:`Tallies.coarse` (four numbers a candidate): the PEs' passes and own weight loads spread over the
  PEs that can hold work at once; the weight routers' loads (a block set crosses each (cluster, tile round)
  holding one of its tiles) spread over the routers that can be busy; the psum routers' (every reduction
  round of a tile round lasts at least its largest tile's partial sums at the port width).
* :meth:`Tallies.per_tile` (per tile round): in each tile round, each PE column's weight loads and passes
  spread over its PE rows, or its weight loads spread and its partial sums in every reduction round.
* the rounds themselves (:func:`.schedule.round_cycles`) with each pass at its floor
  (:meth:`Tallies.tile_floor`): what the schedule would take if every pass took only its floor.

A sparse pass takes at least one cycle per non-zero iact (the address stage) and at least one cycle plus
``ceil(entries / simd)`` per non-zero iact's weight column (the MAC stages start after the first address
read, :mod:`.pe`); the sums of these per output row are the tallies. A dense pass is exact.
"""
from __future__ import annotations

import numpy as np

from accelsim.accelerators.eyeriss_v2.mapper import (Pe, channel_blocks, columns, dense_passes, dense_tile_work,
                                                     pad_to, present_rows, window)
from accelsim.accelerators.eyeriss_v2.schedule import Array, per_round, tile_psums, tile_work
from accelsim.accelerators.eyeriss_v2.view import ConvView
from accelsim.lru import Lru
from accelsim.units import bits_to_bytes, ceil_div


def chunk_rows(per_row: np.ndarray, rows: int) -> np.ndarray:
    """Sums over consecutive chunks of ``rows`` output rows (last axis), the last chunk shorter."""
    starts = np.arange(0, per_row.shape[-1], rows)
    return np.add.reduceat(per_row, starts, axis=-1)


class Tallies:
    """What the bounds need of one layer on one PE, computed once and per ``M0`` / ``C0`` as asked."""

    def __init__(self, v: ConvView, pe: Pe, arr: Array) -> None:
        self.v, self.pe, self.arr = v, pe, arr
        # a layer's columns can take hundreds of MB (a large fully connected layer with small blocks): every
        # M0's are kept for a layer of at most 4 M weights, two otherwise (the rest recomputed when needed)
        keep = 64 if v.weights.size <= 1 << 22 else 2
        self._cols, self._running, self._windows = Lru(keep), Lru(keep), Lru(2)
        self.present = present_rows(v) if pe.sparse else None          # (G, C, R, S, E)
        self._address = self.present.sum(axis=(1, 2, 3)) if pe.sparse else None   # (G, E)
        self._nonempty, self._mac, self._rows, self._blocks = {}, Lru(16), Lru(16), Lru(4)
        self._psums, self._mac_totals, self._totals, self._tiles = {}, {}, {}, Lru(2)

    def columns(self, m0: int):
        """:func:`.mapper.columns` of ``m0`` (kept for the search's blocks too)."""
        return self._cols.get(m0, lambda: columns(self.v, m0, self.pe.count_bits))

    def window(self, c0: int) -> np.ndarray:
        """:func:`.mapper.window` of ``c0`` (kept for the search's blocks too)."""
        return self._windows.get(c0, lambda: window(self.v, c0))

    def block_entries(self, m0: int, c0: int) -> np.ndarray:
        """Compressed entries of each ``m0`` x ``c0`` weight block, (G, M blocks, C blocks, R), from running
        sums of :meth:`columns`' entries over the channels."""
        def running():
            per_channel = self.columns(m0)[0].sum(axis=-1, dtype=np.int64)       # (G, MB, C, R)
            out = np.zeros((per_channel.shape[0], per_channel.shape[1], self.v.c + 1, self.v.r), np.int64)
            np.cumsum(per_channel, axis=2, out=out[:, :, 1:])
            return out
        sums = self._running.get(m0, running)
        starts = np.arange(0, self.v.c, c0)
        return sums[:, :, np.minimum(starts + c0, self.v.c)] - sums[:, :, starts]

    def nonempty(self, c0: int) -> np.ndarray:
        """Passes of one weight block with at least one non-zero iact, per (group, output row), (G, E)."""
        if c0 not in self._nonempty:
            v = self.v
            busy = self.window(c0).any(axis=-1)                                # (G, 1, CB, R, E*F)
            self._nonempty[c0] = busy.reshape(v.groups, -1, v.e, v.f).sum(axis=(1, 3), dtype=np.int64)
        return self._nonempty[c0]

    def mac_rows(self, m0: int) -> np.ndarray:
        """MAC-stage cycles of every pass of ``m0`` output channels per (group, M block, output row), (G, MB, E)."""
        def compute():
            mac = -(-self.columns(m0)[0].astype(np.int64) // self.pe.simd)       # (G, MB, C, R, S)
            return np.einsum("gmcrs,gcrse->gme", mac, self.present)
        return self._mac.get(m0, compute)

    def row_work(self, m0: int, c0: int) -> np.ndarray:
        """A lower bound on the passes' cycles per (group, M block, output row), (G, MB, E); exact on a dense PE."""
        def compute():
            v = self.v
            if not self.pe.sparse:
                per_row = dense_passes(v, self.pe, m0, c0).sum(axis=1) * v.r * v.f     # (MB,)
                return np.broadcast_to(per_row[None, :, None], (v.groups, per_row.size, v.e))
            address = self._address[:, None]
            return np.maximum(address, self.mac_rows(m0) + self.nonempty(c0)[:, None])
        return self._rows.get((m0, c0), compute)

    def tile_floor(self, m0: int, c0: int, rows: int) -> np.ndarray:
        """A lower bound on the passes' cycles per (output tile, reduction block), (tiles, blocks), as
        :func:`.schedule.tile_work` of ``blocks(...).cycles.sum(-1)``; exact on a dense PE."""
        if not self.pe.sparse:
            return dense_tile_work(self.v, self.pe, m0, c0, rows)
        return tile_work(self.block_floor(m0, c0), rows)

    def block_floor(self, m0: int, c0: int) -> np.ndarray:
        """A lower bound on each block's passes' cycles summed per output row on a sparse PE, (G, MB, CB, R, E),
        as ``blocks(...).cycles.sum(-1)``."""
        def compute():
            v = self.v
            mac = channel_blocks(-(-self.columns(m0)[0].astype(np.int64) // self.pe.simd), c0, 2)
            here = channel_blocks(self.present, c0, 1)                          # (G, CB, C0, R, S, E)
            busy = self.window(c0).any(axis=-1).reshape(v.groups, -1, v.r, v.e, v.f).sum(axis=-1)
            work = np.einsum("gmkcrs,gkcrse->gmkre", mac, here) + busy[:, None]
            return np.maximum(work, here.sum(axis=(2, 4))[:, None])
        return self._blocks.get((m0, c0), compute)

    def totals(self, m0: int, c0: int) -> int:
        """:meth:`row_work` summed over the layer, or less: on a sparse PE without it per row, and counting
        a weight column's non-zeros, not its entries (no placeholder zeros), so without the CSC columns."""
        if (m0, c0) in self._totals:
            return self._totals[m0, c0]
        if not self.pe.sparse:
            return self._totals.setdefault((m0, c0), int(self.row_work(m0, c0).sum()))
        if m0 not in self._mac_totals:                     # a column's entries are at least its non-zeros
            v = self.v
            mb = ceil_div(v.m, m0)
            nonzeros = pad_to(v.weights, 1, mb * m0).reshape(v.groups, mb, m0, v.c, v.r, v.s).sum(axis=2,
                                                                                                 dtype=np.int64)
            present = self.present.sum(axis=-1)                                # (G, C, R, S)
            self._mac_totals[m0] = int(((-(-nonzeros // self.pe.simd)) * present[:, None]).sum())
        mb = ceil_div(self.v.m, m0)
        return self._totals.setdefault((m0, c0), max(mb * int(self._address.sum()),
                                                    self._mac_totals[m0] + mb * int(self.nonempty(c0).sum())))

    def psum_rounds(self, m0: int, rows: int, arr: Array) -> tuple[float, int]:
        """(bytes of partial sums the largest tile round holds, sum over tile rounds of the largest tile's
        psum-router cycles) of output tiles of ``m0`` x ``rows`` on ``arr``."""
        key = (m0, rows, arr.n_columns)
        if key not in self._psums:
            psums = self._tiles.get((m0, rows), lambda: tile_psums(self.v, m0, rows))
            starts = np.arange(0, psums.size, arr.n_columns)            # the tile rounds
            held = np.add.reduceat(psums, starts).max(initial=0) * arr.psum_bits
            peaks = np.maximum.reduceat(psums, starts)                  # a round's largest tile
            cycles = -(-(peaks * arr.psum_bits) // arr.psum_port_bits)
            self._psums[key] = (float(bits_to_bytes(held)), int(cycles.sum()))
        return self._psums[key]

    def coarse(self, m0: int, c0: int, rows: int, arr: Array, work: int, block_bits: float) -> float:
        """A lower bound on the rounds' cycles (module doc, first bound); ``work``: :meth:`totals`,
        ``block_bits``: every weight block's bits once."""
        v = self.v
        mb, cb, ny = ceil_div(v.m, m0), ceil_div(v.c, c0), ceil_div(v.e, rows)
        tiles, blocks = v.groups * mb * ny, cb * v.r
        active = min(arr.n_columns, tiles) * min(arr.lanes, blocks)
        routers = min(arr.clusters, ceil_div(tiles, arr.columns)) * min(arr.lanes, blocks)
        spread = (work + ny * block_bits / arr.weight_port_bits) / active
        weights = ceil_div(ny, arr.columns) * block_bits / arr.weight_port_bits / routers
        psums = ceil_div(blocks, arr.lanes) * self.psum_rounds(m0, rows, arr)[1]
        return max(spread, weights, psums)

    def per_tile(self, m0: int, c0: int, rows: int, arr: Array, set_bits: np.ndarray) -> float:
        """A lower bound on the rounds' cycles (module doc, second bound); ``set_bits``: the bits of each
        (group, M block)'s weight blocks, (G*MB,)."""
        v = self.v
        mb, ny = ceil_div(v.m, m0), ceil_div(v.e, rows)
        blocks = ceil_div(v.c, c0) * v.r
        lanes = min(arr.lanes, blocks)
        work = per_round(chunk_rows(self.row_work(m0, c0), rows).ravel(), arr.n_columns)   # (TR, columns)
        tile = np.arange(work.size)
        key = np.where(tile < v.groups * mb * ny, tile // ny, -1).reshape(-1, arr.clusters, arr.columns)
        first = np.ones(key.shape, bool)
        first[..., 1:] = key[..., 1:] != key[..., :-1]               # keys rise along the tiles
        loads = (set_bits[np.maximum(key, 0)] * (first & (key >= 0))).sum(axis=2) / arr.weight_port_bits
        loads = np.repeat(loads, arr.columns, axis=1)                 # (TR, columns): the PE column's router
        rounds = per_round(tile_psums(v, m0, rows), arr.n_columns)
        psums = -(-(rounds * arr.psum_bits) // arr.psum_port_bits)
        column = np.maximum(loads + work, loads + ceil_div(blocks, arr.lanes) * lanes * psums) / lanes
        return float(column.max(axis=1).sum())
