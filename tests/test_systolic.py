"""The dense systolic engine: hand-derived closed forms, conservation identities, SCALE-Sim agreement."""
import csv
import filecmp
import pathlib

import pytest
import yaml

import accelsim as acs
from accelsim.energy import EnergyTable
from accelsim.errors import ConfigError
from accelsim.workloads import Conv2D, Embedding, Linear, Model
from conftest import hw_variant

ROOT = pathlib.Path(__file__).resolve().parent.parent
DENSE_EDGE = ROOT / "hwconfigs" / "dense_edge.yaml"
REFERENCE = ROOT / "benchmarks" / "reference"


def dense_edge(**changes):
    """dense_edge.yaml with some values changed (``buffers__ofmap__size_bytes=...`` style keys)."""
    return hw_variant("systolic", changes)


def one_layer(layer):
    return Model("one", "test", (layer,))


def test_layer_that_fits_on_chip_hand_traced():
    """Linear 64 -> 64 on dense_edge (32x32 ws, 8-bit words, 16 B/cycle, latency 100 cycles).
    GEMM E=1, K=64, M=64: 2 row folds x 2 column folds of 2*32 + 32 + 1 - 2 = 95 cycles = 380 cycles.
    Fetch: 4 weight tiles of 32*32 B + the 64 B input (fits, fetched once) = 4160 B, one step (< half of
    the 64 kB buffers): 4160 / 16 = 260 bus cycles + 100 latency -> compute starts at 360, ends at 740;
    the 64 B of outputs take 4 bus cycles + 100 latency -> 844 cycles."""
    result = acs.simulate(one_layer(Linear("fc", in_features=64, out_features=64, bias=False)),
                          dense_edge(mapping="scalesim"))
    row = result.layers.iloc[0]
    assert row["busy_cycles_per_pe"] == 380
    assert row["cycles"] == 844
    assert (row["stall_memory_cycles_per_pe"], row["drain_cycles"]) == (360, 104)
    assert (row["dram_read_bytes"], row["dram_write_bytes"]) == (4160, 64)
    assert row["macs"] == row["useful_macs"] == 64 * 64


@pytest.fixture(scope="module")
def mobilenet_run():
    return acs.simulate(acs.zoo.mobilenet_v1(width=1.0), acs.load_hardware(DENSE_EDGE))


def test_compulsory_dram_traffic(mobilenet_run):
    """Every weight and every input value is read from DRAM at least once; every output written once
    (8-bit words: bytes = elements)."""
    model = acs.zoo.mobilenet_v1(width=1.0)
    rows = mobilenet_run.layers.set_index("layer")
    for layer in model.layers:
        inputs = layer.input_elements if isinstance(layer, Conv2D) else layer.in_features
        outputs = layer.output_elements if isinstance(layer, Conv2D) else layer.out_features
        assert rows.loc[layer.name, "dram_read_bytes"] >= layer.weight_count + inputs
        assert rows.loc[layer.name, "dram_write_bytes"] >= outputs


def test_cycles_respect_lower_bounds(mobilenet_run):
    """cycles >= compute (useful MACs / multipliers) and >= DRAM traffic / bandwidth."""
    layers = mobilenet_run.layers
    assert (layers["cycles"] >= layers["useful_macs"] / 1024).all()
    assert (layers["cycles"] >= (layers["dram_read_bytes"] + layers["dram_write_bytes"]) / 16).all()
    assert (layers["cycles"] == layers["busy_cycles_per_pe"] + layers["stall_memory_cycles_per_pe"]
            + layers["stall_sram_cycles_per_pe"] + layers["stall_imbalance_cycles_per_pe"]
            + layers["drain_cycles"]).all()


def test_bytes_leaving_dram_land_in_buffers():
    """With an output buffer large enough that partial sums never spill, every byte read from DRAM is
    written into the input or the weight buffer, and nothing else is."""
    hw = dense_edge(buffers__ofmap__size_bytes=8 * 2**20)
    layers = acs.simulate(acs.zoo.mobilenet_v1(width=0.5), hw).layers
    landed = layers["ifmap_write_bytes"] + layers["filter_write_bytes"]
    assert (layers["dram_read_bytes"] == landed).all()


def test_energy_is_count_times_table_entry(mobilenet_run):
    """Recomputed from the report's counts and the YAML's figures read independently of accelsim."""
    raw = yaml.safe_load(DENSE_EDGE.read_text())["energy"]["dynamic"]
    layers = mobilenet_run.layers
    assert layers["energy_mac_pj"].to_numpy() == pytest.approx(layers["macs"] * raw["mac"]["op"]["pj"])
    assert layers["energy_dram_pj"].to_numpy() == pytest.approx(
        layers["dram_read_bytes"] * raw["dram"]["read_bytes"]["pj"]
        + layers["dram_write_bytes"] * raw["dram"]["write_bytes"]["pj"])
    for buffer in ("ifmap", "filter", "ofmap"):     # 8-bit words: one word per byte
        expected = (layers[f"{buffer}_read_bytes"] * raw[buffer]["read_words"]["pj"]
                    + layers[f"{buffer}_write_bytes"] * raw[buffer]["write_words"]["pj"])
        assert layers[f"energy_{buffer}_pj"].to_numpy() == pytest.approx(expected)
    # dense_edge.yaml gives no leakage: the cost models' at its technology_nm (45 nm), all components together
    static_mw = sum(e.value for e in EnergyTable.from_config(acs.load_hardware(DENSE_EDGE)).static.values())
    assert layers["energy_static_pj"].to_numpy() == pytest.approx(
        static_mw * 1e-3 * layers["latency_s"] * 1e12)


def test_results_add_up_from_layers_to_model(mobilenet_run):
    layers, total = mobilenet_run.layers, mobilenet_run.total
    for column in ("cycles", "latency_s", "macs", "dram_read_bytes", "energy_pj", "energy_dram_pj",
                   "stall_memory_cycles_per_pe", "ifmap_read_bytes"):
        assert total[column] == pytest.approx(layers[column].sum())
    assert total["energy_pj"] == pytest.approx(total["energy_dynamic_pj"] + total["energy_static_pj"])


@pytest.mark.parametrize("mapping", ["search", "scalesim"])
def test_more_bandwidth_is_never_slower(mapping):
    """Per layer; with SCALE-Sim's fixed mapping the compute is the same (the searched mapping may change)."""
    slow = acs.simulate(acs.zoo.mobilenet_v1(width=0.25), dense_edge(dram__bandwidth_bytes_per_cycle=4, mapping=mapping))
    fast = acs.simulate(acs.zoo.mobilenet_v1(width=0.25), dense_edge(dram__bandwidth_bytes_per_cycle=64, mapping=mapping))
    assert (fast.layers["cycles"] <= slow.layers["cycles"]).all()
    if mapping == "scalesim":
        assert (fast.layers["busy_cycles_per_pe"] == slow.layers["busy_cycles_per_pe"]).all()


def test_embedding_is_a_row_lookup():
    """4 tokens of a 1000 x 32 table, 8-bit: 4 rows of 32 B are read and written back; no MACs."""
    row = acs.simulate(one_layer(Embedding("emb", vocab_size=1000, dim=32, steps=4)),
                       acs.load_hardware(DENSE_EDGE)).layers.iloc[0]
    assert (row["dram_read_bytes"], row["dram_write_bytes"], row["macs"]) == (128, 128, 0)


def test_stationary_tile_that_cannot_fit_names_layer_and_buffer():
    """SCALE-Sim's mapping needs the whole 32x32 tile (1024 B) in half the filter buffer; the searched one
    uses part of the array whose tile fits (at most 512 one-byte weights)."""
    hw = dense_edge(buffers__filter__size_bytes=1024, mapping="scalesim")
    with pytest.raises(ConfigError, match=r"buffers\.filter\.size_bytes: layer fc: .*buffer filter"):
        acs.simulate(one_layer(Linear("fc", in_features=64, out_features=64)), hw)
    row = acs.simulate(one_layer(Linear("fc", in_features=64, out_features=64)),
                       dense_edge(buffers__filter__size_bytes=1024)).layers.iloc[0]
    assert row["map_rows"] * row["map_cols"] <= 512


def test_same_inputs_give_byte_identical_outputs(tmp_path):
    model, hw = acs.zoo.mobilenet_v1(width=0.25), acs.load_hardware(DENSE_EDGE)
    from accelsim.reports import write_results
    write_results(acs.simulate(model, hw), tmp_path / "a")
    write_results(acs.simulate(model, hw), tmp_path / "b")
    for name in ("layers.csv", "summary.json"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False)


def scalesim_rows(network, dataflow):
    with open(REFERENCE / f"scalesim_{network}_{dataflow}.csv") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@pytest.mark.parametrize("network,dataflow,topology", [
    ("mobilenet_v1", "ws", "mobilenet_v1_224.csv"), ("yolo_tiny", "ws", "yolo_tiny.csv"),
    ("alexnet", "ws", "alexnet.csv"), ("mobilenet_v1", "os", "mobilenet_v1_224.csv"),
    ("alexnet", "is", "alexnet.csv")])
def test_compute_cycles_agree_with_scalesim(network, dataflow, topology):
    """SCALE-Sim 3.0.0, 32x32 array, 64 kB SRAMs (benchmarks/reference/, made by
    benchmarks/scalesim_reference.py): per-layer compute cycles (total - stall) within 2% on every layer;
    MACs and SRAM IFMAP and filter reads equal. By design we differ in DRAM: SCALE-Sim's CALC mode assumes
    whatever bandwidth avoids stalls, we model a 16 B/cycle channel, so only compute cycles are compared."""
    from accelsim.workloads.files import load_workload
    model = load_workload(REFERENCE / topology)
    result = acs.simulate(model, dense_edge(dataflow=dataflow, mapping="scalesim")).layers.set_index("layer")
    rows = scalesim_rows(network, dataflow)
    assert len(rows) == len(model.layers)
    for row in rows:
        ours = result.loc[row["layer"]]
        assert ours["busy_cycles_per_pe"] == pytest.approx(float(row["compute_cycles"]), rel=0.02), row["layer"]
        assert ours["macs"] == float(row["macs"])
        assert ours["ifmap_read_bytes"] == float(row["sram_ifmap_reads"])
        assert ours["filter_read_bytes"] == float(row["sram_filter_reads"])


def _pointwise_cycles(**changes):
    """A 1x1 conv 32 -> 32 channels on a 16x16 input on dense_edge with a DRAM of 10,000 B/cycle and no
    latency, with buffer values changed; its one layer's report row."""
    hw = dense_edge(**{"dram.bandwidth_bytes_per_cycle": 10000, "dram.latency_cycles": 0, **changes})
    layer = Conv2D("pw", in_channels=32, out_channels=32, kernel_h=1, kernel_w=1, in_h=16, in_w=16)
    return acs.simulate(one_layer(layer), hw).layers.iloc[0]


@pytest.mark.parametrize("banks, ports, step", [(32, 1, 350), (16, 1, 512), (8, 1, 1024), (8, 2, 512),
                                                (4, 1, 2048), (1, 4, 2048), (64, 1, 350)])
def test_ifmap_banks_and_ports_limit_the_array_hand_derived(banks, ports, step):
    """GEMM E = 256 pixels, K = M = 32: one fold of 2*32 + 32 + 256 - 2 = 350 cycles, in one DRAM step
    (9,216 B of inputs and weights load in 1 cycle at 10,000 B/cycle; the 8,192 B of outputs drain in 1).
    The array reads T x rows = 256 x 32 = 8,192 one-byte input words in the fold; the input buffer serves
    banks x read_ports of them a cycle, so the step lasts max(350, 8,192 / (banks x ports)) cycles:
    32 x 1 -> 256 (the array is the bottleneck, 350), 16 x 1 -> 512, 8 x 1 -> 1,024, 8 x 2 -> 512,
    4 x 1 and 1 x 4 -> 2,048. cycles = 1 + step + 1, and the stall beyond the 350 array cycles is
    reported as stall_sram_cycles_per_pe."""
    row = _pointwise_cycles(**{"buffers.ifmap.banks": banks, "buffers.ifmap.read_ports": ports})
    assert row["cycles"] == 1 + step + 1
    assert (row["busy_cycles_per_pe"], row["stall_sram_cycles_per_pe"]) == (350, step - 350)


def test_output_buffer_write_ports_limit_the_array_hand_derived():
    """Same layer: the array writes 256 x 32 = 8,192 one-byte outputs (one row fold: no partial sums
    read back). ofmap with 4 banks x 1 write port: 2,048 cycles; 4 x 2: 1,024; with 4 read ports instead
    nothing changes (the array reads no partial sums here): 2,048."""
    assert _pointwise_cycles(**{"buffers.ofmap.banks": 4})["cycles"] == 2 + 2048
    assert _pointwise_cycles(**{"buffers.ofmap.banks": 4, "buffers.ofmap.write_ports": 2})["cycles"] == 2 + 1024
    assert _pointwise_cycles(**{"buffers.ofmap.banks": 4, "buffers.ofmap.read_ports": 4})["cycles"] == 2 + 2048
