"""Rules the test suite and the README keep, checked on the files themselves.

* No test asserts a wall-clock time (the team's rule: speed belongs in ``benchmarks/``, ``make bench``); a
  loaded machine must not turn ``make test`` red. A guard against a hang is a timeout on the call.
* What the README promises a newcomer exists: the files it names, the ``make`` targets it names, and its
  examples write under ``results/`` (ignored by git), never into the repository's root.
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
CLOCKS = ("perf_counter", "monotonic", "time.time", "process_time", "elapsed", "seconds", "wall")


def test_no_test_asserts_a_wall_clock_time():
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assert) and any(clock in ast.unparse(node.test) for clock in CLOCKS):
                offenders.append(f"{path.name}:{node.lineno}: {ast.unparse(node.test)}")
    assert not offenders, offenders


def test_readme_make_targets_exist():
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    named = set(re.findall(r"`make ([a-z][\w-]*)`", README)) | set(re.findall(r"^make ([a-z][\w-]*)", README,
                                                                              flags=re.M))
    assert {"test", "demo", "bench", "notebook"} <= named
    assert named <= targets, named - targets


def test_readme_examples_write_under_results():
    """Every --out of an example command line (the README's ``sh`` blocks) is under results/."""
    commands = "\n".join(re.findall(r"```sh\n(.*?)```", README, flags=re.S))
    outs = re.findall(r"--out (\S+)", commands)
    assert outs and all(out.startswith("results/") for out in outs), outs
    masks = re.findall(r"--masks (\S+)", commands)
    assert all(m.startswith(("results/", "traces/")) for m in masks), masks


def test_files_the_readme_names_exist():
    named = set(re.findall(r"`((?:traces|hwconfigs|docs|notebooks|benchmarks)/[\w./-]+)`", README))
    assert named, "the README names no file"
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert not missing, missing


def test_traces_holds_the_small_example_masks_the_readme_promises():
    assert "small example masks" in README
    assert list((ROOT / "traces").glob("*.npz")), "traces/ has no example masks"
