"""Workload files: accelsim's own YAML and SCALE-Sim topology CSVs -> :class:`Model` (layer 1).

Two entry points, chosen by what the caller needs:

* :func:`load_workload` ``(path) -> Model``: the layers only (what ``accelsim simulate --workload`` needs).
* :func:`read_workload` ``(path) -> Workload``: the model plus the per-layer ``weight_density`` and
  ``activation_density`` a YAML file may give, or the N:M ``weight_nm`` of a SCALE-Sim v3 topology's
  Sparsity column (a simulation uses them when it has no masks).
  Densities are kept beside the model (:class:`~accelsim.workloads.model.Workload`), so the layer types
  stay pure shapes.

The format is chosen by the extension, one module each: ``.yaml``/``.yml`` (accelsim's format,
``traces/README.md``; :mod:`~accelsim.workloads.accelsim_yaml`) or ``.csv`` (a SCALE-Sim topology,
convolution or GEMM, told apart by the header; :mod:`~accelsim.workloads.scalesim_csv`). This module reads
the file (the part the formats share) and hands its text to the format.

Every problem raises :class:`WorkloadError` naming the file, where in it (``layers[2].kernel_h (layer
conv3)``, ``line 5 (Conv3): Filter Height``), what was expected and what was found, on one line. Files over
``MAX_FILE_BYTES`` are refused before they are read.
"""
from __future__ import annotations

import os
from pathlib import Path

from accelsim.errors import WorkloadError
from accelsim.inputfiles import open_regular
from accelsim.workloads.accelsim_yaml import LAYER_TYPES, parse_yaml
from accelsim.workloads.model import Model, Workload
from accelsim.workloads.scalesim_csv import parse_scalesim

__all__ = ["MAX_FILE_BYTES", "LAYER_TYPES", "Workload", "load_workload", "parse_scalesim", "parse_workload",
           "parse_yaml", "read_workload", "read_workload_text"]

MAX_FILE_BYTES = 10_000_000  # 10 MB: the largest real workload file is a few kB


def load_workload(path: str | os.PathLike[str]) -> Model:
    """The model described by the workload file ``path`` (``.yaml``/``.yml`` or SCALE-Sim ``.csv``)."""
    return read_workload(path).model


def read_workload(path: str | os.PathLike[str]) -> Workload:
    """The model and per-layer densities of the workload file ``path``; the extension picks the format."""
    return parse_workload(read_workload_text(path), str(path))


def read_workload_text(path: str | os.PathLike[str]) -> str:
    """The text of the workload file ``path``: a known extension, at most ``MAX_FILE_BYTES``, UTF-8 (a
    WorkloadError naming ``path`` otherwise); :func:`parse_workload` of it is :func:`read_workload`."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise WorkloadError("unknown workload file type", file=path,
                            expected=".yaml or .yml (accelsim) or .csv (SCALE-Sim topology)",
                            got=Path(path).suffix or "no extension")
    return _read_text(path)


def parse_workload(text: str, file: str) -> Workload:
    """The workload in ``text``, read as the format the extension of ``file`` says (``.csv``: a SCALE-Sim
    topology named after the file; otherwise accelsim YAML)."""
    if Path(file).suffix.lower() == ".csv":
        return parse_scalesim(text, file, name=Path(file).stem)
    return parse_yaml(text, file)


def _read_text(path: str | os.PathLike[str]) -> str:
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise WorkloadError("file too large", file=path, expected=f"at most {MAX_FILE_BYTES} bytes",
                                got=f"{size} bytes")
        with open_regular(path) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise WorkloadError("cannot read the file", file=path, expected="a readable workload file",
                            got=exc.strerror or type(exc).__name__) from None
    if len(data) > MAX_FILE_BYTES:   # grew since stat, or a special file
        raise WorkloadError("file too large", file=path, expected=f"at most {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorkloadError("not UTF-8 text", file=path, expected="a UTF-8 text file",
                            got=f"byte {exc.start}") from None
