"""A training run on disk (layer 2): :func:`save_run` writes ``masks.npz``, ``weights.npz``, ``log.csv`` and
``config.json`` into a folder, all or nothing; :func:`log_csv` is the log's exact text form."""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from accelsim.atomic import replacing
from accelsim.errors import OutputError
from accelsim.pruning.files import save_masks
from accelsim.training.trainer import TrainResult

RUN_FILES = ("masks.npz", "weights.npz", "log.csv", "config.json")


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


def _summary(result: TrainResult) -> dict:
    return {"config": dataclasses.asdict(result.config), "sizes": list(result.sizes),
            "layers": list(result.layer_names), "pruned": list(result.pruned), "nnz": result.nnz,
            "sparsity": result.masks.total_sparsity, "train_accuracy": result.train_accuracy,
            "test_accuracy": result.test_accuracy}


def _csv_value(value: object) -> object:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return value
