"""InceptionV3 (TF-slim ``inception_v3``, 299x299x3): parameters against paper Table 1, shapes against
Szegedy et al. 2016 Table 1, MACs against published counts and hand-derived closed forms.

Counting choice under test (see ``accelsim.workloads.zoo.inception``): every convolution carries its batch-norm
``beta`` as a bias (TF-slim's batch norm has ``scale=False``: no ``gamma``); moving mean and variance are not
parameters; both classifiers are ``Linear`` layers with a bias.
"""
import pytest

from accelsim.errors import WorkloadError
from accelsim.reference import paper_table
from accelsim.workloads import Conv2D, Linear
from accelsim.workloads import zoo

AUX = ("AuxLogits/Conv2d_1b_1x1", "AuxLogits/Conv2d_2a_5x5", "AuxLogits/Conv2d_2b_1x1")


@pytest.fixture(scope="module")
def model():
    return zoo.inception_v3()


def convs(model):
    return [layer for layer in model.layers if isinstance(layer, Conv2D)]


def betas(layers):
    """One batch-norm beta per output channel of each convolution, in parameters."""
    return sum(layer.out_channels for layer in layers if isinstance(layer, Conv2D))


def test_params_match_paper_table1(model):
    """paper Table 1: the dense (0% sparsity) InceptionV3 has 27.1M parameters (within 2%)."""
    dense = paper_table(1).query("sparsity == 0").iloc[0]
    assert model.params == pytest.approx(dense["nnz_params"], rel=0.02)


def test_param_totals_with_and_without_beta_and_aux(model):
    """The four totals of the module docstring (1001 classes); both BN choices are within 0.2% of paper
    Table 1's 27.1M, so the paper's rounding cannot decide between them."""
    inference = model.inference_layers
    assert betas(model.layers) == 18_112
    assert betas(inference) == 17_216
    assert model.params == 27_145_970
    assert model.params - betas(model.layers) == 27_127_858
    assert sum(layer.params for layer in inference) == 23_819_401
    assert sum(layer.params for layer in inference) - betas(inference) == 23_802_185
    assert model.params == pytest.approx(27.1e6, rel=0.002)
    assert model.params - betas(model.layers) == pytest.approx(27.1e6, rel=0.002)


def test_params_cross_check_keras_and_torchvision():
    """Independent counts of the same network with 1000 classes. Keras Applications ``InceptionV3``
    (include_top, same scale=False batch norm, no auxiliary classifier), ``model.summary()``: 23,817,352
    trainable parameters. torchvision ``Inception_V3_Weights.IMAGENET1K_V1``: num_params 27,161,264, with the
    auxiliary classifier and batch norm that also learns gamma (one per beta)."""
    model = zoo.inception_v3(num_classes=1000)
    assert sum(layer.params for layer in model.inference_layers) == 23_817_352
    assert model.params + betas(model.layers) == 27_161_264


def test_aux_classifier_trained_but_not_run(model):
    """The auxiliary classifier is counted in params but is not part of an inference."""
    assert tuple(layer.name for layer in model.layers if not layer.at_inference) == AUX
    aux = [model.layer(name) for name in AUX]
    aux_params = sum(layer.params for layer in aux)
    assert aux_params == (768 * 128 + 128) + (128 * 768 * 25 + 768) + (768 * 1001 + 1001)
    assert model.params == sum(layer.params for layer in model.inference_layers) + aux_params
    assert model.macs == sum(layer.macs for layer in model.layers) - sum(layer.macs for layer in aux)


def test_aux_classifier_shapes(model):
    """TF-slim AuxLogits on Mixed_6e (17x17x768): 5x5/3 VALID average pool -> 5x5x768, 1x1 conv 128,
    5x5 VALID conv 768 -> 1x1, then a 1x1 conv (here Linear) to the classes."""
    conv_1b, conv_2a, logits = (model.layer(name) for name in AUX)
    assert (conv_1b.in_channels, conv_1b.in_h, conv_1b.in_w, conv_1b.out_channels) == (768, 5, 5, 128)
    assert (conv_2a.kernel_h, conv_2a.kernel_w, conv_2a.padding) == (5, 5, (0, 0, 0, 0))
    assert (conv_2a.out_h, conv_2a.out_w, conv_2a.out_channels) == (1, 1, 768)
    assert isinstance(logits, Linear) and logits.weight_shape == (1001, 768) and logits.bias


def test_stem_spatial_sizes(model):
    """299 -> 149 -> 147 -> 147 -> (max pool 3x3/2) 73 -> 73 -> 71 -> (max pool 3x3/2) 35."""
    stem = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3"]
    sizes = [(model.layer(n).in_h, model.layer(n).out_h) for n in stem]
    assert sizes == [(299, 149), (149, 147), (147, 147), (73, 73), (73, 71)]
    assert model.layer("Conv2d_1a_3x3").in_channels == 3
    assert model.layer("Conv2d_2b_3x3").padding == (1, 1, 1, 1)  # the one SAME convolution of the stem
    assert all(model.layer(n).padding == (0, 0, 0, 0) for n in stem if n != "Conv2d_2b_3x3")


def block_inputs(model, scope):
    """(channels, height, width) read by every ``Branch_*/Conv2d_0a_1x1`` of an inception block."""
    return {(layer.in_channels, layer.in_h, layer.in_w) for layer in model.layers
            if layer.name.startswith(scope + "/") and layer.name.endswith("Conv2d_0a_1x1")}


def test_block_shapes_match_szegedy_table1(model):
    """Szegedy et al. 2016 ("Rethinking the Inception Architecture"), Table 1, input sizes: 299x299x3 image;
    35x35x288 into the grid reduction after the three 35x35 modules (Mixed_6a); 17x17x768 into the five
    17x17 modules (Mixed_6a output); 8x8x1280 into the two 8x8 modules; 8x8x2048 into the final pool;
    1x1x2048 into the linear layer. Mixed_5b reads 35x35x192, as in TF-slim (the paper's table lists the
    288-channel size of the grid after Mixed_5c/5d, not Mixed_5b's input)."""
    assert block_inputs(model, "Mixed_5b") == {(192, 35, 35)}
    assert block_inputs(model, "Mixed_6a") == {(288, 35, 35)}
    for scope in ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a"):
        assert block_inputs(model, scope) == {(768, 17, 17)}
    assert block_inputs(model, "Mixed_7b") == {(1280, 8, 8)}
    assert block_inputs(model, "Mixed_7c") == {(2048, 8, 8)}
    # Mixed_7c's output: the concatenation of its branches' last convolutions, 8x8x2048.
    last = ["Branch_0/Conv2d_0a_1x1", "Branch_1/Conv2d_0b_1x3", "Branch_1/Conv2d_0c_3x1",
            "Branch_2/Conv2d_0c_1x3", "Branch_2/Conv2d_0d_3x1", "Branch_3/Conv2d_0b_1x1"]
    outputs = [model.layer(f"Mixed_7c/{name}") for name in last]
    assert {(layer.out_h, layer.out_w) for layer in outputs} == {(8, 8)}
    assert sum(layer.out_channels for layer in outputs) == 2048
    assert model.layer("Logits/Conv2d_1c_1x1").weight_shape == (1001, 2048)


def test_factorised_convolutions_pad_one_axis(model):
    """SAME padding of a 1x7 (7x1) convolution at 17x17 pads 3 pixels left/right (top/bottom) only."""
    assert model.layer("Mixed_6b/Branch_1/Conv2d_0b_1x7").padding == (0, 0, 3, 3)
    assert model.layer("Mixed_6b/Branch_1/Conv2d_0c_7x1").padding == (3, 3, 0, 0)
    assert model.layer("Mixed_7b/Branch_1/Conv2d_0b_3x1").padding == (1, 1, 0, 0)
    assert model.layer("Mixed_5b/Branch_1/Conv2d_0b_5x5").padding == (2, 2, 2, 2)


def test_total_macs_match_published_count(model):
    """Multiply-adds of one 299x299 inference: torchvision's model table lists 5.713 G ("GFLOPS", counted as
    multiply-adds) for inception_v3, timm's model card 5.7 GMACs; both 1000 classes, no auxiliary classifier.
    Allow 2%."""
    assert model.macs == pytest.approx(5.713e9, rel=0.02)
    assert model.macs == 5_713_218_144


def test_layer_macs_closed_form(model):
    """Hand-derived H_out*W_out*C_out*C_in*Kh*Kw:
    Conv2d_1a_3x3, 299 -> (299 - 3) // 2 + 1 = 149 (VALID, stride 2), 3 -> 32 channels, 3x3: 149*149*32*3*9;
    Mixed_6b/Branch_2/Conv2d_0e_1x7, 17x17 (SAME), 128 -> 192 channels, 1x7: 17*17*192*128*7;
    Mixed_6a/Branch_0/Conv2d_1a_1x1 (a 3x3 kernel despite its name), 35 -> (35 - 3) // 2 + 1 = 17, 288 -> 384:
    17*17*384*288*9."""
    assert model.layer("Conv2d_1a_3x3").macs == 149 * 149 * 32 * 3 * 3 * 3 == 19_181_664
    assert model.layer("Mixed_6b/Branch_2/Conv2d_0e_1x7").macs == 17 * 17 * 192 * 128 * 1 * 7 == 49_717_248
    layer = model.layer("Mixed_6a/Branch_0/Conv2d_1a_1x1")
    assert (layer.kernel_h, layer.kernel_w, layer.out_h) == (3, 3, 17)
    assert layer.macs == 17 * 17 * 384 * 288 * 3 * 3
    assert model.layer("Logits/Conv2d_1c_1x1").macs == 2048 * 1001


def test_layer_names_follow_tf_slim_scopes(model):
    """94 convolutions in the main network, 2 in AuxLogits, 2 classifiers; TF-slim's scope names."""
    assert len(convs(model)) == 96 and len(model) == 98
    names = {layer.name for layer in model.layers}
    assert {"Mixed_5b/Branch_1/Conv2d_0b_5x5", "Mixed_5c/Branch_1/Conv_1_0c_5x5",
            "Mixed_5c/Branch_1/Conv2d_0b_1x1", "Mixed_6e/Branch_2/Conv2d_0e_1x7",
            "Mixed_7b/Branch_1/Conv2d_0b_3x1", "Mixed_7c/Branch_1/Conv2d_0c_3x1",
            "Mixed_7a/Branch_1/Conv2d_1a_3x3", "Logits/Conv2d_1c_1x1"} <= names
    assert model.layers[0].name == "Conv2d_1a_3x3" and model.layers[-1].name == "Logits/Conv2d_1c_1x1"


def test_every_layer_pruned_biases_not(model):
    """paper Sec. 3: "All the convolutional layers in this model are pruned"; TF-slim's classifiers are 1x1
    convolutions, so they are pruned too. Masks cover weights only: biases (betas) stay dense."""
    assert model.prunable_layers == model.layers
    conv = model.layer("Mixed_7c/Branch_2/Conv2d_0b_3x3")
    assert conv.weight_shape == (384, 448, 3, 3)
    assert conv.params == conv.weight_count + 384


def test_model_identity_and_num_classes():
    model = zoo.inception_v3(num_classes=10)
    assert (model.name, model.family, model.options) == ("inception_v3", "inception_v3", (("num_classes", 10),))
    assert model.layer("Logits/Conv2d_1c_1x1").weight_shape == (10, 2048)
    assert model.layer("AuxLogits/Conv2d_2b_1x1").weight_shape == (10, 768)
    assert zoo.build("inception").params == zoo.inception_v3().params


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1001"])
def test_bad_num_classes_is_an_error(bad):
    with pytest.raises(WorkloadError):
        zoo.inception_v3(num_classes=bad)
