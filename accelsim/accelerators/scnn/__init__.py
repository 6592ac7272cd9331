"""SCNN (Parashar et al., ISCA 2017): sparse weights x sparse activations, dataflow PT-IS-CP-sparse (``docs/scnn.md``).

The declaration the registry lists; the model is :mod:`.engine`."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Detail, Param
from accelsim.cost.parts import (adder_part, crossbar_part, link_part, mac_part, merged,
                                 register_file_part)
from accelsim.schema import Bool, Int

#: The PE SCNN and its dense baseline DCNN share: an F x I multiplier array, banked accumulators, a weight FIFO.
PE_PARAMS = (
    Param("pe.multipliers_f", Int(1, 64, "multipliers"),
          "F: weights per cycle into the multiplier array (F x I products per cycle)", typical=(1, 2, 3, 4),
          resource=True),
    Param("pe.multipliers_i", Int(1, 64, "multipliers"),
          "I: activations per cycle into the multiplier array (F x I products per cycle)", typical=(1, 2, 3, 4),
          resource=True),
    Param("pe.accumulator_banks", Int(1, 4096, "banks"),
          "A: accumulator banks the products are scattered to (bank (k + F (x + tile width y)) mod A); a step "
          "lasts as long as its busiest bank",
          typical=(1, 2, 8, 16, 32), resource=True),
    Param("pe.accumulator_entries", Int(1, 2**20, "entries per bank"),
          "partial sums (psum_bits each) per accumulator bank; bounds the output channels of one group",
          typical=(16, 32, 64, 128), resource=True),
    Param("pe.weight_fifo_entries", Int(1, 2**20, "entries"),
          "entries of the FIFO weights stream through from DRAM into the multiplier array; a group that does "
          "not fit streams in input-channel blocks overlapping compute",
          typical=(1, 4, 16, 50, 64), resource=True),
    Param("pe.halo_link_bits", Int(1, 4096, "bits"),
          "width of the link to each neighbour PE the output halos' partial sums are sent over (links in "
          "parallel, one transfer per cycle)", typical=(8, 24, 48), resource=True),
)

#: The layer sequencer SCNN and DCNN share: whether a layer's outputs stay in the OARAMs as the next layer's inputs.
SEQUENCER_PARAMS = (
    Param("activations_on_chip", Bool(),
          "a convolution's outputs stay in the PEs' OARAMs as the next layer's inputs (the RAMs swap roles) when "
          "they fit, one pass, instead of crossing DRAM; the model's first layer reads its input and its last "
          "writes its output through DRAM (false: every layer reads its inputs from and writes its outputs to "
          "DRAM)", default=False),
    Param("output_group_channels", Int(0, 2**20, "output channels"),
          "Kc, the output channels of every convolution's groups, fixed (bounded by what the accumulators hold "
          "and by the layer's channels); 0: the mapper chooses Kc per layer to minimise latency", default=0),
)

#: Actions SCNN and DCNN both count (docs/scnn.md).
PLANAR_ACTIONS = (
    Action("mac", "op", "MAC", "one multiplication performed"),
    Action("accumulator", "update", "update", "a product added into an accumulator entry"),
    Action("weight_fifo", "read_entries", "entry", "a weight entry read into the multiplier array"),
    Action("halo", "transfer", "partial sum", "a partial sum sent to a neighbour PE"),
)

#: Per-layer details SCNN and DCNN both report (docs/scnn.md, "Details"); NaN where a layer has none.
PLANAR_DETAILS = (
    Detail("busy_multiplier_utilization", "fraction",
           "useful products / (F x I multipliers x the PE-cycles the PEs were busy, bank conflicts and exposed halo "
           "drain included) = useful_macs / (F x I x PEs x busy_cycles); absent when no PE works"),
    Detail("barrier_idle_fraction", "fraction",
           "PE time idle at the group barriers with memory free: PEs run to the next barrier (or the layer's end) "
           "and wait for the slowest; PE-cycles waited / (PEs x the barrier-to-barrier spans)"),
    Detail("halo_stall_cycles", "cycles",
           "cycles per PE (mean over the PEs of the layer's grid) the output-halo drain adds to busy time where it "
           "does not overlap the next group's products (convolutions)"),
    Detail("pe_rows", "PEs", "rows of the PE grid the layer uses (the mapper's choice, a sub-array of the "
           "machine's, the other PEs idle)"),
    Detail("pe_cols", "PEs", "columns of the PE grid the layer uses"),
    Detail("weight_lanes", "lanes", "F': the weight lanes the layer feeds, F or a halving (the mapper's choice on "
           "SCNN, the bank function's stride; the other lanes idle)"),
    Detail("kc", "output channels", "Kc: output channels per group; a group's partial sums fill one accumulator buffer"),
    Detail("groups", "groups", "output-channel groups (per pass, per input vector of a serial layer)"),
    Detail("passes", "passes", "passes over the PE grid: tiles smaller than a PE grid's share when one does not fit "
           "(convolutions)"),
    Detail("tile_w_pixels", "pixels", "planar tile width in input pixels (convolutions)"),
    Detail("tile_h_pixels", "pixels", "planar tile height in input pixels (convolutions)"),
    Detail("resident_inputs", "flag",
           "1: the inputs stay in the IARAM for every group; 0: they are streamed from DRAM again for each group"),
    Detail("outputs_per_pe", "output channels", "output channels each PE owns (fully connected and sequence layers)"),
    Detail("inputs_on_chip", "flag",
           "1: a convolution's inputs were the previous layer's outputs left in the OARAMs (activations_on_chip); "
           "0: read from DRAM"),
    Detail("outputs_on_chip", "flag",
           "1: a convolution's outputs stay in the OARAMs for the next layer (activations_on_chip); 0: written "
           "to DRAM"),
    Detail("input_blocks", "blocks",
           "input-channel blocks a group's weights stream through the weight FIFO in (Program steps per group)"),
)


def planar_hardware(hw, node: int, fifo_entry_bits: int) -> tuple:
    """The priced PE of SCNN and DCNN at ``node`` nm (docs/cost_models.md): F x I MACs; per PE a
    double-buffered accumulator (banks x entries x 2 psums, an update reads, adds and writes one), a weight
    FIFO of ``fifo_entry_bits`` entries and a halo link of ``halo_link_bits``."""
    pe, widths, pes = hw.pe, hw.data_widths, hw.pe_count
    accumulator = merged(
        "accumulator",
        register_file_part("accumulator", 2 * pe.accumulator_banks * pe.accumulator_entries, widths.psum_bits, pes,
                           node, {"update": 2}, "double-buffered accumulator banks"),
        adder_part("accumulator", "update", widths.psum_bits, pe.accumulator_banks, pes, node, "one adder per bank"))
    return (mac_part(hw, node, hw.total_multipliers, {"op": "op"}),
            accumulator,
            register_file_part("weight_fifo", pe.weight_fifo_entries, fifo_entry_bits, pes, node,
                               {"read_entries": 1}, "weight FIFO"),
            link_part("halo", hw, node, {"transfer": widths.psum_bits}, pe.halo_link_bits, pes,
                      "halo link to the neighbour PEs, one partial sum per transfer"))


def _scnn_hardware(hw, node: int) -> tuple:
    """SCNN's PE: the planar PE with (weight + index)-bit FIFO entries, the F x I -> banks scatter crossbar
    with ``bank_queue_entries`` products queued per bank, and the coordinate adders (ASSUMPTION: 3 adds of
    16 bits per product, output column, row and bank)."""
    widths, pe = hw.data_widths, hw.pe
    queues = register_file_part("crossbar", pe.accumulator_banks * (pe.bank_queue_entries or 0), widths.psum_bits,
                                hw.pe_count, node, {}, "bank queues")
    return (*planar_hardware(hw, node, widths.weight_bits + widths.index_bits),
            merged("crossbar", crossbar_part("crossbar", "transfer", hw.multipliers_per_pe, pe.accumulator_banks,
                                             widths.psum_bits, hw.pe_count, node, "product scatter"), queues),
            adder_part("index", "decode", 16, 3, hw.total_multipliers, node, "output coordinates"))


SPEC = AcceleratorSpec(
    name="scnn",
    summary="SCNN: planar-tiled PEs multiply the Cartesian product of non-zero weights and activations",
    skips_zeros=True,
    layer_kinds=None,
    params=PE_PARAMS + SEQUENCER_PARAMS + (
        Param("data_widths.index_bits", Int(1, 64, "bits"),
              "zero-run length stored with each compressed weight and activation"),
        Param("pe.bank_queue_entries", Int(0, 4096, "products per bank"),
              "products each accumulator bank can queue behind the crossbar; the multiplier array stalls only "
              "while a step's products do not fit (0 or absent: a step waits for its busiest bank)",
              typical=(0, 1, 2, 4), resource=True),
    ),
    required_holds=frozenset({"input_activations", "output_activations"}),
    actions=PLANAR_ACTIONS + (
        Action("crossbar", "transfer", "product", "a product scattered through the crossbar to an accumulator bank"),
        Action("index", "decode", "product", "an output coordinate computed from the compressed indices"),
    ),
    details=PLANAR_DETAILS + (
        Detail("wasted_products", "products",
               "products computed that reach no accumulator (a placeholder entry, or an output outside the plane): "
               "they occupy a multiplier slot"),
    ),
    engine="engine:ScnnEngine",
    doc="docs/scnn.md",
    example="scnn_like.yaml",
    hardware=_scnn_hardware,
)
