"""The automated gradual pruning (AGP) schedule of Zhu & Gupta 2017, eq. (1), and its layerwise variant.

Time is counted in integer training steps. The sparsity rises from ``s_i`` to ``s_f`` over ``n`` pruning
steps of ``dt`` training steps each, starting at training step ``t0``. Masks change only at the update steps
t0 + k * dt (k = 0 .. n), where the sparsity is

    s_k = s_f + (s_i - s_f) * (1 - k / n) ** 3                                         (eq. 1)

Between updates the sparsity is that of the last update, before t0 it is s_i (= s_0), and from t0 + n * dt on
it is frozen at s_f (= s_n): at training step t, k = clip(floor((t - t0) / dt), 0, n).

Sparsities are fractions of a layer's weights that are zero, in [0, 1).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from accelsim.errors import InputError
from accelsim.schema import SPARSITY, Int, checked, checked_arguments


def agp_sparsity(step: ArrayLike, *, s_i: float, s_f: float, t0: int, n: int, dt: int) -> float | np.ndarray:
    """Sparsity of every pruned layer at training ``step`` under the uniform AGP schedule (eq. 1).

    ``step`` is an int or an array of ints (training steps >= 0); the result is a float for an int and a
    float64 array of the same shape for an array. ``s_i``, ``s_f``: initial and final sparsity in [0, 1),
    s_i <= s_f. ``t0``: first update step (>= 0). ``n``: number of pruning steps (> 0). ``dt``: training
    steps between updates (> 0). Raises :class:`InputError` naming the bad parameter.
    """
    steps = _schedule_steps(step, s_i=s_i, s_f=s_f, t0=t0, n=n, dt=dt)
    return _level(steps - t0, s_i=s_i, s_f=s_f, n=n, dt=dt, scalar=np.ndim(step) == 0)


def layerwise_sparsity(step: ArrayLike, layer_index: ArrayLike, n_layers: int, *, s_i: float, s_f: float,
                       t0: int, n: int, dt: int) -> float | np.ndarray:
    """Sparsity of layer ``layer_index`` (0-based, of ``n_layers`` pruned layers) under the "layerwise
    constant" AGP variant (paper Sec. 4.3: the pruning interval is subdivided and one layer at a time is
    raised to the level).

    Subdivision: the interval after update k, [t0 + k*dt, t0 + (k+1)*dt), is split into ``n_layers`` slots;
    layer l is raised to s_k at the start of its slot, training step t0 + k*dt + (l*dt) // n_layers (slot
    boundaries rounded down to whole steps). So layer l follows the uniform schedule delayed by
    (l*dt) // n_layers steps: layer 0 is exactly the uniform schedule, every layer holds s_k before
    t0 + (k+1)*dt, and the last layer reaches s_f at t0 + n*dt + ((n_layers-1)*dt) // n_layers, before
    t0 + (n+1)*dt. When dt < n_layers several layers share a step. The end masks equal the uniform ones.

    ``step`` and ``layer_index`` are ints or int arrays (broadcast together); the other parameters are those
    of :func:`agp_sparsity`. Returns a float for scalar inputs, else a float64 array.
    """
    steps = _schedule_steps(step, s_i=s_i, s_f=s_f, t0=t0, n=n, dt=dt)
    checked(Int(1, None, "layers"), n_layers, "n_layers")
    index = _int_array(layer_index, "layer_index")
    outside = (index < 0) | (index >= n_layers)
    if np.any(outside):
        raise InputError("layer index out of range", key="layer_index",
                         expected=f"integers in [0, {n_layers - 1}] (n_layers = {n_layers})",
                         got=int(index[outside].flat[0]))
    delay = (index * dt) // n_layers
    scalar = np.ndim(step) == 0 and np.ndim(layer_index) == 0
    return _level(steps - t0 - delay, s_i=s_i, s_f=s_f, n=n, dt=dt, scalar=scalar)


def _level(since_t0: np.ndarray, *, s_i: float, s_f: float, n: int, dt: int, scalar: bool) -> float | np.ndarray:
    """s_k of eq. (1) for k = clip(floor(since_t0 / dt), 0, n), since_t0 in training steps."""
    k = np.clip(since_t0 // dt, 0, n)
    level = np.where(k == 0, s_i, s_f + (s_i - s_f) * (1.0 - k / n) ** 3)   # exactly s_i at k = 0, s_f at k = n
    return float(level) if scalar else level


def _schedule_steps(step: ArrayLike, *, s_i: float, s_f: float, t0: int, n: int, dt: int) -> np.ndarray:
    """Validate the schedule's parameters (every problem at once); return ``step`` as an int64 array."""
    checked_arguments({"s_i": (SPARSITY, s_i), "s_f": (SPARSITY, s_f), "t0": (Int(0, None, "training steps"), t0),
                       "n": (Int(1, None, "pruning steps"), n), "dt": (Int(1, None, "training steps"), dt)})
    if s_i > s_f:
        raise InputError("initial sparsity above final sparsity", key="s_i",
                         expected=f"s_i <= s_f = {s_f}", got=s_i)
    steps = _int_array(step, "step")
    if np.any(steps < 0):
        raise InputError("negative training step", key="step", expected="training steps >= 0",
                         got=int(steps.min()))
    return steps


def _int_array(value: ArrayLike, key: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "iu":
        raise InputError("not an integer", key=key, expected="an int or an array of ints",
                         got=f"dtype {array.dtype}")
    return array.astype(np.int64)

