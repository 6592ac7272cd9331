"""A convolution on the planar tiling, SCNN's and DCNN's one pipeline (layer 5; ``docs/scnn.md``, "How a
convolution maps"): plan the tiles, let the strategy compute the products of every (pass, group) step, add
the output-halo exchange, and the DRAM traffic: per step the group's weights, a pass's inputs with its first
group (with every group if they do not stay in the IARAM), the outputs compressed at the layer's own
activation density (assumed: the next layer's mask is unknown), and halos spilled across passes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from accelsim.accelerators.scnn.machine import Chain, Machine
from accelsim.accelerators.scnn import mapper
from accelsim.accelerators.scnn.plane import (Halo, Plane, footprint, group_fits_fifo, halo_exchange, input_groups,
                                              overlap_drain, plan_plane, with_kc)
from accelsim.accelerators.scnn.products import ConvProducts, Products, Work
from accelsim.accelerators.scnn.steps import Steps, operand_counts, program
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.errors import ConfigError
from accelsim.units import bits_to_bytes, ceil_div
from accelsim.workloads.layers import Conv2D


def output_density(acts: np.ndarray) -> float:
    """Fraction of non-zero input activations, taken as the density of the layer's outputs (1 if none)."""
    return float(acts.mean()) if acts.size else 1.0


def compile_conv(layer: Conv2D, m: Machine, products: Products, weights: np.ndarray, acts: np.ndarray,
                 chain: Chain | None = None) -> Program:
    """``layer`` on the planar tiling from its weight mask and input-activation mask (C, H, W), with the
    PE grid and group size the mapper chooses (:mod:`.mapper`; the group size fixed by the machine's
    ``output_group_channels`` if set); ``chain``: the inference it belongs to, whose activations may stay on
    chip (:func:`on_chip`)."""
    density, out_density = float(weights.mean()) if weights.size else 1.0, output_density(acts)

    def grid_of(mm: Machine, max_groups: int | None) -> mapper.Grid:
        return _grid(layer, mm, products.conv(layer, mm, weights, acts), density, max_groups)

    def exact(grid: mapper.Grid, plane: Plane) -> Program:
        return _program(layer, grid.m, grid.conv, plane, out_density, grid.conv.work, chain)

    def estimate(grid: mapper.Grid, plane: Plane) -> Program:
        return _program(layer, grid.m, grid.conv, plane, out_density, grid.conv.estimate, chain)

    # on a dense machine the masks count through their densities only (in the candidates and the outputs' bits)
    return mapper.map_layer(m, layer.macs, grid_of, exact, estimate, bounds=_dense_bounds(layer, out_density, chain),
                            memo=(replace(layer, name=""), type(products), out_density, handover(layer, m, chain)))


def _dense_bounds(layer: Conv2D, density: float, chain: Chain | None) -> tuple[mapper.Bound, mapper.Bound]:
    """Two lower bounds on the kernel's cycles for a candidate on a dense machine, computed without compiling
    it (outputs stored at ``density``), the cheaper first. The first: the busiest PEs' steps (the strategy's
    ``step_bound``), and the DRAM traffic that cannot be avoided (every pass's weights, the inputs and
    outputs that do not stay on chip, each once) after a latency. The second, when every step ends in a
    barrier (one input block; 0 otherwise): :func:`.mapper.chain_bound` over the steps' weights and inputs
    loaded, outputs stored (halos left out) and slowest PEs (the strategy's ``slowest_steps``)."""

    def traffic(m: Machine, conv, plane: Plane) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Tiles' PEs and passes, each pass's input bits and (passes, groups) output bits to or from DRAM."""
        tile_pe, tile_pass = m.pe_of_tile(*plane.tile_xy(), plane.factor)
        inputs_on_chip, outputs_on_chip, _ = on_chip(layer, m, plane, chain)
        pass_in_bits = np.bincount(tile_pass, weights=conv.input_bits(plane), minlength=plane.passes)
        out_bits = _output_bits(plane, m, tile_pass, density) * (not outputs_on_chip)        # (passes, groups)
        return tile_pe, tile_pass, pass_in_bits * (not inputs_on_chip), out_bits

    def busiest(grid: mapper.Grid, plane: Plane) -> float:
        m = grid.m
        tile_pe, tile_pass, in_bits, out_bits = traffic(m, grid.conv, plane)
        bits = plane.passes * layer.weight_count * m.weight_bits + float(in_bits.sum()) + float(out_bits.sum())
        memory = bits_to_bytes(bits) / m.dram.bytes_per_cycle + m.dram.latency_cycles
        return max(grid.conv.step_bound(plane, tile_pe, tile_pass, density), memory)

    def chained(grid: mapper.Grid, plane: Plane) -> float:
        if plane.blocks > 1:
            return 0.0
        m = grid.m
        _, tile_pass, in_bits, out_bits = traffic(m, grid.conv, plane)
        slowest = grid.conv.slowest_steps(plane, tile_pass, density).ravel()
        weights = plane.group_sizes() * layer.in_channels_per_group * layer.kernel_h * layer.kernel_w * m.weight_bits
        loads = np.ceil(bits_to_bytes(weights[None, :] + in_bits[:, None] * input_groups(plane.groups,
                                                                                           plane.resident)[None, :]))
        return mapper.chain_bound(loads.ravel(), 0, np.ceil(bits_to_bytes(out_bits)).ravel(), slowest, slowest, m)

    return busiest, chained


def _grid(layer: Conv2D, m: Machine, conv: ConvProducts, density: float, max_groups: int | None) -> mapper.Grid:
    """The candidates of ``layer`` on the PE grid of ``m``: the tilings :func:`.plane.plan_plane` gives for
    the accumulator capacity and every halving (while one output channel fits), each with the group sizes of
    :func:`.mapper.kc_candidates` under the machine's capacity (the machine's fixed size if it has one): a
    machine with twice the accumulator thus has every tiling and group size of the smaller one. With
    ``max_groups``, only sizes that cut the layer into at most that many groups (the largest groups always),
    and no tiling of a capacity that allows none. On a dense machine each group size whose (c, group) weight
    blocks fit the FIFO comes in both loop orders (:func:`accelsim.accelerators.dcnn.dense.activation_outer`),
    so a machine with a deeper FIFO has every candidate of the smaller one. They are bounded below by the busiest
    PE's MACs at full multiplier use (a PE owns at least its share of the outputs, each costing every input
    channel and kernel position of its group)."""
    channels, planes = layer.out_channels, []
    for capacity in mapper.capacities(m.accumulator_capacity):
        try:
            base = plan_plane(layer, m, conv.input_bits, density, capacity)
        except ConfigError:
            if not planes:      # not even the machine's own capacity holds the layer
                raise
            break
        if planes and max_groups and ceil_div(channels, capacity // footprint(base)) > max_groups:
            break
        if any((p.factor, p.resident) == (base.factor, base.resident) for p in planes):
            continue
        most = m.accumulator_capacity // footprint(base)
        sizes = ([min(m.fixed_kc, most, channels)] if m.fixed_kc else mapper.kc_candidates(channels, most, m.f))
        if max_groups:
            sizes = [kc for kc in sizes if ceil_div(channels, kc) <= max_groups] or sizes[:1]
        planes += [with_kc(base, kc, m, layer, density) for kc in sizes]
    if m.index_bits == 0:       # DCNN: either loop order where a group fits the FIFO (a bigger FIFO has both)
        planes += [replace(plane, weights_outer=True) for plane in planes if group_fits_fifo(plane, m)]
    bound = 0.0
    if m.index_bits == 0:
        per_output = layer.macs // (layer.out_h * layer.out_w)
        bound = float(ceil_div(layer.out_h * layer.out_w, m.n_pes) * per_output / m.lanes)
    return mapper.Grid(m, planes, bound, conv)


def on_chip(layer: Conv2D, m: Machine, plane: Plane, chain: Chain | None) -> tuple[bool, bool, bool]:
    """(inputs on chip, outputs on chip, inputs spilled) with ``activations_on_chip``. A convolution the
    chain says keeps its outputs leaves them in the OARAMs (the PPU compresses them there after pooling,
    each into the PE that owns it next); one the chain says finds its inputs there uses them in place, the
    RAMs swapping roles, when they fit the IARAMs in one pass, and otherwise spills them to DRAM and streams
    them back as usual (the spill is counted in its row, written after its first step). A layer alone (no
    chain) crosses DRAM both ways."""
    finds, keeps = handover(layer, m, chain)
    fits = plane.passes == 1 and plane.resident
    return finds and fits, keeps, finds and not fits


def handover(layer: Conv2D, m: Machine, chain: Chain | None) -> tuple[bool, bool]:
    """(the chain says ``layer`` finds its inputs in the OARAMs, it keeps its outputs there), with
    ``activations_on_chip``; (False, False) otherwise."""
    if not m.activations_on_chip or chain is None:
        return False, False
    return layer.name in chain.finds, layer.name in chain.keeps


def _program(layer: Conv2D, m: Machine, conv: ConvProducts, plane: Plane, density: float,
             work_of: Callable[[Plane, np.ndarray, np.ndarray], Work], chain: Chain | None) -> Program:
    """The Program of ``layer`` on ``plane`` whose products ``work_of`` computes (exactly or estimated), its
    outputs stored at ``density``."""
    tile_pe, tile_pass = m.pe_of_tile(*plane.tile_xy(), plane.factor)
    work = work_of(plane, tile_pe, tile_pass)
    halo = halo_exchange(plane, m, tile_pe, tile_pass)
    pe_cycles, halo_stall = overlap_drain(work.pe_cycles, halo.drain, plane.blocks)
    inputs_on_chip, outputs_on_chip, spilled = on_chip(layer, m, plane, chain)
    pass_in_bits = np.bincount(tile_pass, weights=conv.input_bits(plane), minlength=plane.passes)
    reload = pass_in_bits[:, None] * input_groups(plane.groups, plane.resident)[None, :] * (not inputs_on_chip)
    out_bits = _output_bits(plane, m, tile_pass, density)
    stored = _at_block(out_bits * (not outputs_on_chip), plane.blocks, -1)
    if spilled:
        stored.ravel()[0] += pass_in_bits.sum()         # the previous layer's outputs, out of the OARAMs
    steps = _steps(pe_cycles, work, _at_block(reload, plane.blocks, 0), stored, halo, plane.blocks)
    halo_psums = int(halo.psums.sum())
    counts = (operand_counts(m, work, float(reload.sum()), float(out_bits.sum()), float(stored.sum()))
              + Counts({("accumulator", "update"): halo_psums, ("halo", "transfer"): halo_psums}))
    mapping = {"kc": plane.kc, "groups": plane.groups, "passes": plane.passes, "input_blocks": plane.blocks,
               "tile_w_pixels": plane.tile_w, "tile_h_pixels": plane.tile_h, "resident_inputs": int(plane.resident),
               "halo_stall_cycles": halo_stall / m.n_pes, "inputs_on_chip": int(inputs_on_chip),
               "outputs_on_chip": int(outputs_on_chip)}
    return program(layer.name, m, work, steps, counts, mapping,
                   _sram_words(plane, m, work, tile_pe, tile_pass, density))


def _sram_words(plane: Plane, m: Machine, work: Work, tile_pe: np.ndarray, tile_pass: np.ndarray,
                density: float) -> dict[tuple[str, str], np.ndarray]:
    """Words each PE reads from its IARAM and writes into its OARAM per step (the kernel stretches a step
    its buffers cannot serve; :func:`accelsim.sim.sram.sram_step_cycles`): the activation entries the
    products read (``work.iaram_reads``, if the strategy reports them), and a group's outputs, written with
    its last block (the tile's owned outputs x the group's channels, stored at ``density``). Fills from
    DRAM and write-backs to it are paced by the DRAM channel, not counted here."""
    words = {}
    if work.iaram_reads is not None:
        words[(m.iaram.name, "read_words")] = work.iaram_reads * m.activation_entry_bits / m.iaram.width_bits
    owned = np.zeros((plane.passes, m.n_pes))
    np.add.at(owned, (tile_pass, tile_pe), plane.owned_outputs())
    writes = np.zeros((plane.passes, plane.groups, plane.blocks, m.n_pes))
    writes[:, :, -1, :] = (owned[:, None, :] * plane.group_sizes()[None, :, None] * density
                           * m.activation_entry_bits / m.oaram.width_bits)
    words[(m.oaram.name, "write_words")] = writes.reshape(plane.steps, m.n_pes)
    return words


def _output_bits(plane: Plane, m: Machine, tile_pass: np.ndarray, density: float) -> np.ndarray:
    """(passes, groups): bits of the outputs each step writes back, stored as activations at ``density``."""
    pass_outputs = np.bincount(tile_pass, weights=plane.owned_outputs(), minlength=plane.passes)
    return pass_outputs[:, None] * plane.group_sizes()[None, :] * density * m.activation_entry_bits


def _at_block(per_group: np.ndarray, blocks: int, block: int) -> np.ndarray:
    """(passes, groups, blocks): ``per_group`` (passes, groups) at one block of each group, 0 elsewhere."""
    out = np.zeros(per_group.shape + (blocks,))
    out[..., block] = per_group
    return out


def _steps(pe_cycles: np.ndarray, work: Work, reload: np.ndarray, out_bits: np.ndarray, halo: Halo,
           blocks: int) -> Steps:
    """Per (pass, group, block): the block's weights and (with a group's first block) the inputs
    (re)loaded, halos spilled by the previous group read back; the outputs and the spilled halos written
    with a group's last block, which ends in a barrier."""
    spill = _at_block(halo.spill_bits, blocks, -1)
    load_bits = work.weight_bits[None, :, :] + reload
    load_bits.ravel()[1:] += spill.ravel()[:-1]
    barrier = np.zeros(load_bits.shape, bool)
    barrier[..., -1] = True
    return Steps(pe_cycles, load_bits, out_bits + spill, barrier=barrier.ravel())
