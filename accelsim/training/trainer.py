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

    Structure (``structure``; docs/structured.md): what a mask update at level s_k removes, each layer ranked
    on its own (so not with ``"global"``):

    * ``"unstructured"``: single weights by magnitude, the fraction s_k of the layer's weights (above).
    * ``"N:M"``: along the reduction (a row of W), every group of M weights keeps its N' largest |w|,
      N' = M - floor(s_k * M) but never below N (:func:`accelsim.pruning.structured.gradual_nm`); s_f must
      be (M - N) / M. For 2:4 the layers hold 4:4 (dense) while s_k < 25 %, 3:4 from 25 %, 2:4 from 50 %.
    * ``"block:B"``: B x B blocks of W ranked by L2 norm; s_k is the fraction of blocks removed.
    * ``"channel"``: output units (rows of W) ranked by the L1 norm of their weights; s_k is the fraction of
      a layer's units removed. A removed unit of layer i also loses its column of layer i + 1 (it no longer
      feeds the next layer), so the pruned network is exactly a narrower dense one. The output layer's units
      are the classes: they are never removed (its columns are, by the rule above).

    Which layers: every weight matrix, the hidden ones and the output layer, by default; ``prune_first`` /
    ``prune_last`` = False keep the first / last layer dense (its mask stays all True). Biases are never
    pruned. The whole schedule must finish inside training (last update step <= T - 1).

Determinism
    ``seed`` seeds one ``np.random.SeedSequence`` whose two children drive ``np.random.default_rng`` for the
    initial weights and for the mini-batch order, so a large and a small model trained with the same seed see
    the data in the same order. Inside :func:`train` BLAS runs on one thread (``threadpoolctl``, installed
    with ``accelsim[train]``; without it set ``OMP_NUM_THREADS=1`` / ``OPENBLAS_NUM_THREADS=1`` before numpy
    loads), so the same inputs give the same weights, masks and log bit for bit on one machine and numpy.

Log (``TrainResult.log``; ``log.csv`` written by :func:`~accelsim.training.runfiles.save_run` has the same
columns in this order), one row per training step t:

    ``step`` (t), ``epoch`` (0-based), ``lr`` (lr_t used at t), ``loss`` (mini-batch cross-entropy at t,
    before the update, without the weight-decay term), ``target_sparsity`` (eq. (1) of the uniform schedule
    at t: 0 before t0 and for ``schedule="none"``; a fraction of blocks or units under those structures),
    ``sparsity`` (fraction of all weight-matrix entries,
    dense layers included, that are masked during t), ``nnz`` (weights kept, all layers), ``sparsity_<layer>``
    for each layer (``sparsity_fc1`` ...), then ``train_loss``, ``train_accuracy``, ``test_loss``,
    ``test_accuracy`` measured on the whole splits after the update of the last step of each epoch, NaN at
    the other steps (blank in the csv). Figure 2 of the paper: ``target_sparsity`` / ``sparsity`` and ``lr``
    against ``step`` (a), ``test_accuracy`` against ``step`` at the rows where it is not NaN (b).
"""
from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from accelsim.errors import InputError
from accelsim.pruning.masks import Masks, prune
from accelsim.pruning.structured import Structure, channel_mask, gradual_nm, structured_mask
from accelsim.pruning.schedule import agp_sparsity, layerwise_sparsity
from accelsim.training.config import TrainConfig
from accelsim.training.datasets import checked_task_data
from accelsim.training.mlp import FAMILY, evaluate, loss_and_gradients, mlp_model
from accelsim.workloads.model import Model

EVAL_COLUMNS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What :func:`train` returns; every array is read-only.

    ``sizes``: (features, *hidden, classes). ``layer_names``: ``fc1`` ... in order. ``pruned``: names of the
    layers the config prunes (all True masks under ``schedule="none"``). ``weights`` / ``biases``: final
    parameters by layer name, weights of shape (out, in), pruned entries exactly 0.0. ``masks``: the final
    masks of every layer (True = kept; dense layers all True). ``log``: column name -> array, one entry per
    training step (module docstring). ``seconds``: wall time of the run (the only field that is not
    deterministic; not written by :func:`~accelsim.training.runfiles.save_run`).
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
    x_train, y_train, x_test, y_test = checked_task_data(task_data)
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    sizes = (x_train.shape[1], *config.hidden, n_classes)
    names = tuple(f"fc{i + 1}" for i in range(len(sizes) - 1))
    pruned = tuple(names[i] for i in config.pruned_indices)
    ranked = tuple(names[i] for i in config.ranked_indices)
    steps_per_epoch = config.steps_per_epoch(len(y_train))
    total_steps = config.epochs * steps_per_epoch
    updates = mask_updates(config, ranked, total_steps) if config.schedule == "agp" else {}
    learning_rates = learning_rate_schedule(config, steps_per_epoch)
    model = mlp_model("train", sizes, names, pruned)

    init_rng, order_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(2))
    weights, biases, velocity, bias_velocity, masks = _initial_state(init_rng, names, sizes)
    log = _empty_log(names, total_steps)
    log["target_sparsity"] = _target_sparsity(config, total_steps)
    kept = {name: mask.size for name, mask in masks.items()}
    units: dict[str, np.ndarray] = {}     # channel pruning: kept output units of each ranked layer
    total_weights = sum(kept.values())

    with _single_thread_blas():
        for epoch in range(config.epochs):
            order = order_rng.permutation(len(y_train))
            for j in range(steps_per_epoch):
                step = epoch * steps_per_epoch + j
                if step in updates:
                    changed = _update_masks(updates[step], config, model, weights, velocity, masks, units)
                    kept.update({name: int(np.count_nonzero(masks[name])) for name in changed})
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
                    _momentum_step((weights[name], biases[name]), (velocity[name], bias_velocity[name]), (g, gb),
                                   lr, config.momentum)
                _log_step(log, step, epoch, lr, loss, kept, masks, total_weights)
                if j == steps_per_epoch - 1:
                    _log_evaluation(log, step, weights, biases, names, x_train, y_train, x_test, y_test)
                if callback is not None:
                    callback(StepState(step, epoch, lr, loss, _read_only(weights), _read_only(biases),
                                       _read_only(velocity), _read_only(masks)))

    return TrainResult(config=config, sizes=sizes, layer_names=names, pruned=pruned,
                       weights=_frozen_copy(weights), biases=_frozen_copy(biases), masks=Masks(masks),
                       log=_frozen_copy(log), seconds=time.perf_counter() - start)


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
    """The AGP plan: training step -> {layer name: sparsity} for the layers ``pruned`` (the ranked ones,
    ``config.ranked_indices``) whose masks are recomputed at that step (variant rules in the module
    docstring). Raises :class:`InputError` (key ``t0 + n*dt``) when
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


def to_model(result: TrainResult, name: str = "mlp") -> Model:
    """The accelsim :class:`Model` of the trained network: one ``Linear`` layer (with bias) per weight
    matrix, named like ``result.masks``, ``prunable`` for the layers the config prunes; so
    ``result.masks`` (or the saved masks.npz) can be simulated."""
    model = mlp_model(name, result.sizes, result.layer_names, result.pruned)
    config = result.config
    options = (("hidden", config.hidden), ("in_features", result.sizes[0]), ("out_features", result.sizes[-1]),
               ("s_f", config.s_f if config.schedule == "agp" else 0.0), ("variant", config.variant))
    return Model(name=model.name, family=FAMILY, layers=model.layers, options=tuple(sorted(options)))


# --- internals -------------------------------------------------------------------------------------------

def _initial_state(rng: np.random.Generator, names: Sequence[str],
                   sizes: Sequence[int]) -> tuple[dict[str, np.ndarray], ...]:
    """(weights, biases, their momentum buffers, masks) by layer name at step 0: He-normal weights (std
    sqrt(2 / fan_in)) drawn layer by layer from ``rng``, zero biases and buffers, all-True masks."""
    weights = {name: rng.standard_normal((out, fan_in)) * math.sqrt(2.0 / fan_in)
               for name, fan_in, out in zip(names, sizes[:-1], sizes[1:])}
    biases = {name: np.zeros(out) for name, out in zip(names, sizes[1:])}
    velocity = {name: np.zeros_like(w) for name, w in weights.items()}
    bias_velocity = {name: np.zeros_like(b) for name, b in biases.items()}
    masks = {name: np.ones(w.shape, dtype=bool) for name, w in weights.items()}
    return weights, biases, velocity, bias_velocity, masks


def _momentum_step(parameters: Sequence[np.ndarray], velocities: Sequence[np.ndarray],
                   gradients: Sequence[np.ndarray], lr: float, momentum: float) -> None:
    """Heavy-ball SGD in place, ``v = momentum * v + g``, ``p -= lr * v``, for each parameter in order."""
    for parameter, velocity, gradient in zip(parameters, velocities, gradients):
        velocity *= momentum
        velocity += gradient
        parameter -= lr * velocity


def _update_masks(levels: Mapping[str, float], config: TrainConfig, model: Model,
                  weights: dict[str, np.ndarray], velocity: dict[str, np.ndarray], masks: dict[str, np.ndarray],
                  units: dict[str, np.ndarray]) -> tuple[str, ...]:
    """Recompute the masks of the layers in ``levels`` from the current weights under the config's structure
    and variant (module docstring); zero the weights and the momentum at the pruned places. ``units``: the
    kept output units of each channel-pruned layer so far (updated). Returns the layers whose masks were set."""
    structure = config.pruning_structure
    if config.variant == "global":
        (level,) = set(levels.values())   # all pruned layers at the same step and level
        new = prune(model, level, seed=config.seed, method="global",
                    weights={name: weights[name] for name in levels})
    elif structure.kind == "channel":
        units.update({name: channel_mask(weights[name], level)[:, 0] for name, level in levels.items()})
        new = _unit_masks(units, weights)
    else:
        new = {name: structured_mask(weights[name], _at_level(structure, level), level)
               for name, level in levels.items()}
    for name in new:
        mask = np.array(new[name], copy=True)
        masks[name] = mask
        weights[name][~mask] = 0.0
        velocity[name][~mask] = 0.0
    return tuple(new)


def _at_level(structure: Structure, level: float) -> Structure:
    """The structure a mask update at sparsity ``level`` applies: N:M steps through N' = M - floor(level x M)
    (:func:`accelsim.pruning.structured.gradual_nm`); the others rank at ``level`` itself."""
    return gradual_nm(structure, level) if structure.kind == "nm" else structure


def _unit_masks(units: Mapping[str, np.ndarray], weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Channel pruning's masks: a removed unit of layer i loses its row of layer i and its column of layer
    i + 1; the layers touched by ``units`` (layer names in network order, as ``weights``)."""
    names = list(weights)
    masks = {}
    for i, name in enumerate(names):
        previous = names[i - 1] if i else None
        if name not in units and previous not in units:
            continue
        out, fan_in = weights[name].shape
        rows = units.get(name, np.ones(out, dtype=bool))
        columns = units[previous] if previous in units else np.ones(fan_in, dtype=bool)
        masks[name] = rows[:, None] & columns[None, :]
    return masks


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
