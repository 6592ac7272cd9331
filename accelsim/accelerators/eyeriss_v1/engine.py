"""Eyeriss v1 as Eyeriss v2's paper scales it: Eyeriss v2's model with a dense PE (every pair multiplied, no
compressed-address pipeline stage)."""
from __future__ import annotations

from accelsim.accelerators.eyeriss_v2.engine import EyerissV2Engine


class EyerissV1Engine(EyerissV2Engine):
    """Dense PEs (``engine: eyeriss_v1``): masks are not given to a dense machine; zeros cost full MACs."""

    sparse = False
