"""Eyeriss v2 (Chen et al., IEEE JETCAS 2019): clusters of sparse PEs on a hierarchical-mesh NoC, weights and
iacts in CSC, row-stationary-plus (``docs/eyeriss_v2.md``). The declaration the registry lists; the model
is :mod:`.engine`."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Detail, Param
from accelsim.cost.parts import link_part, mac_part, register_file_part
from accelsim.schema import Int
from accelsim.workloads.layers import LSTM, Conv2D, Linear

#: The PE and array keys (Eyeriss v1, the dense baseline, declares the same).
PARAMS = (
    Param("pe.simd_width", Int(1, 2, "MACs per cycle"),
          "weights fetched per non-zero iact per cycle, one MAC each (an odd column is padded with a gated zero)",
          typical=(1, 2), resource=True),
    Param("pe.iact_spad_entries", Int(1, 256, "entries"),
          "iact scratch pad: bounds the C0 x S window of a pass (nominal iacts)", typical=(4, 8, 16), resource=True),
    Param("pe.weight_spad_entries", Int(2, 4096, "entries"),
          "weight scratch pad, in (count, data) entries: bounds a block's compressed weights",
          typical=(16, 64, 192), resource=True),
    Param("pe.psum_spad_entries", Int(1, 1024, "entries"),
          "psum scratch pad: bounds M0, the output channels of a weight block", typical=(4, 8, 32), resource=True),
    Param("cluster_rows", Int(1, 64, "PEs"),
          "PE rows of a cluster: they share reduction work down a column; one iact and one weight router each",
          typical=(1,)),
    Param("cluster_cols", Int(1, 64, "PEs"),
          "PE columns of a cluster: each owns an output tile; one psum router each", typical=(1,)),
    Param("noc_iact_port_bits", Int(1, 1024, "bits per cycle"),
          "an iact router port: delivers this many bits of iacts per cycle to its PE row",
          typical=(24,), resource=True),
    Param("noc_weight_port_bits", Int(1, 1024, "bits per cycle"),
          "a weight router port: delivers this many bits of weights per cycle to its PE row",
          typical=(24,), resource=True),
    Param("noc_psum_port_bits", Int(1, 1024, "bits per cycle"),
          "a psum router port: carries this many bits of partial sums per cycle to/from the GLB",
          typical=(40,), resource=True),
    Param("mapping_m0", Int(0, 1024, "output channels"),
          "fixes M0 of every layer's weight block (0: the mapper chooses per layer)", typical=(0,)),
    Param("mapping_c0", Int(0, 1024, "input channels"),
          "fixes C0 of every layer's weight block (0: the mapper chooses per layer)", typical=(0,)),
    Param("data_widths.count_bits", Int(1, 16, "bits"),
          "CSC zero count stored with each weight and iact (a longer run stores a placeholder zero)"),
)

#: What both count (docs/eyeriss_v2.md); buffers add their read_words/write_words.
ACTIONS = (
    Action("mac", "op", "MAC", "a multiplication of a non-zero weight and a non-zero iact"),
    Action("mac", "gated", "MAC", "a MAC slot clock-gated: a zero operand, a padding pair or a placeholder"),
    Action("iact_spad", "read", "entry", "an iact (and its address) read from the iact scratch pad"),
    Action("weight_spad", "read", "entry", "a weight entry or column address read from the weight scratch pad"),
    Action("psum_spad", "update", "psum", "a partial sum read, accumulated and written back in the psum scratch pad"),
    Action("noc", "iact_bits", "bit", "a bit of iacts carried by an iact router to a PE row"),
    Action("noc", "weight_bits", "bit", "a bit of weights carried by a weight router to a PE row"),
    Action("noc", "psum_bits", "bit", "a bit of partial sums carried by a psum router"),
)

DETAILS = (
    Detail("m0", "output channels", "M0: output channels of a PE's weight block (psum scratch pad)"),
    Detail("c0", "input channels", "C0: input channels of a PE's weight block (iact window C0 x S)"),
    Detail("tile_rows", "output rows", "output rows of the tile a PE column owns"),
    Detail("clusters_used", "clusters", "PE clusters the layer's mapping uses (the others idle)"),
    Detail("input_resident", "flag", "1: the input is loaded into the GLB once and kept; 0: each tile round "
           "loads its rows again"),
    Detail("iact_sharing", "PEs", "PEs per distinct iact stream (1: unicast; PEs per cluster row: broadcast)"),
    Detail("weight_sharing", "PEs", "PEs per distinct weight stream (1: unicast)"),
    Detail("noc_bound_cycles", "cycles", "cycles the PEs waited on NoC delivery beyond their own passes (per PE)"),
)



def _hardware(hw, node: int) -> tuple:
    """Per PE: ``simd_width`` MACs (a gated slot at Accelergy's gated fraction), register-file scratch pads of
    (data + count)-bit iact and weight entries and psum entries (an update reads and writes one), and the
    router ports' registers (iact, weight and psum port bits) priced per bit moved."""
    widths, pe, pes = hw.data_widths, hw.pe, hw.pe_count
    port_bits = hw.noc_iact_port_bits + hw.noc_weight_port_bits + hw.noc_psum_port_bits
    return (mac_part(hw, node, pes * pe.simd_width, {"op": "op", "gated": "gated"}),
            register_file_part("iact_spad", pe.iact_spad_entries, widths.activation_bits + widths.count_bits, pes,
                               node, {"read": 1}, "iact scratch pad"),
            register_file_part("weight_spad", pe.weight_spad_entries, widths.weight_bits + widths.count_bits, pes,
                               node, {"read": 1}, "weight scratch pad"),
            register_file_part("psum_spad", pe.psum_spad_entries, widths.psum_bits, pes, node, {"update": 2},
                               "psum scratch pad"),
            link_part("noc", hw, node, {"iact_bits": 1, "weight_bits": 1, "psum_bits": 1}, port_bits, pes,
                      "router ports, per bit"))


SPEC = AcceleratorSpec(
    name="eyeriss_v2",
    summary="Eyeriss v2: sparse PEs (CSC weights and iacts) in clusters on a hierarchical-mesh NoC, row-stationary-plus",
    skips_zeros=True,
    layer_kinds=(Conv2D, Linear, LSTM),
    params=PARAMS,
    required_holds=frozenset({"input_activations", "output_activations"}),
    actions=ACTIONS,
    details=DETAILS,
    engine="engine:EyerissV2Engine",
    doc="docs/eyeriss_v2.md",
    example="eyeriss_v2.yaml",
    hardware=_hardware,
)
