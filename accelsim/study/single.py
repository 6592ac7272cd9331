"""Workflows on one model at a time (layer 8): the zoo table, footprints, pruning to a file, simulation.

Each function takes plain values (a model, sparsities, paths), runs the pipeline of DESIGN.md and returns
DataFrames or writes files; none of them parses command-line arguments.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from accelsim import __version__
from accelsim.counts import Counts
from accelsim.energy.model import energy
from accelsim.energy.table import EnergyTable
from accelsim.accelerators.engines import engine_for
from accelsim.errors import ConfigError, InputError, WorkloadError
from accelsim.hardware.schema import HardwareConfig
from accelsim.pruning import (ActivationDensity, Masks, activation_mask, magnitude_mask, prune, save_masks,
                              synthetic_weights, uniform_sparsity)
from accelsim.pruning.masks import masks_for
from accelsim.pruning.synthetic import check_seed
from accelsim.pruning.structured import Structure, nm_mask, prune_structured
from accelsim.reports import SimulationResult, assemble, layer_row
from accelsim.schema import SPARSITY, checked
from accelsim.study.memo import run_layer
from accelsim.workloads import zoo
from accelsim.workloads.layers import LSTM, Conv2D, Layer, Linear
from accelsim.workloads.model import Model, check_model

if TYPE_CHECKING:
    import pandas as pd

    from accelsim.workloads.files import Workload


T = TypeVar("T")


def check_sparsity(value: float, key: str = "--sparsity") -> float:
    """A sparsity in [0, 1) (any real number type, numpy's included), as a float; or an InputError naming
    ``key``."""
    return checked(SPARSITY, value, key)


def distinct(values: Sequence[T], key: str, what: str, check: Callable[[T], T]) -> list[T]:
    """``check`` of each of ``values`` (``what`` they are, plural); an InputError naming ``key`` if there is
    none, or one is given twice."""
    checked = [check(value) for value in values]
    if not checked:
        raise InputError(f"no {what}", key=key, expected="at least one value")
    repeated = next((value for n, value in enumerate(checked) if value in checked[:n]), None)
    if repeated is not None:
        raise InputError(f"repeated value in {what}", key=key, expected="each value once", got=repeated)
    return checked


def models_table() -> pd.DataFrame:
    """Every variant of the zoo the paper reports: parameters, prunable weights and MACs per inference."""
    import pandas as pd
    rows = []
    for model in zoo.paper_variants():
        rows.append({"family": model.family, "model": model.name, **model.option_dict,
                     "layers": len(model.layers), "params": model.params,
                     "prunable_params": sum(l.weight_count for l in model.prunable_layers),
                     "macs": model.macs})
    return pd.DataFrame(rows)


def footprint_table(model: Model, sparsities: Sequence[float], *, seed: int = 0, with_paper: bool = False,
                    weights: Mapping[str, np.ndarray] | None = None, kept: Mapping[str, np.ndarray] | None = None,
                    structure: Structure = Structure()) -> pd.DataFrame:
    """Storage per format of ``model`` pruned (magnitude pruning with ``structure`` of ``weights``, by default
    seeded synthetic ones) to each sparsity (N:M: one row at its own sparsity, ``sparsities`` unused).
    ``kept``: the masks of real weights (an imported model's exact zeros): a weight they prune is never
    kept, and sparsity 0 is those masks rather than the dense model. ``with_paper`` joins the paper's Table 5
    and Table 6 values where it reports the same point."""
    import pandas as pd

    from accelsim.compile.footprint import footprint
    if structure.kind != "nm" or sparsities:
        sparsities = distinct(sparsities, "--sparsity", "sparsities", check_sparsity)
    if (structure.kind == "nm") == bool(sparsities):
        raise InputError("N:M sets its own sparsity" if sparsities else "no sparsity given", key="--sparsity",
                         expected=f"no --sparsity with {structure}" if sparsities else "a list of numbers in [0, 1)",
                         got=list(sparsities) if sparsities else None)
    if weights is None:
        weights = {layer.name: synthetic_weights(layer, seed) for layer in model.prunable_layers}

    def within_kept(masks: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
        return masks if kept is None else {name: mask & kept[name] for name, mask in masks.items()}
    rows = []
    if structure.kind == "nm":
        masks = prune_structured(model, structure, seed=seed, weights=weights)
        rows.append(asdict(footprint(model, masks.total_sparsity, within_kept(masks), nm=(structure.n, structure.m))))
    for sparsity in ([] if structure.kind == "nm" else sparsities):
        masks = prune_structured(model, structure, sparsity, seed=seed, weights=weights) if sparsity else {}
        rows.append(asdict(footprint(model, sparsity, within_kept(masks) if sparsity else dict(kept or {}),
                                     block=structure.block or 4)))
    table = pd.DataFrame(rows)
    if with_paper:
        table = _join_paper_storage(model, table)
    return table


def _join_paper_storage(model: Model, table: pd.DataFrame) -> pd.DataFrame:
    """Add the paper's NNZ and sizes (Tables 5 and 6) for MobileNet rows it reports."""
    from accelsim.reference import paper_table
    if model.family != "mobilenet_v1":
        return table
    width = model.option_dict["width"]
    t5 = paper_table(5).rename(columns={"nnz_params": "paper_nnz", "bitmask_mb": "paper_bitmask_overhead_mb",
                                        "csrc_mb": "paper_csrc_overhead_mb"})
    t6 = paper_table(6)
    t6 = t6[t6["width"] == width][["sparsity", "model_size_mb"]].rename(
        columns={"model_size_mb": "paper_model_mb"})
    out = table.merge(t6, on="sparsity", how="left")
    if width == 1.0:
        out = out.merge(t5, on="sparsity", how="left")
    return out


def prune_to_file(model: Model, sparsity: float | None, *, seed: int, out: Path, method: str = "uniform",
                  force: bool = False, structure: Structure = Structure()) -> pd.DataFrame:
    """Prune ``model`` to ``sparsity`` (None for N:M, which sets its own) with ``structure`` and write the
    masks to ``out`` (.npz); return per-layer sparsity. ``method`` applies to unstructured pruning."""
    if structure.kind == "unstructured":
        if sparsity is None:
            raise InputError("no sparsity given", key="--sparsity", expected="a number in [0, 1)")
        masks = prune(model, check_sparsity(sparsity), seed=seed, method=method)
    else:
        masks = prune_structured(model, structure, sparsity, seed=seed)
    save_masks(out, masks, force=force)
    return sparsity_table(masks)


def sparsity_table(masks: Masks) -> pd.DataFrame:
    """Per layer of ``masks``: elements, non-zeros and sparsity."""
    import pandas as pd
    return pd.DataFrame([{"layer": name, "elements": m.size, "nnz": int(m.sum()),
                          "sparsity": 1 - m.sum() / m.size} for name, m in masks.items()])


def check_runs(model: Model, hw: HardwareConfig) -> None:
    """An InputError naming the first layer of ``model`` the engine of ``hw`` cannot run, if any: a layer
    type it has no mapping for, or a buffer or accumulator too small for a layer (the engine's mask-free
    checks, :meth:`accelsim.sim.engine.Engine.check`). Cheap: nothing is compiled or simulated."""
    if not model.inference_layers:
        raise WorkloadError(f"model {model.name} has no layer that runs at inference", key="model",
                            expected="at least one layer with at_inference True")
    refused = hw.accelerator.unsupported(model.inference_layers)
    if refused:
        kinds = ", ".join(hw.accelerator.layer_kind_names)
        raise InputError(f"hardware {hw.name} ({hw.engine}) cannot run layer {refused[0].name} of {model.name}",
                         file=Path(hw.source).name, key="engine", expected=f"layers of type {kinds}",
                         got=refused[0].kind)
    engine = engine_for(hw)
    with naming_file(hw.source):
        for layer in model.inference_layers:
            engine.check(layer)


@contextmanager
def naming_file(file: str) -> Iterator[None]:
    """Re-raise a ConfigError that names no file (an engine's, about the hardware) naming ``file``."""
    try:
        yield
    except ConfigError as error:
        if error.file is not None:
            raise
        raise ConfigError(error.problem, file=file, key=error.key, expected=error.expected, got=error.got) from None


def simulate(model: Model, hw: HardwareConfig, *, masks: Masks | None = None, sparsity: float | None = None,
             seed: int = 0, activation_density: ActivationDensity | None = None,
             activations: Mapping[str, np.ndarray] | None = None) -> SimulationResult:
    """Simulate one inference of ``model`` on ``hw``, layer by layer.

    Weight masks come from ``masks`` (a :class:`Masks` or a dict of layer name -> boolean array, checked
    as a mask file is: every prunable layer, the right shapes) or, given ``sparsity``, from uniform
    magnitude pruning of seeded synthetic weights; with neither the model is dense. A dense engine ignores
    masks, so given ``sparsity`` it draws no weights: the report's sparsity is the one pruning reaches
    (:func:`~accelsim.pruning.uniform_sparsity`). A sparse engine also gets seeded input-activation masks
    at ``activation_density`` (default: :class:`ActivationDensity`'s post-ReLU rule), or the measured
    masks ``activations`` gives for a layer (layer name -> bool array of ``activation_shape(layer)``).
    Layers not run at inference (InceptionV3's auxiliary classifier) are skipped. Wrong arguments are an
    :class:`InputError` naming the argument, raised before anything runs.
    """
    _check_types(model, hw)
    if masks is not None and sparsity is not None:
        raise InputError("masks and sparsity given together", key="sparsity", expected="one of them, or neither")
    if masks is not None:
        masks = masks_for(masks, model)
    return _simulate(model, hw, masks=masks, sparsity=sparsity, seed=seed, activation_density=activation_density,
                     activations=activations)


def _check_types(model: object, hw: object) -> None:
    check_model(model)
    if not isinstance(hw, HardwareConfig):
        raise InputError("not a hardware description", key="hw",
                         expected="a HardwareConfig (acs.load_hardware(path))", got=type(hw).__name__)


def _simulate(model: Model, hw: HardwareConfig, *, masks: Masks | None, sparsity: float | None, seed: int,
              activation_density: ActivationDensity | None,
              activations: Mapping[str, np.ndarray] | None = None) -> SimulationResult:
    """:func:`simulate` of checked arguments; ``masks`` may cover only some layers (the others run dense)."""
    seed = check_seed(seed)
    sparsity = None if sparsity is None else check_sparsity(sparsity)
    check_runs(model, hw)
    engine = engine_for(hw)
    reached = None                       # the total sparsity of the weights, when not that of ``masks``
    if masks is None and sparsity:
        if hw.accelerator.skips_zeros:
            masks = prune(model, check_sparsity(sparsity), seed=seed)
        else:
            reached = uniform_sparsity(model, check_sparsity(sparsity))
    table = EnergyTable.from_config(hw)
    densities = (activation_density or ActivationDensity()).densities(model) if hw.accelerator.skips_zeros else {}
    with naming_file(hw.source):
        plan = engine.plan(model.inference_layers, masks)       # model-level decisions (EIE: resident weights)
    rows, counts = [], Counts()
    for layer in model.inference_layers:
        mask = masks.get(layer.name) if masks is not None else None
        if activations is not None and layer.name in activations and hw.accelerator.skips_zeros:
            acts = activations[layer.name]
        else:
            acts = activation_mask(layer, densities[layer.name], seed) if layer.name in densities else None
        with naming_file(hw.source):
            run = run_layer(engine, layer, mask, acts, plan)
        rows.append(layer_row(layer, run, energy(run.counts, table, run.cycles, hw.clock_hz), hw))
        counts += run.counts
    metadata = {"accelsim_version": __version__, "model": model.name, "model_family": model.family,
                "model_options": dict(model.options), "hardware": hw.name, "hardware_file": Path(hw.source).name,
                "config_hash": hw.config_hash, "engine": hw.engine, "seed": seed,
                "sparsity": reached if masks is None else masks.total_sparsity,
                "warnings": mask_warnings(model, masks, engine)}
    return assemble(rows, hw, metadata, counts, table)


def mask_warnings(model: Model, masks: Masks | None, engine) -> list[str]:
    """One line per suspicious mask: a layer pruned to 100%, a mask on a layer marked not prunable, sparse
    masks given to a dense engine (which multiplies the zeros anyway), or, on a machine that accelerates
    structured weights, a layer whose mask fits none of its patterns (it runs dense)."""
    if masks is None:
        return []
    warnings = [f"layer {name}: every weight is pruned (100% sparsity)" for name, m in masks.items() if not m.any()]
    prunable = {layer.name for layer in model.prunable_layers}
    warnings += [f"layer {name}: a mask is given for a layer marked not prunable" for name in masks
                 if name not in prunable and not masks[name].all()]
    spec = engine.hw.accelerator
    sparse = [layer for layer in model.inference_layers if layer.name in masks and not masks[layer.name].all()]
    if not spec.uses_weight_masks and sparse:
        warnings.append("sparse masks run on a dense engine, which multiplies the zeros anyway")
    elif spec.structured_by:
        patterns = ", ".join(getattr(engine.hw, spec.structured_by))
        warnings += [f"layer {layer.name}: its mask fits none of {spec.structured_by} ({patterns}); it runs dense"
                     for layer in sparse if engine.ignores_mask(layer, masks[layer.name])]
    return warnings


def simulate_workload(workload: Workload, hw: HardwareConfig, *, masks: Masks | None = None,
                      sparsity: float | None = None, seed: int = 0) -> SimulationResult:
    """:func:`simulate` the model of a workload file with the densities the file gives.

    ``activation_density`` of a layer sets its input density (other layers follow
    :class:`ActivationDensity`'s rule). ``weight_density`` of a layer prunes it, when neither ``masks`` nor
    ``sparsity`` is given, to exactly round((1 - density) * N) zeros of its seeded synthetic weights
    (:func:`accelsim.pruning.magnitude_mask`); an N:M ``weight_nm`` of a layer keeps the N largest of those
    weights in every M along the reduction dimension (:func:`accelsim.pruning.structured.nm_mask`); layers
    with neither stay dense. Given ``masks`` or ``sparsity`` replace the file's weight densities.
    """
    _check_types(workload.model, hw)
    if masks is not None:
        masks = masks_for(masks, workload.model)
    elif not sparsity and (workload.weight_density or workload.weight_nm):
        masks = Masks({layer.name: _file_mask(workload, layer, check_seed(seed)) for layer in workload.model.layers
                       if layer.name in workload.weight_density or layer.name in workload.weight_nm})
    result = _simulate(workload.model, hw, masks=masks, sparsity=sparsity, seed=seed,
                       activation_density=ActivationDensity(overrides=workload.activation_density))
    if workload.model.family == "workload":          # a YAML file: its layers are meant to run in sequence
        result.metadata["warnings"] += chain_warnings(workload.model)
    return result


def _file_mask(workload: Workload, layer: Layer, seed: int) -> np.ndarray:
    """The weight mask a workload file asks for ``layer``: its N:M pattern or its density, on seeded weights."""
    weights = synthetic_weights(layer, seed)
    if layer.name in workload.weight_nm:
        return nm_mask(weights, *workload.weight_nm[layer.name])
    return magnitude_mask(weights, 1 - workload.weight_density[layer.name])


def chain_warnings(model: Model) -> list[str]:
    """One line per pair of consecutive inference layers whose sizes do not chain: the first's outputs per
    position (channels, features, hidden units of every direction) are not the second's inputs (a
    convolution feeding a linear layer chains when the features are a whole number of its channels: a
    flatten or a pooling between them)."""
    warnings = []
    layers = model.inference_layers
    for first, second in zip(layers, layers[1:]):
        if _widths(first) is None or _widths(second) is None:
            continue
        out, into = _widths(first)[1], _widths(second)[0]
        flattened = isinstance(first, Conv2D) and isinstance(second, Linear)
        if (into % out if flattened else into != out):
            warnings.append(f"layers {first.name} -> {second.name}: shapes do not chain ({out} outputs per "
                            f"position, {into} inputs)")
    return warnings


def _widths(layer: Layer) -> tuple[int, int] | None:
    """(inputs, outputs) per position of a convolution, linear or LSTM layer (an LSTM's outputs: hidden
    units of every direction); None for other layers."""
    if isinstance(layer, Conv2D):
        return layer.in_channels, layer.out_channels
    if isinstance(layer, Linear):
        return layer.in_features, layer.out_features
    if isinstance(layer, LSTM):
        return layer.input_size, layer.hidden_size * layer.directions
    return None
