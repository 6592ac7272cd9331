"""Sweeps: a grid of (model variant, sparsity, hardware, seed) points, run in parallel, resumable.

The model of a point is a zoo variant (:func:`grid`) or a workload file (:func:`grid_workload`, whose
densities apply at sparsity 0 as in :func:`accelsim.study.single.simulate_workload`).

A :class:`Point` carries everything its result depends on (the hardware description's text included), so
:func:`run_point` is a pure function that runs anywhere: in this process, on a local process pool, or on a
Dask cluster. Each finished point is written atomically into ``DIR/points/`` under a key hashed from its
inputs (``<key>.csv`` per-layer rows, then ``<key>.json`` totals and metadata, the marker that the point is
complete); re-running the same sweep skips finished points, so a sweep killed half-way loses nothing, and
computes again any point stored damaged. ``DIR`` is a sweep's folder by its marker (:mod:`folder`); local
workers come from :mod:`pool` (they die with the main process; an error or a signal stops them at once).
``gather`` collects the grid into ``points.csv`` (one row per point and layer) and ``totals.csv`` (one row
per point, ending with the package version and the hardware's config hash: with the point's inputs, what
reproduces it).
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from accelsim import __version__
from accelsim.atomic import write_text
from accelsim.errors import InputError, Stopped, interrupt_status
from accelsim.hardware import parse_hardware, read_hardware_text
from accelsim.hardware.schema import HardwareConfig
from accelsim.pruning import Masks, prune, synthetic_weights
from accelsim.reports.writers import summary_dict
from accelsim.pruning.structured import parse_structure, prune_structured
from accelsim.pruning.synthetic import check_seed
from accelsim.study import folder, pool
from accelsim.study.single import check_runs, check_sparsity, distinct, simulate_workload
from accelsim.workloads import zoo
from accelsim.workloads.files import Workload, parse_workload, read_workload_text
from accelsim.workloads.model import Model

POINT_COLUMNS = ("point", "model", "family", "sparsity", "seed", "hardware")


@dataclass(frozen=True)
class Point:
    """One simulation of a sweep: a zoo variant (``family``, ``options``), a workload file (its name and
    text; ``family`` "workload") or an imported model's folder (its path, optional masks file and the
    SHA-256 of every file read, checked again where the point runs: ``family`` "imported") at a sparsity on one
    hardware description, with a seed."""

    family: str
    options: tuple[tuple[str, object], ...]
    sparsity: float
    seed: int
    hw_file: str
    hw_text: str
    workload_file: str = ""
    workload_text: str = ""
    folder: str = ""                               # an imported model's folder (accelsim.study.imported)
    masks_file: str = ""                           # masks replacing that folder's real ones
    inputs: tuple[tuple[str, str], ...] = ()       # (file, SHA-256) of every file such a point reads
    structure: str = ""                            # a pruning structure (N:M, block:B, channel); "": unstructured

    @property
    def key(self) -> str:
        """16 hex digits of SHA-256 over the inputs and the package version: equal inputs, equal key."""
        parts = [__version__, self.family, list(map(list, self.options)), self.sparsity, self.seed,
                 self.hw_file, self.hw_text, self.workload_file, self.workload_text]
        if self.folder:
            parts += [self.folder, self.masks_file, list(map(list, self.inputs))]
        if self.structure:
            parts.append(self.structure)
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]

    def workload(self) -> Workload:
        """The point's model (with the densities its file gives, if it comes from one)."""
        if self.folder:
            from accelsim.importers.bundle import read_bundle
            return read_bundle(self.folder).workload
        if self.workload_text:
            return parse_workload(self.workload_text, self.workload_file)
        return Workload(zoo.build(self.family, **dict(self.options)))


def grid(family: str, option_lists: dict[str, Sequence[object]], sparsities: Sequence[float],
         hw_files: Sequence[Path], seeds: Sequence[int], structure: str = "") -> list[Point]:
    """Every combination, in a stable order: model variants, then sparsities, hardware, seeds. Checks the
    model options, sparsities, hardware files and that each machine runs each model's layers here,
    before anything runs. ``structure``: the pruning structure of every point (``str`` of a
    :class:`~accelsim.pruning.structured.Structure`; N:M points take its own sparsity)."""
    names = sorted(option_lists)
    option_lists = {n: distinct(option_lists[n], f"--{n.replace('_', '-')}", "values", lambda v: v) for n in names}
    variants = [tuple(zip(names, values)) for values in itertools.product(*(option_lists[n] for n in names))]
    models = [zoo.build(family, **dict(variant)) for variant in variants]
    sparsities, hardware = _checked(models, sparsities, hw_files, seeds)
    return [Point(zoo.family(family).name, variant, s, seed, name, text, structure=structure)
            for variant, s, (name, text), seed in itertools.product(variants, sparsities, hardware, seeds)]


def grid_workload(path: Path, sparsities: Sequence[float], hw_files: Sequence[Path],
                  seeds: Sequence[int]) -> list[Point]:
    """The grid of one workload file (accelsim YAML or SCALE-Sim CSV) over sparsities, hardware and seeds,
    checked like :func:`grid`. At sparsity 0 the file's weight densities apply; any other sparsity prunes
    every prunable layer uniformly instead."""
    text = read_workload_text(path)
    workload = parse_workload(text, str(path))
    sparsities, hardware = _checked([workload.model], sparsities, hw_files, seeds)
    return [Point("workload", (), s, seed, name, hw_text, Path(path).name, text)
            for s, (name, hw_text), seed in itertools.product(sparsities, hardware, seeds)]


def _checked(models: Sequence[Model], sparsities: Sequence[float], hw_files: Sequence[Path],
             seeds: Sequence[int]) -> tuple[list[float], list[tuple[str, str]]]:
    """The checked sparsities and (file name, text) of each hardware description; an InputError for a bad
    or repeated sparsity or seed, none of them, a bad or missing hardware file, two machines of one name,
    or a machine that cannot run a model (:func:`check_runs`: layer types and capacities, each pair)."""
    sparsities = distinct(sparsities, "--sparsity", "sparsities", check_sparsity)
    distinct(seeds, "--seeds", "seeds", lambda seed: check_seed(seed, "--seeds"))
    hardware, files_of = [], {}
    for path in hw_files:
        text = read_hardware_text(path)
        hw = _hardware(text, str(path))
        if hw.name in files_of:
            raise InputError(f"two hardware descriptions named {hw.name!r}: {files_of[hw.name]} and {path}",
                             key="--hw", expected="machines of different names (the name: key labels their rows)")
        files_of[hw.name] = path
        for model in models:
            check_runs(model, hw)
        hardware.append((Path(path).name, text))
    return sparsities, hardware


@functools.lru_cache(maxsize=16)
def _hardware(text: str, file: str) -> HardwareConfig:
    """:func:`parse_hardware` of a hardware text, once per process for each (text, file): a worker runs many
    points on the same few machines, a comparison checks each machine once per model family, and a
    HardwareConfig is immutable."""
    return parse_hardware(text, file)


def run_point(point: Point) -> tuple[pd.DataFrame, dict]:
    """Simulate one point: its per-layer rows (point columns first) and its totals + metadata."""
    workload = point.workload()
    model = workload.model
    hw = _hardware(point.hw_text, point.hw_file)
    if point.folder:
        from accelsim.study.imported import simulate_point
        result = simulate_point(point, hw)
    else:
        masks = _masks(point, model) if point.sparsity and hw.accelerator.uses_weight_masks else None
        result = simulate_workload(workload, hw, masks=masks, sparsity=point.sparsity or None, seed=point.seed)
    ident = {"point": point.key, "model": model.name, "family": model.family, **dict(point.options),
             "sparsity": point.sparsity, "seed": point.seed, "hardware": hw.name,
             **({"masks": Path(point.masks_file).name} if point.masks_file else {}),
             **({"structure": point.structure} if point.structure else {})}
    layers = pd.concat([pd.DataFrame([ident] * len(result.layers)), result.layers], axis=1)
    summary = summary_dict(result)                    # the totals as plain numbers, as summary.json has them
    return layers, {"totals": {**ident, **summary["total"]}, "metadata": summary["metadata"],
                    "actions": summary["actions"]}


#: This process's synthetic weights and masks of the model it simulated last (a sweep worker runs the
#: points of one model one after another, in grid order: :func:`model_groups`), so that its weights are
#: drawn once per (model, seed) and pruned once per sparsity, whatever the number of machines. Weights
#: of models larger than :data:`CACHED_WEIGHTS_MAX` elements (4 bytes each) are not kept.
_LAST: dict = {}
CACHED_WEIGHTS_MAX = 1 << 27


def _masks(point: Point, model: Model) -> Masks:
    """The masks :func:`~accelsim.pruning.prune` makes for ``point`` (uniform, at its sparsity and seed), or
    :func:`~accelsim.pruning.structured.prune_structured` with its structure, from this process's cache
    (:data:`_LAST`) when it holds them."""
    key = (point.family, point.options, point.workload_text, point.seed)
    if _LAST.get("key") != key:
        _LAST.clear()
        size = sum(layer.weight_count for layer in model.prunable_layers)
        _LAST.update(key=key, masks={}, weights={layer.name: synthetic_weights(layer, point.seed)
                                                 for layer in model.prunable_layers}
                     if size <= CACHED_WEIGHTS_MAX else None)
    pruning = (point.sparsity, point.structure)
    if pruning not in _LAST["masks"]:
        _LAST["masks"].clear()           # one sparsity at a time: its machines run one after another
        if point.structure:
            structure = parse_structure(point.structure)
            _LAST["masks"][pruning] = prune_structured(
                model, structure, None if structure.fixed_sparsity else point.sparsity, seed=point.seed,
                weights=_LAST["weights"])
        else:
            _LAST["masks"][pruning] = prune(model, point.sparsity, seed=point.seed, weights=_LAST["weights"])
    return _LAST["masks"][pruning]


def point_paths(out: Path, point: Point) -> tuple[Path, Path]:
    folder = Path(out) / "points"
    return folder / f"{point.key}.csv", folder / f"{point.key}.json"


def is_done(out: Path, point: Point) -> bool:
    """Whether ``point`` is stored whole in ``out``: its JSON readable, its rows present. A damaged point
    (cut short, half removed) is not done: it is computed again."""
    rows_path, done_path = point_paths(out, point)
    try:
        stored = json.loads(done_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stored, dict) and {"totals", "metadata"} <= stored.keys() and rows_path.is_file()


def store(out: Path, point: Point, layers: pd.DataFrame, summary: dict) -> None:
    """Write one finished point: rows first, then the JSON that marks it complete (both atomic)."""
    rows_path, done_path = point_paths(out, point)
    write_text(rows_path, layers.to_csv(index=False, float_format="%.10g"))
    write_text(done_path, json.dumps({"inputs": {k: v for k, v in asdict(point).items()
                                                 if k not in ("hw_text", "workload_text")},
                                        **summary}, indent=1, sort_keys=True) + "\n")


def run(points: Sequence[Point], out: Path, *, jobs: int = 1, scheduler: str | None = None,
        progress: Callable[[Iterable], Iterable] | None = None, note: Callable[[str], None] | None = None) -> int:
    """Run the points not finished yet, storing each as it finishes; returns how many ran.

    ``jobs`` > 1 uses a local process pool; ``scheduler`` (a Dask scheduler address) a Dask cluster.
    ``progress`` wraps the stream of finished points (e.g. a tqdm bar); ``note`` is told of damaged points
    that are computed again. An interrupt or a lost worker is a :class:`Stopped` saying how to resume."""
    todo = [p for p in points if not is_done(out, p)]
    damaged = sum(point_paths(out, p)[1].exists() for p in todo)
    if damaged and note is not None:
        note(f"{damaged} stored points in {Path(out) / 'points'} were damaged (unreadable JSON or rows "
             f"missing): computing them again")
    if not todo or progress is None:                  # no bar for a sweep that has nothing left to run
        progress = lambda it, **_: it                 # noqa: E731
    stored = 0

    def stopped(why: str, status: int) -> Stopped:
        return Stopped(f"{why}: {stored} of {len(todo)} points to run finished and are stored in {out}; "
                       f"re-run the same command to resume", exit_status=status)
    results = _execute(todo, jobs, scheduler)
    try:
        for point, (layers, summary) in progress(results, total=len(todo)):
            store(out, point, layers, summary)
            stored += 1
    except KeyboardInterrupt as interrupt:
        raise stopped("interrupted", interrupt_status(interrupt)) from None
    except pool.WorkerLost as lost:
        raise stopped(str(lost), 1) from None
    finally:
        results.close()            # on an error: cancel what is queued, stop the workers
    return len(todo)


def run_and_gather(points: Sequence[Point], out: Path, *, kind: str = "sweep", force: bool = False, jobs: int = 1,
                   scheduler: str | None = None, progress: Callable[[Iterable], Iterable] | None = None,
                   note: Callable[[str], None] | None = None) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """A whole sweep into ``out``: the folder checked (:func:`accelsim.study.folder.check`: a ``kind`` result
    to resume, new or empty, or anything with ``force``) and opened, the points not finished yet run
    (:func:`run`), then all of them gathered (:func:`gather`). A folder this run created is removed again if
    it stops before storing any point. Returns how many ran, the per-layer rows and the per-point totals."""
    folder.check(out, kind, force=force)
    created, notes = folder.open_folder(out, kind)
    for text in notes if note is not None else ():
        note(text)
    try:
        ran = run(points, out, jobs=jobs, scheduler=scheduler, progress=progress, note=note)
    except BaseException:
        if created:
            folder.discard(out)
        raise
    return (ran, *gather(points, out))


def _execute(points: list[Point], jobs: int, scheduler: str | None):
    """An iterator of (point, result) as points finish. A Dask scheduler is reached (or refused) here, before
    any progress is shown."""
    if scheduler is not None and points:
        return _execute_dask(points, _dask_client(scheduler))
    if jobs <= 1:
        return pool.completed(run_point, points, jobs)
    return _each_point(pool.completed(run_group, largest_first(model_groups(points, jobs)), jobs))


def model_groups(points: Sequence[Point], jobs: int) -> list[tuple[Point, ...]]:
    """``points`` in groups of one model and seed (and structure) on the machines that use weight masks, or on
    the others, in grid order: a worker runs a group's points one after another, so what they share is
    computed once in it (the model's synthetic weights and its masks at each sparsity, which only the first
    kind reads; the layers a dense engine or an unpruned layer runs alike at every sparsity; the mapper's
    choices for equal layers: the per-process memos), and the two kinds, which share nothing, can run on
    two workers (the paper grid's MobileNet part: 12.1 -> 11.7 s wall with --jobs 2). Groups are halved
    while there are fewer than two per worker, so that a sweep of one model still runs on every worker; then
    the costliest group (:func:`estimated_cost`) is halved while it alone holds more than a worker's share of
    the sweep's, so that no worker is left alone with it at the end; each half draws the model's weights
    again. (The paper grid's PTB-large points on SCNN and EIE took 11.4 s of CPU in one group, the rest of its
    PTB part 6.3 s: halved, the part went 11.0-11.8 -> 9.6-10.1 s wall with --jobs 2, in turn.)"""
    by_model: dict[tuple[Point, bool], list[Point]] = {}
    for p in points:
        masks = _hardware(p.hw_text, p.hw_file).accelerator.uses_weight_masks
        by_model.setdefault((replace(p, sparsity=0.0, hw_file="", hw_text=""), masks), []).append(p)
    groups = [tuple(group) for group in by_model.values()]
    while len(groups) < 2 * jobs and any(len(g) > 1 for g in groups):
        groups = [half for g in groups for half in _halves(g)]
    while True:
        costliest = max((g for g in groups if len(g) > 1), key=estimated_cost, default=None)
        if costliest is None or estimated_cost(costliest) * jobs <= sum(map(estimated_cost, groups)):
            return groups
        at = groups.index(costliest)
        groups[at:at + 1] = _halves(costliest)


def _halves(group: tuple[Point, ...]) -> list[tuple[Point, ...]]:
    """``group`` cut in two in its order (the first half the longer), or whole if it has one point."""
    middle = (len(group) + 1) // 2
    return [half for half in (group[:middle], group[middle:]) if half]


def estimated_cost(group: tuple[Point, ...]) -> int:
    """A group's simulation time, relatively: its model's MACs times its points on machines that use weight
    masks (each point prunes and compiles its own masks), or times its distinct machines on the others
    (a machine that ignores masks simulates the model's layers once per process, whatever the sparsity: the
    per-process memos). The paper grid's groups took 0.0009-0.007 s of CPU per estimated MMAC on dense
    machines, 0.0019-0.019 on SCNN and EIE: a coarse proxy, which only orders and splits the work."""
    first = group[0]
    if _hardware(first.hw_text, first.hw_file).accelerator.uses_weight_masks:
        count = len(group)
    else:
        count = len({(p.hw_text, p.hw_file) for p in group})
    return _model_macs(replace(first, sparsity=0.0, seed=0, hw_file="", hw_text="")) * count


@functools.lru_cache(maxsize=64)
def _model_macs(model_point: Point) -> int:
    """MACs of one inference of a point's model (``model_point``: the point with its machine, sparsity and
    seed cleared, so that the points of one model share the entry)."""
    return model_point.workload().model.macs


def run_group(points: tuple[Point, ...]) -> list[tuple[pd.DataFrame, dict]]:
    """:func:`run_point` of each of ``points``, in order."""
    return [run_point(p) for p in points]


def _each_point(groups: Iterator[tuple[tuple[Point, ...], list]]) -> Iterator[tuple[Point, tuple]]:
    """(point, result) of each point of the groups as they finish; closing it stops the groups' pool."""
    try:
        for group, results in groups:
            yield from zip(group, results)
    finally:
        groups.close()


def largest_first(groups: Sequence[tuple[Point, ...]]) -> list[tuple[Point, ...]]:
    """``groups`` by decreasing :func:`estimated_cost` (stable), so that the longest simulations start first
    and no worker is left alone with a large one at the end (longest-processing-time-first scheduling). The
    order only changes when points finish, never what they compute or how they are gathered."""
    return sorted(groups, key=lambda g: -estimated_cost(g))


#: A Dask scheduler address: an optional protocol, a host and a port (``tcp://10.0.0.5:8786``, ``host:8786``).
SCHEDULER_ADDRESS = re.compile(r"(?:[A-Za-z][\w+.-]*://)?[^\s/]+:\d+")


def _dask_client(address: str):
    if not SCHEDULER_ADDRESS.fullmatch(address):     # refused alike whether or not Dask is installed
        raise InputError("not a scheduler address", key="--scheduler", got=address,
                         expected="[PROTOCOL://]HOST:PORT, e.g. tcp://127.0.0.1:8786")
    try:
        from distributed import Client
    except ImportError:
        raise InputError("Dask is not installed", key="--scheduler",
                         expected="pip install 'accelsim[dask]'") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError("cannot reach the Dask scheduler", key="--scheduler", got=address,
                         expected=f"a running scheduler ({error})") from None


def _execute_dask(points: list[Point], client):
    from distributed import as_completed
    with client:
        futures = client.map(run_point, points, key=[f"accelsim-point-{p.key}" for p in points])
        where = {f.key: p for f, p in zip(futures, points)}
        for future in as_completed(futures):
            yield where[future.key], future.result()


#: Columns of totals.csv that say how to reproduce a point (beside its inputs: model, options, sparsity,
#: seed, hardware): the package version and the SHA-256 of the loaded hardware description.
PROVENANCE = ("accelsim_version", "config_hash")


def gather(points: Sequence[Point], out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The finished points of the grid, in grid order: (per-layer rows, per-point totals); also written to
    ``points.csv`` and ``totals.csv`` in ``out``. Each totals row ends with the ``PROVENANCE`` columns."""
    done = [p for p in points if is_done(out, p)]
    layers = pd.concat([pd.read_csv(point_paths(out, p)[0]) for p in done], ignore_index=True) \
        if done else pd.DataFrame()
    rows = []
    for p in done:
        stored = json.loads(point_paths(out, p)[1].read_text())
        rows.append({**stored["totals"], **{k: stored["metadata"].get(k) for k in PROVENANCE}})
    totals = pd.DataFrame(rows)
    first = [c for c in POINT_COLUMNS if c in totals.columns]          # what the point is, then its results
    totals = totals[first + [c for c in totals.columns if c not in first]]
    write_text(Path(out) / "points.csv", layers.to_csv(index=False, float_format="%.10g"))
    write_text(Path(out) / "totals.csv", totals.to_csv(index=False, float_format="%.10g"))
    return layers, totals
