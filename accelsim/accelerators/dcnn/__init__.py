"""DCNN, SCNN's dense baseline (Parashar et al., ISCA 2017): SCNN's PEs, buffers and planar tiling, dense
(``docs/scnn.md``). The declaration the registry lists; the model is :mod:`.engine`."""
from accelsim.accelerators.scnn import PE_PARAMS, PLANAR_ACTIONS, PLANAR_DETAILS, SEQUENCER_PARAMS, planar_hardware
from accelsim.accelerators.spec import AcceleratorSpec

SPEC = AcceleratorSpec(
    name="dcnn",
    summary="DCNN: SCNN's PEs, buffers and planar tiling, dense (SCNN's fair dense baseline)",
    skips_zeros=False,
    layer_kinds=None,
    params=PE_PARAMS + SEQUENCER_PARAMS,
    required_holds=frozenset({"input_activations", "output_activations"}),
    actions=PLANAR_ACTIONS,
    details=PLANAR_DETAILS,
    engine="engine:DcnnEngine",
    doc="docs/scnn.md",
    example="dcnn.yaml",
    hardware=lambda hw, node: planar_hardware(hw, node, hw.data_widths.weight_bits),
)
