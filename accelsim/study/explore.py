"""Design-space exploration (layer 8): multi-objective search over a space of machines and models
(:mod:`accelsim.study.space`) with Optuna's NSGA-II sampler; every trial simulated and stored as a sweep's
point is, so a stopped search resumes.

**Trials are points.** A trial's parameters make a machine (the base with the searched keys changed) and a
model (zoo options, sparsity, structure), that is a :class:`~accelsim.study.sweep.Point`, a pure function of
its inputs: run by :func:`accelsim.study.sweep.run` on the local pool or a Dask cluster and stored in
``DIR/points/`` under the hash of its inputs as it finishes. Two trials with equal parameters share a point.

**Deterministic and resumable.** The search goes generation by generation: it asks the sampler (seeded by
``--seed``) for one population of trials, runs the points not stored yet, then tells the sampler every
trial's values in the order asked. The sampler sees the same trials in the same order however the points
finished, so the same seed gives the same trials, bit for bit; a search run again (after a kill, or with
more ``--trials``) asks the same trials again, finds their points stored and simulates none of them again.

**Area** is a pure function of the machine (:func:`accelsim.cost.area_mm2`): each trial's is computed from
its machine, never simulated, and so is every hardware-only constraint's measure. A machine that breaks a
hardware-only constraint (on-chip SRAM, area) or cannot run the model
(:func:`~accelsim.study.single.check_runs`) is not simulated: the trial is recorded ``infeasible`` and told
to the sampler as failed. Power (average: energy / latency) is known after the simulation and goes to
NSGA-II's constrained domination (``Trial.set_constraint``).

Writes ``trials.csv`` (every trial: parameters, state, objectives, constraints, area, footprint), ``front.csv``
(the feasible trials no other feasible trial dominates), ``importance.csv`` (fANOVA importance of each
parameter for each objective, Optuna's evaluator, seeded) and ``explore.json`` (the space, seed, trials
and versions).
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from accelsim import __version__
from accelsim.atomic import write_text
from accelsim.compile.footprint import VALUE_BITS, paper_model_mb
from accelsim.errors import AccelsimError, InputError, Stopped
from accelsim.hardware.variants import changed
from accelsim.pruning.structured import parse_structure
from accelsim.pruning.synthetic import check_seed
from accelsim.study import folder, sweep
from accelsim.study.single import check_runs
from accelsim.study.constraints import check_feasible, hardware_measures, hardware_violations
from accelsim.study.space import CONSTRAINTS, OBJECTIVES, Dimension, Space
from accelsim.units import average_power_mw, bits_to_mb
from accelsim.workloads import zoo

KIND = "explore"


@dataclass(frozen=True)
class Trial:
    """One asked trial: its number, generation, parameters, its machine's on-chip SRAM (KB) and area (mm²;
    NaN without a node or a valid machine), and the point it runs (None when it is not simulated: ``note``
    says why)."""

    number: int
    generation: int
    params: dict
    point: sweep.Point | None
    model: str
    sparsity: float
    structure: str
    sram_kb: float
    area_mm2: float
    model_mb: float
    accuracy: float = math.nan
    note: str = ""


def explore(space: Space, out: Path, *, trials: int, seed: int = 0, jobs: int = 1, scheduler: str | None = None,
            force: bool = False, progress: Callable[[int], object] | None = None,
            note: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Search ``space`` for ``trials`` trials into ``out`` (module docstring); returns the trials table.
    ``progress(total)`` gives an object with ``update(n)`` and ``close()`` (a tqdm bar), or None."""
    optuna = _optuna()
    if not isinstance(trials, int) or trials < 1:
        raise InputError("bad number of trials", key="--trials", expected="a whole number >= 1", got=trials)
    seed = check_seed(seed, "--seed")
    check_feasible(space)
    folder.check(out, KIND, force=force)
    created, notes = folder.open_folder(out, KIND)
    for text in notes if note is not None else ():
        note(text)
    bar = progress(trials) if progress is not None else None
    study = optuna.create_study(directions=space.directions(), sampler=optuna.samplers.NSGAIISampler(
        population_size=space.population, seed=seed))
    distributions = {d.name: _distribution(optuna, d) for d in space.dimensions}
    rows: list[dict] = []
    try:
        for generation, start in enumerate(range(0, trials, space.population)):
            asked = [study.ask(distributions) for _ in range(min(space.population, trials - start))]
            planned = [_plan(space, t.number, generation, t.params) for t in asked]
            points = list({t.point.key: t.point for t in planned if t.point is not None}.values())
            sweep.run(points, out, jobs=jobs, scheduler=scheduler, note=note)
            for optuna_trial, trial in zip(asked, planned):
                row = _row(space, trial, out)
                rows.append(row)
                _tell(study, optuna_trial, space, row)
            if bar is not None:
                bar.update(len(asked))
    except Stopped as stop:
        if created:
            folder.discard(out)
        why = "interrupted" if stop.exit_status in (130, 143) else "a worker process died"
        raise Stopped(f"{why}: {len(rows)} of {trials} trials done; every finished point is stored in {out}: "
                      f"re-run the same command to resume", exit_status=stop.exit_status) from None
    except BaseException:
        if created:
            folder.discard(out)
        raise
    finally:
        if bar is not None:
            bar.close()
    table = pd.DataFrame(rows)
    write_text(Path(out) / "trials.csv", _csv(table, "%.10g"))
    write_text(Path(out) / "front.csv", _csv(front(table, space), "%.10g"))
    write_text(Path(out) / "importance.csv", _csv(importance(study, space, seed), "%.6g"))
    write_text(Path(out) / "explore.json", json.dumps({
        "space_file": Path(space.file).name, "space": space.text, "seed": seed, "trials": trials,
        "objectives": list(space.objectives), "directions": space.directions(),
        "constraints": dict(space.constraints), "population": space.population,
        "accelsim_version": __version__, "optuna_version": optuna.__version__}, indent=1) + "\n")
    return table


def _csv(table: pd.DataFrame, float_format: str) -> str:
    """A table's CSV text; a bare line break when it has no rows (no feasible trial: how accelsim writes an
    empty report, and how ``accelsim plot`` tells one from a file cut short)."""
    return table.to_csv(index=False, float_format=float_format) if len(table) else "\n"


def _optuna():
    """The optuna module, quiet; an InputError saying how to install it when it is missing."""
    try:
        import optuna
    except ImportError:
        raise InputError("the search needs Optuna, which is not installed", key="explore",
                         expected="pip install 'accelsim[explore]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _distribution(optuna, dim: Dimension):
    if dim.choices:
        return optuna.distributions.CategoricalDistribution(dim.choices)
    if dim.integer:
        return optuna.distributions.IntDistribution(int(dim.low), int(dim.high), log=dim.log, step=int(dim.step or 1))
    return optuna.distributions.FloatDistribution(float(dim.low), float(dim.high), log=dim.log,
                                                  step=None if dim.step is None else float(dim.step))


def _plan(space: Space, number: int, generation: int, params: dict) -> Trial:
    """The trial of ``params``: its machine and model, and the point to simulate unless a hardware-only
    constraint excludes it or the machine cannot run the model."""
    changes = {name[3:]: value for name, value in params.items() if name.startswith("hw.")}
    model_params = {name[6:]: value for name, value in params.items() if name.startswith("model.")}
    accuracy = math.nan
    if space.paper:
        chosen = space.paper[model_params.pop("variant")]
        options, sparsity, structure = dict(chosen.options), chosen.sparsity, "unstructured"
        accuracy = chosen.accuracy
    else:
        options = {**dict(space.fixed), **model_params}
        sparsity = float(options.pop("sparsity", 0.0))
        structure = str(parse_structure(str(options.pop("structure", "unstructured"))))
        if parse_structure(structure).fixed_sparsity:
            sparsity = parse_structure(structure).fixed_sparsity
        if structure != "unstructured" and not sparsity:
            structure = "unstructured"                  # a dense model has no pruning structure
    model = zoo.build(space.family, **options)
    base = dict(number=number, generation=generation, params=params, model=model.name, sparsity=sparsity,
                structure=structure, model_mb=storage_mb(model, sparsity), accuracy=accuracy)
    try:
        hw = space.machine(changes)
    except AccelsimError as error:
        return Trial(point=None, sram_kb=math.nan, area_mm2=math.nan, note=f"invalid machine: {error}", **base)
    measured = hardware_measures(hw)
    base.update(measured)
    broken = hardware_violations(space, measured)
    if broken:
        return Trial(point=None, note="infeasible: " + "; ".join(broken), **base)
    try:
        check_runs(model, hw)
    except AccelsimError as error:
        return Trial(point=None, note=f"cannot run: {error}", **base)
    point = sweep.Point(zoo.family(space.family).name, tuple(sorted(options.items())), sparsity, 0,
                        space.base_file, yaml.safe_dump(changed(space.base_data, changes), sort_keys=False),
                        structure="" if structure == "unstructured" else structure)
    return Trial(point=point, **base)


def storage_mb(model, sparsity: float) -> float:
    """The model's storage at ``sparsity`` by the paper's Table 6 convention (MB, 10**6 bytes): 32 bits per
    non-zero parameter plus the smaller of the bit-mask (1 bit per weight of a pruned layer) and CSR(C)
    (4 bits per non-zero) overheads, the non-zeros of a uniform magnitude pruning (round(sparsity x weights)
    zeros per prunable layer): ``compile.footprint``'s ``model_mb`` without drawing the masks."""
    if not sparsity:
        return bits_to_mb(VALUE_BITS * model.params)
    prunable = [layer.weight_count for layer in model.prunable_layers]
    return paper_model_mb(model.params - sum(round(sparsity * n) for n in prunable), sum(prunable))


def _row(space: Space, trial: Trial, out: Path) -> dict:
    """The trials.csv row of ``trial``, its results read from its stored point."""
    row = {"trial": trial.number, "generation": trial.generation, **trial.params, "model": trial.model,
           "sparsity": trial.sparsity, "structure": trial.structure, "model_mb": trial.model_mb,
           "sram_kb": trial.sram_kb, "area_mm2": trial.area_mm2}
    if space.paper:
        row.update(accuracy=trial.accuracy, accuracy_metric=space.paper[0].metric)
    if trial.point is None:
        return {**row, "state": "infeasible", "note": trial.note, "point": ""}
    stored = json.loads(sweep.point_paths(out, trial.point)[1].read_text(encoding="utf-8"))
    total = stored["totals"]
    power = average_power_mw(total["energy_pj"], total["latency_s"]) if total["latency_s"] else math.inf
    violated = [f"{name} {power:g} > {limit:g}" for name, limit in space.constraints
                if name == "power_mw" and power > limit]
    return {**row, "state": "complete" if not violated else "violates", "note": "; ".join(violated),
            "point": trial.point.key, "cycles": total["cycles"], "latency_s": total["latency_s"],
            "energy_pj": total["energy_pj"], "energy_dynamic_pj": total["energy_dynamic_pj"],
            "energy_static_pj": total["energy_static_pj"], "power_mw": power}


def _tell(study, optuna_trial, space: Space, row: dict) -> None:
    if row["state"] == "infeasible":
        study.tell(optuna_trial, state=_optuna().trial.TrialState.FAIL)
        return
    for name, limit in space.constraints:              # NSGA-II's constrained domination: <= 0 is met
        optuna_trial.set_constraint(name, row[CONSTRAINTS[name][0]] - limit)
    study.tell(optuna_trial, [float(row[OBJECTIVES[name][0]]) for name in space.objectives])


def front(table: pd.DataFrame, space: Space) -> pd.DataFrame:
    """The feasible trials (state complete) that no other feasible trial dominates on the objectives, one row
    per distinct design (a design asked twice is listed once, its first trial)."""
    feasible = table[table["state"] == "complete"] if "state" in table else table.iloc[:0]
    if feasible.empty:
        return feasible
    signs = [1 if d == "minimize" else -1 for d in space.directions()]
    columns = [OBJECTIVES[name][0] for name in space.objectives]
    values = feasible[columns].to_numpy(dtype=float) * signs
    keep = []
    for i, v in enumerate(values):
        dominated = ((values <= v).all(axis=1) & (values < v).any(axis=1)).any()
        keep.append(not dominated)
    kept = feasible[keep]
    return kept.drop_duplicates(subset="point").sort_values(columns).reset_index(drop=True)


def importance(study, space: Space, seed: int) -> pd.DataFrame:
    """Per objective and parameter, Optuna's fANOVA importance (a random forest of the seed over the
    complete trials: the share of the objective's variance each parameter explains, summing to 1). Empty
    when fewer than two complete trials or no parameter varies."""
    optuna = _optuna()
    rows = []
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    for index, name in enumerate(space.objectives):
        if len(complete) < 2:
            break
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        try:
            found = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                            target=lambda t, i=index: t.values[i])
        except (RuntimeError, ValueError):           # nothing varies: no importance to assess
            continue
        except ImportError:                           # scikit-learn missing: the table stays empty
            break
        rows += [{"objective": name, "parameter": param, "importance": value} for param, value in found.items()]
    return pd.DataFrame(rows, columns=["objective", "parameter", "importance"])
