"""Compiling a layer for DCNN, SCNN's dense baseline (Parashar et al., ISCA 2017), into a :class:`Program`
(layer 3).

DCNN has SCNN's organisation (``accelsim.accelerators.scnn.compiler``): the same PEs of F x I multipliers, accumulator
banks, weight FIFO, IARAM and OARAM, the same planar tiling, output-channel groups, output halos and
barriers, and the same output-channels-over-PEs mapping of fully connected layers. It is dense: the masks
are ignored, zeros are multiplied at full price, operands are stored uncompressed (no index bits) and a
regular dense schedule has no accumulator-bank conflicts. A PE's cycles for a (pass, group) step are
``ceil(work / (F x I))``, ``work`` being the dense MACs of the outputs its tile owns in that group; edge
tiles (smaller, or absent when the plane does not divide over the PEs) leave multipliers idle and
make the other PEs wait at the barrier. Every layer type of the zoo runs: convolutions (grouped and
depthwise included), Linear, LSTM (its gate products, one time step after another), Embedding (a row
lookup) and Attention (the GEMMs of ``accelsim.compile.gemm.lower``).
"""
from __future__ import annotations

import numpy as np

from accelsim.compile.program import Program
from accelsim.accelerators.scnn.compiler import (Machine, Plane, attention, concat, halo_exchange, input_groups, is_fc_conv,
                                   lookup, machine, overlap_drain, plan_fc, plan_plane)
from accelsim.counts import Counts
from accelsim.hardware.schema import HardwareConfig
from accelsim.units import ceil_div
from accelsim.workloads.layers import LSTM, Attention, Conv2D, Embedding, Layer, Linear


def _ceil_cycles(work: np.ndarray, m: Machine) -> np.ndarray:
    return ceil_div(np.asarray(work, dtype=np.int64), m.lanes)


def dense_conv(layer: Conv2D, m: Machine) -> Program:
    """A convolution on the planar tiling with dense operands."""
    c_in = layer.in_channels

    def input_bits(plane: Plane) -> np.ndarray:
        return plane.tile_pixels() * c_in * m.activation_bits

    plane = plan_plane(layer, m, input_bits)
    tx, ty = plane.tile_xy()
    tile_pe, tile_pass = m.pe_of_tile(tx, ty, plane.factor)
    sizes = plane.group_sizes()
    n_groups = sizes.size
    owned = plane.owned_outputs()
    rs = layer.kernel_h * layer.kernel_w
    per_output = layer.in_channels_per_group * rs                 # MACs of one output value
    work = owned[:, None] * sizes[None, :] * per_output  # (tiles, groups)
    cycles = _ceil_cycles(work, m)
    compute = np.zeros((plane.passes * n_groups, m.n_pes), dtype=np.int64)
    rows = tile_pass[:, None] * n_groups + np.arange(n_groups)[None, :]
    np.add.at(compute, (rows, np.broadcast_to(tile_pe[:, None], rows.shape)), cycles)
    halo = halo_exchange(plane, m, tile_pe, tile_pass, sizes)
    pe_cycles, halo_stall = overlap_drain(compute, halo["drain"])

    tile_in_bits = input_bits(plane)
    pass_in_bits = np.bincount(tile_pass, weights=tile_in_bits, minlength=plane.passes)
    reload = pass_in_bits[:, None] * input_groups(n_groups, plane.resident)[None, :]
    w_bits = sizes * per_output * m.weight_bits
    pass_outputs = np.bincount(tile_pass, weights=owned, minlength=plane.passes)
    out_bits = pass_outputs[:, None] * sizes[None, :] * m.activation_bits
    load_bits = w_bits[None, :] + reload
    load_bits.ravel()[1:] += halo["spill_bits"].ravel()[:-1]
    store_bits = out_bits + halo["spill_bits"]

    macs = layer.macs
    halo_psums = int(halo["psums"].sum())
    # Operand reads: activation vector outer when a (c, group) weight block fits the FIFO (each weight read
    # once per activation vector), weight vector outer otherwise (each activation read once per weight vector).
    if plane.kc * rs <= m.fifo_entries:
        weight_reads = macs / m.i
        act_reads = layer.in_h * layer.in_w * _groups_per_channel(layer, plane.kc).sum()
    else:
        weight_reads = layer.weight_count * int((tile_in_bits > 0).sum())
        act_reads = macs / m.f
    counts = Counts({
        ("mac", "op"): macs, ("accumulator", "update"): macs + halo_psums, ("halo", "transfer"): halo_psums,
        ("weight_fifo", "read_entries"): weight_reads,
        (m.iaram.name, "read_words"): act_reads * m.activation_bits / m.iaram.width_bits,
        (m.iaram.name, "write_words"): float(reload.sum()) / m.iaram.width_bits,
        (m.oaram.name, "write_words"): float(out_bits.sum()) / m.oaram.width_bits,
        (m.oaram.name, "read_words"): float(out_bits.sum()) / m.oaram.width_bits,
    })
    notes = (("mapping", "planar"), ("tile", (plane.tile_w, plane.tile_h)),
             ("halo_psums_per_channel", int(plane.halos()[0].sum())),
             ("passes", plane.passes), ("kc", plane.kc), ("groups", n_groups), ("resident_inputs", plane.resident),
             ("halo_stall_cycles", halo_stall))
    return Program(layer.name, load_bytes=np.ceil(load_bits.ravel() / 8), pe_cycles=pe_cycles,
                   store_bytes=np.ceil(store_bits.ravel() / 8), barrier=True, counts=counts, useful_macs=macs,
                   fragmentation_slots=int((cycles * m.lanes - work).sum()), notes=notes)


def _groups_per_channel(layer: Conv2D, kc: int) -> np.ndarray:
    """Output-channel groups each input channel contributes to (all of them unless the layer is grouped)."""
    kpg = layer.out_channels // layer.groups
    j = np.arange(layer.in_channels) // layer.in_channels_per_group
    return ((j + 1) * kpg - 1) // kc - (j * kpg) // kc + 1


def dense_fc(name: str, m: Machine, out_features: int, in_features: int, positions: int) -> Program:
    """y = W x for ``positions`` input vectors at once, output channels over the PEs (as SCNN)."""
    channel_bits = np.full(in_features, float(positions * m.activation_bits))
    plan = plan_fc(m, out_features, in_features, positions, channel_bits, name)
    n_groups, blocks = plan.groups, plan.blocks
    block = plan.block_of(np.arange(in_features))
    block_channels = np.bincount(block, minlength=blocks)
    owned = plan.owned(m.n_pes)                                                # (groups, PEs)
    work = owned[:, None, :] * block_channels[None, :, None] * positions       # (groups, blocks, PEs)
    cycles = _ceil_cycles(work, m)
    w_bits = owned.sum(axis=1)[:, None] * block_channels[None, :] * m.weight_bits
    in_bits = block_channels * positions * m.activation_bits
    reload = input_groups(n_groups, plan.resident)[:, None] * in_bits[None, :]
    out_bits = np.zeros((n_groups, blocks))
    out_bits[:, -1] = owned.sum(axis=1) * positions * m.activation_bits
    barrier = np.zeros((n_groups, blocks), bool)
    barrier[:, -1] = True
    macs = out_features * in_features * positions
    counts = Counts({
        ("mac", "op"): macs, ("accumulator", "update"): macs,
        ("weight_fifo", "read_entries"): macs / min(positions, m.i),
        (m.iaram.name, "read_words"): macs / m.f * m.activation_bits / m.iaram.width_bits,
        (m.iaram.name, "write_words"): float(reload.sum()) * m.n_pes / m.iaram.width_bits,
        (m.oaram.name, "write_words"): float(out_bits.sum()) / m.oaram.width_bits,
        (m.oaram.name, "read_words"): float(out_bits.sum()) / m.oaram.width_bits,
    })
    return Program(name, load_bytes=np.ceil((w_bits + reload).ravel() / 8),
                   pe_cycles=cycles.reshape(n_groups * blocks, m.n_pes), store_bytes=np.ceil(out_bits.ravel() / 8),
                   barrier=barrier.ravel(), counts=counts, useful_macs=macs,
                   fragmentation_slots=int((cycles * m.lanes - work).sum()),
                   notes=(("mapping", "fc"), ("outputs_per_pe", plan.per_pe), ("kc", plan.kc),
                          ("groups", n_groups), ("input_blocks", blocks)))


def dense_serial_fc(name: str, m: Machine, out_features: int, in_features: int, vectors: int,
                    out_elements: int) -> Program:
    """y_t = W x_t for ``vectors`` input vectors one after another (recurrence), weights streamed from DRAM
    for every vector."""
    plan = plan_fc(m, out_features, in_features, 1, np.zeros(in_features), name)
    owned = plan.owned(m.n_pes)
    work = owned * in_features                                                  # (groups, PEs)
    cycles = _ceil_cycles(work, m)
    n_groups = plan.groups
    load_bits = np.tile(owned.sum(axis=1) * in_features * m.weight_bits, vectors).reshape(vectors, n_groups)
    load_bits = load_bits.astype(np.float64)
    load_bits[:, 0] += in_features * m.activation_bits
    store_bits = np.zeros((vectors, n_groups))
    store_bits[:, -1] = out_elements * m.activation_bits
    macs = out_features * in_features * vectors
    counts = Counts({
        ("mac", "op"): macs, ("accumulator", "update"): macs, ("weight_fifo", "read_entries"): macs,
        (m.iaram.name, "read_words"): float(in_features * vectors * int((owned > 0).sum()))
        * m.activation_bits / m.iaram.width_bits,
        (m.iaram.name, "write_words"): float(in_features * vectors * m.n_pes) * m.activation_bits / m.iaram.width_bits,
        (m.oaram.name, "write_words"): float(store_bits.sum()) / m.oaram.width_bits,
        (m.oaram.name, "read_words"): float(store_bits.sum()) / m.oaram.width_bits,
    })
    return Program(name, load_bytes=np.ceil(load_bits.ravel() / 8), pe_cycles=np.tile(cycles, (vectors, 1)),
                   store_bytes=np.ceil(store_bits.ravel() / 8), barrier=True, counts=counts, useful_macs=macs,
                   fragmentation_slots=int((cycles * m.lanes - work).sum()) * vectors,
                   notes=(("mapping", "serial fc"), ("vectors", vectors), ("outputs_per_pe", plan.per_pe),
                          ("groups", n_groups)))


def compile_dcnn(layer: Layer, hw: HardwareConfig, masks=None, activations=None) -> Program:
    """``layer`` on DCNN (engine ``dcnn``); the masks are ignored (dense)."""
    m = machine(hw, sparse=False)
    if isinstance(layer, Embedding):
        return lookup(layer, m, None)
    if isinstance(layer, Conv2D):
        if is_fc_conv(layer):
            return dense_fc(layer.name, m, layer.out_channels, layer.in_channels, 1)
        return dense_conv(layer, m)
    if isinstance(layer, Linear):
        return dense_fc(layer.name, m, layer.out_features, layer.in_features, layer.steps)
    if isinstance(layer, LSTM):
        k = layer.input_size + layer.hidden_size
        return concat(layer.name, [dense_serial_fc(layer.name, m, 4 * layer.hidden_size, k, layer.steps,
                                                   layer.hidden_size) for _ in range(layer.directions)])
    if isinstance(layer, Attention):
        return attention(layer, lambda name, g: dense_fc(name, m, g.M, g.K, g.E),
                         lambda name, g: dense_serial_fc(name, m, g.M, g.K, g.repeats * g.E, g.M))
    raise TypeError(f"DCNN has no mapping for {type(layer).__name__}")
