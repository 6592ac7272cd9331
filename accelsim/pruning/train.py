"""A small numpy trainer for MLP classifiers that runs automated gradual pruning (AGP) for real (layer 2).

Zhu & Gupta 2017, Sec. 3: every pruned layer has a binary mask of its weight matrix's shape. At the update
steps t0 + k*dt (k = 0 .. n) the mask is recomputed from the *current* weights by magnitude, to the sparsity
of eq. (1); masked weights are zero in the forward pass and get no update; after t0 + n*dt the masks are
frozen. So accuracy and the masks handed to the simulator come out of the same run.

Network
    ``sizes = (features, *hidden, classes)``; layer i (named ``fc1``, ``fc2``, ...) computes
    ``z = a @ W.T + b`` with ``W`` of shape (out, in) (accelsim's ``Linear.weight_shape``); ReLU after every
    layer but the last; softmax cross-entropy (mean over the mini-batch) on the last. Weights start He-normal
    (std sqrt(2 / fan_in)), biases at zero. Everything is float64.

Optimiser
    Mini-batch SGD with (heavy-ball) momentum, as PyTorch writes it: ``g = dL/dW + weight_decay * W``,
    ``v = momentum * v + g``, ``W -= lr_t * v`` (biases the same, without weight decay). Each epoch visits
    the training set in a fresh random order, in ``ceil(n_train / batch_size)`` steps (the last batch may be
    smaller). Training steps t = 0, 1, ... count optimiser updates; ``t0``, ``n``, ``dt`` are in steps.

Learning-rate schedules (``lr_schedule``; ``lr_t`` for step t, E = epochs, T = total steps)
    * ``"constant"``: ``lr``.
    * ``"exponential"``: staircase exponential decay, as in the paper's Figure 2a:
      ``lr * lr_decay ** floor(epoch / lr_decay_epochs)``.
    * ``"cosine"``: ``lr_min + (lr - lr_min) * (1 + cos(pi * t / T)) / 2``, from ``lr`` at t = 0 towards
      ``lr_min``. The paper asks that pruning happens while the rate is still high enough to heal
      (t0 + n*dt well before the end).

Pruning (``schedule="agp"``; ``"none"`` trains dense)
    Masked step t: first, if t is an update step of a layer, its mask is recomputed and the weights and the
    momentum buffer at pruned places are set to zero; then the gradient is multiplied by the mask before it
    enters the momentum buffer. Pruned weights therefore stay exactly 0.0 and their momentum 0.0. Before a
    layer's first update (t < t0) it is dense. Masks use accelsim's exact-k rule
    (:func:`accelsim.pruning.masks.magnitude_mask`: exactly floor(s * N + 0.5) weights pruned, ties by flat
    index). Previously pruned weights are 0.0, the smallest magnitude, so a mask only ever loses entries.

    Variants (``variant``; paper Sec. 4.3):

    * ``"uniform"``: at t0 + k*dt every pruned layer is set to s_k = eq. (1)
      (:func:`accelsim.pruning.schedule.agp_sparsity`).
    * ``"layerwise"`` (the paper's "layerwise constant"): the interval after each update is split among the
      L pruned layers and one layer at a time is raised to s_k; layer l (0-based among the pruned layers)
      is updated at t0 + k*dt + (l*dt) // L (:func:`accelsim.pruning.schedule.layerwise_sparsity`), so the
      last layer freezes at t0 + n*dt + ((L-1)*dt) // L.
    * ``"global"``: at t0 + k*dt one magnitude threshold over all pruned layers together prunes the
      floor(s_k * N_total + 0.5) smallest |w| of the network (``prune(..., method="global")``); per-layer
      sparsities differ, the total follows eq. (1).

    Which layers: every weight matrix, the hidden ones and the output layer, by default; ``prune_first`` /
    ``prune_last`` = False keep the first / last layer dense (its mask stays all True). Biases are never
    pruned. The whole schedule must finish inside training (last update step <= T - 1).

Determinism
    ``seed`` seeds one ``np.random.SeedSequence`` whose two children drive ``np.random.default_rng`` for the
    initial weights and for the mini-batch order, so a large and a small model trained with the same seed see
    the data in the same order. Inside :func:`train` BLAS runs on one thread (``threadpoolctl``, installed
    with ``accelsim[train]``; without it set ``OMP_NUM_THREADS=1`` / ``OPENBLAS_NUM_THREADS=1`` before numpy
    loads), so the same inputs give the same weights, masks and log bit for bit on one machine and numpy.

Log (``TrainResult.log``; ``log.csv`` written by :func:`save_run` has the same columns in this order), one
row per training step t:

    ``step`` (t), ``epoch`` (0-based), ``lr`` (lr_t used at t), ``loss`` (mini-batch cross-entropy at t,
    before the update, without the weight-decay term), ``target_sparsity`` (eq. (1) of the uniform schedule
    at t: 0 before t0 and for ``schedule="none"``), ``sparsity`` (fraction of all weight-matrix entries,
    dense layers included, that are masked during t), ``nnz`` (weights kept, all layers), ``sparsity_<layer>``
    for each layer (``sparsity_fc1`` ...), then ``train_loss``, ``train_accuracy``, ``test_loss``,
    ``test_accuracy`` measured on the whole splits after the update of the last step of each epoch, NaN at
    the other steps (blank in the csv). Figure 2 of the paper: ``target_sparsity`` / ``sparsity`` and ``lr``
    against ``step`` (a), ``test_accuracy`` against ``step`` at the rows where it is not NaN (b).
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import numbers
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from accelsim.atomic import replacing
from accelsim.errors import InputError, OutputError
from accelsim.pruning.datasets import TaskData
from accelsim.pruning.files import save_masks
from accelsim.pruning.masks import Masks, magnitude_mask, prune
from accelsim.pruning.schedule import agp_sparsity, layerwise_sparsity
from accelsim.workloads.layers import Linear
from accelsim.workloads.model import Model

LR_SCHEDULES = ("constant", "exponential", "cosine")
SCHEDULES = ("agp", "none")
VARIANTS = ("uniform", "layerwise", "global")
RUN_FILES = ("masks.npz", "weights.npz", "log.csv", "config.json")
EVAL_COLUMNS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
FAMILY = "mlp"


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


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What :func:`train` returns; every array is read-only.

    ``sizes``: (features, *hidden, classes). ``layer_names``: ``fc1`` ... in order. ``pruned``: names of the
    layers the config prunes (all True masks under ``schedule="none"``). ``weights`` / ``biases``: final
    parameters by layer name, weights of shape (out, in), pruned entries exactly 0.0. ``masks``: the final
    masks of every layer (True = kept; dense layers all True). ``log``: column name -> array, one entry per
    training step (module docstring). ``seconds``: wall time of the run (the only field that is not
    deterministic; not written by :func:`save_run`).
    """

    config: TrainConfig
    sizes: tuple[int, ...]
    layer_names: tuple[str, ...]
    pruned: tuple[str, ...]
    weights: Mapping[str, np.ndarray]
    biases: Mapping[str, np.ndarray]
    masks: Masks
    log: Mapping[str, np.ndarray]
    seconds: float

    @property
    def test_accuracy(self) -> float:
        """Test accuracy after the last step."""
        return float(self.log["test_accuracy"][-1])

    @property
    def train_accuracy(self) -> float:
        """Training accuracy after the last step."""
        return float(self.log["train_accuracy"][-1])

    @property
    def nnz(self) -> int:
        """Non-zero (kept) weights of all layers, biases not counted."""
        return self.masks.total_nnz


@dataclass(frozen=True)
class StepState:
    """The trainer's live state after step ``step``, handed to :func:`train`'s ``callback``.

    The arrays are read-only views of the arrays the trainer goes on updating: copy what you keep.
    ``velocity``: the momentum buffers of the weights, by layer name.
    """

    step: int
    epoch: int
    lr: float
    loss: float
    weights: Mapping[str, np.ndarray]
    biases: Mapping[str, np.ndarray]
    velocity: Mapping[str, np.ndarray]
    masks: Mapping[str, np.ndarray]


def train(task_data: Sequence[ArrayLike], config: TrainConfig, *,
          callback: Callable[[StepState], None] | None = None) -> TrainResult:
    """Train an MLP on ``task_data`` = (x_train, y_train, x_test, y_test) under ``config``; see the module
    docstring for the method. Labels are integers 0 .. C-1 (C = the largest label + 1).

    ``callback``, if given, is called after every training step with a :class:`StepState`.
    Raises :class:`InputError` for malformed data, a pruning schedule that does not finish within training
    (key ``t0 + n*dt``), or a run whose loss stops being finite (key ``lr``).
    """
    if not isinstance(config, TrainConfig):
        raise InputError("not a training configuration", key="config", expected="a TrainConfig",
                         got=type(config).__name__)
    start = time.perf_counter()
    x_train, y_train, x_test, y_test = _check_data(task_data)
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    sizes = (x_train.shape[1], *config.hidden, n_classes)
    names = tuple(f"fc{i + 1}" for i in range(len(sizes) - 1))
    pruned = tuple(names[i] for i in config.pruned_indices)
    steps_per_epoch = config.steps_per_epoch(len(y_train))
    total_steps = config.epochs * steps_per_epoch
    updates = mask_updates(config, pruned, total_steps) if config.schedule == "agp" else {}
    learning_rates = learning_rate_schedule(config, steps_per_epoch)
    model = _model("train", sizes, names, pruned)

    init_rng, order_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(2))
    weights = {name: init_rng.standard_normal((out, fan_in)) * math.sqrt(2.0 / fan_in)
               for name, fan_in, out in zip(names, sizes[:-1], sizes[1:])}
    biases = {name: np.zeros(out) for name, out in zip(names, sizes[1:])}
    velocity = {name: np.zeros_like(w) for name, w in weights.items()}
    bias_velocity = {name: np.zeros_like(b) for name, b in biases.items()}
    masks = {name: np.ones(w.shape, dtype=bool) for name, w in weights.items()}
    log = _empty_log(names, total_steps)
    log["target_sparsity"] = _target_sparsity(config, total_steps)
    kept = {name: mask.size for name, mask in masks.items()}
    total_weights = sum(kept.values())

    with _single_thread_blas():
        for epoch in range(config.epochs):
            order = order_rng.permutation(len(y_train))
            for j in range(steps_per_epoch):
                step = epoch * steps_per_epoch + j
                if step in updates:
                    _update_masks(updates[step], config.variant, model, config.seed, weights, velocity, masks)
                    kept.update({name: int(np.count_nonzero(masks[name])) for name in updates[step]})
                batch = order[j * config.batch_size:(j + 1) * config.batch_size]
                loss, grad_w, grad_b = loss_and_gradients([weights[n] for n in names],
                                                           [biases[n] for n in names],
                                                           x_train[batch], y_train[batch])
                if not math.isfinite(loss):
                    raise InputError("training diverged (loss is not finite)", key="lr",
                                     expected="a smaller learning rate", got=config.lr)
                lr = float(learning_rates[step])
                for name, g, gb in zip(names, grad_w, grad_b):
                    if config.weight_decay:
                        g += config.weight_decay * weights[name]
                    if name in pruned:
                        g *= masks[name]
                    velocity[name] *= config.momentum
                    velocity[name] += g
                    weights[name] -= lr * velocity[name]
                    bias_velocity[name] *= config.momentum
                    bias_velocity[name] += gb
                    biases[name] -= lr * bias_velocity[name]
                _log_step(log, step, epoch, lr, loss, kept, masks, total_weights)
                if j == steps_per_epoch - 1:
                    _log_evaluation(log, step, weights, biases, names, x_train, y_train, x_test, y_test)
                if callback is not None:
                    callback(StepState(step, epoch, lr, loss, _read_only(weights), _read_only(biases),
                                       _read_only(velocity), _read_only(masks)))

    return TrainResult(config=config, sizes=sizes, layer_names=names, pruned=pruned,
                       weights=_frozen_copy(weights), biases=_frozen_copy(biases), masks=Masks(masks),
                       log=_frozen_copy(log), seconds=time.perf_counter() - start)


def loss_and_gradients(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], x: np.ndarray,
                       y: np.ndarray) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """Mean softmax cross-entropy of the MLP (``weights[i]`` of shape (out, in), ReLU between layers) on
    the batch ``x`` (samples x features), labels ``y``; and its gradients with respect to every weight
    matrix and bias (back-propagation, fresh arrays)."""
    inputs, logits = forward(weights, biases, x)
    log_p = _log_softmax(logits)
    rows = np.arange(len(y))
    loss = -float(np.mean(log_p[rows, y]))
    delta = np.exp(log_p)
    delta[rows, y] -= 1.0
    delta /= len(y)
    grad_w: list[np.ndarray] = [np.empty(0)] * len(weights)
    grad_b: list[np.ndarray] = [np.empty(0)] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        grad_w[i] = delta.T @ inputs[i]
        grad_b[i] = delta.sum(axis=0)
        if i:
            delta = (delta @ weights[i]) * (inputs[i] > 0)
    return loss, grad_w, grad_b


def evaluate(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], x: np.ndarray,
             y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the MLP on ``x``, ``y``; a prediction is the first arg-max."""
    _, logits = forward(weights, biases, x)
    log_p = _log_softmax(logits)
    loss = -float(np.mean(log_p[np.arange(len(y)), y]))
    return loss, float(np.mean(np.argmax(logits, axis=1) == y))


def forward(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
            x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The MLP (``weights[i]`` of shape (out, in), ReLU between layers) on ``x`` (samples x features): the
    input of every layer (``x`` itself, then each hidden layer's ReLU output) and the output logits."""
    inputs = []
    a = x
    for i, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(a)
        a = a @ w.T + b
        if i < len(weights) - 1:
            a = np.maximum(a, 0.0)
    return inputs, a


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int) -> np.ndarray:
    """lr_t for every training step t of ``config`` (float64 array of epochs * steps_per_epoch)."""
    total = config.epochs * steps_per_epoch
    steps = np.arange(total)
    if config.lr_schedule == "constant":
        return np.full(total, float(config.lr))
    if config.lr_schedule == "exponential":
        return config.lr * config.lr_decay ** ((steps // steps_per_epoch) // config.lr_decay_epochs)
    return config.lr_min + (config.lr - config.lr_min) * 0.5 * (1.0 + np.cos(np.pi * steps / total))


def mask_updates(config: TrainConfig, pruned: Sequence[str], total_steps: int) -> dict[int, dict[str, float]]:
    """The AGP plan: training step -> {layer name: sparsity} for the layers whose masks are recomputed at
    that step (variant rules in the module docstring). Raises :class:`InputError` (key ``t0 + n*dt``) when
    the last update falls at or after ``total_steps``."""
    schedule = dict(s_i=config.s_i, s_f=config.s_f, t0=config.t0, n=config.n, dt=config.dt)
    plan: dict[int, dict[str, float]] = {}
    for k in range(config.n + 1):
        for index, name in enumerate(pruned):
            if config.variant == "layerwise":
                step = config.t0 + k * config.dt + (index * config.dt) // len(pruned)
                level = layerwise_sparsity(step, index, len(pruned), **schedule)
            else:
                step = config.t0 + k * config.dt
                level = agp_sparsity(step, **schedule)
            plan.setdefault(step, {})[name] = level
    last = max(plan)
    if last >= total_steps:
        raise InputError("pruning does not finish before training ends", key="t0 + n*dt",
                         expected=f"a last mask update before step {total_steps} "
                                  f"(= epochs x steps per epoch)", got=f"last update at step {last}")
    return dict(sorted(plan.items()))


def equal_nnz_width(nnz: int, in_features: int, out_features: int, n_hidden: int = 2) -> int:
    """The hidden width h of a dense MLP in_features-h-...-h-out_features (``n_hidden`` hidden layers) whose
    weight count in*h + (n_hidden-1)*h^2 + h*out is closest to ``nnz`` (the smaller h on a tie): the
    small-dense model with the footprint of a large-sparse one (biases not counted)."""
    for key, value, minimum in (("nnz", nnz, 1), ("in_features", in_features, 1),
                                ("out_features", out_features, 1), ("n_hidden", n_hidden, 1)):
        if not _is_int(value) or value < minimum:
            raise InputError("bad width-matching parameter", key=key, expected=f"an integer >= {minimum}",
                             got=value)

    def count(h: int) -> int:
        return in_features * h + (n_hidden - 1) * h * h + h * out_features

    h = 1
    while count(h + 1) <= nnz:
        h += 1
    return h + 1 if abs(count(h + 1) - nnz) < abs(count(h) - nnz) else h


def to_model(result: TrainResult, name: str = "mlp") -> Model:
    """The accelsim :class:`Model` of the trained network: one ``Linear`` layer (with bias) per weight
    matrix, named like ``result.masks``, ``prunable`` for the layers the config prunes; so
    ``result.masks`` (or the saved masks.npz) can be simulated."""
    model = _model(name, result.sizes, result.layer_names, result.pruned)
    config = result.config
    options = (("hidden", config.hidden), ("in_features", result.sizes[0]), ("out_features", result.sizes[-1]),
               ("s_f", config.s_f if config.schedule == "agp" else 0.0), ("variant", config.variant))
    return Model(name=model.name, family=FAMILY, layers=model.layers, options=tuple(sorted(options)))


def save_run(out_dir: str | os.PathLike[str], result: TrainResult, *, force: bool = False) -> list[Path]:
    """Write a run into the folder ``out_dir`` (created if missing); return the paths written.

    Files: ``masks.npz`` (:func:`accelsim.pruning.files.save_masks`: one boolean array per layer),
    ``weights.npz`` (``<layer>.weight``, shape (out, in), and ``<layer>.bias``, float64), ``log.csv`` (the
    log's columns, one row per training step; floats written exactly (``repr``), NaN as an empty field) and
    ``config.json`` (the TrainConfig, layer sizes, pruned layers, final accuracies and nnz). If any of them
    exists, :class:`OutputError` unless ``force``. Each file is written to a temporary file in the folder
    first; only when all are complete are they moved into place (:func:`accelsim.atomic.replacing`), so a
    failure leaves the folder's old files as they were.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError("output path is a file", file=out, expected="a directory")
    existing = [name for name in RUN_FILES if (out / name).exists()]
    if existing and not force:
        raise OutputError("run files already exist", file=out / existing[0],
                          expected="a new folder, or force=True to overwrite")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError("cannot create output folder", file=out, got=error.strerror) from None
    with contextlib.ExitStack() as files:   # every file replaced on leaving, and only if all were written
        temporary = {name: files.enter_context(replacing(out / name, what="run file")) for name in RUN_FILES}
        save_masks(temporary["masks.npz"], result.masks)
        with open(temporary["weights.npz"], "xb") as stream:
            np.savez(stream, **{f"{name}.{part}": array for name in result.layer_names
                                for part, array in (("weight", result.weights[name]),
                                                    ("bias", result.biases[name]))})
        with open(temporary["log.csv"], "x", newline="", encoding="utf-8") as stream:
            stream.write(log_csv(result.log))
        with open(temporary["config.json"], "x", encoding="utf-8") as stream:
            json.dump(_summary(result), stream, indent=2, sort_keys=True)
            stream.write("\n")
    return [out / name for name in RUN_FILES]


def log_csv(log: Mapping[str, np.ndarray]) -> str:
    """The log as csv text: a header of the column names, then one row per step; integers as integers,
    floats as ``repr`` (exact round trip), NaN as an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(log))
    columns = [[_csv_value(v) for v in column.tolist()] for column in log.values()]
    writer.writerows(zip(*columns))
    return buffer.getvalue()


# --- internals -------------------------------------------------------------------------------------------

def _update_masks(levels: Mapping[str, float], variant: str, model: Model, seed: int,
                  weights: dict[str, np.ndarray], velocity: dict[str, np.ndarray],
                  masks: dict[str, np.ndarray]) -> None:
    """Recompute the masks of the layers in ``levels`` from the current weights; zero the weights and the
    momentum at the pruned places."""
    if variant == "global":
        (level,) = set(levels.values())   # all pruned layers at the same step and level
        new = prune(model, level, seed=seed, method="global", weights={name: weights[name] for name in levels})
    else:
        new = {name: magnitude_mask(weights[name], level) for name, level in levels.items()}
    for name in levels:
        mask = np.array(new[name], copy=True)
        masks[name] = mask
        weights[name][~mask] = 0.0
        velocity[name][~mask] = 0.0


def _model(name: str, sizes: Sequence[int], names: Sequence[str], pruned: Sequence[str]) -> Model:
    layers = tuple(Linear(layer, in_features=fan_in, out_features=out, bias=True, prunable=layer in pruned)
                   for layer, fan_in, out in zip(names, sizes[:-1], sizes[1:]))
    return Model(name=name, family=FAMILY, layers=layers)


def _empty_log(names: Sequence[str], total: int) -> dict[str, np.ndarray]:
    log = {"step": np.arange(total, dtype=np.int64), "epoch": np.zeros(total, np.int64),
           "lr": np.zeros(total), "loss": np.zeros(total), "target_sparsity": np.zeros(total),
           "sparsity": np.zeros(total), "nnz": np.zeros(total, np.int64)}
    log.update({f"sparsity_{name}": np.zeros(total) for name in names})
    log.update({column: np.full(total, np.nan) for column in EVAL_COLUMNS})
    return log


def _target_sparsity(config: TrainConfig, total: int) -> np.ndarray:
    """The log's ``target_sparsity`` column: eq. (1) of the uniform schedule at every step, 0 before t0 and
    without pruning. The level is constant between update steps, so eq. (1) is evaluated once per update."""
    target = np.zeros(total)
    if config.schedule == "agp":
        for k in range(config.n + 1):
            start = config.t0 + k * config.dt
            stop = start + config.dt if k < config.n else total
            target[start:stop] = agp_sparsity(start, s_i=config.s_i, s_f=config.s_f, t0=config.t0,
                                              n=config.n, dt=config.dt)
    return target


def _log_step(log: dict[str, np.ndarray], step: int, epoch: int, lr: float, loss: float,
              kept: Mapping[str, int], masks: Mapping[str, np.ndarray], total_weights: int) -> None:
    log["epoch"][step] = epoch
    log["lr"][step] = lr
    log["loss"][step] = loss
    nnz = sum(kept.values())
    log["nnz"][step] = nnz
    log["sparsity"][step] = 1.0 - nnz / total_weights
    for name, count in kept.items():
        log[f"sparsity_{name}"][step] = 1.0 - count / masks[name].size


def _log_evaluation(log: dict[str, np.ndarray], step: int, weights: Mapping[str, np.ndarray],
                    biases: Mapping[str, np.ndarray], names: Sequence[str], x_train: np.ndarray,
                    y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
    w = [weights[n] for n in names]
    b = [biases[n] for n in names]
    log["train_loss"][step], log["train_accuracy"][step] = evaluate(w, b, x_train, y_train)
    log["test_loss"][step], log["test_accuracy"][step] = evaluate(w, b, x_test, y_test)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _check_data(task_data: Sequence[ArrayLike]) -> TaskData:
    """float64 C-contiguous features and int64 labels, checked for shape and values."""
    if not isinstance(task_data, (tuple, list)) or len(task_data) != 4:
        raise InputError("bad task data", key="task_data", expected="(x_train, y_train, x_test, y_test)",
                         got=type(task_data).__name__)
    arrays = []
    for key, value, ndim in zip(("x_train", "y_train", "x_test", "y_test"), task_data, (2, 1, 2, 1)):
        array = np.asarray(value)
        if array.ndim != ndim or len(array) == 0:
            raise InputError("bad task data", key=key, expected=f"a non-empty {ndim}-d array",
                             got=f"shape {array.shape}")
        if ndim == 2:
            if array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
                raise InputError("features are not finite real numbers", key=key,
                                 expected="finite int or float values", got=f"dtype {array.dtype}")
            array = np.ascontiguousarray(array, dtype=np.float64)
        else:
            if array.dtype.kind not in "iu" or array.min() < 0:
                raise InputError("labels are not class indices", key=key, expected="integers >= 0",
                                 got=f"dtype {array.dtype}, min {array.min()}")
            array = array.astype(np.int64)
        arrays.append(array)
    x_train, y_train, x_test, y_test = arrays
    for x, y, key in ((x_train, y_train, "y_train"), (x_test, y_test, "y_test")):
        if len(x) != len(y):
            raise InputError("features and labels differ in length", key=key, expected=f"{len(x)} labels",
                             got=len(y))
    if x_test.shape[1] != x_train.shape[1]:
        raise InputError("test features differ from training features", key="x_test",
                         expected=f"{x_train.shape[1]} features", got=x_test.shape[1])
    return x_train, y_train, x_test, y_test


@contextlib.contextmanager
def _single_thread_blas() -> Iterator[None]:
    """BLAS on one thread while the block runs (deterministic sums), if threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _read_only(arrays: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    views = {}
    for name, array in arrays.items():
        view = array.view()
        view.flags.writeable = False
        views[name] = view
    return MappingProxyType(views)


def _frozen_copy(arrays: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    copies = {}
    for name, array in arrays.items():
        copy = np.array(array, copy=True)
        copy.flags.writeable = False
        copies[name] = copy
    return MappingProxyType(copies)


def _summary(result: TrainResult) -> dict:
    return {"config": dataclasses.asdict(result.config), "sizes": list(result.sizes),
            "layers": list(result.layer_names), "pruned": list(result.pruned), "nnz": result.nnz,
            "sparsity": result.masks.total_sparsity, "train_accuracy": result.train_accuracy,
            "test_accuracy": result.test_accuracy}


def _csv_value(value: object) -> object:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_real(value: object, key: str, expected: str, ok: Callable[[float], bool]) -> None:
    if (not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value)
            or not ok(value)):
        raise InputError("bad training parameter", key=key, expected=expected, got=value)
