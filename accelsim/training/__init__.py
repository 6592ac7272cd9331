"""Training (layer 2): a numpy trainer that runs the AGP schedules and masks of :mod:`accelsim.pruning` for
real on small tasks, so accuracy and the masks handed to the simulator come out of the same run.

* :mod:`~accelsim.training.config`: :class:`TrainConfig`, every field declared and checked.
* :mod:`~accelsim.training.trainer`: :func:`train` (the method, in its module docstring), :class:`TrainResult`.
* :mod:`~accelsim.training.mlp`: the network: forward pass, gradients, its accelsim model, equal-NNZ widths.
* :mod:`~accelsim.training.runfiles`: a run on disk (:func:`save_run`, :func:`log_csv`).
* :mod:`~accelsim.training.datasets`: the tasks (mnist1d, digits), generated or shipped, never downloaded.
"""
from accelsim.training.config import LR_SCHEDULES, SCHEDULES, VARIANTS, TrainConfig
from accelsim.training.datasets import TASKS, load_task
from accelsim.training.mlp import equal_nnz_width, evaluate, forward, loss_and_gradients
from accelsim.training.runfiles import RUN_FILES, log_csv, save_run
from accelsim.training.trainer import StepState, TrainResult, learning_rate_schedule, mask_updates, to_model, train

__all__ = ["LR_SCHEDULES", "RUN_FILES", "SCHEDULES", "TASKS", "VARIANTS", "StepState", "TrainConfig", "TrainResult",
           "equal_nnz_width", "evaluate", "forward", "learning_rate_schedule", "load_task", "log_csv",
           "loss_and_gradients", "mask_updates", "save_run", "to_model", "train"]
