"""How long on-chip buffers need to serve a step: the bandwidth of banks and ports."""
from __future__ import annotations

import numpy as np

from accelsim.compile.program import Program

#: Tolerance of word counts computed from bit widths: 32.000000001 words take 1 cycle at 32 words a cycle.
_EPSILON = 1e-9


def sram_step_cycles(program: Program, hw) -> np.ndarray:
    """(steps, PEs) cycles each PE's step needs at least for its buffers to serve it; 0 where none is named.

    A buffer instance has ``banks`` banks, each serving ``read_ports`` reads and ``write_ports`` writes of one
    ``width_bits`` word per cycle, so it reads ``banks x read_ports`` and writes ``banks x write_ports`` words
    a cycle; a step that asks ``w`` words of it lasts at least ``ceil(w / that)`` cycles (reads and writes go
    through their own ports at once). The words of a step are assumed spread over its banks (interleaved
    addresses) and over the step (the buffer streams ahead of the PEs within the step): a bound on the
    rate, not a schedule of bank conflicts. ``hw``: the machine (its ``buffer(name)``)."""
    need = np.zeros(program.pe_cycles.shape, dtype=np.int64)
    for (name, action), words in program.sram_words.items():
        buffer = hw.buffer(name)
        ports = buffer.read_ports if action == "read_words" else buffer.write_ports
        cycles = np.ceil(words / (buffer.banks * ports) - _EPSILON).astype(np.int64)
        need = np.maximum(need, cycles)
    return need
