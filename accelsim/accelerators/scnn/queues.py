"""SCNN's arbitrated crossbar with a queue at each accumulator bank (layer 5; ``docs/scnn.md``, "Bank
queues"). Each cycle the multiplier array issues one step (F x I products) and each bank adds one product
into its accumulator; a product waits in its bank's queue of ``depth`` entries, and the array stalls while
a step's products would not fit. Depth 0 is a step that waits for its busiest bank.

Per bank, with B products still to add after the cycle a step issues in (that cycle adds one): the next
step issues ``1 + max(0, max_b B_b - depth)`` cycles later, the banks having added one product per cycle
meanwhile; after the last step the banks drain their queues."""
from __future__ import annotations

import numpy as np


def queued_cycles(counts: np.ndarray, sequence: np.ndarray, depth: int) -> np.ndarray:
    """Cycles of each sequence of steps: ``counts`` (steps, banks) products per bank of each step, the steps
    of a sequence consecutive and in issue order, ``sequence`` (steps,) their sequence ids (0, 1, ...,
    non-decreasing). From the first issue to the last product added; every sequence starts with empty
    queues. Vectorised over sequences, one iteration per position in the longest sequence."""
    counts = np.asarray(counts, dtype=np.int64)
    sequence = np.asarray(sequence, dtype=np.int64)
    n_seq = int(sequence[-1]) + 1 if sequence.size else 0
    start = np.searchsorted(sequence, np.arange(n_seq))
    length = np.diff(np.r_[start, sequence.size])
    backlog = np.zeros((n_seq, counts.shape[1]), dtype=np.int64)
    elapsed = np.zeros(n_seq, dtype=np.int64)
    for position in range(int(length.max(initial=0))):
        alive = np.flatnonzero(length > position)
        after = np.maximum(backlog[alive] + counts[start[alive] + position] - 1, 0)
        last = length[alive] == position + 1
        stall = np.maximum(after.max(axis=1) - depth, 0)
        wait = np.where(last, after.max(axis=1), stall)       # the last step: the queues drain
        elapsed[alive] += 1 + wait
        backlog[alive] = np.maximum(after - wait[:, None], 0)
    return elapsed
