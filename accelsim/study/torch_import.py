"""PyTorch convenience (layer 8): ``accelsim.from_torch(module, example_input, out=DIR)`` exports a module
through ``torch.onnx`` and imports it like ``accelsim import`` does (docs/import.md).

Masks made with ``torch.nn.utils.prune`` (a ``weight_mask`` buffer beside ``weight_orig``) are read as they
are: the export folds ``weight_orig * weight_mask`` into the weights (and a following BatchNormalization's
per-channel scale), whose zeros are then the mask's zeros, except where a kept weight happens to be exactly
0.0; each pruned module's ``weight_mask`` is therefore matched to the imported layer holding its weights (the
first not yet matched, in model order, with the same shape and the same zeros) and written as that layer's
mask.
Needs the optional ``torch`` extra (``pip install 'accelsim[torch]'``, torch pinned to 2.13.0).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from accelsim.errors import WorkloadError
from accelsim.importers import bundle
from accelsim.pruning import save_masks
from accelsim.study.imported import import_model

INPUT_NAME = "input"


def from_torch(module, example_input, out: str | os.PathLike[str], *, samples: np.ndarray | None = None,
               strict: bool = False, force: bool = False) -> bundle.Bundle:
    """Export ``module`` (evaluation mode, batch-1 ``example_input``) to ONNX, import it into the folder
    ``out`` (measuring activations on ``samples``, an array of inputs stacked on a new first axis, when
    given) and return the imported folder's :class:`~accelsim.importers.bundle.Bundle`."""
    try:
        import torch
    except ImportError:
        raise WorkloadError("PyTorch is not installed", key="from_torch",
                            expected="pip install 'accelsim[torch]'") from None
    module.eval()
    with tempfile.TemporaryDirectory() as tmp:
        model_file = Path(tmp) / "model.onnx"
        with torch.no_grad():
            torch.onnx.export(module, (example_input,), str(model_file), input_names=[INPUT_NAME],
                              opset_version=17, do_constant_folding=True, dynamo=False)
        samples_file = None
        if samples is not None:
            samples_file = Path(tmp) / "samples.npy"
            np.save(samples_file, np.asarray(samples, dtype=np.float32))
        import_model(model_file, Path(out), strict=strict, samples=samples_file, force=force)
    _apply_torch_masks(module, Path(out))
    return bundle.read_bundle(out)


def _apply_torch_masks(module, out: Path) -> None:
    """Replace the imported masks of layers whose weights are a pruned module's by its ``weight_mask``."""
    pruned = [(name, m) for name, m in module.named_modules() if hasattr(m, "weight_mask")]
    if not pruned:
        return
    found = bundle.read_bundle(out)
    weights = found.weights()
    masks = dict(found.masks)
    done: set[str] = set()
    for name, m in pruned:
        weight = m.weight.detach().cpu().numpy().astype(np.float32)
        mask = m.weight_mask.detach().cpu().numpy().astype(bool)
        layer = next((layer for layer, w in weights.items() if layer not in done and w.shape == weight.shape
                      and np.array_equal(w != 0, weight != 0)), None)
        if layer is None:
            raise WorkloadError("a pruned module's weights are in no imported layer", key=name,
                                expected="a Conv or Linear module the export keeps as one node")
        masks[layer] = mask
        done.add(layer)
    save_masks(out / bundle.MASKS, masks, force=True)
