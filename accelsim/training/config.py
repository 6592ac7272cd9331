"""The configuration of a training run (layer 2): :class:`TrainConfig`, every field checked on construction.

What each field means: :mod:`accelsim.training.trainer`'s module docstring.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.errors import InputError
from accelsim.pruning.structured import STRUCTURE_HELP, Structure, canonical_structure, parse_structure
from accelsim.schema import SEED, SPARSITY, Bool, Checker, Int, ListOf, OneOf, Parsed, Real, field_spec, yaml_keys

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
    construction against its declaration (:mod:`accelsim.schema`, the validator of the hardware and
    workload files), every problem in one pass; a bad value is an :class:`InputError` naming it.
    """

    hidden: tuple[int, ...] = field_spec(ListOf(Int(1, None, "units"), min_items=0), default=(256, 256),
                                         help="widths of the hidden layers")
    epochs: int = field_spec(Int(1, None, "epochs"), default=40, help="passes over the training split")
    batch_size: int = field_spec(Int(1, None, "samples"), default=64, help="samples per training step")
    lr: float = field_spec(Real(0, math.inf, "", open_low=True), default=0.2, help="peak learning rate")
    lr_schedule: str = field_spec(OneOf(LR_SCHEDULES), default="cosine", help="learning-rate schedule")
    lr_min: float = field_spec(Real(0, math.inf, ""), default=0.0, help="the cosine schedule's floor (<= lr)")
    lr_decay: float = field_spec(Real(0, 1, "", open_low=True), default=0.5,
                                 help="factor of each exponential decay")
    lr_decay_epochs: int = field_spec(Int(1, None, "epochs"), default=10, help="epochs between decays")
    momentum: float = field_spec(Real(0, 1, "", open_high=True), default=0.9, help="heavy-ball momentum")
    weight_decay: float = field_spec(Real(0, math.inf, ""), default=2e-3, help="L2 factor on the weights")
    schedule: str = field_spec(OneOf(SCHEDULES), default="agp", help="agp (eq. 1) or none (dense)")
    variant: str = field_spec(OneOf(VARIANTS), default="uniform", help="how AGP spreads over layers")
    structure: str = field_spec(Parsed(canonical_structure, STRUCTURE_HELP), default="unstructured",
                                help="what a mask update removes (docs/structured.md); N:M sets s_f = (M - N) / M")
    s_i: float = field_spec(SPARSITY, default=0.0, help="initial sparsity")
    s_f: float = field_spec(SPARSITY, default=0.9, help="final sparsity (>= s_i)")
    t0: int = field_spec(Int(0, None, "training steps"), default=252, help="first mask update")
    n: int = field_spec(Int(1, None, "pruning steps"), default=16, help="mask updates after the first")
    dt: int = field_spec(Int(1, None, "training steps"), default=63, help="steps between mask updates")
    prune_first: bool = field_spec(Bool(), default=True, help="prune the first layer")
    prune_last: bool = field_spec(Bool(), default=True, help="prune the last (output) layer")
    seed: int = field_spec(SEED, default=0, help="initial weights and mini-batch order")

    def __post_init__(self) -> None:
        """Check every field in one pass (each problem an :class:`InputError` naming the field, several as
        :class:`~accelsim.errors.ManyInputErrors`) and store them as plain Python numbers and tuples."""
        checker = Checker(None, error=InputError)
        values = checker.fields(TrainConfig, {name: getattr(self, name) for name in yaml_keys(TrainConfig)}, "")
        if values.keys() >= {"lr", "lr_min"} and values["lr_min"] > values["lr"]:
            checker.fail("lr_min", "above the peak learning rate", expected=f"a number <= lr = {values['lr']}",
                         got=values["lr_min"])
        if values.keys() >= {"s_i", "s_f"} and values["s_f"] < values["s_i"]:
            checker.fail("s_f", "below the initial sparsity", expected=f"a number >= s_i = {values['s_i']}",
                         got=values["s_f"])
        self._check_structure(checker, values)
        checker.raise_if_failed()
        for name, value in values.items():
            object.__setattr__(self, name, value)
        if self.schedule == "agp" and not self.ranked_indices:
            if self.structure == "channel":
                raise InputError("no hidden layer to channel-prune", key="structure",
                                 expected="a hidden layer (the output layer's channels are the classes)",
                                 got=f"hidden {list(self.hidden)}")
            raise InputError("no layer left to prune", key="prune_first",
                             expected="prune_first or prune_last True when the network has one layer",
                             got=self.prune_first)

    @staticmethod
    def _check_structure(checker: Checker, values: dict) -> None:
        """A structure needs AGP, per-layer ranking (not the global variant) and, for N:M, s_f = (M - N) / M."""
        if values.get("structure", "unstructured") == "unstructured":
            return
        structure = parse_structure(values["structure"])
        if values.get("schedule") == "none":
            checker.fail("structure", "a dense run has no structure", expected='unstructured with schedule "none"',
                         got=values["structure"])
        if values.get("variant") == "global":
            checker.fail("variant", "the global variant ranks single weights across layers, not structures",
                         expected=f"uniform or layerwise with structure {structure}", got="global")
        fixed = structure.fixed_sparsity
        if fixed is not None and "s_f" in values and abs(values["s_f"] - fixed) > 1e-12:
            checker.fail("s_f", f"{structure} sets its own final sparsity", expected=f"{fixed:g}",
                         got=values["s_f"])

    @property
    def n_layers(self) -> int:
        """Weight matrices of the network: hidden layers + the output layer."""
        return len(self.hidden) + 1

    @property
    def pruning_structure(self) -> Structure:
        """``structure`` as a :class:`~accelsim.pruning.structured.Structure`."""
        return parse_structure(self.structure)

    @property
    def ranked_indices(self) -> tuple[int, ...]:
        """0-based indices of the layers whose masks the schedule sets by ranking their weights: all but a
        kept-dense first / last layer; under ``channel`` never the output layer (its channels are the classes)."""
        last = self.n_layers - 1
        return tuple(i for i in range(self.n_layers)
                     if (self.prune_first or i != 0) and (self.prune_last or i != last)
                     and not (self.structure == "channel" and i == last))

    @property
    def pruned_indices(self) -> tuple[int, ...]:
        """0-based indices of the layers that lose weights: the ranked ones, and under ``channel`` also the
        layer after each (its columns that read a removed unit)."""
        ranked = set(self.ranked_indices)
        if self.structure == "channel":
            ranked |= {i + 1 for i in ranked}
        return tuple(sorted(ranked))

    def steps_per_epoch(self, n_train: int) -> int:
        """Training steps of one epoch over ``n_train`` samples."""
        return math.ceil(n_train / self.batch_size)
