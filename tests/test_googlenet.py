"""GoogLeNet / Inception v1 (Caffe ``bvlc_googlenet``, 224x224x3): shapes, parameters and ops per row against
Szegedy et al. 2015 ("Going deeper with convolutions") Table 1, multiplies and largest layers against SCNN
(Parashar et al., ISCA 2017) Table 1, MACs against a closed form of the paper's channel counts.

The GoogLeNet paper's Table 1 prints params in K (1024 weights: the only unit in which any row matches its
own channel counts, e.g. conv2 64*64 + 64*192*9 = 114,688 = 112 K) and ops in M (10^6 multiply-adds), both as
whole numbers: a count agrees with the table when it is less than one printed unit away (rounded or
truncated). Rows whose printed value disagrees with the table's own channel counts are ``xfail``.
"""
import pytest

from accelsim.workloads import Conv2D, Linear
from accelsim.workloads import zoo
from accelsim.workloads.zoo.graph import caffe_pool

#: GoogLeNet paper Table 1, inception rows: input (channels, size) (the previous row's output size),
#: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, output depth, params (K), ops (M).
TABLE1 = {
    "3a": ((192, 28), 64, 96, 128, 16, 32, 32, 256, 159, 128),
    "3b": ((256, 28), 128, 128, 192, 32, 96, 64, 480, 380, 304),
    "4a": ((480, 14), 192, 96, 208, 16, 48, 64, 512, 364, 73),
    "4b": ((512, 14), 160, 112, 224, 24, 64, 64, 512, 437, 88),
    "4c": ((512, 14), 128, 128, 256, 24, 64, 64, 512, 463, 100),
    "4d": ((512, 14), 112, 144, 288, 32, 64, 64, 528, 580, 119),
    "4e": ((528, 14), 256, 160, 320, 32, 128, 128, 832, 840, 170),
    "5a": ((832, 7), 256, 160, 320, 32, 128, 128, 832, 1072, 54),
    "5b": ((832, 7), 384, 192, 384, 48, 128, 128, 1024, 1388, 71),
}
BRANCHES = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool_proj")
AUX = ("loss1/conv", "loss1/fc", "loss1/classifier", "loss2/conv", "loss2/fc", "loss2/classifier")


@pytest.fixture(scope="module")
def model():
    return zoo.build("googlenet")


def module_layers(model, name):
    return [model.layer(f"inception_{name}/{branch}") for branch in BRANCHES]


def module_weights(row):
    """Closed form: weights of one module from its Table 1 row."""
    (c, _), c1, c3r, c3, c5r, c5, proj = row[:7]
    return c * (c1 + c3r + c5r + proj) + 9 * c3r * c3 + 25 * c5r * c5


def module_macs(row):
    (_, size), *_ = row
    return size * size * module_weights(row)


STEM_MACS = 112 * 112 * 7 * 7 * 3 * 64 + 56 * 56 * (64 * 64 + 9 * 64 * 192)   # conv1, conv2 reduce + 3x3


#: Modules whose printed params (K) or ops (M) are a unit or more from the table's own channel counts
#: (module_weights, module_macs).
PARAMS_OFF = {"3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"}
OPS_OFF = {"5a"}


def within_print(value, printed):
    """Less than one printed unit from ``printed`` (the table rounds or truncates to whole units)."""
    return abs(value - printed) < 1


def table_rows(off, measured, column, unit):
    """One parameter per module; those in ``off`` xfail (strict), their reason the measured and printed values."""
    return [pytest.param(name, id=name, marks=pytest.mark.xfail(strict=True, reason=(
        f"measured {measured(name):.2f} {unit} vs GoogLeNet Table 1 {TABLE1[name][column]} {unit}")))
            if name in off else name for name in TABLE1]


def test_module_shapes_and_names(model):
    """Each module reads the previous row's output (Table 1: 28x28x192 into 3a, 28x28x256 into 3b, ...); its
    six Caffe-named convolutions pad to keep the size; pool_proj reads the module's input (after the 3x3
    stride-1 pad-1 max pool, same size); the four branch outputs concatenate to the table's depth."""
    for name, row in TABLE1.items():
        (c, size), c1, c3r, c3, c5r, c5, proj, depth = row[:8]
        layers = dict(zip(BRANCHES, module_layers(model, name)))
        assert {layer.in_h for layer in layers.values()} == {size} == {layer.out_h for layer in layers.values()}
        assert [layers[b].in_channels for b in ("1x1", "3x3_reduce", "5x5_reduce", "pool_proj")] == [c] * 4
        assert (layers["3x3"].in_channels, layers["5x5"].in_channels) == (c3r, c5r)
        assert [layer.out_channels for layer in layers.values()] == [c1, c3r, c3, c5r, c5, proj]
        assert (layers["3x3"].padding, layers["5x5"].padding) == ((1,) * 4, (2,) * 4)
        assert c1 + c3 + c5 + proj == depth
    assert model.layer("loss3/classifier").weight_shape == (1000, 1024)


def test_stem_sizes(model):
    """Table 1: 7x7/2 conv to 112x112x64, max pool 3x3/2 to 56x56x64, 3x3/1 conv to 56x56x192, max pool 3x3/2
    to 28x28x192 (Caffe rounds pool outputs up: (112 - 3) / 2 + 1 = 55.5 -> 56)."""
    conv1, reduce, conv2 = (model.layer(n) for n in ("conv1/7x7_s2", "conv2/3x3_reduce", "conv2/3x3"))
    assert (conv1.in_h, conv1.stride, conv1.padding, conv1.out_h, conv1.out_channels) == (224, 2, (3,) * 4, 112, 64)
    assert (reduce.in_h, reduce.in_channels, reduce.out_channels, reduce.kernel_h) == (56, 64, 64, 1)
    assert (conv2.in_h, conv2.out_h, conv2.in_channels, conv2.out_channels) == (56, 56, 64, 192)


def test_caffe_pool_rounds_up_and_clips_windows_starting_in_padding():
    """Caffe's pooling_layer: ceil((size + 2 pad - kernel) / stride) + 1, minus one if the last window starts
    in the padding. By hand: 112 k3 s2 -> 56; 14 k5 s3 -> 4; 28 k3 s1 p1 -> 28; 5 k2 s2 p1 -> ceil(2.5) + 1 = 4,
    whose last window starts at 3*2 = 6 >= 5 + 1 -> 3."""
    assert caffe_pool((1, 112, 112), 3, 2) == (1, 56, 56)
    assert caffe_pool((1, 14, 14), 5, 3) == (1, 4, 4)
    assert caffe_pool((1, 28, 28), 3, 1, pad=1) == (1, 28, 28)
    assert caffe_pool((1, 5, 5), 2, 2, pad=1) == (1, 3, 3)


def measured_weights_k(name):
    return module_weights(TABLE1[name]) / 1024


def measured_macs_m(name):
    return module_macs(TABLE1[name]) / 1e6


def test_module_counts_closed_form(model):
    """Weights and MACs of every module equal the closed form of its Table 1 channel counts."""
    for name, row in TABLE1.items():
        layers = module_layers(model, name)
        assert sum(layer.weight_count for layer in layers) == module_weights(row)
        assert sum(layer.macs for layer in layers) == module_macs(row)


@pytest.mark.parametrize("name", table_rows(PARAMS_OFF, measured_weights_k, 8, "K params"))
def test_module_params_match_googlenet_table1(model, name):
    """GoogLeNet Table 1 params column, per inception module (weights, biases not included). Only 3a (and
    the conv2 row) agree with the channel counts; the others are 0.2% to 7.4% off, 4c by 34.5 K."""
    weights = sum(layer.weight_count for layer in module_layers(model, name))
    assert within_print(weights / 1024, TABLE1[name][8])


@pytest.mark.parametrize("name", table_rows(OPS_OFF, measured_macs_m, 9, "M ops"))
def test_module_ops_match_googlenet_table1(model, name):
    """GoogLeNet Table 1 ops column, per inception module: 5a prints 54 M where its channel counts give
    7*7*1,042,432 = 51.08 M (its params column, 1072 K, is also above the 1018 K of its channel counts)."""
    macs = sum(layer.macs for layer in module_layers(model, name))
    assert within_print(macs / 1e6, TABLE1[name][9])


def test_conv2_row_matches_googlenet_table1(model):
    """Table 1's convolution 3x3/1 row (depth 2: the 1x1 reduce and the 3x3): 112 K params, 360 M ops."""
    layers = [model.layer("conv2/3x3_reduce"), model.layer("conv2/3x3")]
    assert within_print(sum(layer.weight_count for layer in layers) / 1024, 112)
    assert within_print(sum(layer.macs for layer in layers) / 1e6, 360)


@pytest.mark.xfail(strict=True, reason="measured 9.19 K params, 118.01 M ops vs GoogLeNet Table 1 2.7 K, 34 M")
def test_conv1_row_matches_googlenet_table1(model):
    """Table 1's convolution 7x7/2 row prints 2.7 K params and 34 M ops; 7*7*3*64 = 9,408 weights at
    112*112 outputs are 9.19 K and 118.01 M."""
    conv1 = model.layer("conv1/7x7_s2")
    assert within_print(conv1.weight_count / 1024, 2.7) and within_print(conv1.macs / 1e6, 34)


def test_multiplies_match_scnn_table1(model):
    """SCNN Table 1: GoogLeNet, 54 conv layers, 1.1 B multiplies. The 54 are the inception modules'
    convolutions (1,103,972,352 MACs, closed form from the GoogLeNet paper's channel counts); with the stem's
    three the 57 convolutions do 1,581,647,872 (1.6 B), which is not what SCNN counted."""
    convs = [layer for layer in model.inference_layers if isinstance(layer, Conv2D)]
    modules = [layer for layer in convs if layer.name.startswith("inception_")]
    module_total = sum(module_macs(row) for row in TABLE1.values())
    assert (len(convs), len(modules)) == (57, 54)
    assert module_total == 1_103_972_352
    assert sum(layer.macs for layer in modules) == module_total
    assert round(module_total / 1e9, 1) == 1.1
    assert sum(layer.macs for layer in convs) == module_total + STEM_MACS == 1_581_647_872
    assert model.macs == 1_581_647_872 + 1024 * 1000


def test_largest_conv_layer_matches_scnn_table1(model):
    """SCNN Table 1 (2-byte values): max layer weights 1.32 MB, max layer activations 1.52 MB. Hand-derived:
    inception_5b/3x3 holds 192*384*9 = 663,552 weights (1.33 MB); conv1/7x7_s2's output is 112*112*64 =
    802,816 values (1.53 MiB)."""
    convs = [layer for layer in model.inference_layers if isinstance(layer, Conv2D)]
    largest = max(convs, key=lambda layer: layer.weight_count)
    assert (largest.name, largest.weight_count) == ("inception_5b/3x3", 192 * 384 * 9)
    assert max(max(layer.input_elements, layer.output_elements) for layer in convs) == 112 * 112 * 64


def test_auxiliary_classifiers_are_counted_not_run(model):
    """GoogLeNet paper Sec. 5: each auxiliary classifier is a 5x5/3 average pool (4x4x512 on 4a, 4x4x528 on
    4d), a 1x1 convolution with 128 filters, a 1024-unit fully connected layer and a 1000-way classifier; they
    are discarded at inference. Parameters, by hand: 512*128 + 128 + 2048*1024 + 1024 + 1024*1000 + 1000 =
    3,188,840 (loss1) and 3,190,888 (loss2, 528 input channels)."""
    layers = {name: model.layer(name) for name in AUX}
    assert not any(layer.at_inference for layer in layers.values())
    assert all(layer.at_inference for layer in model.layers if layer.name not in AUX)
    assert (layers["loss1/conv"].in_channels, layers["loss2/conv"].in_channels) == (512, 528)
    assert {layers[n].in_h for n in ("loss1/conv", "loss2/conv")} == {4}
    assert isinstance(layers["loss1/fc"], Linear) and layers["loss1/fc"].in_features == 4 * 4 * 128
    assert sum(layers[n].params for n in AUX[:3]) == 3_188_840
    assert sum(layers[n].params for n in AUX[3:]) == 3_190_888
    assert model.params == sum(layer.params for layer in model.inference_layers) + 3_188_840 + 3_190_888
