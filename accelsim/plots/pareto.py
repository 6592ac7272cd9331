"""The Pareto front of (cost, quality) points (layer 7): a pure function, used to mark the best trade-offs
between accuracy and energy or latency."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pareto_front(cost: Sequence[float], quality: Sequence[float], *, higher_is_better: bool = True) -> np.ndarray:
    """Which points no other point beats: a boolean mask, True for the points on the Pareto front.

    Lower ``cost`` is better (energy, latency). ``quality`` is better when higher (top-1, BLEU) or, with
    ``higher_is_better=False``, when lower (perplexity). Point *i* is dominated when some point *j* costs
    no more and is no worse, and is strictly better on at least one of the two; identical points do not
    dominate each other, so both stay on the front. Points with a NaN or infinite value are never on it.
    """
    c = np.asarray(cost, dtype=float)
    q = np.asarray(quality, dtype=float)
    if c.ndim != 1 or c.shape != q.shape:
        raise ValueError(f"cost and quality must be 1-D and of equal length; got {c.shape} and {q.shape}")
    if not higher_is_better:
        q = -q
    valid = np.isfinite(c) & np.isfinite(q)
    # rows: the point judged (i); columns: a candidate that might beat it (j)
    no_worse = (c[None, :] <= c[:, None]) & (q[None, :] >= q[:, None])
    strictly = (c[None, :] < c[:, None]) | (q[None, :] > q[:, None])
    dominated = (no_worse & strictly & valid[None, :]).any(axis=1)
    return valid & ~dominated
