"""EIE (Han et al., ISCA 2016): compressed sparse matrix x sparse vector on PEs with activation FIFOs
(``docs/eie.md``). The declaration the registry lists; the model is :mod:`.engine`."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Param
from accelsim.schema import Int
from accelsim.workloads.layers import LSTM, Attention, Embedding, Linear

SPEC = AcceleratorSpec(
    name="eie",
    summary="EIE: CSC sparse matrix x sparse vector; FC, LSTM, embedding and attention layers",
    skips_zeros=True,
    layer_kinds=(Linear, LSTM, Embedding, Attention),
    params=(
        Param("pe.activation_fifo_depth", Int(1, 2**20, "entries"),
              "queue of broadcast activations per PE; the broadcaster waits while any PE's queue is full",
              typical=(1, 2, 4, 8)),
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
        Action("dram", "read_bytes", "byte", "a byte read from DRAM"),
        Action("dram", "write_bytes", "byte", "a byte written to DRAM"),
        Action("fifo", "push", "entry", "a broadcast activation pushed into one PE's FIFO"),
    ),
    details=(),
    engine="engine:EieEngine",
    doc="docs/eie.md",
    example="eie_like.yaml",
)
