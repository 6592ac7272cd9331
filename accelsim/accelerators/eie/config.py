"""The EIE parameters of a hardware description (layer 5): what :mod:`.plan` reads of ``hw``.

EIE (Han et al., ISCA 2016; ``docs/eie.md``): N PEs, each with an activation FIFO, a sparse-matrix SRAM of
(codebook index, zero count) entries, a pointer SRAM, a source and a destination activation register file
and an activation SRAM behind them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.errors import ConfigError
from accelsim.hardware.schema import HardwareConfig
from accelsim.units import bits_to_bytes, bytes_holding_bits, ceil_div

#: Children per node of the leading-non-zero-detection tree (EIE Sec. IV: a quadtree of LNZD nodes).
LNZD_FANIN = 4
#: PE pipeline stages after the activation FIFO: pointer read, sparse-matrix read and the four arithmetic
#: stages of Sec. VI (codebook lookup + address accumulation, activation read + multiply, shift and add,
#: activation write). They add fill/drain latency once per pass, never throughput.
PE_PIPELINE_STAGES = 6


@dataclass(frozen=True)
class EieConfig:
    """The EIE parameters of a hardware description.

    ``rf_activations``: activations in one register file of one PE (the smallest buffer holding
    activations, split in a source and a destination file); ``sram_activations``: activations the largest
    such buffer (the activation SRAM) holds per PE, ``act_width_bits`` its word, ``act_reads_per_cycle`` /
    ``act_writes_per_cycle`` the words it reads / writes a cycle (banks x ports); ``spmat_bytes`` /
    ``ptr_bytes``: sparse-matrix and pointer SRAM per PE; ``row_entries``: entries per sparse-matrix SRAM
    word; ``pointer_reads_per_cycle``: pointers the PE reads a cycle (its pointer SRAM's banks x read ports,
    one pointer per access). ``spmat``, ``ptr``, ``rf``, ``sram``: the names of those buffers (the
    components the counts name).
    """

    n_pes: int
    fifo_depth: int
    index_bits: int
    codebook_bits: int
    pointer_bits: int
    weight_bits: int
    activation_bits: int
    spmat_bytes: int
    ptr_bytes: int
    row_entries: int
    pointer_reads_per_cycle: int
    rf_activations: int
    sram_activations: int
    act_width_bits: int
    act_reads_per_cycle: int
    act_writes_per_cycle: int
    spmat: str
    ptr: str
    rf: str
    sram: str

    @classmethod
    def from_hw(cls, hw: HardwareConfig) -> EieConfig:
        spmat, ptr = hw.buffers_holding("weights")[0], hw.buffers_holding("pointers")[0]
        acts = sorted(hw.buffers_holding("input_activations"), key=lambda b: (b.size_bytes, b.name))
        rf, sram = acts[0], acts[-1]
        widths = hw.data_widths
        entry_bits = widths.codebook_bits + widths.index_bits
        act_bytes = bits_to_bytes(widths.activation_bits)
        rf_acts = int(rf.size_bytes / 2 / act_bytes)        # a source and a destination file
        if rf_acts < 1 or spmat.width_bits < entry_bits:
            raise ConfigError("buffers too small for EIE", file=hw.source, key=f"buffers.{rf.name}",
                              expected="room for two activations and one sparse-matrix entry per word")
        return cls(n_pes=hw.pe_count, fifo_depth=hw.pe.activation_fifo_depth, index_bits=widths.index_bits,
                   codebook_bits=widths.codebook_bits, pointer_bits=widths.pointer_bits,
                   weight_bits=widths.weight_bits, activation_bits=widths.activation_bits,
                   spmat_bytes=spmat.size_bytes, ptr_bytes=ptr.size_bytes,
                   row_entries=spmat.width_bits // entry_bits,
                   pointer_reads_per_cycle=ptr.banks * ptr.read_ports, rf_activations=rf_acts,
                   sram_activations=int(sram.size_bytes / act_bytes), act_width_bits=sram.width_bits,
                   act_reads_per_cycle=sram.banks * sram.read_ports, act_writes_per_cycle=sram.banks * sram.write_ports,
                   spmat=spmat.name, ptr=ptr.name, rf=rf.name, sram=sram.name)

    @property
    def entry_bits(self) -> int:
        """Bits of one stored (v, z) entry."""
        return self.codebook_bits + self.index_bits

    @property
    def column_cycles(self) -> int:
        """Fewest cycles a PE spends on a broadcast column: the pointer stage reads p_j and p_j+1 (EIE Sec. IV:
        "two SRAM banks" so that both "can be read in one cycle"), two pointers at ``pointer_reads_per_cycle``
        a cycle, and takes at most one column a cycle (the broadcast rate)."""
        return max(1, ceil_div(2, self.pointer_reads_per_cycle))

    @property
    def activation_bytes(self) -> float:
        """Bytes of one activation."""
        return bits_to_bytes(self.activation_bits)

    @property
    def vector_batch(self) -> int:
        """Longest vector the register files hold across all PEs (activations)."""
        return self.rf_activations * self.n_pes

    @property
    def reload_cycles(self) -> int:
        """Cycles to refill one PE's source registers from its activation SRAM: its words, read
        ``act_reads_per_cycle`` (banks x read ports) a cycle."""
        return ceil_div(ceil_div(self.rf_activations * self.activation_bits, self.act_width_bits),
                        self.act_reads_per_cycle)

    def writeback_cycles(self, bits):
        """Cycles to write ``bits`` of outputs (an int or an integer array) into the activation SRAM: its
        words, written ``act_writes_per_cycle`` (banks x write ports) a cycle."""
        return ceil_div(ceil_div(bits, self.act_width_bits), self.act_writes_per_cycle)

    @property
    def pipeline_cycles(self) -> int:
        """Fill + drain latency of one pass: the LNZD tree levels and the PE's pipeline stages."""
        levels = math.ceil(math.log(self.n_pes, LNZD_FANIN) - 1e-9) if self.n_pes > 1 else 0
        return levels + PE_PIPELINE_STAGES

    @property
    def codebook_bytes(self) -> int:
        """DRAM bytes of one layer's codebook in every PE (2**codebook_bits shared weights)."""
        return bytes_holding_bits((2 ** self.codebook_bits) * self.weight_bits * self.n_pes)
