"""The energy table: lookups with unit and source, the named error for a missing entry, and static energy
against its closed form computed by hand."""
from pathlib import Path

import pytest

from accelsim.energy import EnergyTable, Entry, MissingEnergyEntry
from accelsim.errors import ConfigError
from accelsim.hardware import load_hardware

HWCONFIGS = Path(__file__).resolve().parent.parent / "hwconfigs"


@pytest.fixture
def table():
    return EnergyTable({("mac", "op"): Entry(2.2, "pJ", "Accelergy 45 nm 16-bit MAC"),
                        ("dram", "read_bytes"): Entry(64.0, "pJ", "LPDDR4 8 pJ/bit x 8")},
                       {"mac": Entry(5.0, "mW", "assumption"), "iaram": Entry(6.4, "mW", "assumption")},
                       file="t.yaml")


def test_lookups_give_value_unit_and_source(table):
    assert table.pj("mac", "op") == 2.2
    assert table.entry("dram", "read_bytes") == Entry(64.0, "pJ", "LPDDR4 8 pJ/bit x 8")
    assert table.static_mw("iaram") == 6.4
    assert list(table.dynamic) == [("dram", "read_bytes"), ("mac", "op")]
    assert list(table.static) == ["iaram", "mac"]


def test_missing_entry_is_a_named_error_with_component_and_action(table):
    with pytest.raises(MissingEnergyEntry) as info:
        table.pj("mac", "gated_op")
    message = str(info.value)
    assert isinstance(info.value, ConfigError)
    assert "'mac'" in message and "'gated_op'" in message
    assert message.startswith("t.yaml: energy.dynamic.mac.gated_op: no energy entry")
    with pytest.raises(MissingEnergyEntry, match="t.yaml: energy.static.dram: no static power for component 'dram'"):
        table.static_pj("dram", 10, 1e9)


def test_static_pj_is_milliwatts_times_time():
    """5 mW for 2,000 cycles at 1 GHz: 5e-3 W x 2e-6 s = 1e-8 J = 10,000 pJ.
    0.32 mW for 8e8 cycles at 800 MHz: 0.32e-3 W x 1 s = 3.2e-4 J = 3.2e8 pJ."""
    table = EnergyTable({}, {"mac": Entry(5.0, "mW", "a"), "eie_mac": Entry(0.32, "mW", "a")})
    assert table.static_pj("mac", 2000, 1e9) == pytest.approx(1e4)
    assert table.static_pj("eie_mac", 8e8, 8e8) == pytest.approx(3.2e8)
    assert table.static_pj("mac", 0, 1e9) == 0
    with pytest.raises(ValueError):
        table.static_pj("mac", -1, 1e9)
    with pytest.raises(ValueError):
        table.static_pj("mac", 1, 0)


def test_table_is_immutable(table):
    with pytest.raises(TypeError):
        table.dynamic[("mac", "op")] = Entry(0.0, "pJ", "x")
    with pytest.raises(AttributeError):
        table.extra = 1


@pytest.mark.parametrize("name", ["dense_edge", "dcnn", "scnn_like", "eie_like"])
def test_shipped_tables_price_everything_their_engine_counts(name):
    hw = load_hardware(HWCONFIGS / f"{name}.yaml")
    table = EnergyTable.from_config(hw)
    assert table.file == str(HWCONFIGS / f"{name}.yaml")
    for component, action in hw.accelerator.required_energy(tuple(b.name for b in hw.buffers)):
        entry = table.entry(component, action)
        assert entry.unit == "pJ" and entry.value > 0 and entry.source
    assert all(e.unit == "mW" for e in table.static.values())


def test_from_config_keeps_the_figures_of_the_file():
    """scnn_like.yaml: 16-bit MAC 2.20 pJ (Accelergy 45 nm), LPDDR4 8 pJ/bit x 8 = 64 pJ per byte."""
    table = EnergyTable.from_config(load_hardware(HWCONFIGS / "scnn_like.yaml"))
    assert table.pj("mac", "op") == 2.2
    assert table.pj("dram", "read_bytes") == 64
    assert "Accelergy" in table.entry("mac", "op").source
    assert table.pj("iaram", "read_words") == 10          # Horowitz 8 KB: the file's figure wins over the model
    # The file gives no leakage (its unsourced 6.4 mW placeholder is gone): the cost model's, CACTI 7 at 45 nm
    # (tests/test_cost_models.py checks the model itself).
    assert table.static["iaram"].source.startswith("model: CACTI 7")
