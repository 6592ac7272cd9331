"""What an accelerator declares about itself (layer 1): its YAML parameters, the buffers it needs, the energy
actions it counts, the layer types it maps and the per-layer details it reports.

Each accelerator package (``accelsim/accelerators/<name>/__init__.py``) defines one :class:`AcceleratorSpec`
from these parts and nothing heavier, so that the hardware loader, the generated reference
(``accelsim hwconfig --reference``) and the contract tests read the declarations without importing the
model. The model itself (its :class:`~accelsim.sim.engine.Engine` subclass) is named by ``engine`` and
imported only when a machine of that kind runs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accelsim.schema import Spec

#: Keys every machine has that count hardware (``<buffer>``: each of its buffers); like a ``Param`` with
#: ``resource``, more of any of them never makes a layer slower.
COMMON_RESOURCES = ("pe_array.rows", "pe_array.cols", "buffers.<buffer>.size_bytes", "buffers.<buffer>.banks",
                    "buffers.<buffer>.read_ports", "buffers.<buffer>.write_ports", "dram.bandwidth_bytes_per_cycle",
                    "dram.outstanding_requests")

#: Actions every buffer counts, beside an accelerator's own: words of the buffer's ``width_bits``.
BUFFER_ACTIONS = ("read_words", "write_words")


@dataclass(frozen=True)
class Param:
    """One YAML key an accelerator reads beside the common ones, at the dotted ``path`` (``pe.multipliers_f``,
    ``data_widths.index_bits``, ``dataflow``): what it accepts (``spec``, with its unit and range) and a
    one-line ``help`` saying what it does in the hardware. Present exactly on machines of the accelerators
    that declare it (a key another accelerator would silently ignore is an error). ``typical``: values a small
    machine takes (what property tests draw from; empty: keep the shipped machine's value). ``default``: the
    value a machine that omits the key gets (None: the key is required); only top-level keys take one.
    ``resource``: the key counts hardware (multipliers, entries, banks, bits per cycle) and more of it never
    makes a layer slower, because the model's mapper can always run what the smaller machine ran
    (``tests/test_invariants.py`` doubles it on random layers)."""

    path: str
    spec: Spec
    help: str
    typical: tuple = ()
    default: object = None
    resource: bool = False

    def __post_init__(self) -> None:
        if self.default is not None and self.section:
            raise TypeError(f"{self.path}: only a top-level key may have a default")

    @property
    def section(self) -> str:
        """The YAML section holding the key (``""`` for a top-level key)."""
        return self.path.rpartition(".")[0]

    @property
    def key(self) -> str:
        """The key's own name within its section."""
        return self.path.rpartition(".")[2]


@dataclass(frozen=True)
class Action:
    """An action the model counts, to be priced by the YAML's ``energy.dynamic.<component>.<action>``:
    picojoules per one ``unit`` of the count (``MAC``, ``byte``, ``entry`` ...)."""

    component: str
    action: str
    unit: str
    help: str


#: What the kernel counts on every machine (``sim.engine.Engine.execute``): DRAM traffic in bytes.
DRAM_ACTIONS = (
    Action("dram", "read_bytes", "byte", "a byte read from DRAM"),
    Action("dram", "write_bytes", "byte", "a byte written to DRAM"),
)


@dataclass(frozen=True)
class Detail:
    """A per-layer figure the model reports beside cycles and counts (a ``layers.csv`` column ``name``), in
    ``unit``; ``help`` says what it measures. Details are not summed into the model's totals."""

    name: str
    unit: str
    help: str


@dataclass(frozen=True)
class AcceleratorSpec:
    """One accelerator, as the registry (:mod:`accelsim.accelerators`) lists it.

    ``name``: the YAML's ``engine`` value. ``summary``: one line for ``accelsim engines``. ``skips_zeros``:
    the model skips zero weights and activations (callers build activation masks for it); a dense model
    multiplies zeros at full price, except those of structured weights when ``structured_by`` names the key
    of its machines that lists the weight patterns it accelerates (``nm_patterns``). ``layer_kinds``: the
    :mod:`accelsim.workloads.layers` classes it maps (``None``: every kind). ``params``: its YAML keys beyond the common ones. ``required_holds``: data kinds
    some buffer must hold. ``actions``: what it counts beside every buffer's :data:`BUFFER_ACTIONS` and the
    kernel's :data:`DRAM_ACTIONS`.
    ``details``: the per-layer figures it reports. ``engine``: ``"module:Class"`` of its model, relative to
    the package. ``doc``: the page that explains the model. ``example``: its shipped machine in
    ``hwconfigs/`` (the one docs and contract tests start from). ``hardware``: what its machines hold beside
    buffers and DRAM, priced: a function of a config and its technology node (nm) returning one
    :class:`accelsim.cost.parts.Part` per component it counts actions of (docs/cost_models.md).
    """

    name: str
    summary: str
    skips_zeros: bool
    layer_kinds: tuple[type, ...] | None
    params: tuple[Param, ...]
    required_holds: frozenset[str]
    actions: tuple[Action, ...]
    details: tuple[Detail, ...]
    engine: str
    doc: str
    example: str
    structured_by: str = ""
    hardware: Callable[..., tuple] | None = None

    @property
    def uses_weight_masks(self) -> bool:
        """Whether weight masks can change its results (callers prune the weights for it)."""
        return self.skips_zeros or bool(self.structured_by)

    @property
    def layer_kind_names(self) -> tuple[str, ...]:
        """The ``kind`` names of the layer types it runs (empty: every kind)."""
        return tuple(kind.__name__ for kind in self.layer_kinds) if self.layer_kinds else ()

    def unsupported(self, layers) -> list:
        """The layers of ``layers`` it cannot run (empty when it runs them all)."""
        if self.layer_kinds is None:
            return []
        return [layer for layer in layers if not isinstance(layer, self.layer_kinds)]

    def param(self, path: str) -> Param | None:
        """Its parameter at ``path``, or None."""
        return next((p for p in self.params if p.path == path), None)

    def resources(self, buffer_names: tuple[str, ...]) -> tuple[str, ...]:
        """The dotted paths of every key of its machines (with these buffers) that counts hardware: the
        :data:`COMMON_RESOURCES`, then its own ``resource`` parameters. More of any never makes a layer slower."""
        paths: list[str] = []
        for path in COMMON_RESOURCES:
            if "<buffer>" in path:
                paths += [path.replace("<buffer>", name) for name in buffer_names]
            else:
                paths.append(path)
        return tuple(paths) + tuple(p.path for p in self.params if p.resource)

    @property
    def counted_actions(self) -> tuple[Action, ...]:
        """What its machines count beside their buffers' words: the DRAM bytes the kernel moves for every
        accelerator (:data:`DRAM_ACTIONS`), then its own ``actions``."""
        return DRAM_ACTIONS + self.actions

    def required_energy(self, buffer_names: tuple[str, ...]) -> frozenset[tuple[str, str]]:
        """Every (component, action) it counts on hardware with these buffers: the entries the energy
        section must price, no more and no less."""
        own = {(a.component, a.action) for a in self.counted_actions}
        return frozenset(own | {(name, action) for name in buffer_names for action in BUFFER_ACTIONS})

    def unit_of(self, component: str, action: str) -> str:
        """The unit one pJ figure of (component, action) is per."""
        for a in self.counted_actions:
            if (a.component, a.action) == (component, action):
                return a.unit
        return "word"
