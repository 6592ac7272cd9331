"""EIE (Han et al., ISCA 2016): compressed sparse matrix x sparse vector on PEs with activation FIFOs
(``docs/eie.md``). The declaration the registry lists; the model is :mod:`.engine` (compiler: :mod:`.plan`)."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Detail, Param
from accelsim.cost.parts import mac_part, register_file_part
from accelsim.schema import Int
from accelsim.workloads.layers import LSTM, Attention, Embedding, Linear



def _hardware(hw, node: int) -> tuple:
    """One MAC per PE (a padding entry goes through it ungated) and an activation FIFO of
    ``activation_fifo_depth`` entries of activation + index bits, each entry written and read once."""
    widths = hw.data_widths
    return (mac_part(hw, node, hw.pe_count, {"op": "op", "padding_op": "op"}),
            register_file_part("fifo", hw.pe.activation_fifo_depth, widths.activation_bits + widths.index_bits,
                               hw.pe_count, node, {"push": 2}, "activation FIFO"))


SPEC = AcceleratorSpec(
    name="eie",
    summary="EIE: CSC sparse matrix x sparse vector; FC, LSTM, embedding and attention layers",
    skips_zeros=True,
    layer_kinds=(Linear, LSTM, Embedding, Attention),
    params=(
        Param("pe.activation_fifo_depth", Int(1, 2**20, "entries"),
              "queue of broadcast activations per PE; the broadcaster waits while any PE's queue is full",
              typical=(1, 2, 4, 8), resource=True),
        Param("data_widths.index_bits", Int(1, 64, "bits"),
              "relative row index stored with each non-zero (a longer zero run stores a padding entry)"),
        Param("data_widths.pointer_bits", Int(1, 64, "bits"), "column pointer into a PE's sparse-matrix SRAM"),
        Param("data_widths.codebook_bits", Int(1, 16, "bits"),
              "a weight is an index into 2**codebook_bits shared weight_bits-wide values"),
    ),
    required_holds=frozenset({"weights", "pointers", "input_activations", "output_activations"}),
    actions=(
        Action("mac", "op", "MAC", "one multiplication of a non-zero weight and a non-zero activation"),
        Action("mac", "padding_op", "MAC", "a padding entry (zero weight) passed through the multiplier"),
        Action("fifo", "push", "entry", "a broadcast activation pushed into one PE's FIFO"),
    ),
    details=(
        Detail("load_balance_efficiency", "fraction",
               "EIE's Fig. 8 measure, 1 - bubble cycles / total cycles: the stored entries the PEs' "
               "multipliers processed (one a cycle; a cycle on a column with no entry in the PE is a bubble) / "
               "(PEs x cycles of the FIFO schedules), over all steps; Table IV's theoretical / actual time"),
        Detail("padding_products", "MAC", "multiplications of a padding entry (a stored zero that breaks a long "
               "run of zeros), over all steps"),
        Detail("fifo_full_cycles", "cycles", "cycles the broadcast of an activation waited for a free slot in "
               "a full FIFO, over all steps"),
        Detail("reload_stall_cycles", "cycles", "cycles the broadcast paused while the PEs reloaded their source "
               "registers from the activation SRAM between input batches, over all steps"),
        Detail("resident", "1/0", "1 if the layer's weights stay in the PEs' SRAM (the model's residency plan), "
               "0 if they stream from DRAM for every input vector"),
        Detail("passes", "passes", "broadcasts of the input per vector: outputs per PE / destination registers, "
               "rounded up"),
        Detail("input_batches", "batches", "input batches per pass: input length / the vector the source "
               "registers hold, rounded up"),
        Detail("weight_tiles", "tiles", "column tiles a pass of the weights is cut into to stream through half "
               "the weight SRAM (1 when resident; the largest over the layer's matrices)"),
        Detail("pes_used", "PEs", "PEs the layer's rows are interleaved over (the mapper's choice; the others "
               "idle)"),
    ),
    engine="engine:EieEngine",
    doc="docs/eie.md",
    example="eie_like.yaml",
    hardware=_hardware,
)
