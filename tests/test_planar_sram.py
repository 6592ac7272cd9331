"""SCNN's and DCNN's buffer bandwidth (issue 16): the words a step reads from its PE's IARAM and writes into its
OARAM stretch the step when the buffer's banks and ports cannot serve them in its multiplier cycles (the
kernel's ``sram_step_cycles``; docs/scnn.md, "Buffer bandwidth"). Expected figures derived by hand here."""
import numpy as np
import pytest
from conftest import hw_variant

from accelsim.accelerators.engines import engine_for
from accelsim.sim.sram import sram_step_cycles
from accelsim.workloads.layers import Conv2D

#: DRAM that takes one cycle for each transfer of these small layers: no latency, 1000 bytes a cycle.
FAST_DRAM = {"bandwidth_bytes_per_cycle": 1000, "latency_cycles": 0}


def one_pe(engine: str, **changes):
    return hw_variant(engine, {"pe_array.rows": 1, "pe_array.cols": 1, "pe.multipliers_f": 4,
                               "pe.multipliers_i": 4, "pe.weight_fifo_entries": 50, "dram": FAST_DRAM, **changes})


@pytest.mark.parametrize("banks, ports, step", [(1, 1, 48), (2, 1, 24), (1, 2, 24), (4, 2, 16)])
def test_dcnn_step_waits_for_its_input_buffer(largest_groups, banks, ports, step):
    """Dense 1x1 convolution, C = 3 -> K = 4 channels on 4 x 4 pixels, one PE of F x I = 4 x 4 multipliers:
    one group (K = 4 fits), one weight block (4 x 3 = 12 entries <= the 50-entry FIFO), so the activation
    vector is the outer loop and each activation is read once: 16 pixels x 3 channels = 48 reads of one
    16-bit word each (IARAM 16 bits wide). Multipliers: 16 x 4 x 3 = 192 MACs / 16 = 12 cycles. The IARAM
    delivers banks x read ports words a cycle. The OARAM (one bank, one write port of 64-bit words) takes
    the 16 x 4 outputs of 16 bits, 16 words, in the same step: the step lasts
    max(12, ceil(48 / (banks x ports)), 16) cycles. DRAM: the 12 x 2 + 48 x 2 = 120 bytes loaded in 1 cycle,
    the 128 bytes written in 1 more: cycles = 1 + step + 1."""
    hw = one_pe("dcnn", **{"buffers.iaram.width_bits": 16, "buffers.iaram.banks": banks,
                           "buffers.iaram.read_ports": ports, "buffers.iaram.size_bytes": 1024})
    layer = Conv2D("pw", in_channels=3, out_channels=4, in_h=4, in_w=4)
    engine = engine_for(hw)
    program = engine.compile(layer)
    assert program.pe_cycles.tolist() == [[12]]
    assert program.sram_words[("iaram", "read_words")].tolist() == [[48.0]]
    assert program.sram_words[("oaram", "write_words")].tolist() == [[16.0]]
    assert sram_step_cycles(program, hw).tolist() == [[step]]
    run = engine.execute(program)
    assert run.cycles == 1 + step + 1
    assert run.stall_sram_cycles == step - 12


@pytest.mark.parametrize("width, step", [(80, 4), (32, 10)])
def test_scnn_reads_its_activation_entries_with_their_index(largest_groups, width, step):
    """Dense 1x1 convolution, C = 1 -> K = 4 channels on 4 x 4 pixels, one PE of 4 x 4 multipliers, A = 32
    banks: one weight vector (the 4 channels) meets 4 activation vectors (16 pixels in raster order), 4
    steps of 16 products on distinct banks: 4 cycles. The 4 weights fit the FIFO, so each activation entry
    is read once: 16 entries of 16 + 4 index bits = 320 bits, 4 words of 80 bits (one I-vector a cycle, no
    stall) or 10 words of 32 bits (1 bank, 1 port: 10 cycles). The 64 outputs (dense: stored at the input's
    density 1, 20 bits each) are 20 words of 64 bits into an OARAM of 8 banks: 3 cycles, not the bound."""
    hw = one_pe("scnn", **{"buffers.iaram.width_bits": width, "buffers.iaram.size_bytes": 1000,
                           "buffers.oaram.banks": 8, "pe.accumulator_banks": 32})
    layer = Conv2D("pw", in_channels=1, out_channels=4, in_h=4, in_w=4)
    ones = np.ones(layer.weight_shape, bool), np.ones((1, 4, 4), bool)
    program = engine_for(hw).compile(layer, masks=ones[0], activations=ones[1])
    assert program.pe_cycles.tolist() == [[4]]
    assert program.sram_words[("iaram", "read_words")].tolist() == [[320 / width]]
    assert program.sram_words[("oaram", "write_words")].tolist() == [[20.0]]
    assert sram_step_cycles(program, hw).tolist() == [[step]]


@pytest.mark.parametrize("engine", ["scnn", "dcnn"])
@pytest.mark.parametrize("fifo", [1, 50])
@pytest.mark.parametrize("stride", [1, 2])
def test_step_words_add_up_to_the_counted_accesses(engine, fifo, stride):
    """The words the steps ask of the buffers are the buffer accesses the energy counts, step by step: their
    sum over steps and PEs is the layer's ``iaram.read_words`` and ``oaram.write_words`` (with the weights
    in the FIFO, activation vector outer, and not, weight vector outer; stride 1 and 2)."""
    rng = np.random.default_rng(stride * 7 + fifo)
    layer = Conv2D("c", in_channels=6, out_channels=10, kernel_h=3, kernel_w=3, in_h=12, in_w=11, stride=stride,
                   padding=(1, 1, 1, 1))
    hw = hw_variant(engine, {"pe_array.rows": 2, "pe_array.cols": 2, "pe.weight_fifo_entries": fifo})
    program = engine_for(hw).compile(layer, masks=rng.random(layer.weight_shape) < 0.4,
                                     activations=rng.random((6, 12, 11)) < 0.6)
    for key in (("iaram", "read_words"), ("oaram", "write_words")):
        assert program.sram_words[key].sum() == pytest.approx(program.counts.get(key), rel=1e-12)
