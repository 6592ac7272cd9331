"""Fully connected layers on SCNN's and DCNN's PEs, one pipeline for both (layer 5; ``docs/scnn.md``, "Fully
connected and sequence layers"). A 1x1 plane cannot be split over PEs, so output channels are: PE p owns
``ceil(M / PEs)`` consecutive outputs, in groups of ``kc`` that fill its accumulators, and every PE holds the
whole (broadcast) input vector. Several input vectors at once (a Linear layer's positions) are cut into
input-channel blocks, the weight FIFO's stream (:mod:`.stream`); vectors that must run one after another
(LSTM gates, Attention's decoder steps) are one Program step per vector and group."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.scnn.conv import output_density
from accelsim.accelerators.scnn.machine import Machine
from accelsim.accelerators.scnn.plane import input_groups
from accelsim.accelerators.scnn.products import Products
from accelsim.accelerators.scnn.steps import Steps, operand_counts, program
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


def plan_fc(m: Machine, out_features: int, in_features: int, positions: int, channel_bits: np.ndarray,
            name: str, weight_density: float = 1.0) -> FcPlan:
    """``channel_bits``: IARAM bits of each input channel's activations (all positions). A PE's weights of
    a group (about ``weight_density`` of kc x K entries) stream through its FIFO in input-channel blocks
    (:func:`.stream.stream_blocks`), more if a block's inputs exceed half the IARAM."""
    capacity = m.accumulator_capacity
    if positions > capacity:
        raise ConfigError(f"layer {name}: {positions} input vectors at once do not fit the accumulators",
                          key="pe.accumulator_entries", expected=f">= {ceil_div(positions, m.banks)}")
    per_pe = ceil_div(out_features, m.n_pes)
    kc = min(per_pe, capacity // positions)
    iaram_bits = bytes_to_bits(m.iaram.size_bytes)
    total = float(channel_bits.sum())
    resident = total <= iaram_bits
    blocks = stream_blocks(m, in_features, kc * in_features * weight_density, min(m.n_pes, ceil_div(out_features, per_pe)))
    while blocks < in_features:
        size = ceil_div(in_features, blocks)
        sums = np.add.reduceat(channel_bits, np.arange(0, in_features, size))
        if resident or sums.max() <= iaram_bits / 2:
            break
        blocks = min(in_features, blocks * 2)
    return FcPlan(out_features, in_features, positions, per_pe, kc, blocks, resident)


def compile_fc(name: str, m: Machine, products: Products, weights: np.ndarray, acts: np.ndarray) -> Program:
    """y = W x for all ``positions = acts.shape[0]`` input vectors at once (a Linear layer: a 1x1 convolution
    over a plane of ``positions`` pixels) from the (M x K) weight mask and the (positions x K) activation
    mask; a barrier ends each group (after its last input block)."""
    m_out, k_in = weights.shape
    positions = acts.shape[0]
    channel_bits = products.stream_bits(m, np.ascontiguousarray(acts.T))
    plan = plan_fc(m, m_out, k_in, positions, channel_bits, name, float(weights.mean()) if weights.size else 1.0)
    work = products.fc(m, plan, weights, acts)
    in_bits = np.bincount(plan.block_of(np.arange(k_in)), weights=channel_bits, minlength=plan.blocks)
    reload = input_groups(plan.groups, plan.resident)[:, None] * in_bits[None, :]
    out_bits = np.zeros((plan.groups, plan.blocks))
    out_bits[:, -1] = (plan.owned(m.n_pes).sum(axis=1) * positions * output_density(acts)
                       * m.activation_entry_bits)
    barrier = np.zeros((plan.groups, plan.blocks), bool)
    barrier[:, -1] = True
    counts = operand_counts(m, work, float(reload.sum()) * m.n_pes, float(out_bits.sum()))
    steps = Steps(work.pe_cycles, work.weight_bits + reload, out_bits, barrier.ravel())
    mapping = {"pe_rows": m.rows, "pe_cols": m.cols, "kc": plan.kc, "groups": plan.groups,
               "outputs_per_pe": plan.per_pe, "input_blocks": plan.blocks, "resident_inputs": int(plan.resident)}
    return program(name, m, work, steps, counts, mapping)


def compile_serial_fc(name: str, m: Machine, products: Products, weights: np.ndarray, acts: np.ndarray,
                      out_elements: int) -> Program:
    """y_t = W x_t for the input vectors (rows of ``acts``) one after another: one Program step per vector
    and group, each ending in a barrier, the weights streamed from DRAM again for every vector (SCNN has no
    weight buffer beside the FIFO), the vector loaded with its first group. ``out_elements``: values written
    back per vector (dense: gate and attention outputs are not ReLU'd)."""
    m_out, k_in = weights.shape
    vectors = acts.shape[0]
    plan = plan_fc(m, m_out, k_in, 1, np.zeros(k_in), name)
    work = products.serial_fc(m, plan, weights, acts)
    row_bits = products.stream_bits(m, acts)
    load_bits = np.tile(np.asarray(work.weight_bits, np.float64), vectors).reshape(vectors, plan.groups)
    load_bits[:, 0] += row_bits
    store_bits = np.zeros((vectors, plan.groups))
    store_bits[:, -1] = out_elements * m.activation_bits
    counts = operand_counts(m, work, float(row_bits.sum()) * m.n_pes, float(store_bits.sum()))
    mapping = {"pe_rows": m.rows, "pe_cols": m.cols, "kc": plan.kc, "groups": plan.groups,
               "outputs_per_pe": plan.per_pe}
    return program(name, m, work, Steps(work.pe_cycles, load_bits, store_bits, True), counts, mapping)
