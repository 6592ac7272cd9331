"""The hardware schema documenting itself (layer 6): every accelerator and every YAML key it reads, as tables
(``accelsim engines``, ``accelsim hwconfig --reference``) and as the page ``docs/hardware.md``.

Everything here is read from the declarations: the common keys from the fields of
:class:`~accelsim.hardware.schema.HardwareConfig` (:func:`~accelsim.schema.field_spec`), each accelerator's
own keys, buffers, energy actions and details from its :class:`~accelsim.accelerators.spec.AcceleratorSpec`.
Nothing is kept by hand, so the tables cannot drift from what the loader checks.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from accelsim.accelerators import ACCELERATORS, BUFFER_ACTIONS, AcceleratorSpec
from accelsim.hardware.schema import HardwareConfig
from accelsim.schema import Named, Section

REFERENCE_COLUMNS = ("key", "type", "unit", "accepts", "default", "engines", "help")


def engines_table() -> pd.DataFrame:
    """One row per accelerator: its name, whether it skips zeros, the layer types it runs, its doc page."""
    return pd.DataFrame([{
        "engine": spec.name, "skips_zeros": spec.skips_zeros,
        "layer_types": " ".join(spec.layer_kind_names) or "all",
        "summary": spec.summary, "doc": spec.doc,
    } for spec in ACCELERATORS.values()])


def _row(key: str, spec, default: str, engines: str, help: str) -> dict:
    kind, unit, accepts = spec.describe()
    return dict(zip(REFERENCE_COLUMNS, (key, kind, unit, accepts, default, engines, help)))


def _own_keys() -> dict[str, list[AcceleratorSpec]]:
    """Each accelerator parameter's path -> the accelerators that declare it."""
    owners: dict[str, list[AcceleratorSpec]] = {}
    for spec in ACCELERATORS.values():
        for param in spec.params:
            owners.setdefault(param.path, []).append(spec)
    return owners


def _common_rows(cls: type, prefix: str, owners: dict[str, list[AcceleratorSpec]]) -> list[dict]:
    """The keys of ``cls`` read from YAML, depth first; an accelerator's own key is left to its rows."""
    rows = []
    for f in dataclasses.fields(cls):
        if "spec" not in f.metadata:
            continue
        key = f"{prefix}{f.name}"
        spec = f.metadata["spec"]
        if key in owners:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = "required" if required else "" if f.default in (None, dataclasses.MISSING) else repr(f.default)
        rows.append(_row(key, spec, default, "all", f.metadata.get("help", "")))
        if isinstance(spec, Section):
            rows += _common_rows(spec.cls, f"{key}.", owners)
        elif isinstance(spec, Named):
            names = ".".join(f"<{k}>" for k in spec.keys)
            rows += _common_rows(spec.cls, f"{key}.{names}.", owners)
    return rows


def _accelerator_rows(spec: AcceleratorSpec) -> list[dict]:
    """An accelerator's own keys (required on its machines unless they have a default), then the energy entries
    it needs priced."""
    rows = [_row(p.path, p.spec, "required" if p.default is None else repr(p.default), spec.name, p.help)
            for p in spec.params]
    for action in spec.counted_actions:
        rows.append(dict(zip(REFERENCE_COLUMNS, (
            f"energy.dynamic.{action.component}.{action.action}.pj", "number", f"pJ per {action.unit}", "",
            "required", spec.name, action.help))))
    for action in BUFFER_ACTIONS:
        rows.append(dict(zip(REFERENCE_COLUMNS, (
            f"energy.dynamic.<buffer>.{action}.pj", "number", "pJ per word", "", "required", spec.name,
            f"one {action.split('_')[0]} of a width_bits word of each buffer"))))
    return rows


def hardware_reference(engine: str | None = None) -> pd.DataFrame:
    """Every YAML key with its type, unit, accepted values, default and help: the keys every machine has,
    then each accelerator's own (only ``engine``'s when given; a KeyError if no accelerator has that name)."""
    specs = [ACCELERATORS[engine]] if engine is not None else list(ACCELERATORS.values())
    rows = _common_rows(HardwareConfig, "", _own_keys())
    for spec in specs:
        rows += _accelerator_rows(spec)
    return pd.DataFrame(rows, columns=list(REFERENCE_COLUMNS))


def _markdown_table(frame: pd.DataFrame) -> str:
    cells = frame.astype(str).map(lambda text: text.replace("|", "\\|"))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines)


def _skips(spec: AcceleratorSpec) -> str:
    if spec.skips_zeros:
        return "yes"
    if spec.structured_by:
        return f"only those of weights that fit a pattern `{spec.structured_by}` lists (others run dense)"
    return "no (zeros are multiplied at full price)"


def _accelerator_section(spec: AcceleratorSpec) -> str:
    details = pd.DataFrame([dataclasses.asdict(d) for d in spec.details], columns=["name", "unit", "help"])
    parts = [f"## `{spec.name}`", "", f"{spec.summary}. Model: `accelsim/accelerators/{spec.name}/`; "
             f"see `{spec.doc}`; example machine: `hwconfigs/{spec.example}`.", "",
             f"- skips zeros: {_skips(spec)}",
             f"- layer types: {', '.join(spec.layer_kind_names) or 'all'}",
             f"- buffers must hold: {', '.join(sorted(spec.required_holds))}", "",
             "Its own keys and the energy entries it needs:", "",
             _markdown_table(pd.DataFrame(_accelerator_rows(spec)).drop(columns="engines")), ""]
    if spec.details:
        parts += ["Per-layer details it reports (`layers.csv` columns):", "", _markdown_table(details), ""]
    return "\n".join(parts)


def hardware_markdown() -> str:
    """The text of ``docs/hardware.md``: generated from the declarations, checked by a test."""
    common = hardware_reference(engine=None)
    common = common[common["engines"] == "all"].drop(columns="engines")
    parts = ["# Hardware descriptions: every key", "",
             "Generated from the declarations by `accelsim hwconfig --reference --markdown` (a test keeps this "
             "page in sync; do not edit it by hand). `accelsim hwconfig --reference ENGINE` prints one "
             "accelerator's keys; `accelsim engines` lists the accelerators.", "",
             "## Accelerators", "", _markdown_table(engines_table()), "",
             "## Keys of every machine", "",
             "`<name>` stands for a name you choose (a buffer's) or a component and action an accelerator "
             "counts. A key with no default is required; an accelerator's own keys are required on its machines "
             "and refused on others.", "",
             _markdown_table(common), ""]
    parts += [_accelerator_section(spec) for spec in ACCELERATORS.values()]
    return "\n".join(parts)
