"""A per-process memo of simulated layers: one layer's :class:`~accelsim.sim.engine.LayerRun` on one machine,
computed once for equal inputs.

An engine's ``compile`` is a pure function of its machine, the layer, the layer's weight and activation
masks and the model's plan, and ``execute`` a pure function of the Program (``Engine``'s docstring), so a
layer simulated again with equal inputs gives the same LayerRun, bit for bit. Sweeps and comparisons do this
again and again: a dense machine ignores masks, so every sparsity of a model runs the same layers on it; a
sparse machine runs the layers that are not pruned (MobileNet's first and depthwise convolutions) with the
same activation masks at every sparsity.

The key is everything the run depends on: the engine's class and its attributes besides the machine (EIE's
``preload_weights``), the machine's ``config_hash`` (SHA-256 of everything loaded), the layer (a frozen
dataclass, compared by value, its name included), the SHA-256 of each mask's shape and bits, and the plan
(compared by value). A plan that is not hashable (EIE's residency holds arrays) is not memoised, nor an
engine with an unhashable attribute, nor a mask that is not a boolean array (``compile`` judges it). At most :data:`MEMO_RUNS` runs are kept (the least recently used is
dropped first); a LayerRun is a few kB (its counts and details), so the memo stays under a few MB.
"""
from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from accelsim.lru import Lru, array_digest
from accelsim.sim.engine import Engine, LayerRun
from accelsim.workloads.layers import Layer

#: Most layer runs kept per process.
MEMO_RUNS = 4096

_RUNS: Lru[LayerRun] = Lru(MEMO_RUNS)


def run_layer(engine: Engine, layer: Layer, mask: np.ndarray | None, activations: np.ndarray | None,
              plan) -> LayerRun:
    """``engine.execute(engine.compile(layer, masks=mask, activations=activations, plan=plan))``, from the
    memo when an equal run is in it (module docstring)."""
    key = _key(engine, layer, mask, activations, plan)

    def run() -> LayerRun:
        return engine.execute(engine.compile(layer, masks=mask, activations=activations, plan=plan))

    return run() if key is None else _RUNS.get(key, run)


def _key(engine: Engine, layer: Layer, mask: np.ndarray | None, activations: np.ndarray | None,
         plan) -> Hashable | None:
    """What the run depends on, as a hashable value; None when part of it is not hashable."""
    if any(a is not None and not (isinstance(a, np.ndarray) and a.dtype == np.bool_) for a in (mask, activations)):
        return None
    options = tuple(sorted((name, value) for name, value in vars(engine).items() if name not in ("hw", "dram")))
    key = (type(engine).__qualname__, type(engine).__module__, options, engine.hw.config_hash, layer,
           None if mask is None else array_digest(mask),
           None if activations is None else array_digest(activations), plan)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def clear() -> None:
    """Forget every memoised run."""
    _RUNS.clear()
