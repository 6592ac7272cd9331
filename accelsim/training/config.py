"""The configuration of a training run (layer 2): :class:`TrainConfig`, every field checked on construction.

What each field means: :mod:`accelsim.training.trainer`'s module docstring.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

from accelsim.errors import InputError

LR_SCHEDULES = ("constant", "exponential", "cosine")
SCHEDULES = ("agp", "none")
VARIANTS = ("uniform", "layerwise", "global")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on besides the data (module docstring for the meaning).

    ``hidden``: widths of the hidden layers (a list is stored as a tuple; empty = softmax regression).
    ``t0``, ``n``, ``dt``: the AGP schedule in training steps (an epoch has ceil(n_train / batch_size)).
    The defaults are the mnist1d recipe of docs/training.md (4000 training samples: 63 steps per epoch,
    40 epochs): masks updated once per epoch from the start of epoch 4 (t0 = 252) to the start of epoch 20
    (t0 + n*dt = 1260), while the cosine learning rate is at least half its peak. Every field is checked on
    construction; a bad value is an :class:`InputError` naming it.
    """

    hidden: tuple[int, ...] = (256, 256)
    epochs: int = 40
    batch_size: int = 64
    lr: float = 0.2
    lr_schedule: str = "cosine"
    lr_min: float = 0.0
    lr_decay: float = 0.5
    lr_decay_epochs: int = 10
    momentum: float = 0.9
    weight_decay: float = 2e-3
    schedule: str = "agp"
    variant: str = "uniform"
    s_i: float = 0.0
    s_f: float = 0.9
    t0: int = 252
    n: int = 16
    dt: int = 63
    prune_first: bool = True
    prune_last: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        hidden = tuple(self.hidden) if isinstance(self.hidden, (list, tuple)) else self.hidden
        if not isinstance(hidden, tuple) or not all(_is_int(h) and h >= 1 for h in hidden):
            raise InputError("bad hidden sizes", key="hidden", expected="a tuple of positive integers",
                             got=hidden)
        for key, minimum in (("epochs", 1), ("batch_size", 1), ("lr_decay_epochs", 1), ("t0", 0), ("n", 1),
                             ("dt", 1), ("seed", 0)):
            value = getattr(self, key)
            if not _is_int(value) or value < minimum:
                raise InputError("bad training parameter", key=key, expected=f"an integer >= {minimum}",
                                 got=value)
        _check_real(self.lr, "lr", "a number > 0", lambda v: v > 0)
        _check_real(self.lr_min, "lr_min", f"a number in [0, lr = {self.lr}]", lambda v: 0 <= v <= self.lr)
        _check_real(self.lr_decay, "lr_decay", "a number in (0, 1]", lambda v: 0 < v <= 1)
        _check_real(self.momentum, "momentum", "a number in [0, 1)", lambda v: 0 <= v < 1)
        _check_real(self.weight_decay, "weight_decay", "a number >= 0", lambda v: v >= 0)
        _check_real(self.s_i, "s_i", "a number in [0, 1)", lambda v: 0 <= v < 1)
        _check_real(self.s_f, "s_f", f"a number in [s_i = {self.s_i}, 1)", lambda v: self.s_i <= v < 1)
        for key, choices in (("lr_schedule", LR_SCHEDULES), ("schedule", SCHEDULES), ("variant", VARIANTS)):
            if getattr(self, key) not in choices:
                raise InputError(f"unknown {key}", key=key, expected=" or ".join(map(repr, choices)),
                                 got=getattr(self, key))
        for key in ("prune_first", "prune_last"):
            if not isinstance(getattr(self, key), bool):
                raise InputError("not a boolean", key=key, expected="True or False", got=getattr(self, key))
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))   # plain Python numbers (json)
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                object.__setattr__(self, field.name, int(value))
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                object.__setattr__(self, field.name, float(value))
        if self.schedule == "agp" and not self.pruned_indices:
            raise InputError("no layer left to prune", key="prune_first",
                             expected="prune_first or prune_last True when the network has one layer",
                             got=self.prune_first)

    @property
    def n_layers(self) -> int:
        """Weight matrices of the network: hidden layers + the output layer."""
        return len(self.hidden) + 1

    @property
    def pruned_indices(self) -> tuple[int, ...]:
        """0-based indices of the layers this config prunes (all but a kept-dense first / last layer)."""
        last = self.n_layers - 1
        return tuple(i for i in range(self.n_layers)
                     if (self.prune_first or i != 0) and (self.prune_last or i != last))

    def steps_per_epoch(self, n_train: int) -> int:
        """Training steps of one epoch over ``n_train`` samples."""
        return math.ceil(n_train / self.batch_size)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_real(value: object, key: str, expected: str, ok: Callable[[float], bool]) -> None:
    if (not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value)
            or not ok(value)):
        raise InputError("bad training parameter", key=key, expected=expected, got=value)
