"""N:M sparse weight-stationary systolic array, modelled as SCALE-Sim 3.0.0 models layer-wise and row-wise N:M,
skipping all-zero weight tiles when asked (``docs/structured.md``).

The declaration the registry lists; the model is :mod:`.engine` (the fold schedule is the dense systolic
array's, :mod:`accelsim.accelerators.systolic.folds`, on the condensed reduction dimension)."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Detail, Param
from accelsim.accelerators.systolic import MAPPING, MAPPING_DETAILS
from accelsim.cost.parts import crossbar_part, mac_part, sram_bit_part
from accelsim.schema import Bool, SetOf

#: Patterns a machine may declare: layer-wise N:M (N <= M/2, M a power of two up to 8: SCALE-Sim's constraint)
#: and row-wise row:M (SCALE-Sim's OptimizedMapping with BlockSize M: each weight row its own N <= M/2).
PATTERNS = ("1:2", "1:4", "2:4", "1:8", "2:8", "4:8", "row:4", "row:8")


def _hardware(hw, node: int) -> tuple:
    """One MAC per PE; N:M metadata read from the weight SRAM at its energy per bit; per PE an M-to-1
    activation multiplexer for the largest M of ``nm_patterns``."""
    m = max(int(pattern.split(":")[1]) for pattern in hw.nm_patterns)   # row:M too
    return (mac_part(hw, node, hw.pe_count, {"op": "op"}),
            sram_bit_part("metadata", "read_bits", hw.buffers_holding("weights")[0], node, "N:M metadata"),
            crossbar_part("mux", "select", m, 1, hw.data_widths.activation_bits, hw.pe_count, node,
                          f"{m}-to-1 activation multiplexer per PE"))


SPEC = AcceleratorSpec(
    name="nm_systolic",
    summary="weight-stationary systolic array that skips the zeros of N:M weights (SCALE-Sim 3.0.0 layer-wise and "
            "row-wise models) and, if asked, all-zero weight tiles",
    skips_zeros=False,
    layer_kinds=None,
    params=(
        Param("nm_patterns", SetOf(PATTERNS),
              "the weight patterns the array accelerates: layer-wise N:M (Ampere: [2:4]) and row-wise row:M "
              "(each weight row its own N <= M/2 of every M, M/2 slots per group); a layer whose mask fits none "
              "runs dense"),
        Param("skip_empty_tiles", Bool(),
              "true: a fold whose weight tile (the fold's rows x cols of the weight matrix as the array holds "
              "it) is all zeros is skipped, its non-empty bit read before the weight load", typical=(False, True),
              default=False),
        MAPPING,
    ),
    required_holds=frozenset({"weights", "input_activations", "output_activations"}),
    actions=(
        Action("mac", "op", "MAC", "one multiply-accumulate of a stored weight slot (padding slots included)"),
        Action("metadata", "read_bits", "bit", "a bit of N:M position metadata read with its weight, or a "
               "tile's non-empty bit read before its fold"),
        Action("mux", "select", "selection", "one input picked by a PE's M-to-1 multiplexer for its weight"),
    ),
    details=MAPPING_DETAILS + (
        Detail("nm_n", "weights", "N of the N:M pattern the layer ran at (0: it ran dense)"),
        Detail("nm_m", "weights", "M of the N:M pattern the layer ran at (0: it ran dense)"),
        Detail("nm_row_wise", "flag", "1: the layer ran in row-wise mode (row:M, nm_n = M/2)"),
        Detail("skipped_folds", "folds", "folds skipped because their weight tile is all zeros"),
    ),
    engine="engine:NMSystolicEngine",
    doc="docs/structured.md",
    example="nm_systolic.yaml",
    structured_by="nm_patterns",
    hardware=_hardware,
)
