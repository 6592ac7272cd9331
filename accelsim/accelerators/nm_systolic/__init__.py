"""N:M sparse weight-stationary systolic array, modelled as SCALE-Sim 3.0.0 models layer-wise N:M (``docs/structured.md``).

The declaration the registry lists; the model is :mod:`.engine` (the fold schedule is the dense systolic
array's, :mod:`accelsim.accelerators.systolic.folds`, on the condensed reduction dimension)."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Detail, Param
from accelsim.accelerators.systolic import MAPPING, MAPPING_DETAILS
from accelsim.schema import SetOf

#: N:M patterns a machine may declare (N <= M/2, M a power of two up to 8: SCALE-Sim's constraint).
PATTERNS = ("1:2", "1:4", "2:4", "1:8", "2:8", "4:8")

SPEC = AcceleratorSpec(
    name="nm_systolic",
    summary="weight-stationary systolic array that skips the zeros of N:M weights (SCALE-Sim 3.0.0 layer-wise model)",
    skips_zeros=False,
    layer_kinds=None,
    params=(
        Param("nm_patterns", SetOf(PATTERNS),
              "the N:M weight patterns the array accelerates (Ampere: [2:4]); a layer whose mask fits none "
              "runs dense"),
        MAPPING,
    ),
    required_holds=frozenset({"weights", "input_activations", "output_activations"}),
    actions=(
        Action("mac", "op", "MAC", "one multiply-accumulate of a stored weight slot (padding slots included)"),
        Action("metadata", "read_bits", "bit", "a bit of N:M position metadata read with its weight"),
        Action("mux", "select", "selection", "one input picked by a PE's M-to-1 multiplexer for its weight"),
    ),
    details=MAPPING_DETAILS + (
        Detail("nm_n", "weights", "N of the N:M pattern the layer ran at (0: it ran dense)"),
        Detail("nm_m", "weights", "M of the N:M pattern the layer ran at (0: it ran dense)"),
    ),
    engine="engine:NMSystolicEngine",
    doc="docs/structured.md",
    example="nm_systolic.yaml",
    structured_by="nm_patterns",
)
