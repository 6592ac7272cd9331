"""Eyeriss v1 as Eyeriss v2's paper scales it (Chen et al., JETCAS 2019, Table V): 192 dense PEs, one MAC
each, the same storage and precision (``docs/eyeriss_v2.md``). Its PEs multiply every pair. The declaration
the registry lists: Eyeriss v2's keys, actions and details; the model is :mod:`.engine` (Eyeriss v2's mapper
and schedule with a dense PE)."""
from dataclasses import replace

from accelsim.accelerators.eyeriss_v2 import SPEC as EYERISS_V2

SPEC = replace(
    EYERISS_V2,
    name="eyeriss_v1",
    summary="Eyeriss v1 scaled as in Eyeriss v2's paper: dense row-stationary PEs, one MAC each",
    skips_zeros=False,
    engine="engine:EyerissV1Engine",
    example="eyeriss_v1.yaml",
)
