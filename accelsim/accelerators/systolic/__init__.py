"""Dense systolic array, weight-, output- or input-stationary (SCALE-Sim's compute model; ``docs/scalesim_crosscheck.md``).

The declaration the registry lists; the model is :mod:`.engine` (fold schedule in :mod:`.folds`)."""
from accelsim.accelerators.spec import AcceleratorSpec, Action, Detail, Param
from accelsim.cost.parts import mac_part
from accelsim.schema import OneOf

DATAFLOWS = ("ws", "os", "is")

#: The array's mapping key, shared with the N:M array (declared here once): SCALE-Sim 3.0.0's fixed mapping,
#: or each layer's mapping searched (``docs/scalesim_crosscheck.md``, "Mapping").
MAPPING = Param("mapping", OneOf(("search", "scalesim")),
                "search: each layer's fold order, array part, stream tiles, partial-sum handling and DRAM step "
                "chosen for least latency (then energy, then DRAM bytes); scalesim: SCALE-Sim 3.0.0's fixed "
                "mapping (the cross-check)", typical=("search", "scalesim"), default="search")

#: The mapping a layer ran with, as ``layers.csv`` columns (both systolic arrays report them).
MAPPING_DETAILS = (
    Detail("map_rows_outer", "flag", "1: row folds outer, column folds inner; 0: column folds outer (SCALE-Sim's)"),
    Detail("map_rows", "PEs", "array rows the layer's folds use (the rest idle, bypassed)"),
    Detail("map_cols", "PEs", "array columns the layer's folds use"),
    Detail("map_stream_tiles", "tiles", "tiles the streamed dimension is cut into (each re-preloads the array)"),
    Detail("map_psum_spill", "flag", "1: partial sums go to DRAM and back between row folds; 0: kept on chip"),
    Detail("map_step_bytes", "bytes", "DRAM fetch per step at most (the double buffer's half it uses)"),
)

SPEC = AcceleratorSpec(
    name="systolic",
    summary="dense rows x cols systolic array (WS, OS or IS), SCALE-Sim's compute model",
    skips_zeros=False,
    layer_kinds=None,
    params=(
        Param("dataflow", OneOf(DATAFLOWS),
              "what stays in the PEs: ws weights, os outputs, is inputs; the others stream through",
              typical=DATAFLOWS),
        MAPPING,
    ),
    required_holds=frozenset({"weights", "input_activations", "output_activations"}),
    actions=(
        Action("mac", "op", "MAC", "one multiply-accumulate (zeros included: a dense machine multiplies them)"),
    ),
    details=MAPPING_DETAILS,
    engine="engine:SystolicEngine",
    doc="docs/scalesim_crosscheck.md",
    example="dense_edge.yaml",
    hardware=lambda hw, node: (mac_part(hw, node, hw.pe_count, {"op": "op"}),),
)
