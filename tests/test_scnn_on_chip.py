"""SCNN's and DCNN's activations on chip between layers (``activations_on_chip``; docs/scnn.md, "Memory"):
a layer's outputs stay in the OARAMs as the next layer's inputs when they fit, worked by hand on two dense
layers whose tiles are one pixel per PE."""
import pytest
from conftest import hw_variant

from accelsim.study.single import simulate
from accelsim.workloads.layers import Conv2D, Linear
from accelsim.workloads.model import Model

#: Two 1x1 convolutions on an 8 x 8 plane: one pixel per PE, 16 -> 16 -> 16 channels.
CHAIN = Model("chain", "test", (Conv2D("a", in_channels=16, out_channels=16, in_h=8, in_w=8),
                                Conv2D("b", in_channels=16, out_channels=16, in_h=8, in_w=8)))


@pytest.mark.parametrize("on_chip", [False, True])
def test_dense_chain_crosses_dram_only_at_its_ends(on_chip):
    """DCNN, 16-bit activations: each layer's input is 16 x 64 x 2 = 2,048 B and its output the same; its weights
    16 x 16 x 2 = 512 B. Through DRAM: a reads 2,048 + 512 and writes 2,048, b the same. On chip (every tile's
    16 outputs x 16 bits fit the 10 KB OARAM): a reads its input and weights and keeps its output, b reads only
    its weights and writes its output."""
    hw = hw_variant("dcnn", {"activations_on_chip": on_chip})
    layers = simulate(CHAIN, hw).layers.set_index("layer")
    if on_chip:
        assert layers.dram_read_bytes.tolist() == [2048 + 512, 512]
        assert layers.dram_write_bytes.tolist() == [0, 2048]
        assert layers.inputs_on_chip.tolist() == [0, 1] and layers.outputs_on_chip.tolist() == [1, 0]
    else:
        assert layers.dram_read_bytes.tolist() == [2048 + 512] * 2
        assert layers.dram_write_bytes.tolist() == [2048] * 2


def test_inputs_that_do_not_fit_the_iaram_are_spilled_and_read_back():
    """With a 16-byte IARAM a tile's 16 inputs of 16 bits (32 B) do not fit: b spills a's outputs from the OARAMs
    to DRAM (2,048 B, counted in b's row) and streams them back with its weights; a, the first layer, reads
    its input from DRAM as always. Every byte written is read back once: 2 x 2,048 written in all."""
    hw = hw_variant("dcnn", {"activations_on_chip": True, "buffers.iaram.size_bytes": 16})
    layers = simulate(CHAIN, hw).layers.set_index("layer")
    assert layers.dram_read_bytes.tolist() == [2048 + 512, 2048 + 512]
    assert layers.dram_write_bytes.tolist() == [0, 2048 + 2048]
    assert layers.inputs_on_chip.tolist() == [0, 0] and layers.outputs_on_chip.tolist() == [1, 0]


def test_a_fully_connected_layer_takes_its_inputs_through_dram():
    """A convolution followed by a fully connected layer writes its outputs (16 x 64 x 2 = 2,048 B) to DRAM,
    and the FC layer reads them (1,024 inputs) with its 16 x 1,024 x 2 = 32 KiB of weights: only convolutions
    hand over on chip."""
    model = Model("head", "test", (CHAIN.layers[0], Linear("fc", in_features=1024, out_features=16)))
    layers = simulate(model, hw_variant("dcnn", {"activations_on_chip": True})).layers.set_index("layer")
    assert layers.dram_write_bytes["a"] == 2048 and layers.outputs_on_chip["a"] == 0
    assert layers.dram_read_bytes["fc"] == 2048 + 32768
