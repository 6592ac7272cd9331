"""Weights streamed through the PE's weight FIFO (layer 5; ``docs/scnn.md``, "Weight streaming"): a group's
weights arrive from DRAM in input-channel order, the order the PEs consume them (PT-IS-CP: group, then
input channel), and pass through a FIFO of ``pe.weight_fifo_entries``; so the PEs start on the first
channels while the later ones are still on their way. In a Program this is a group cut into input-channel
blocks, each a step whose load is its channels' weights: the kernel's double buffer overlaps one block's
transfer with the previous block's products, and lets no PE run more than a block ahead of the slowest,
as a full FIFO holds the broadcast back."""
from __future__ import annotations

import numpy as np

from accelsim.accelerators.scnn.machine import Machine
from accelsim.units import bits_to_bytes, ceil_div

#: Most blocks a group's weight stream is cut into: the simulation's resolution (one SimPy event per PE and
#: block), not a hardware quantity. The first block's transfer is exposed before the PEs start, so the
#: time lost to the coarse cut is at most 1/STREAM_STEPS of the group's weight transfer (docs/scnn.md).
STREAM_STEPS = 16


def stream_blocks(m: Machine, channels: int, group_entries: float, copies: int = 1) -> int:
    """Input-channel blocks a group of about ``group_entries`` weight entries per PE over ``channels`` input
    channels is streamed in (``copies``: distinct weight sets of the group over the PEs, 1 when broadcast,
    the busy PEs of a fully connected layer): one when it fits the FIFO (loaded before the PEs start); otherwise b blocks
    minimising the time the cut itself costs, the first block's transfer (exposed before the PEs start,
    T / b for a group transfer of T cycles) plus one DRAM latency L per block (the kernel's loader has one
    request in flight): b = sqrt(T / L), at least 1, at most one per FIFO fill, one per channel and
    :data:`STREAM_STEPS`."""
    fills = int(np.ceil(group_entries / m.fifo_entries))
    if fills <= 1:
        return 1
    transfer = bits_to_bytes(copies * group_entries * m.weight_entry_bits) / m.dram.bytes_per_cycle
    latency = m.dram.latency_cycles
    best = int(np.sqrt(transfer / latency)) if latency else STREAM_STEPS
    return max(1, min(channels, fills, best, STREAM_STEPS))


def block_of(channel: np.ndarray, channels: int, blocks: int) -> np.ndarray:
    """Block of each input ``channel`` when ``channels`` are cut into ``blocks`` consecutive blocks."""
    return np.asarray(channel) // ceil_div(channels, blocks)
