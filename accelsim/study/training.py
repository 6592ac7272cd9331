"""Training workflows (layer 8): one AGP training run written to a folder, and the paper's experiment with
real training: a large model pruned with AGP against a small dense model of the same NNZ, each simulated
on accelerators from its actual trained masks.

* :func:`train_run`: train one MLP (``accelsim.training``), write its run files and the Figure 2 plot.
* :func:`train_compare`: per NNZ budget and seed, train large-sparse and small-dense, simulate both on
  every hardware description; one row per (budget, kind, seed, hardware), plus a mean +- std summary.

Every training run is a pure function of its inputs (task, data seed, configuration, training seed, the
hardware descriptions' text), so runs give the same numbers serially or on a process pool.

The default pruning schedule in epochs
    Unless ``t0``, ``n`` or ``dt`` are given, the masks are updated once per epoch (``dt`` = the steps of
    one epoch) from the start of epoch ``round(0.1 * epochs)`` (``t0``; Python's ``round``) for
    ``n = max(1, round(0.4 * epochs))`` updates, so pruning ends at 50 % of training while the cosine
    learning rate is still half its peak.
    For mnist1d with the trainer's defaults (40 epochs of 63 steps) this is exactly the TrainConfig recipe
    (t0 = 252, n = 16, dt = 63); for another task or number of epochs it scales with them. Each of the
    three given explicitly replaces only itself.
"""
from __future__ import annotations

import dataclasses
import functools
import numbers
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.atomic import write_text
from accelsim.compile.footprint import footprint
from accelsim.errors import InputError, OutputError
from accelsim.hardware import parse_hardware, read_hardware_text
from accelsim.hardware.shipped import shipped_machine
from accelsim.plots.common import save_figure
from accelsim.plots.training import agp_schedule_figure, train_compare_figure
from accelsim.pruning import ActivationDensity
from accelsim.pruning.masks import rounded_count
from accelsim.reports.writers import prepare_output_dir
from accelsim.pruning.structured import Structure, parse_structure
from accelsim.schema import SEED, SPARSITY, Int, ListOf, OneOf, Real, checked, checked_arguments
from accelsim.study import pool
from accelsim.study.single import simulate
from accelsim.training import (RUN_FILES, TASKS, TrainConfig, TrainResult, equal_nnz_width, forward, load_task,
                               mask_updates, save_run, to_model, train)

KINDS = ("large-sparse", "small-dense")
#: the kind of a large model pruned with a structure (e.g. "large-2:4"; unstructured is "large-sparse")
STRUCTURED_KIND = "large-{}"
ACTIVATIONS = ("measured", "default")
RUN_FIGURES = ("figures/agp_schedule.png", "figures/agp_schedule.svg")
COMPARE_FILES = ("results.csv", "summary.csv", "figures/train_compare.png", "figures/train_compare.svg")
#: hardware descriptions train_compare simulates when given none (shipped machines, hwconfigs/)
DEFAULT_HW_NAMES = ("dense_edge.yaml", "eie_like.yaml")
#: added to the default machines when an N:M structure is compared
NM_HW_NAME = "nm_systolic.yaml"
#: TrainConfig fields set by the arguments of train_run / train_compare themselves, not by overrides
_OWN_FIELDS = ("hidden", "s_f", "schedule", "variant", "seed", "structure")
#: what train_compare and run_config accept (checked in one pass, each problem naming its argument)
HIDDEN = ListOf(Int(1, None, "units"))
BUDGETS = ListOf(Real(0, 1, "fraction of weights that are zero", open_low=True, open_high=True), distinct=True)
SEEDS = ListOf(SEED, distinct=True)
STRUCTURE = next(f.metadata["spec"] for f in dataclasses.fields(TrainConfig) if f.name == "structure")
#: quantities summarised over seeds (mean and sample standard deviation)
SUMMARY_QUANTITIES = ("test_accuracy", "train_accuracy", "latency_s", "cycles", "energy_pj", "dram_read_bytes")


def train_run(task: str | Sequence[np.ndarray], hidden: Sequence[int], sparsity: float | None, *,
              schedule: str = "agp", variant: str = "uniform", structure: str = "unstructured", seed: int = 0,
              data_seed: int = 0, out: str | os.PathLike[str] | None = None, force: bool = False,
              **overrides: object) -> TrainResult:
    """Train one MLP ``features-hidden...-classes`` on ``task`` and prune it to ``sparsity`` with AGP.

    ``task``: a task name of :func:`accelsim.training.datasets.load_task` (``"mnist1d"``, ``"digits"``),
    loaded with ``data_seed``; or the arrays ``(x_train, y_train, x_test, y_test)`` themselves.
    ``sparsity``: the final sparsity s_f of every pruned layer (must be 0 with ``schedule="none"``, a dense
    run; None with an N:M ``structure``: the structure's own). ``schedule``, ``variant`` (``"uniform"``,
    ``"layerwise"``, ``"global"``), ``structure`` (``"2:4"``, ``"block:4"``, ``"channel"``, ...) and ``seed``
    as in :class:`~accelsim.training.config.TrainConfig`; ``overrides`` are any other TrainConfig field (``epochs``,
    ``lr``, ``t0``, ...); the pruning schedule defaults to the epoch-based one of the module docstring.

    With ``out``, writes ``masks.npz``, ``weights.npz``, ``log.csv``, ``config.json``
    (:func:`~accelsim.training.runfiles.save_run`) and ``figures/agp_schedule.png`` / ``.svg`` (the paper's
    Figure 2) into the folder ``out``; if any of them exists, :class:`OutputError` before training unless
    ``force``. Bad arguments are an :class:`InputError` naming the argument.
    """
    data = _task_data(task, data_seed)
    config = run_config(len(data[1]), hidden, sparsity, schedule=schedule, variant=variant, structure=structure,
                        seed=seed, **overrides)
    out_dir = None
    if out is not None:    # only once the inputs are known to be good: bad input leaves nothing behind
        out_dir = prepare_output_dir(Path(out), force=force, files=RUN_FILES + RUN_FIGURES)
    result = train(data, config)
    if out_dir is not None:
        save_run(out_dir, result, force=force)
        sizes = "-".join(map(str, result.sizes))
        shape = "" if config.structure == "unstructured" else f"{config.structure}, "
        title = (f"AGP run: {sizes} MLP, final sparsity {config.s_f:g} ({shape}{config.variant}), "
                 f"seed {config.seed}"
                 if config.schedule == "agp" else f"dense run: {sizes} MLP, seed {config.seed}")
        window = None
        if config.schedule == "agp":
            plan = mask_updates(config, [result.layer_names[i] for i in config.ranked_indices],
                                len(result.log["step"]))
            window = (min(plan), max(plan))
        _save_figure(agp_schedule_figure(pd.DataFrame(dict(result.log)), title=title, pruning=window),
                     out_dir / "figures", "agp_schedule")
    return result


def train_compare(task: str | Sequence[np.ndarray] = "mnist1d", *, large_hidden: Sequence[int] = (256, 256),
                  sparsities: Sequence[float] = (0.75, 0.9, 0.95), seeds: Sequence[int] = (0, 1, 2),
                  hw_files: Sequence[str | os.PathLike[str]] | None = None, jobs: int = 1, data_seed: int = 0,
                  variant: str = "uniform", activations: str = "measured", structures: Sequence[str] = (),
                  out: str | os.PathLike[str] | None = None, force: bool = False,
                  **overrides: object) -> pd.DataFrame:
    """Large-sparse vs small-dense at equal NNZ, trained for real and simulated on each machine.

    For each budget s in ``sparsities`` and each seed: the large MLP (hidden widths ``large_hidden``)
    trained and pruned with AGP to s_f = s (``variant``), and the dense MLP with ``len(large_hidden)``
    hidden layers of the width ``equal_nnz_width`` gives for the large model's NNZ (weights kept, biases
    excluded; exact-k pruning makes it the same for every seed), trained with ``schedule="none"``. Both use
    the same hyperparameters (TrainConfig defaults, the epoch-based pruning schedule of the module
    docstring, and ``overrides``: any other TrainConfig field) and the same training seed. Each trained
    network becomes a model of Linear layers (:func:`~accelsim.training.trainer.to_model`) and is simulated
    on every hardware description in ``hw_files`` (default: the shipped ``hwconfigs/dense_edge.yaml`` and
    ``hwconfigs/eie_like.yaml``, found in the installed package), the large one with its trained masks,
    the small one dense (no masks).

    ``structures`` (e.g. ``("2:4", "block:4", "channel")``; none by default) adds, per seed, the large MLP
    pruned with AGP under each structure (kind ``large-<structure>``, TrainConfig ``structure``): an N:M
    structure at its own budget (M - N) / M only (added to ``sparsities`` if missing: the budgets are then
    sorted), ``block:B`` at every budget (s = the fraction of blocks removed), ``channel`` at every budget
    with the fraction of hidden units removed that gives the NNZ closest to the small-dense model's (for equal
    hidden widths: exactly the small-dense architecture, reached by pruning). With an N:M structure and no
    ``hw_files`` the shipped ``hwconfigs/nm_systolic.yaml`` joins the default machines. Every model runs
    on every machine; a machine that cannot use a structure runs the mask as it runs any mask.

    ``activations``: input-activation densities handed to sparse engines: ``"measured"`` (default): per
    layer, the fraction of non-zero inputs of the trained network over the test split (the first layer's
    raw features included); ``"default"``: accelsim's post-ReLU model (1.0 for the first layer, 0.5 after).
    Either way the non-zeros are placed at seeded random positions
    (:func:`accelsim.pruning.activation_mask`); dense engines ignore them.

    ``jobs`` > 1 trains on a local process pool; the table is the same bit for bit. Returns the results:
    one row per (budget, kind, seed, hardware) in that order (columns in docs/training.md);
    :func:`summarise` turns it into the summary, one row per (budget, kind, hardware) with the mean and
    sample standard deviation over seeds. With ``out``, writes ``results.csv``, ``summary.csv`` and
    ``figures/train_compare.png`` / ``.svg`` there, refusing (:class:`OutputError`, before any training) to
    overwrite any of them unless ``force``.
    """
    arguments = checked_arguments({
        "sparsities": (BUDGETS, _listed(sparsities)), "seeds": (SEEDS, _listed(seeds)),
        "large_hidden": (HIDDEN, _listed(large_hidden)), "jobs": (Int(1, None, "processes"), jobs),
        "activations": (OneOf(ACTIVATIONS), activations)})
    budgets, seeds, large_hidden = arguments["sparsities"], arguments["seeds"], arguments["large_hidden"]
    structures = _structures(structures)
    budgets = _with_nm_budgets(budgets, structures)
    if hw_files is None and any(parse_structure(s).kind == "nm" for s in structures):
        hw_files = [shipped_machine(name) for name in (*DEFAULT_HW_NAMES, NM_HW_NAME)]
    hardware = _hardware(hw_files)
    data = _task_data(task, data_seed)
    features, classes = data[0].shape[1], int(max(data[1].max(), data[3].max())) + 1
    # every configuration is built (and checked) here, before anything trains
    plans = [_plan(budget, data, large_hidden, variant, seeds[0], structures, overrides) for budget in budgets]
    out_dir = prepare_output_dir(Path(out), force=force, files=COMPARE_FILES) if out is not None else None
    spec = task if isinstance(task, str) else data
    runs = []
    for budget, models in plans:
        for kind, config, nnz in models:
            for seed in seeds:
                runs.append(_Run(index=len(runs), task=spec, data_seed=data_seed, budget=budget, kind=kind,
                                 config=dataclasses.replace(config, seed=seed), expected_nnz=nnz,
                                 activations=activations, hardware=hardware))
    rows = [row for rows_of_run in _execute(runs, jobs) for row in rows_of_run]
    results = pd.DataFrame(rows)
    summary = summarise(results)
    if out_dir is not None:
        write_text(out_dir / "results.csv", results.to_csv(index=False, float_format="%.10g"))
        write_text(out_dir / "summary.csv", summary.to_csv(index=False, float_format="%.10g"))
        name = task if isinstance(task, str) else "task"
        pruned = "large-sparse" + "".join(f", {s}" for s in structures)
        title = (f"{name}: {pruned} {'-'.join(map(str, (features, *large_hidden, classes)))} (AGP) vs "
                 f"small-dense at equal NNZ; mean +- std over {len(seeds)} seed(s)")
        _save_figure(train_compare_figure(summary, title=title), out_dir / "figures", "train_compare")
    return results


def _plan(budget: float, data: Sequence[np.ndarray], large_hidden: tuple[int, ...], variant: str, seed: int,
          structures: tuple[str, ...], overrides: dict) -> tuple[float, list[tuple[str, TrainConfig, int | None]]]:
    """(budget, [(kind, config, NNZ expected after training or None), ...]): the large model pruned without
    structure, under each structure that applies at this budget (train_compare's docstring), then the
    small-dense model of equal NNZ."""
    features, classes = data[0].shape[1], int(max(data[1].max(), data[3].max())) + 1
    sizes = (features, *large_hidden, classes)
    large = run_config(len(data[1]), large_hidden, budget, schedule="agp", variant=variant, seed=seed, **overrides)
    nnz = _expected_nnz(large, sizes)
    width = equal_nnz_width(nnz, features, classes, len(large_hidden))
    small = run_config(len(data[1]), (width,) * len(large_hidden), 0.0, schedule="none", variant=variant,
                       seed=seed, **overrides)
    models = [(KINDS[0], large, nnz)]
    for structure in structures:
        fixed = parse_structure(structure).fixed_sparsity
        if fixed is not None and abs(fixed - budget) > 1e-12:
            continue
        level = budget
        if structure == "channel":     # the output layer's units (the classes) are never removed
            ranked = [i for i in large.ranked_indices if i != len(sizes) - 2]
            level = _channel_level(ranked, sizes, (features, *small.hidden, classes))
        config = run_config(len(data[1]), large_hidden, level, schedule="agp", variant=variant,
                            structure=structure, seed=seed, **overrides)
        models.append((STRUCTURED_KIND.format(structure), config, _expected_nnz(config, sizes)))
    models.append((KINDS[1], small, None))
    return budget, models


def _structures(structures: Sequence[str]) -> tuple[str, ...]:
    """train_compare's ``structures`` in canonical spelling; "unstructured" (always compared) and repeats
    are refused."""
    if isinstance(structures, str):
        structures = [structures]
    names = checked_arguments({f"structures[{i}]": (STRUCTURE, s) for i, s in enumerate(structures)})
    seen: set[str] = set()
    for key, name in names.items():
        if name == "unstructured" or name in seen:
            raise InputError("unstructured pruning is always compared" if name == "unstructured"
                             else "a structure is listed twice", key=key,
                             expected="N:M, block:B or channel, each once", got=name)
        seen.add(name)
    return tuple(names.values())


def _with_nm_budgets(budgets: tuple[float, ...], structures: tuple[str, ...]) -> tuple[float, ...]:
    """``budgets`` and the sparsity (M - N) / M of every N:M structure not among them (then all sorted)."""
    fixed = [parse_structure(s).fixed_sparsity for s in structures]
    added = [f for f in fixed if f is not None and all(abs(f - b) > 1e-12 for b in budgets)]
    if not added:
        return budgets
    if any(f == 0 for f in added):
        raise InputError("an N:M structure that prunes nothing", key="structures",
                         expected="N < M (e.g. 2:4)", got=next(s for s, f in zip(structures, fixed) if f == 0))
    return tuple(sorted({*budgets, *added}))


def _channel_level(ranked: Sequence[int], sizes: Sequence[int], target_sizes: Sequence[int]) -> float:
    """The fraction of units removed from each channel-pruned hidden layer of the MLP ``sizes`` that gives the
    NNZ closest to that of the dense MLP ``target_sizes`` (ties: the smaller fraction); candidates j / h for
    every hidden width h."""
    target = sum(a * b for a, b in zip(target_sizes[:-1], target_sizes[1:]))
    candidates = sorted({j / sizes[i + 1] for i in ranked for j in range(sizes[i + 1])})
    return min(candidates, key=lambda s: (abs(_channel_nnz(ranked, sizes, s) - target), s))


def _channel_nnz(ranked: Sequence[int], sizes: Sequence[int], level: float) -> int:
    """Weights kept when the layers ``ranked`` of the MLP ``sizes`` lose floor(level x units + 0.5) units each
    (a removed unit takes its row and the next layer's column with it)."""
    units = list(sizes)
    for i in ranked:
        units[i + 1] -= rounded_count(level, sizes[i + 1])
    return sum(a * b for a, b in zip(units[:-1], units[1:]))


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (budget, kind, hardware) of a :func:`train_compare` results table, in its order: the
    model's description, NNZ and footprint (equal over seeds for exact-k pruning: their mean), and the mean
    and sample standard deviation (ddof = 1; NaN for one seed) of :data:`SUMMARY_QUANTITIES`."""
    keys = ["budget", "kind", "hardware"]
    first = ["task", "model", "structure", "hidden", "sizes", "engine"]
    groups = results.groupby(keys, sort=False)
    summary = groups[first].first()
    summary["seeds"] = groups["seed"].count()
    for column in ("sparsity", "nnz", "params_nnz", "model_mb"):
        summary[column] = groups[column].mean()
        if column.endswith("nnz") and (summary[column] == summary[column].round()).all():
            summary[column] = summary[column].astype(np.int64)
    for column in SUMMARY_QUANTITIES:
        summary[f"{column}_mean"] = groups[column].mean()
        summary[f"{column}_std"] = groups[column].std(ddof=1)
    return summary.reset_index()


# --- one training run of the comparison (a pure function of its inputs) ------------------------------------

@dataclasses.dataclass(frozen=True)
class _Run:
    index: int
    task: object               # a task name, or the data arrays
    data_seed: int
    budget: float
    kind: str
    config: TrainConfig
    expected_nnz: int | None   # the large model's NNZ, checked after training
    activations: str
    hardware: tuple[tuple[str, str], ...]   # (file name, YAML text)


def _run(run: _Run) -> list[dict]:
    """Train one model, then simulate it on every machine: one row per machine."""
    data = _task_data(run.task, run.data_seed)
    result = train(data, run.config)
    if run.expected_nnz is not None and result.nnz != run.expected_nnz:
        raise RuntimeError(f"trained NNZ {result.nnz} differs from the planned {run.expected_nnz}")
    config = result.config
    hidden = "-".join(map(str, config.hidden))
    name = f"mlp_{hidden}{_name_tag(config.pruning_structure)}_s{config.s_f:g}" if config.schedule == "agp" \
        else f"mlp_{hidden}"
    model = to_model(result, name)
    masks = {layer: result.masks[layer] for layer in result.pruned} if config.schedule == "agp" else {}
    fp = footprint(model, result.masks.total_sparsity if masks else 0.0, masks)
    densities = input_densities(result, data[2])
    density_model = (ActivationDensity(overrides={k: max(v, 1e-12) for k, v in densities.items()})
                     if run.activations == "measured" else None)
    ident = {"task": run.task if isinstance(run.task, str) else "task", "budget": run.budget,
             "kind": run.kind, "model": name,
             "structure": config.structure if config.schedule == "agp" else "dense", "hidden": hidden,
             "sizes": "-".join(map(str, result.sizes)),
             "seed": config.seed}
    trained = {"sparsity": result.masks.total_sparsity, "nnz": result.nnz, "params_nnz": fp.nnz,
               "model_mb": fp.model_mb, "unpruned_mb": fp.unpruned_mb, "test_accuracy": result.test_accuracy,
               "train_accuracy": result.train_accuracy}
    trained.update({f"input_density_{k}": v for k, v in densities.items()})
    rows = []
    for file_name, text in run.hardware:
        hw = parse_hardware(text, file_name)
        sim = simulate(model, hw, masks=result.masks if masks else None, seed=config.seed,
                       activation_density=density_model)
        total = sim.total
        rows.append({**ident, "hardware": hw.name, "engine": hw.engine, **trained,
                     "latency_s": float(total["latency_s"]), "cycles": int(total["cycles"]),
                     "energy_pj": float(total["energy_pj"]), "dram_read_bytes": float(total["dram_read_bytes"]),
                     "multiplier_utilization": float(total["multiplier_utilization"]),
                     "useful_macs": float(total["useful_macs"])})
    return rows


def _name_tag(structure: Structure) -> str:
    """A structure in a model name: "" (unstructured), "_2of4", "_block4", "_channel"."""
    return {"nm": f"_{structure.n}of{structure.m}", "block": f"_block{structure.block}",
            "channel": "_channel"}.get(structure.kind, "")


def input_densities(result: TrainResult, x: np.ndarray) -> dict[str, float]:
    """Per layer of the trained network, the fraction of its inputs that are non-zero over the samples
    ``x`` (the first layer: the features themselves; the others: the previous layer's ReLU outputs)."""
    names = result.layer_names
    inputs, _ = forward([result.weights[n] for n in names], [result.biases[n] for n in names],
                        np.asarray(x, dtype=np.float64))
    return {name: float(np.count_nonzero(a)) / a.size for name, a in zip(names, inputs)}


def _execute(runs: list[_Run], jobs: int) -> list[list[dict]]:
    """Every run's rows, in the order of ``runs`` whatever the order they finish in."""
    # the costly large models first, so the small ones fill the pool's gaps at the end
    order = sorted(runs, key=lambda r: (r.kind == KINDS[1], r.index)) if jobs > 1 else runs
    done = {run.index: rows for run, rows in pool.completed(_run, order, jobs)}
    return [done[run.index] for run in runs]


# --- inputs ----------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _load(name: str, data_seed: int) -> tuple[np.ndarray, ...]:
    arrays = load_task(name, data_seed)
    for array in arrays:
        array.flags.writeable = False
    return arrays


def _task_data(task: object, data_seed: int) -> tuple[np.ndarray, ...]:
    if isinstance(task, str):
        return _load(task, data_seed)     # load_task refuses an unknown name
    if isinstance(task, (tuple, list)) and len(task) == 4:
        return tuple(np.asarray(a) for a in task)
    raise InputError("bad task", key="task",
                     expected=f"a task name ({', '.join(TASKS)}) or (x_train, y_train, x_test, y_test)",
                     got=type(task).__name__)


def _listed(value: object) -> object:
    """One number as a list of it, a range as a list; anything else as given (for its spec to judge)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return [value]
    return list(value) if isinstance(value, range) else value


def _hardware(hw_files: Sequence[str | os.PathLike[str]] | None) -> tuple[tuple[str, str], ...]:
    """(file name, text) of every hardware description, each checked by loading it; names must differ."""
    if hw_files is None:
        hw_files = [shipped_machine(name) for name in DEFAULT_HW_NAMES]
    if isinstance(hw_files, (str, os.PathLike)):
        hw_files = [hw_files]
    if not hw_files:
        raise InputError("no hardware descriptions", key="hw_files", expected="one or more YAML files")
    described, names = [], {}
    for path in hw_files:
        text = read_hardware_text(path)
        hw = parse_hardware(text, str(path))
        if hw.name in names:
            raise InputError("two hardware descriptions share a name", file=path, key="name",
                             expected=f"a name other than {hw.name!r} (also in {names[hw.name]})", got=hw.name)
        names[hw.name] = Path(path).name
        described.append((Path(path).name, text))
    return tuple(described)


def run_config(n_train: int, hidden: Sequence[int], sparsity: float | None, *, schedule: str = "agp",
               variant: str = "uniform", structure: str = "unstructured", seed: int = 0,
               **overrides: object) -> TrainConfig:
    """The :class:`TrainConfig` that :func:`train_run` and :func:`train_compare` train with on a task of
    ``n_train`` training samples: ``hidden``, s_f = ``sparsity`` (None: an N:M ``structure``'s own, 0 for
    ``schedule="none"``),
    ``schedule``, ``variant``, ``structure``, ``seed``, the
    epoch-based default pruning schedule (module docstring) and ``overrides`` (any other TrainConfig field).
    Bad values are an :class:`InputError` naming the argument or field."""
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for key in overrides:
        if key in _OWN_FIELDS:
            raise InputError("set by its own argument, not as an override", key=key,
                             expected="the hidden / sparsity / schedule / variant / structure / seed argument",
                             got=key)
        if key not in fields:
            raise InputError("unknown training parameter", key=key,
                             expected=f"a TrainConfig field: {', '.join(sorted(fields - set(_OWN_FIELDS)))}",
                             got=key)
    structure = checked(STRUCTURE, structure, "structure")
    if sparsity is None:
        sparsity = 0.0 if schedule == "none" else parse_structure(structure).fixed_sparsity
        if sparsity is None:
            raise InputError("no sparsity given", key="sparsity",
                             expected=f"a number in [0, 1) for {structure} pruning (only N:M sets its own)")
    arguments = checked_arguments({"hidden": (HIDDEN, _listed(hidden)), "sparsity": (SPARSITY, sparsity)})
    hidden, sparsity = arguments["hidden"], arguments["sparsity"]
    if schedule == "none" and sparsity:
        raise InputError("a dense run has no sparsity", key="sparsity", expected='0 with schedule="none"',
                         got=sparsity)
    epochs = overrides.get("epochs", TrainConfig.epochs)
    batch_size = overrides.get("batch_size", TrainConfig.batch_size)
    values: dict[str, object] = {}
    if all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (epochs, batch_size, n_train)):
        per_epoch = -(-n_train // batch_size)
        values = {"t0": round(0.1 * epochs) * per_epoch, "n": max(1, round(0.4 * epochs)), "dt": per_epoch}
    values.update(overrides)
    return TrainConfig(hidden=hidden, s_f=float(sparsity), schedule=schedule, variant=variant,
                       structure=structure, seed=seed, **values)


def _expected_nnz(config: TrainConfig, sizes: Sequence[int]) -> int | None:
    """Weights kept at the end of an AGP run of ``config``: exact-k per pruned layer (uniform, layerwise) or
    over the pruned layers together (global); N:M per group of M along each row; channel per unit. None for
    block pruning (how many weights a removed edge block holds depends on which blocks the weights pick)."""
    counts = [fan_in * out for fan_in, out in zip(sizes[:-1], sizes[1:])]
    structure = config.pruning_structure
    if structure.kind == "block":
        return None
    if structure.kind == "channel":
        return _channel_nnz(config.ranked_indices, sizes, config.s_f)
    if structure.kind == "nm":
        n, m = structure.n, structure.m
        kept = {i: sizes[i + 1] * ((sizes[i] // m) * n + min(n, sizes[i] % m)) for i in config.pruned_indices}
        return sum(kept.get(i, count) for i, count in enumerate(counts))
    pruned = [counts[i] for i in config.pruned_indices]
    if config.variant == "global":
        removed = rounded_count(config.s_f, sum(pruned))
    else:
        removed = sum(rounded_count(config.s_f, count) for count in pruned)
    return sum(counts) - removed


def _save_figure(fig, folder: Path, stem: str) -> None:
    """``stem``.png and ``stem``.svg in ``folder`` (created if missing), each written atomically and
    byte-reproducibly (:func:`accelsim.plots.common.save_figure`)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError("cannot create figures folder", file=folder, got=error.strerror) from None
    save_figure(fig, folder / stem)
