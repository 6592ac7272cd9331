"""DCNN's strategy (layer 5): SCNN's planar pipeline with dense operands (``docs/scnn.md``, "DCNN").

Masks are ignored, zeros are multiplied at full price, operands are stored uncompressed (no index bits) and
a regular dense schedule has no accumulator-bank conflicts: a PE's cycles for a step are
``ceil(work / (F x I))``, ``work`` being the dense MACs of what it owns in that step. Edge tiles (smaller,
or absent when the plane does not divide over the PEs) leave multipliers idle and make the other PEs wait
at the barrier."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.scnn.fc import FcPlan
from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.plane import Plane
from accelsim.accelerators.scnn.products import Work
from accelsim.units import ceil_div
from accelsim.workloads.layers import Conv2D


def _cycles(work: np.ndarray, m: Machine) -> tuple[np.ndarray, int]:
    """Cycles of each PE's ``work`` (MACs) on its F x I multipliers, and the multiplier slots left idle."""
    cycles = ceil_div(np.asarray(work, dtype=np.int64), m.lanes)
    return cycles, int((cycles * m.lanes - work).sum())


@dataclass(frozen=True)
class DenseConv:
    """One convolution on DCNN: the layer's shape is all that matters."""

    layer: Conv2D
    m: Machine

    def input_bits(self, plane: Plane) -> np.ndarray:
        return plane.tile_pixels() * self.layer.in_channels * self.m.activation_bits

    def work(self, plane: Plane, tile_pe: np.ndarray, tile_pass: np.ndarray) -> Work:
        """A tile's work in a (group, input block): the MACs of the outputs it owns, of the group's output
        channels that read the block's input channels. Operand reads: activation vector outer when a
        (c, group) weight block fits the FIFO (each weight read once per activation vector), weight vector
        outer otherwise (each activation once per weight vector)."""
        layer, m = self.layer, self.m
        rs = layer.kernel_h * layer.kernel_w
        per_channel = _channel_pairs(layer, plane)                                    # (groups, C)
        pairs = _per_block(per_channel, plane)                                        # (groups, blocks)
        work = plane.owned_outputs()[:, None, None] * pairs[None] * rs                # (tiles, groups, blocks)
        cycles, idle = _cycles(work, m)
        if plane.kc * rs <= m.fifo_entries:     # activation outer: each activation once per (channel, group)
            reads = (layer.macs / m.i, layer.in_h * layer.in_w * _groups_per_channel(layer, plane.kc).sum())
            feeds = _per_block((per_channel > 0).astype(np.int64), plane)          # channels feeding (g, b)
            step_reads = plane.tile_pixels()[:, None, None] * feeds[None]
        else:                                   # weight outer: each activation once per weight vector
            reads = (layer.weight_count * int((plane.tile_pixels() > 0).sum()), layer.macs / m.f)
            step_reads = work / m.f
        return Work(pe_cycles=_by_pe(cycles, plane, m, tile_pe, tile_pass).astype(np.int64), useful=layer.macs,
                    fragmentation=idle, weight_reads=reads[0], activation_reads=reads[1],
                    weight_bits=pairs * rs * m.weight_bits,
                    iaram_reads=_by_pe(step_reads, plane, m, tile_pe, tile_pass))


    def estimate(self, plane: Plane, tile_pe: np.ndarray, tile_pass: np.ndarray) -> Work:
        """Dense work is cheap to compute exactly."""
        return self.work(plane, tile_pe, tile_pass)


def _by_pe(per_tile: np.ndarray, plane: Plane, m: Machine, tile_pe: np.ndarray, tile_pass: np.ndarray) -> np.ndarray:
    """(steps, PEs) from (tiles, groups, blocks): each tile's figures at its PE, in its pass's steps."""
    steps_per_pass = plane.groups * plane.blocks
    out = np.zeros((plane.passes * steps_per_pass, m.n_pes))
    rows = tile_pass[:, None] * steps_per_pass + np.arange(steps_per_pass)[None, :]
    np.add.at(out, (rows, np.broadcast_to(tile_pe[:, None], rows.shape)), per_tile.reshape(len(tile_pe), -1))
    return out


def _per_block(per_channel: np.ndarray, plane: Plane) -> np.ndarray:
    """(groups, blocks) sums of a (groups, input channels) array over each block's channels (blocks are runs
    of consecutive channels, the last ones possibly empty: the zero column past the end)."""
    starts = np.searchsorted(plane.block_of(np.arange(per_channel.shape[1])), np.arange(plane.blocks))
    padded = np.hstack([per_channel, np.zeros((per_channel.shape[0], 1), per_channel.dtype)])
    return np.add.reduceat(padded, starts, axis=1).astype(np.int64)


def _channel_pairs(layer: Conv2D, plane: Plane) -> np.ndarray:
    """(groups, C): the output channels of each group that read each input channel."""
    kpg = layer.out_channels // layer.groups
    j = np.arange(layer.in_channels) // layer.in_channels_per_group          # c's convolution group
    g = np.arange(plane.groups)[:, None]
    lo = np.maximum(g * plane.kc, j[None, :] * kpg)
    hi = np.minimum(np.minimum((g + 1) * plane.kc, layer.out_channels), (j[None, :] + 1) * kpg)
    return np.maximum(hi - lo, 0)


def _groups_per_channel(layer: Conv2D, kc: int) -> np.ndarray:
    """Output-channel groups each input channel contributes to (all of them unless the layer is grouped)."""
    kpg = layer.out_channels // layer.groups
    j = np.arange(layer.in_channels) // layer.in_channels_per_group
    return ((j + 1) * kpg - 1) // kc - (j * kpg) // kc + 1


class Dense:
    """DCNN: every operand stored and multiplied, ``ceil(work / (F x I))`` cycles per PE and step."""

    def conv(self, layer: Conv2D, m: Machine, weights: np.ndarray, acts: np.ndarray) -> DenseConv:
        return DenseConv(layer, m)

    def stream_bits(self, m: Machine, streams: np.ndarray) -> np.ndarray:
        return np.full(streams.shape[0], float(streams.shape[1] * m.activation_bits))

    def fc(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """A PE's work per (group, input block): its outputs of the group x the block's channels x the
        positions; a weight is read once per I positions, an activation once per F outputs."""
        positions = acts.shape[0]
        block_channels = np.bincount(plan.block_of(np.arange(plan.in_features)), minlength=plan.blocks)
        owned = plan.owned(m.n_pes)                                                 # (groups, PEs)
        work = owned[:, None, :] * block_channels[None, :, None] * positions        # (groups, blocks, PEs)
        cycles, idle = _cycles(work, m)
        macs = plan.out_features * plan.in_features * positions
        return Work(pe_cycles=cycles.reshape(plan.groups * plan.blocks, m.n_pes), useful=macs, fragmentation=idle,
                    weight_reads=macs / min(positions, m.i), activation_reads=macs / m.f,
                    weight_bits=owned.sum(axis=1)[:, None] * block_channels[None, :] * m.weight_bits)

    def serial_fc(self, m: Machine, plan: FcPlan, weights: np.ndarray, acts: np.ndarray) -> Work:
        """The same work for every input vector: its outputs of the group x the input channels; each weight
        read once, the input vector once by every PE that owns outputs."""
        vectors = acts.shape[0]
        owned = plan.owned(m.n_pes)                                                 # (groups, PEs)
        cycles, idle = _cycles(owned * plan.in_features, m)
        macs = plan.out_features * plan.in_features * vectors
        return Work(pe_cycles=np.tile(cycles, (vectors, 1)), useful=macs, fragmentation=idle * vectors,
                    weight_reads=macs, activation_reads=float(plan.in_features * vectors * int((owned > 0).sum())),
                    weight_bits=owned.sum(axis=1) * plan.in_features * m.weight_bits)


#: DCNN's strategy.
DENSE = Dense()
