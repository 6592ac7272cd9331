"""The shipped machines are found through the installed package (accelsim.hwconfigs, which setup.py maps to
the repository's hwconfigs/ folder), not through the repository layout: the lookup lists exactly the YAML
files of hwconfigs/ and each loads. (That a built wheel carries them is checked by building one by hand:
`pip wheel . --no-deps`, installed into a fresh venv, `accelsim train-compare` without --hw from another
directory; not in the test suite.)"""
from pathlib import Path

import pytest

from accelsim.errors import InputError
from accelsim.hardware import load_hardware
from accelsim.hardware.shipped import shipped_machine, shipped_machines
from accelsim.study.training import DEFAULT_HW_NAMES

ROOT = Path(__file__).resolve().parent.parent


def test_packaged_lookup_finds_every_shipped_yaml():
    in_repository = sorted(path.name for path in (ROOT / "hwconfigs").glob("*.yaml"))
    found = shipped_machines()
    assert [path.name for path in found] == in_repository and in_repository
    for path in found:
        assert path.read_bytes() == (ROOT / "hwconfigs" / path.name).read_bytes()
        assert load_hardware(path).name == path.stem


def test_train_compare_defaults_are_shipped():
    for name in DEFAULT_HW_NAMES:
        assert shipped_machine(name).is_file()


def test_unknown_shipped_machine_names_the_ones_there_are():
    with pytest.raises(InputError, match="no such shipped machine.*dense_edge.yaml"):
        shipped_machine("dense_egde.yaml")
