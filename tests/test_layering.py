"""Each module imports only from its own layer or lower (docs/DESIGN.md, "Packages"); nothing imports cli
or study; sim never imports an accelerator."""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "accelsim"
DENSE_EDGE = PACKAGE.parent / "hwconfigs" / "dense_edge.yaml"

#: DESIGN.md's layer of each top-level module or package of accelsim.
LAYERS = {
    "__init__": 9, "__main__": 9, "units": 0, "atomic": 0, "inputfiles": 0, "yamltext": 0, "errors": 0,
    "counts": 0, "schema": 0, "lru": 0,
    "workloads": 1, "hardware": 1, "energy.table": 1, "reference": 1, "accelerators": 1, "cost": 1,
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
        assert not target.startswith(("cli", "study")) or name in ("__init__", "__main__") or name.startswith(
            ("cli", "study")), f"{name} imports {target}"
        if name.startswith("sim"):
            assert not target.startswith("accelerators")


def test_help_and_a_dense_simulate_import_neither_pandas_nor_matplotlib(tmp_path):
    """The command line imports what a command needs when it runs: ``--help`` needs neither numpy nor
    pandas, a dense ``simulate`` (which writes its files and prints its table) no pandas; their start-up
    time is measured by benchmarks/bench_startup.py."""
    import subprocess
    import sys
    script = (
        "import sys, contextlib, io\n"
        "from accelsim import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        cli.main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'matplotlib') if m in sys.modules))\n"
        f"cli.main(['simulate', '--model', 'mobilenet_v1', '--width', '0.25', '--hw', {str(DENSE_EDGE)!r},"
        f" '--out', {str(tmp_path / 'out')!r}])\n"
        "print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "[]" and lines[-1] == "[]", (lines[0], lines[-1])
    assert (tmp_path / "out" / "layers.csv").exists() and "TOTAL" in done.stdout


def test_bit_byte_conversions_go_through_units():
    """docs/DESIGN.md: units.py holds the conversions. A literal 8 multiplying or dividing a quantity outside
    it is a hand-written bit/byte conversion (found by parsing, so strings and comments do not count)."""
    found = []
    for name, path in modules():
        if name == "units":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.FloorDiv))
                    and any(isinstance(side, ast.Constant) and side.value == 8 for side in (node.left, node.right))):
                found.append(f"{name}:{node.lineno}")
    assert not found, f"use accelsim.units for bit/byte conversions: {found}"
