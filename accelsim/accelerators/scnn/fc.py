"""Fully connected layers on SCNN's and DCNN's PEs, one pipeline for both (layer 5; ``docs/scnn.md``, "Fully
connected and sequence layers"). A 1x1 plane cannot be split over PEs, so output channels are: PE p owns
``ceil(M / PEs)`` consecutive outputs, in groups of ``kc`` that fill its accumulators, and every PE holds the
whole (broadcast) input vector. Several input vectors at once (a Linear layer's positions) are cut into
input-channel blocks, the weight FIFO's stream (:mod:`.stream`); vectors that must run one after another
(LSTM gates, Attention's decoder steps) are one Program step per vector and group.

The PE grid, weight lanes and ``kc`` are the mapper's choice (:func:`.mapper.map_layer`), as a convolution's
are."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.scnn import mapper
from accelsim.accelerators.scnn.conv import output_density
from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.plane import input_groups
from accelsim.accelerators.scnn.products import Products, Work
from accelsim.accelerators.scnn.steps import Steps, concat, operand_counts, program
from accelsim.accelerators.scnn.stream import stream_blocks
from accelsim.compile.program import Program
from accelsim.errors import ConfigError
from accelsim.units import bytes_to_bits, ceil_div


@dataclass(frozen=True)
class FcPlan:
    """Output channels over PEs for a matrix product y = W x on ``positions`` input vectors at once."""

    out_features: int
    in_features: int
    positions: int
    per_pe: int                 # output channels per PE
    kc: int                     # output channels per group (of one PE)
    blocks: int                 # input-channel blocks (Program steps per group)
    resident: bool              # all inputs stay in the IARAM for every group

    @property
    def groups(self) -> int:
        return ceil_div(self.per_pe, self.kc)

    def block_of(self, c: np.ndarray) -> np.ndarray:
        return c // ceil_div(self.in_features, self.blocks)

    def owned(self, n_pes: int) -> np.ndarray:
        """Output channels of each (group, PE)."""
        owned = np.clip(self.out_features - np.arange(n_pes) * self.per_pe, 0, self.per_pe)
        g = np.arange(self.groups)
        return np.clip(owned[None, :] - g[:, None] * self.kc, 0, self.kc)

    def segments(self, n_pes: int) -> np.ndarray:
        """(groups, PEs): the first output channel of each (group, PE), -1 where the PE owns none in the group."""
        first = np.arange(n_pes)[None, :] * self.per_pe + np.arange(self.groups)[:, None] * self.kc
        return np.where(self.owned(n_pes) > 0, first, -1)


def plan_fc(m: Machine, out_features: int, in_features: int, positions: int, channel_bits: np.ndarray,
            name: str, weight_density: float = 1.0, capacity: int | None = None) -> FcPlan:
    """``channel_bits``: IARAM bits of each input channel's activations (all positions). Groups fill
    ``capacity`` partial sums (default the machine's accumulator: banks x entries). A PE's weights of a group
    (about ``weight_density`` of kc x K entries) stream through its FIFO in input-channel blocks
    (:func:`.stream.stream_blocks`), more if a block's inputs exceed half the IARAM."""
    capacity = m.accumulator_capacity if capacity is None else capacity
    if positions > capacity:
        raise ConfigError(f"layer {name}: {positions} input vectors at once do not fit the accumulators",
                          key="pe.accumulator_entries", expected=f">= {ceil_div(positions, m.banks)}")
    per_pe = ceil_div(out_features, m.n_pes)
    kc = min(per_pe, capacity // positions)
    iaram_bits = bytes_to_bits(m.iaram.size_bytes)
    total = float(channel_bits.sum())
    resident = total <= iaram_bits
    blocks = stream_blocks(m, in_features, kc * in_features * weight_density,
                           min(m.n_pes, ceil_div(out_features, per_pe)))
    while blocks < in_features:
        size = ceil_div(in_features, blocks)
        sums = np.add.reduceat(channel_bits, np.arange(0, in_features, size))
        if resident or sums.max() <= iaram_bits / 2:
            break
        blocks = min(in_features, blocks * 2)
    return FcPlan(out_features, in_features, positions, per_pe, kc, blocks, resident)


def fc_plans(m: Machine, out_features: int, in_features: int, positions: int, channel_bits: np.ndarray,
             name: str, weight_density: float = 1.0, max_groups: int | None = None) -> list[FcPlan]:
    """A fully connected layer's candidates on the PEs of ``m``: the plans (:func:`plan_fc`) for the
    accumulator capacity and every halving that holds the positions (a machine with twice the accumulator
    banks or entries has every plan of the smaller one), each once, the largest groups first; with
    ``max_groups``, only plans of at most that many groups (the largest groups always)."""
    plans: list[FcPlan] = []
    for capacity in mapper.capacities(m.accumulator_capacity):
        if plans and capacity < positions:
            break
        plan = plan_fc(m, out_features, in_features, positions, channel_bits, name, weight_density, capacity)
        if plans and max_groups and plan.groups > max_groups:
            break
        if plan not in plans:
            plans.append(plan)
    return plans


def compile_fc(name: str, m: Machine, products: Products, weights: np.ndarray, acts: np.ndarray) -> Program:
    """y = W x for all ``positions = acts.shape[0]`` input vectors at once (a Linear layer: a 1x1 convolution
    over a plane of ``positions`` pixels) from the (M x K) weight mask and the (positions x K) activation
    mask, on the PE grid and group size the mapper chooses (:func:`.mapper.map_layer`)."""
    m_out, k_in = weights.shape
    positions = acts.shape[0]
    channel_bits = products.stream_bits(m, np.ascontiguousarray(acts.T))
    density, out_density = float(weights.mean()) if weights.size else 1.0, output_density(acts)

    def grid_of(grid: Machine, max_groups: int | None) -> mapper.Grid:
        return mapper.Grid(grid, fc_plans(grid, m_out, k_in, positions, channel_bits, name, density, max_groups))

    def fc_program(work_of: Callable[..., Work]) -> Callable[[mapper.Grid, FcPlan], Program]:
        return lambda grid, plan: _fc_program(name, grid.m, plan, work_of(grid.m, plan, weights, acts),
                                              channel_bits, out_density)

    return mapper.map_layer(m, m_out * k_in * positions, grid_of, fc_program(products.fc),
                            fc_program(products.fc_estimate), with_lanes=True,
                            memo=(type(products), "fc", weights.shape, positions))


def _fc_program(name: str, m: Machine, plan: FcPlan, work: Work, channel_bits: np.ndarray,
                out_density: float) -> Program:
    """The Program of ``plan``'s ``work``: per (group, input block) the block's weights, the inputs with a
    group's first block (every group's unless they stay in the IARAM), the outputs (stored at
    ``out_density``) with its last block, which ends in a barrier."""
    k_in, positions = plan.in_features, plan.positions
    in_bits = np.bincount(plan.block_of(np.arange(k_in)), weights=channel_bits, minlength=plan.blocks)
    reload = input_groups(plan.groups, plan.resident)[:, None] * in_bits[None, :]
    out_bits = np.zeros((plan.groups, plan.blocks))
    out_bits[:, -1] = plan.owned(m.n_pes).sum(axis=1) * positions * out_density * m.activation_entry_bits
    barrier = np.zeros((plan.groups, plan.blocks), bool)
    barrier[:, -1] = True
    counts = operand_counts(m, work, float(reload.sum()) * m.n_pes, float(out_bits.sum()))
    steps = Steps(work.pe_cycles, work.weight_bits + reload, out_bits, barrier.ravel())
    mapping = {"kc": plan.kc, "groups": plan.groups, "outputs_per_pe": plan.per_pe, "input_blocks": plan.blocks,
               "resident_inputs": int(plan.resident)}
    return program(name, m, work, steps, counts, mapping)


def compile_serial_fc(name: str, m: Machine, products: Products, parts: Sequence[np.ndarray], acts: np.ndarray,
                      out_elements: int) -> Program:
    """y_t = W x_t for the input vectors (rows of ``acts``) one after another, for each (M x K) weight mask of
    ``parts`` in turn (an LSTM's directions), all on the PE grid and group size the mapper chooses for the
    whole (:func:`.mapper.map_layer`): one Program step per vector and group, each ending in a barrier, the
    weights streamed from DRAM again for every vector (SCNN has no weight buffer beside the FIFO), the vector
    loaded with its first group. ``out_elements``: values written back per vector (dense: gate and attention
    outputs are not ReLU'd)."""
    m_out, k_in = parts[0].shape
    row_bits = products.stream_bits(m, acts)

    def grid_of(grid: Machine, max_groups: int | None) -> mapper.Grid:
        return mapper.Grid(grid, fc_plans(grid, m_out, k_in, 1, np.zeros(k_in), name, max_groups=max_groups))

    def serial_program(work_of: Callable[..., Work]) -> Callable[[mapper.Grid, FcPlan], Program]:
        def parts_in_turn(grid: mapper.Grid, plan: FcPlan) -> Program:
            programs = [_serial_program(name, grid.m, plan, work_of(grid.m, plan, weights, acts), row_bits,
                                        out_elements) for weights in parts]
            return programs[0] if len(programs) == 1 else concat(name, grid.m, programs)
        return parts_in_turn

    return mapper.map_layer(m, m_out * k_in * acts.shape[0] * len(parts), grid_of, serial_program(products.serial_fc),
                            serial_program(products.serial_fc_estimate), with_lanes=True,
                            memo=(type(products), "serial", len(parts), parts[0].shape, acts.shape[0], out_elements))


def _serial_program(name: str, m: Machine, plan: FcPlan, work: Work, row_bits: np.ndarray,
                    out_elements: int) -> Program:
    """The Program of ``plan``'s ``work`` one input vector after another: per (vector, group) the group's
    weights, the vector (``row_bits``) with its first group, ``out_elements`` outputs with its last."""
    vectors = row_bits.size
    load_bits = np.tile(np.asarray(work.weight_bits, np.float64), vectors).reshape(vectors, plan.groups)
    load_bits[:, 0] += row_bits
    store_bits = np.zeros((vectors, plan.groups))
    store_bits[:, -1] = out_elements * m.activation_bits
    counts = operand_counts(m, work, float(row_bits.sum()) * m.n_pes, float(store_bits.sum()))
    mapping = {"kc": plan.kc, "groups": plan.groups, "outputs_per_pe": plan.per_pe}
    return program(name, m, work, Steps(work.pe_cycles, load_bits, store_bits, True), counts, mapping)
