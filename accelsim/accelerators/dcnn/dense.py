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
from accelsim.accelerators.scnn.plane import Plane, group_fits_fifo
from accelsim.accelerators.scnn.products import Work
from accelsim.units import ceil_div
from accelsim.workloads.layers import Conv2D


def activation_outer(plane: Plane, m: Machine) -> bool:
    """The loop order of ``plane``'s steps: activation vectors outer (each activation read once per input
    channel and group) when a (c, group) weight block fits the weight FIFO and the mapper did not choose
    weight vectors outer (``plane.weights_outer``: each activation read once per weight vector, fewer reads
    at once); weight vectors outer otherwise."""
    return group_fits_fifo(plane, m) and not plane.weights_outer


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
        pairs, feeds = _block_pairs(layer, plane)                                     # (groups, blocks)
        work = plane.owned_outputs()[:, None, None] * pairs[None] * rs                # (tiles, groups, blocks)
        cycles, idle = _cycles(work, m)
        if activation_outer(plane, m):     # activation outer: each activation once per (channel, group)
            reads = (layer.macs / m.i, layer.in_h * layer.in_w * _groups_per_channel(layer, plane.kc).sum())
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

    def step_bound(self, plane: Plane, tile_pe: np.ndarray, tile_pass: np.ndarray, density: float) -> float:
        """A lower bound on the sum over barrier segments (a pass's group) of the slowest PE's step cycles
        (:meth:`work`'s, stretched by the IARAM and OARAM, :func:`accelsim.sim.sram.sram_step_cycles`),
        from the busiest PE of each pass: the largest of its multiplier cycles (its owned outputs x every
        output channel x the channels and kernel positions each reads, over F x I), its IARAM reads (its
        pixels x the input channels feeding each group when a group's weights fit the FIFO, its MACs / F
        otherwise) and its OARAM writes (its outputs of every channel at ``density``), each in words over
        the buffer's words per cycle; the rounding up of each step left out."""
        layer, m = self.layer, self.m
        cell = tile_pass * m.n_pes + tile_pe
        size = plane.passes * m.n_pes

        def busiest(per_tile: np.ndarray) -> float:
            per_pe = np.bincount(cell, weights=per_tile, minlength=size).reshape(plane.passes, -1)
            return float(per_pe.max(axis=1).sum())

        owned, rs, cg = busiest(plane.owned_outputs()), layer.kernel_h * layer.kernel_w, layer.in_channels_per_group
        macs = owned * layer.out_channels * cg * rs
        if activation_outer(plane, m):
            reads = busiest(plane.tile_pixels()) * _groups_per_channel(layer, plane.kc).sum()
        else:
            reads = macs / m.f
        iaram, oaram = m.iaram, m.oaram
        words = (reads * m.activation_entry_bits / iaram.width_bits / (iaram.banks * iaram.read_ports),
                 owned * layer.out_channels * density * m.activation_entry_bits / oaram.width_bits
                 / (oaram.banks * oaram.write_ports))
        return max(macs / m.lanes, *(w - plane.steps * 1e-9 for w in words))

    def slowest_steps(self, plane: Plane, tile_pass: np.ndarray, density: float) -> np.ndarray:
        """(passes, groups, blocks): a lower bound on each step's slowest PE cycles (:meth:`work`'s, stretched
        by the IARAM and OARAM as :func:`accelsim.sim.sram.sram_step_cycles` does): the busiest tile's of the
        pass (a PE's steps add up its tiles'), its multipliers', IARAM reads' and (with a group's last block)
        OARAM writes' cycles, each rounded up."""
        layer, m = self.layer, self.m
        rs = layer.kernel_h * layer.kernel_w
        owned, pixels = np.zeros(plane.passes), np.zeros(plane.passes)
        np.maximum.at(owned, tile_pass, plane.owned_outputs())
        np.maximum.at(pixels, tile_pass, plane.tile_pixels())
        pairs, feeds = _block_pairs(layer, plane)                                     # (groups, blocks)
        work = owned[:, None, None] * pairs[None] * rs                                # (passes, groups, blocks)
        if activation_outer(plane, m):
            reads = pixels[:, None, None] * feeds[None]
        else:
            reads = work / m.f
        iaram, oaram = m.iaram, m.oaram
        writes = np.zeros(work.shape)
        writes[..., -1] = (owned[:, None] * plane.group_sizes()[None, :] * density * m.activation_entry_bits
                           / oaram.width_bits / (oaram.banks * oaram.write_ports))
        need = np.maximum(np.ceil(work / m.lanes),
                          np.ceil(reads * m.activation_entry_bits / iaram.width_bits / (iaram.banks * iaram.read_ports)
                                  - 1e-9))
        return np.maximum(need, np.ceil(writes - 1e-9))


def _by_pe(per_tile: np.ndarray, plane: Plane, m: Machine, tile_pe: np.ndarray, tile_pass: np.ndarray) -> np.ndarray:
    """(steps, PEs) from (tiles, groups, blocks): each tile's figures at its PE, in its pass's steps."""
    steps_per_pass = plane.groups * plane.blocks
    rows = tile_pass[:, None] * steps_per_pass + np.arange(steps_per_pass)[None, :]
    cells = (rows * m.n_pes + tile_pe[:, None]).ravel()
    return np.bincount(cells, weights=per_tile.reshape(-1), minlength=plane.steps * m.n_pes).reshape(
        plane.steps, m.n_pes)


def _block_pairs(layer: Conv2D, plane: Plane) -> tuple[np.ndarray, np.ndarray]:
    """(groups, blocks) twice: the (output channel of the group, input channel of the block) pairs that meet
    (the group's output channels that read each of the block's input channels, summed), and the block's
    input channels that some output channel of the group reads. In closed form from the channels before
    each block's first: group g's channels [lo, hi) meet convolution group j's outputs [j kpg, (j + 1) kpg)
    in ``overlap(g, j)`` channels, and input channel c belongs to convolution group c // cg; blocks are runs
    of consecutive channels (the last ones possibly empty)."""
    kpg, cg, k_total = layer.out_channels // layer.groups, layer.in_channels_per_group, layer.out_channels
    lo = (np.arange(plane.groups) * plane.kc)[:, None]
    hi = np.minimum(lo + plane.kc, k_total)
    edges = np.r_[np.searchsorted(plane.block_of(np.arange(layer.in_channels)), np.arange(plane.blocks)),
                  layer.in_channels][None, :]
    j, rest = edges // cg, edges % cg                       # channels before the edge: j whole groups + rest
    whole = np.maximum(np.minimum(hi, j * kpg) - lo, 0)     # pairs with the whole groups before j
    at_j = np.maximum(np.minimum(hi, (j + 1) * kpg) - np.maximum(lo, j * kpg), 0)
    met = np.maximum(np.minimum(j, (hi - 1) // kpg + 1) - lo // kpg, 0)   # whole groups before j that g meets
    pairs = np.diff(cg * whole + rest * at_j, axis=1)
    feeds = np.diff(cg * met + rest * (at_j > 0), axis=1)
    return pairs.astype(np.int64), feeds.astype(np.int64)


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

    # closed forms, as cheap as any estimate
    fc_estimate = fc
    serial_fc_estimate = serial_fc


#: DCNN's strategy.
DENSE = Dense()
