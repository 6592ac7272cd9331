"""Dense systolic array, weight-, output- or input-stationary (SCALE-Sim's compute model; ``docs/scalesim_crosscheck.md``).

The declaration the registry lists; the model is :mod:`.engine` (fold schedule in :mod:`.folds`)."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Param
from accelsim.schema import OneOf

DATAFLOWS = ("ws", "os", "is")

SPEC = AcceleratorSpec(
    name="systolic",
    summary="dense rows x cols systolic array (WS, OS or IS), SCALE-Sim's compute model",
    skips_zeros=False,
    layer_kinds=None,
    params=(
        Param("dataflow", OneOf(DATAFLOWS),
              "what stays in the PEs: ws weights, os outputs, is inputs; the others stream through",
              typical=DATAFLOWS),
    ),
    required_holds=frozenset({"weights", "input_activations", "output_activations"}),
    actions=(
        Action("mac", "op", "MAC", "one multiply-accumulate (zeros included: a dense machine multiplies them)"),
    ),
    details=(),
    engine="engine:SystolicEngine",
    doc="docs/scalesim_crosscheck.md",
    example="dense_edge.yaml",
)
