"""The machines accelsim ships (layer 1): the YAML files of the repository's ``hwconfigs/`` folder, installed
with the package as the data package ``accelsim.hwconfigs`` (setup.py maps the folder to it, in a wheel and
in an editable install alike), so accelsim finds them wherever it runs from."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from accelsim.errors import InputError

PACKAGE = "accelsim.hwconfigs"


def shipped_folder() -> Path:
    """The folder of the shipped machine descriptions (an :class:`InputError` if the installation has none)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise InputError("the shipped machine descriptions are not installed", key=PACKAGE,
                         expected="accelsim installed from its repository (pip install .), or --hw FILE")
    return Path(locations[0])


def shipped_machine(file_name: str) -> Path:
    """The path of the shipped machine ``file_name`` (``"dense_edge.yaml"``)."""
    path = shipped_folder() / file_name
    if not path.is_file():
        names = ", ".join(p.name for p in shipped_machines())
        raise InputError("no such shipped machine", key=file_name, expected=f"one of {names}", got=file_name)
    return path


def shipped_machines() -> list[Path]:
    """Every shipped machine description, sorted by file name."""
    return sorted(shipped_folder().glob("*.yaml"))
