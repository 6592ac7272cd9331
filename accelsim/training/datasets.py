"""Small classification tasks for the numpy trainer (layer 2): generated or shipped, never downloaded.

:func:`load_task` returns ``(x_train, y_train, x_test, y_test)``: float64 feature matrices (samples x
features) and int64 class labels, the features standardised per feature with the training split's mean and
standard deviation (a feature constant on the training split is only centred).

Tasks (both need the optional packages of ``accelsim[train]``):

* ``"mnist1d"``: MNIST-1D (Greydanus 2020), 10 classes of 1-D signals of 40 features, **generated** with
  ``mnist1d.data.make_dataset`` from ``mnist1d.data.get_dataset_args()`` (its defaults: 5000 samples, 80%
  train, so 4000 train / 1000 test) with the args' ``seed`` set to ``seed``. mnist1d's ``get_dataset``
  would download a pickle from the internet (and unpickle it); it is never called.
  ``make_dataset`` seeds and draws from numpy's and Python's global random generators; :func:`load_task`
  restores both afterwards, so loading a task does not disturb a caller's global random state.
* ``"digits"``: scikit-learn's ``load_digits`` (1797 8x8 images shipped inside the package, 64 features,
  10 classes), split by a permutation drawn from ``np.random.default_rng(seed)``: 359 test samples
  (round(0.2 * 1797)) and 1438 train samples.

The same ``seed`` gives the same arrays bit for bit (for given package versions).
"""
from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from accelsim.errors import InputError
from accelsim.pruning.synthetic import check_seed

TASKS = ("mnist1d", "digits")
DIGITS_TEST_FRACTION = 0.2

TaskData = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_task(name: str, seed: int) -> TaskData:
    """``(x_train, y_train, x_test, y_test)`` of task ``name`` (module docstring), standardised.

    Raises :class:`InputError` for an unknown task or a bad seed, and when the optional packages
    (``mnist1d``, ``scikit-learn``) are not installed.
    """
    if name not in TASKS:
        raise InputError("unknown task", key="task", expected=" or ".join(map(repr, TASKS)), got=name)
    seed = check_seed(seed)
    x_train, y_train, x_test, y_test = _mnist1d(seed) if name == "mnist1d" else _digits(seed)
    x_train, x_test = standardise(x_train, x_test)
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def standardise(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both splits z-scored per feature with the training split's mean and standard deviation (float64);
    a feature with zero standard deviation on the training split is only centred."""
    x_train = np.asarray(x_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1.0
    return (np.ascontiguousarray((x_train - mean) / std), np.ascontiguousarray((x_test - mean) / std))


def _missing(package: str, error: ImportError) -> InputError:
    return InputError(f"the optional package {package} is not installed", key="task",
                      expected="the training extras: pip install 'accelsim[train]'", got=str(error))


def _mnist1d(seed: int) -> TaskData:
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as error:
        raise _missing("mnist1d", error) from error
    args = get_dataset_args()
    args.seed = seed
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)   # generates; never get_dataset (downloads)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    return data["x"], data["y"], data["x_test"], data["y_test"]


def _digits(seed: int) -> TaskData:
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise _missing("scikit-learn", error) from error
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(np.floor(DIGITS_TEST_FRACTION * len(y) + 0.5))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def checked_task_data(task_data: Sequence[ArrayLike]) -> TaskData:
    """``task_data`` = (x_train, y_train, x_test, y_test) as float64 C-contiguous features and int64 labels,
    checked for shape and values (an :class:`InputError` naming the array otherwise)."""
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
