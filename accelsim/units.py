"""Units and the only conversions between them (layer 0).

Names carry their unit: ``_bits``, ``_bytes``, ``_cycles``, ``_s``, ``_hz``, ``_pj``. Simulated time is an
``int`` number of cycles of the accelerator's clock; seconds appear only in reports.
"""
from __future__ import annotations

import math

BITS_PER_BYTE = 8
MB = 10**6          # bytes in a megabyte, as the paper counts (Table 5, 6)
PJ_PER_J = 10**12
PJ_PER_UJ = 10**6
MS_PER_S = 10**3


def bits_to_bytes(bits: float) -> float:
    """Bits -> bytes (not rounded: a packed stream of 12 bits is 1.5 bytes)."""
    return bits / BITS_PER_BYTE


def bytes_to_bits(n_bytes: float) -> float:
    """Bytes -> bits."""
    return n_bytes * BITS_PER_BYTE


def bits_to_whole_bytes(bits: int) -> int:
    """Bits -> the whole bytes they fill (rounded down: a word of 12 bits fills 1 byte)."""
    return bits // BITS_PER_BYTE


def bytes_to_mb(n_bytes: float) -> float:
    """Bytes -> MB with MB = 10**6 bytes."""
    return n_bytes / MB


def bits_to_mb(bits: float) -> float:
    """Bits -> MB with MB = 10**6 bytes (not rounded)."""
    return bytes_to_mb(bits_to_bytes(bits))


def pj_to_uj(pj: float) -> float:
    """Picojoules -> microjoules."""
    return pj / PJ_PER_UJ


def average_power_mw(energy_pj: float, seconds: float) -> float:
    """Average power, mW, of ``energy_pj`` picojoules spent over ``seconds``: pJ/s x 1e-12 W/(pJ/s) x 1e3 mW/W."""
    return energy_pj / seconds * 1e-9


def seconds_to_ms(seconds: float) -> float:
    """Seconds -> milliseconds."""
    return seconds * MS_PER_S


def ceil_div(a: int, b: int) -> int:
    """Integer ceiling of a / b for non-negative a and positive b."""
    return -(-a // b)


def bytes_holding_bits(bits: int) -> int:
    """The whole bytes that hold ``bits`` (rounded up: 12 bits take 2 bytes)."""
    return ceil_div(bits, BITS_PER_BYTE)


def cycles_to_seconds(cycles: float, clock_hz: float) -> float:
    """Cycles at ``clock_hz`` -> seconds."""
    return cycles / clock_hz


def gbps_to_bytes_per_cycle(gb_per_s: float, clock_hz: float) -> float:
    """A bandwidth in GB/s (10**9 bytes per second) -> bytes per cycle at ``clock_hz``."""
    return gb_per_s * 1e9 / clock_hz


def transfer_cycles(n_bytes: float, bytes_per_cycle: float) -> int:
    """Whole cycles needed to move ``n_bytes`` at ``bytes_per_cycle`` (0 bytes take 0 cycles)."""
    if n_bytes <= 0:
        return 0
    return int(math.ceil(n_bytes / bytes_per_cycle - 1e-9))
