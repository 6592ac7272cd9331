"""Mask files (layer 2): ``.npz`` archives holding one boolean array per layer name.

Format: a zip archive (deflate-compressed, as ``np.savez_compressed`` writes) whose member ``NAME.npy`` is
the ``.npy`` file of layer NAME's mask: dtype bool, the layer's ``weight_shape``, True = weight kept.
Archives written by ``np.savez`` / ``np.savez_compressed`` load as well.

What :func:`load_masks` accepts, said once: every entry must be named after a layer of the model, have the
layer's ``weight_shape`` and dtype bool. Only dtype bool is accepted: float masks are refused (NaN has no
keep/prune meaning, and 0.5 none either), and so are 0/1 integer masks (convert with ``mask.astype(bool)``),
so a mask never depends on a conversion rule. Every prunable layer needs an entry; a non-prunable layer may
have one (it is then applied). Nothing is ever unpickled.
"""
from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from accelsim.atomic import replacing
from accelsim.errors import MaskError, OutputError, did_you_mean
from accelsim.inputfiles import open_regular
from accelsim.pruning.masks import Masks, masks_for
from accelsim.workloads.layers import Layer
from accelsim.workloads.model import Model

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")   # a zip archive's first bytes (with members / empty)
_NPY_MAGIC = b"\x93NUMPY"


def save_masks(path: str | os.PathLike[str], masks: Mapping[str, np.ndarray], *, force: bool = False) -> Path:
    """Write ``masks`` (layer name -> boolean array) to the ``.npz`` file ``path``; return the path.

    An existing ``path`` is an :class:`OutputError` unless ``force``. Written atomically
    (:func:`accelsim.atomic.replacing`): ``path`` is either absent, the old file or the complete new one.
    """
    path = Path(path)
    checked = Masks(masks)   # refuses non-boolean arrays before anything is written
    if path.is_dir():
        raise OutputError("output path is a directory", file=path, expected="a file path ending in .npz")
    if path.exists() and not force:
        raise OutputError("output exists", file=path, expected="a new path, or --force to overwrite it")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError("output folder does not exist", file=path, expected=f"an existing folder {folder}")
    with replacing(path, what="mask file") as temporary, \
            zipfile.ZipFile(temporary, "x", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, mask in checked.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, mask, allow_pickle=False)
    return path


def load_masks(path: str | os.PathLike[str], model: Model) -> Masks:
    """Read the mask file ``path`` for ``model``; return its masks in model layer order.

    Every problem is a :class:`MaskError` naming the file and, where there is one, the layer: unreadable or
    missing file, not an ``.npz`` archive, an entry that is not a plain boolean array (object arrays would
    need pickle and are refused), a name that is no layer of ``model`` (with the closest name), a missing
    prunable layer, a wrong shape or a non-bool dtype (module docstring).
    """
    path = Path(path)
    _check_is_npz(path)
    layers = {layer.name: layer for layer in model.layers}
    found = {}
    try:
        # The file is opened here, not by np.load: np.load leaves its own handle open when the archive
        # turns out to be damaged.
        with open_regular(path) as stream, np.load(stream, allow_pickle=False) as archive:
            for name in archive.files:
                if name in found:   # a zip may hold two members of one name; which one is read is arbitrary
                    raise MaskError("two entries for one layer", file=path, key=name,
                                    expected="each layer's mask once")
                found[name] = _entry(archive, name, path, model, layers)
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as error:   # damaged data,
        # or a zip feature (version, compression) zipfile lacks
        raise MaskError("cannot read mask file", file=path, expected="a valid .npz archive",
                        got=str(error)) from error
    return masks_for(found, model, file=path)


def _check_is_npz(path: Path) -> None:
    """A readable zip archive, or a MaskError saying what ``path`` is instead."""
    try:
        with open_regular(path) as stream:
            head = stream.read(6)
    except FileNotFoundError as error:
        raise MaskError("mask file not found", file=path, expected="an existing .npz file") from error
    except OSError as error:
        raise MaskError("cannot read mask file", file=path, expected="a readable .npz file",
                        got=error.strerror or str(error)) from error
    if not head.startswith(_ZIP_MAGIC):
        what = "a single-array .npy file" if head.startswith(_NPY_MAGIC) else "a file that is not a zip archive"
        raise MaskError("not an .npz mask archive", file=path, expected="an .npz archive (np.savez)", got=what)


def _entry(archive: np.lib.npyio.NpzFile, name: str, path: Path, model: Model,
           layers: Mapping[str, Layer]) -> np.ndarray:
    """The checked boolean mask stored under ``name``. Its ``.npy`` header is checked before any of its data
    is read, so a header claiming a huge array (or a member that is no .npy file at all) costs nothing to
    refuse; the array is then read from that same member."""
    if name not in layers:
        raise MaskError("mask for a layer the model does not have", file=path, key=name,
                        expected=f"a layer of {model.name}{did_you_mean(name, layers)}", got=name)
    member = f"{name}.npy" if f"{name}.npy" in archive.zip.namelist() else name
    try:
        stream = archive.zip.open(member)
    except (NotImplementedError, RuntimeError) as error:   # a compression method or encryption zipfile lacks
        raise MaskError("cannot read mask entry", file=path, key=name,
                        expected="an unencrypted entry, stored or deflated (np.savez)", got=str(error)) from error
    with stream:
        try:
            version = np.lib.format.read_magic(stream)
        except ValueError:
            raise MaskError("archive member is not a .npy array", file=path, key=name,
                            expected="a boolean array", got="other data") from None
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        try:
            found, _, dtype = read(stream)
        except ValueError as error:
            raise MaskError("mask entry is not a valid .npy array", file=path, key=name,
                            expected="a boolean array", got=str(error)) from error
        if dtype.hasobject:
            raise MaskError("mask entry holds Python objects (would need pickle)", file=path, key=name,
                            expected="a boolean array", got=f"dtype {dtype}")
        if dtype != np.bool_:
            float_note = " (float masks are refused, NaN included)" if dtype.kind in "fc" else ""
            raise MaskError(f"mask is not boolean{float_note}", file=path, key=name,
                            expected="dtype bool (convert 0/1 masks with .astype(bool))", got=f"dtype {dtype}")
        shape = layers[name].weight_shape
        if tuple(found) != shape:
            raise MaskError("mask has the wrong shape", file=path, key=name, expected=f"shape {shape}",
                            got=f"shape {tuple(found)}")
        stream.seek(0)   # read_array reads the magic and header again: the data is as they declare
        try:
            return np.lib.format.read_array(stream, allow_pickle=False)
        except ValueError as error:   # e.g. fewer data bytes than the header declares
            raise MaskError("mask entry is not a valid .npy array", file=path, key=name, expected="a boolean array",
                            got=str(error)) from error
