"""VGG-16 (configuration D, 224x224x3): parameters against Simonyan & Zisserman 2015 Table 2 and a hand-derived
closed form, multiplies and largest layers against SCNN (Parashar et al., ISCA 2017) Table 1."""
from accelsim.workloads import Conv2D, Linear
from accelsim.workloads import zoo

#: Configuration D (Simonyan & Zisserman 2015, Table 1): (input size, input channels, output channels) of
#: each 3x3 pad-1 convolution; a 2x2 stride-2 max pool halves the size after each stage.
CONFIG_D = {
    "conv1_1": (224, 3, 64), "conv1_2": (224, 64, 64),
    "conv2_1": (112, 64, 128), "conv2_2": (112, 128, 128),
    "conv3_1": (56, 128, 256), "conv3_2": (56, 256, 256), "conv3_3": (56, 256, 256),
    "conv4_1": (28, 256, 512), "conv4_2": (28, 512, 512), "conv4_3": (28, 512, 512),
    "conv5_1": (14, 512, 512), "conv5_2": (14, 512, 512), "conv5_3": (14, 512, 512),
}
FC = {"fc6": (7 * 7 * 512, 4096), "fc7": (4096, 4096), "fc8": (4096, 1000)}


def convs(model):
    return [layer for layer in model.layers if isinstance(layer, Conv2D)]


def test_layers_follow_configuration_d():
    model = zoo.build("vgg16")
    assert (model.name, model.family) == ("vgg16", "vgg16")
    assert [layer.name for layer in model.layers] == list(CONFIG_D) + list(FC)
    for name, (size, c, m) in CONFIG_D.items():
        layer = model.layer(name)
        assert (layer.in_h, layer.in_w, layer.in_channels, layer.out_channels) == (size, size, c, m)
        assert (layer.kernel_h, layer.kernel_w, layer.stride, layer.padding) == (3, 3, 1, (1, 1, 1, 1))
        assert (layer.out_h, layer.bias) == (size, True)
    for name, (n_in, n_out) in FC.items():
        layer = model.layer(name)
        assert isinstance(layer, Linear) and (layer.in_features, layer.out_features, layer.bias) == (n_in, n_out, True)
    assert all(layer.prunable and layer.at_inference for layer in model.layers)


def test_params_closed_form_and_paper_table2():
    """Closed form from the layer shapes: 3x3 conv weights 9 * sum(c*m) = 14,710,464 plus 4,224 biases;
    fc 25,088*4096 + 4096*4096 + 4096*1000 = 123,633,664 weights plus 9,192 biases; 138,357,544 in all.
    Simonyan & Zisserman 2015, Table 2: configuration D has 138 M parameters."""
    model = zoo.vgg16()
    conv_weights = 9 * sum(c * m for _, c, m in CONFIG_D.values())
    assert conv_weights == 14_710_464
    assert sum(layer.weight_count for layer in convs(model)) == conv_weights
    closed_form = conv_weights + 4_224 + 123_633_664 + 9_192
    assert closed_form == 138_357_544
    assert model.params == closed_form
    assert round(model.params / 1e6) == 138


def test_conv_multiplies_match_scnn_table1():
    """SCNN Table 1: VGGNet has 13 conv layers and 15.3 B multiplies. Closed form:
    sum of size^2 * 9 * c * m = 15,346,630,656 (plus 123,633,664 in the fc layers)."""
    model = zoo.vgg16()
    conv_macs = sum(size * size * 9 * c * m for size, c, m in CONFIG_D.values())
    assert conv_macs == 15_346_630_656
    assert len(convs(model)) == 13
    assert sum(layer.macs for layer in convs(model)) == conv_macs
    assert round(conv_macs / 1e9, 1) == 15.3
    assert model.macs == conv_macs + 123_633_664


def test_largest_conv_layer_matches_scnn_table1():
    """SCNN Table 1 (2-byte values): max layer weights 4.49 MB, max layer activations 6.12 MB. Hand-derived:
    the 512 -> 512 3x3 convolutions hold 512*512*9 = 2,359,296 weights (4.5 MiB); conv1_1's output (conv1_2's
    input and output) is 224*224*64 = 3,211,264 values (6.125 MiB)."""
    layers = convs(zoo.vgg16())
    assert max(layer.weight_count for layer in layers) == 512 * 512 * 9 == 2_359_296
    assert max(max(layer.input_elements, layer.output_elements) for layer in layers) == 224 * 224 * 64
    assert 2 * 2_359_296 / 2**20 == 4.5 and 2 * 224 * 224 * 64 / 2**20 == 6.125
