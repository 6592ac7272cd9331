"""Each module imports only from its own layer or lower (docs/DESIGN.md, "Packages"); nothing imports cli
or study; sim never imports an accelerator."""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "accelsim"

#: DESIGN.md's layer of each top-level module or package of accelsim.
LAYERS = {
    "__init__": 9, "__main__": 9, "units": 0, "atomic": 0, "inputfiles": 0, "yamltext": 0, "errors": 0,
    "counts": 0, "schema": 0,
    "workloads": 1, "hardware": 1, "energy.table": 1, "reference": 1, "accelerators": 1,
    "accelerators.engines": 5,
    "pruning": 2, "formats": 2, "importers": 2, "training": 2,
    "compile": 3,
    "sim": 4,
    "engines": 5,
    "energy.model": 6, "energy": 6, "reports": 6,
    "plots": 7,
    "study": 8,
    "cli": 9,
}


def layer_of(dotted: str) -> int:
    parts = dotted.split(".")
    if parts[0] == "accelerators" and len(parts) > 2:
        return 5     # an accelerator's model; its package __init__ (the declaration) is layer 1
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return LAYERS[key]
    raise KeyError(f"{dotted} has no layer in DESIGN.md's table")


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        yield ".".join(parts), path


def imports_of(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("accelsim."):
            yield node.module[len("accelsim."):], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("accelsim."):
                    yield alias.name[len("accelsim."):], node.lineno


@pytest.mark.parametrize("name,path", list(modules()), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_imports_respect_layers(name, path):
    own = layer_of(name)
    for target, line in imports_of(path):
        assert layer_of(target) <= own, f"{path.name}:{line} imports {target} (layer {layer_of(target)}) " \
                                        f"from layer {own}"
        assert not target.startswith(("cli", "study")) or name in ("__init__", "__main__", "cli") or name.startswith(
            "study"), f"{name} imports {target}"
        if name.startswith("sim"):
            assert not target.startswith("accelerators")
