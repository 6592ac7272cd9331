"""The accelerators accelsim models (layer 1): one package each, one line each in :data:`ACCELERATORS`.

A package's ``__init__`` holds only its :class:`~accelsim.accelerators.spec.AcceleratorSpec` (parameters,
required buffers, energy actions, layer types, details), so the hardware schema is generated from this
registry without importing any model; :func:`accelsim.accelerators.engines.engine_for` imports the model of
a machine when it runs. Adding an accelerator: its folder, one line below, a YAML in ``hwconfigs/`` and its
doc page (docs/DESIGN.md, "Adding an accelerator").
"""
from __future__ import annotations

from accelsim.accelerators import dcnn, eie, eyeriss_v1, eyeriss_v2, nm_systolic, scnn, systolic
from accelsim.accelerators.spec import BUFFER_ACTIONS, AcceleratorSpec, Action, Detail, Param
from accelsim.schema import Spec

#: Every accelerator by its YAML ``engine`` name, in the order ``accelsim engines`` lists them.
ACCELERATORS: dict[str, AcceleratorSpec] = {
    spec.name: spec for spec in (systolic.SPEC, nm_systolic.SPEC, dcnn.SPEC, scnn.SPEC, eie.SPEC, eyeriss_v2.SPEC,
                                   eyeriss_v1.SPEC)
}


def accelerator(name: str) -> AcceleratorSpec:
    """The accelerator whose ``engine`` name is ``name`` (a KeyError if none is)."""
    return ACCELERATORS[name]


def parameter_specs() -> dict[str, Spec]:
    """Every accelerator parameter's dotted path -> what it accepts. Accelerators that share a key (SCNN and
    DCNN share a PE) must declare it alike; a disagreement is a programming error raised here."""
    specs: dict[str, Spec] = {}
    for spec in ACCELERATORS.values():
        for param in spec.params:
            if specs.setdefault(param.path, param.spec) != param.spec:
                raise TypeError(f"accelerators declare {param.path} differently")
    return specs


__all__ = ["ACCELERATORS", "BUFFER_ACTIONS", "AcceleratorSpec", "Action", "Detail", "Param", "accelerator",
           "parameter_specs"]
