"""The cost models (accelsim.cost, docs/cost_models.md): the committed tables reproduce the published points
they were built from, the CACTI SRAM table agrees with independent published 45 nm SRAM figures within a
tolerance stated here, and the models behave as hardware does (bigger SRAMs cost more per access; more of
any resource takes more area; leakage follows area). Every reference number names its source."""
import json
import math
from pathlib import Path

import pytest

from accelsim.accelerators import ACCELERATORS
from accelsim.cost import NODES_NM, area_mm2, machine_parts
from accelsim.cost import logic
from accelsim.cost.sram import CACTI_NODES_NM, sram_bank
from accelsim.cost.tables import rows
from accelsim.cost.technology import area_factor, energy_factor
from accelsim.energy import EnergyTable
from accelsim.errors import ConfigError
from accelsim.hardware import load_hardware, parse_hardware
from accelsim.hardware.variants import file_variant

HWCONFIGS = Path(__file__).resolve().parent.parent / "hwconfigs"
#: The shipped machines that name a node (eyeriss_v2_pe.yaml is an idealised per-PE instrument: none).
PRICED = [p.name for p in sorted(HWCONFIGS.glob("*.yaml")) if "\ntechnology_nm:" in p.read_text()]
EXACT = 1e-9          # a point a table was built from comes back as given (up to float rounding)


# --- the published points the logic tables are built from ----------------------------------------------------

@pytest.mark.parametrize("bits,pj", [(8, 0.03), (32, 0.1)])
def test_adder_energy_is_horowitz_45nm(bits, pj):
    """Horowitz ISSCC 2014 (accelerators.md): 8-bit add 0.03 pJ, 32-bit add 0.1 pJ at 45 nm."""
    assert logic.adder(bits, 45)[0] == pytest.approx(pj, rel=EXACT)


@pytest.mark.parametrize("bits,pj", [(8, 0.2), (32, 3.1)])
def test_multiplier_energy_is_horowitz_45nm(bits, pj):
    """Horowitz ISSCC 2014 (accelerators.md): 8-bit mult 0.2 pJ, 32-bit mult 3.1 pJ at 45 nm."""
    assert logic.multiplier(bits, bits, 45)[0] == pytest.approx(pj, rel=EXACT)


@pytest.mark.parametrize("bits,pj,gated", [(8, 0.447, None), (16, 2.20, 0.066)])
def test_mac_energy_is_accelergy_45nm(bits, pj, gated):
    """Accelergy 45 nm models (accelerators.md): int8 MAC 0.447 pJ; 16-bit MAC 2.20 pJ, gated 0.066 pJ."""
    op, gated_pj, _, _ = logic.mac(bits, bits, 2 * bits, 45)
    assert op == pytest.approx(pj, rel=EXACT)
    if gated is not None:
        assert gated_pj == pytest.approx(gated, rel=EXACT)


def test_register_file_access_is_horowitz_45nm():
    """Horowitz ISSCC 2014 (accelerators.md): register file 1 pJ per 32-bit access at 45 nm."""
    assert logic.register_file(64, 32, 45)[0] == pytest.approx(1.0, rel=EXACT)


@pytest.mark.parametrize("kind,pj_per_bit", [("lpddr4", 8), ("lpddr", 40), ("ddr3", 70), ("gddr5", 14),
                                             ("hbm2", 3.9)])
def test_dram_energy_is_accelergy(kind, pj_per_bit):
    """Accelergy's DRAM pJ/bit by type (accelerators.md): LPDDR4 8, LPDDR 40, DDR3 70, GDDR5 14, HBM2 3.9."""
    assert logic.dram_pj_per_byte(kind)[0] == pytest.approx(8 * pj_per_bit, rel=EXACT)


def test_logic_area_and_leakage_are_aladdin_40nm():
    """Aladdin (Shao et al., ISCA 2014) 40 nm library: 32-bit adder 278 um², 2.40 uW; 32-bit multiplier
    6350 um², 80 uW; 1-bit register 5.98 um²."""
    _, add_leak, add_area = logic.adder(32, 40)
    _, mult_leak, mult_area = logic.multiplier(32, 32, 40)
    assert (add_area * 1e6, add_leak * 1e3) == (pytest.approx(278, rel=EXACT), pytest.approx(2.40, rel=EXACT))
    assert (mult_area * 1e6, mult_leak * 1e3) == (pytest.approx(6350, rel=EXACT), pytest.approx(80, rel=EXACT))
    assert logic.registers(1, 40)[1] * 1e6 == pytest.approx(5.98, rel=EXACT)


@pytest.mark.parametrize("node,factor", [(65, 1.5), (32, 0.46), (16, 0.19), (7, 0.059)])
def test_area_scaling_is_stillmaker_baas(node, factor):
    """Stillmaker & Baas 2017 area scaling from 45 nm (as tabulated by hwcomponents): 65 nm 1.5x, 32 nm
    0.46x, 16 nm 0.19x, 7 nm 0.059x."""
    assert area_factor(node, 45) == pytest.approx(factor, rel=EXACT)


def test_energy_falls_with_every_node():
    """Smaller nodes spend less energy per operation (Stillmaker & Baas's polynomials at 0.8 V)."""
    factors = [energy_factor(node, 45) for node in NODES_NM]
    assert factors == sorted(factors, reverse=True) and energy_factor(45, 45) == 1


# --- the CACTI SRAM table against independent published 45 nm figures -------------------------------------------

#: CACTI's SRAMs against other published 45 nm SRAM figures: a cross-check of two independent models, not a
#: point the table was built from. Tolerance: within a factor of 2 either way, stated before measuring
#: (different tools, cell and periphery assumptions); the measured ratios are in docs/cost_models.md.
FACTOR = 2.0


@pytest.mark.parametrize("size,action,pj,source", [
    (8 * 1024, "read_pj", 10, "Horowitz ISSCC 2014, 8 KB SRAM 64-bit read 10 pJ (accelerators.md, secondary)"),
    (32 * 1024, "read_pj", 20, "Horowitz ISSCC 2014, 32 KB SRAM 64-bit read 20 pJ (accelerators.md, secondary)"),
    (1024 * 1024, "read_pj", 100, "Horowitz ISSCC 2014, 1 MB SRAM 64-bit read 100 pJ (accelerators.md, secondary)"),
    (100 * 1024, "read_pj", 49.2, "Accelergy 45 nm, 100 KB buffer 64-bit read 49.2 pJ (accelerators.md)"),
    (100 * 1024, "write_pj", 37.2, "Accelergy 45 nm, 100 KB buffer 64-bit write 37.2 pJ (accelerators.md)"),
])
def test_cacti_sram_is_near_published_45nm_figures(size, action, pj, source):
    """A single-ported 64-bit-word SRAM at 45 nm, as the published figures are."""
    modelled = sram_bank(size, 64, 1, 1, 45, ports="rw")[action]
    assert pj / FACTOR <= modelled <= pj * FACTOR, f"{modelled:.1f} pJ vs {source}"


def test_the_issue_s_cacti_estimate_of_a_10kb_sram():
    """Issue 20 quotes a CACTI estimate of a 10 KB SRAM at 45 nm: about 6.8 pJ per 64-bit read and 0.3 uW of
    leakage (against the 10 pJ and 100 uW scnn_like.yaml assumed). Same tool: 10 % on the energy; the
    leakage is quoted to one digit, so its order (0.1 to 1 uW)."""
    bank = sram_bank(10240, 64, 1, 1, 45, ports="rw")
    assert bank["read_pj"] == pytest.approx(6.8, rel=0.10)
    assert 0.1e-3 <= bank["leakage_mw"] <= 1e-3


# --- how the models behave -----------------------------------------------------------------------------------------

SIZES = [2**k for k in range(7, 23)]


@pytest.mark.parametrize("node", NODES_NM)
@pytest.mark.parametrize("width", [16, 32, 64, 128, 256, 512])
def test_sram_energy_per_access_rises_with_size(node, width):
    for ports in ((1, 1), (2, 2)):
        for action in ("read_pj", "write_pj"):
            energies = [sram_bank(size, width, *ports, node)[action] for size in SIZES + [3 * 2**20]]
            assert all(a <= b for a, b in zip(energies[:-1], sorted(energies)[1:])), (action, ports, energies)
            assert energies[-1] > energies[0]


def test_the_cacti_table_rises_with_size_where_cacti_ran():
    """The committed rows themselves: per node, width and ports, read and write energy never fall with size."""
    curves: dict[tuple, list] = {}
    for r in rows("sram_cacti"):
        curves.setdefault((r["node_nm"], r["width_bits"], r["ports"]), []).append(
            (int(r["size_bytes"]), float(r["read_pj"]), float(r["write_pj"])))
    for key, points in curves.items():
        points.sort()
        for column in (1, 2):
            values = [p[column] for p in points]
            assert values == sorted(values), key


def test_cacti_ran_at_every_table_node():
    assert sorted({int(r["node_nm"]) for r in rows("sram_cacti")}) == sorted(CACTI_NODES_NM)


@pytest.mark.parametrize("hw_file", PRICED)
def test_area_rises_with_every_on_chip_resource(hw_file):
    """Doubling any key that counts hardware on the die (PEs, buffer size, ports, the accelerator's own
    resources) makes the machine strictly larger; more banks never make it smaller (where CACTI organises the
    split memory smaller than the coarser one, the coarser one's area stands: accelsim.cost.parts.banked);
    DRAM keys are off the die and leave it as it was."""
    path = HWCONFIGS.joinpath(hw_file)
    hw = load_hardware(path)
    base = sum(area_mm2(hw).values())
    for key in hw.accelerator.resources(tuple(b.name for b in hw.buffers)):
        value = _value(hw, key)
        if value is None:
            continue
        try:    # a doubling the schema refuses (SIMD width 2 -> 4, banks that no longer hold whole words) is skipped
            bigger = sum(area_mm2(file_variant(path, {key: 2 * value if value else 1})).values())
        except ConfigError:
            continue
        if key.startswith("dram."):
            assert bigger == base, key
        elif key.endswith(".banks"):
            assert bigger >= base, key
        else:
            assert bigger > base, key


def _value(hw, dotted: str):
    obj = hw
    for part in dotted.split("."):
        if part in {b.name for b in hw.buffers} and obj is hw.buffers:
            obj = hw.buffer(part)
            continue
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


@pytest.mark.parametrize("node", NODES_NM)
def test_logic_leakage_is_proportional_to_area(node):
    """Within each kind of logic, leakage per mm² does not depend on the size (Aladdin's per-unit figures
    scale both alike)."""
    for make in (lambda b: logic.adder(b, node)[1:], lambda b: logic.multiplier(b, b, node)[1:],
                 lambda b: logic.registers(16 * b, node), lambda b: logic.crossbar(b, 4, 16, node)[1:]):
        ratios = [leak / area for leak, area in (make(b) for b in (2, 8, 32))]
        assert ratios == pytest.approx([ratios[0]] * 3, rel=1e-9)


@pytest.mark.parametrize("node", NODES_NM)
def test_sram_leakage_rises_with_area(node):
    """An SRAM's leakage rises with its area across sizes (CACTI's leakage per mm² is not constant: the
    periphery's share changes)."""
    banks = sorted((sram_bank(size, 64, 1, 1, node) for size in SIZES), key=lambda b: b["area_mm2"])
    leaks = [b["leakage_mw"] for b in banks]
    assert leaks == sorted(leaks)


# --- the models in a machine ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", list(ACCELERATORS))
def test_models_price_every_action_an_engine_counts(engine):
    """A machine with technology_nm and no energy section is priced entirely by the models."""
    hw = load_hardware(HWCONFIGS.joinpath(ACCELERATORS[engine].example))
    priced = {(p.component, action) for p in machine_parts(hw) for action in p.pj}
    assert priced == set(hw.accelerator.required_energy(tuple(b.name for b in hw.buffers)))


def test_a_yaml_without_energy_is_priced_by_the_models_and_given_entries_win():
    text = HWCONFIGS.joinpath("dense_edge.yaml").read_text().split("\nenergy:")[0]
    bare = parse_hardware(text, "bare.yaml")
    table = EnergyTable.from_config(bare)
    assert table.pj("mac", "op") == pytest.approx(0.447, rel=EXACT)      # Accelergy int8 MAC, 45 nm
    assert table.pj("dram", "read_bytes") == pytest.approx(64, rel=EXACT)  # LPDDR4 8 pJ/bit
    assert table.entry("mac", "op").source.startswith("model:")
    given = parse_hardware(text + "\nenergy:\n  dynamic:\n    mac:\n      op: {pj: 1.5, source: measured}\n"
                                  "  static:\n    mac: {mw: 2.0, source: measured}\n", "given.yaml")
    table = EnergyTable.from_config(given)
    assert (table.pj("mac", "op"), table.static_mw("mac")) == (1.5, 2.0)
    assert table.pj("ifmap", "read_words") == EnergyTable.from_config(bare).pj("ifmap", "read_words")


def test_a_smaller_node_costs_less_energy_and_area():
    text = HWCONFIGS.joinpath("dense_edge.yaml").read_text().split("\nenergy:")[0]
    machines = [parse_hardware(text.replace("technology_nm: 45", f"technology_nm: {node}"), f"{node}.yaml")
                for node in (65, 45, 28, 16, 7)]
    areas = [sum(area_mm2(hw).values()) for hw in machines]
    macs = [EnergyTable.from_config(hw).pj("mac", "op") for hw in machines]
    assert areas == sorted(areas, reverse=True) and macs == sorted(macs, reverse=True)


def test_summary_reports_area_by_component_and_total(tmp_path):
    from accelsim.cli import main
    assert main(["simulate", "--model", "mobilenet_v1", "--width", "0.25", "--hw",
                 str(HWCONFIGS.joinpath("dense_edge.yaml")), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    area = summary["area_mm2"]
    hw = load_hardware(HWCONFIGS.joinpath("dense_edge.yaml"))
    assert {k: v for k, v in area.items() if k != "total"} == pytest.approx(area_mm2(hw))
    assert area["total"] == pytest.approx(sum(area_mm2(hw).values()))
    assert math.isclose(summary["total"]["static_mac_pj"],
                        EnergyTable.from_config(hw).static_pj("mac", summary["total"]["cycles"], hw.clock_hz))
