"""ONNX import, one model per op and combination, built with onnx.helper. Every MAC count and shape is a
closed form derived by hand in the test (out = floor((in + pads - dilation * (k - 1) - 1) / stride) + 1;
MACs = outputs x weights per output)."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402
from onnx_models import conv, model, tensor, weights  # noqa: E402

from accelsim.errors import WorkloadError  # noqa: E402
from accelsim.importers.onnx import import_onnx  # noqa: E402
from accelsim.workloads.layers import LSTM, Conv2D, DepthwiseConv2D, Linear  # noqa: E402


def imported(tmp_path, proto, **options):
    path = tmp_path / "m.onnx"
    onnx.save(proto, path)
    return import_onnx(path, **options)


def test_conv_pads_strides_bias(tmp_path):
    proto, w = conv([1, 4, 9, 9], [8, 4, 3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    result = imported(tmp_path, proto)
    (layer,) = result.model.layers
    # out = floor((9 + 2 - 3) / 2) + 1 = 5; MACs = 5 * 5 * 8 * 4 * 3 * 3 = 7200
    assert isinstance(layer, Conv2D) and (layer.out_h, layer.out_w) == (5, 5)
    assert layer.macs == 7200 and layer.padding == (1, 1, 1, 1) and layer.stride == 2
    np.testing.assert_array_equal(result.weights["conv"], w)


def test_conv_with_a_stride_per_axis(tmp_path):
    """Strides (2, 1), a text-line model's: out = (floor((16 + 2 - 3) / 2) + 1, floor((20 + 2 - 3) / 1) + 1)
    = (8, 20); MACs = 8 * 20 * 6 * 3 * 3 * 3 = 25,920."""
    proto, _ = conv([1, 3, 16, 20], [6, 3, 3, 3], pads=[1, 1, 1, 1], strides=[2, 1])
    (layer,) = imported(tmp_path, proto).model.layers
    assert (layer.stride_h, layer.stride_w, layer.out_h, layer.out_w) == (2, 1, 8, 20)
    assert layer.stride == (2, 1) and layer.macs == 25_920


def test_asymmetric_pads_and_auto_pad(tmp_path):
    proto, _ = conv([1, 2, 8, 8], [3, 2, 3, 3], pads=[0, 1, 2, 0])        # ONNX pads: top, left, bottom, right
    (layer,) = imported(tmp_path, proto).model.layers
    assert layer.padding == (0, 2, 1, 0) and (layer.out_h, layer.out_w) == (8, 7)   # 8+2-3+1, 8+1-3+1
    proto, _ = conv([1, 2, 8, 8], [3, 2, 3, 3], auto_pad="SAME_UPPER", strides=[2, 2])
    (layer,) = imported(tmp_path, proto).model.layers
    # SAME: out = ceil(8 / 2) = 4; total padding (4 - 1) * 2 + 3 - 8 = 1, the odd pixel at the end
    assert (layer.out_h, layer.out_w) == (4, 4) and layer.padding == (0, 1, 0, 1)


def test_dilated_conv_has_exact_outputs_and_macs(tmp_path):
    proto, _ = conv([1, 2, 10, 10], [4, 2, 3, 3], pads=[2, 2, 2, 2], dilations=[2, 2])
    result = imported(tmp_path, proto)
    (layer,) = result.model.layers
    # out = 10 + 4 - 2 * 2 - 1 + 1 = 10; MACs = 10 * 10 * 4 * 2 * 9 = 7200
    assert (layer.out_h, layer.out_w) == (10, 10) and layer.macs == 7200
    assert any("dilations" in w for w in result.warnings)


def test_grouped_and_depthwise_with_batchnorm_folded(tmp_path):
    channels = 6
    w = weights([channels, 1, 3, 3])
    gamma, beta = weights([channels], 1), weights([channels], 2)
    mean, var = weights([channels], 3), np.abs(weights([channels], 4)) + 0.1
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="dw", group=channels, pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"], name="bn", epsilon=1e-3)]
    proto = model(nodes, [tensor("x", [1, channels, 7, 7])], [tensor("y", None)],
                  [("w", w), ("g", gamma), ("b", beta), ("m", mean), ("v", var)])
    result = imported(tmp_path, proto)
    (layer,) = result.model.layers
    assert isinstance(layer, DepthwiseConv2D) and layer.bias
    assert layer.macs == 7 * 7 * channels * 9                       # one 3x3 filter per channel
    expected = w * (gamma / np.sqrt(var + 1e-3))[:, None, None, None]
    np.testing.assert_allclose(result.weights["dw"], expected, rtol=1e-6)
    assert [r.status for r in result.reports] == ["simulated", "folded"]
    proto, _ = conv([1, 4, 5, 5], [8, 2, 1, 1], group=2)
    (layer,) = imported(tmp_path, proto).model.layers
    assert type(layer) is Conv2D and layer.groups == 2 and layer.macs == 25 * 8 * 2


def test_conv1d_is_a_height_one_conv(tmp_path):
    proto, _ = conv([1, 3, 20], [5, 3, 4], strides=[2])
    (layer,) = imported(tmp_path, proto).model.layers
    assert (layer.in_h, layer.kernel_h, layer.out_h, layer.out_w) == (1, 1, 1, 9)     # (20 - 4) / 2 + 1
    assert layer.macs == 9 * 5 * 3 * 4


def test_gemm_transposes_alpha_and_bias(tmp_path):
    b = weights([10, 16])
    node = helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="fc", transB=1, alpha=2.0)
    proto = model([node], [tensor("a", [3, 16])], [tensor("y", None)], [("b", b), ("c", weights([10]))])
    result = imported(tmp_path, proto)
    (layer,) = result.model.layers
    assert isinstance(layer, Linear) and (layer.in_features, layer.out_features, layer.steps) == (16, 10, 3)
    assert layer.bias and layer.macs == 3 * 16 * 10
    np.testing.assert_allclose(result.weights["fc"], 2 * b)


def test_matmul_with_constant_operand_on_a_sequence(tmp_path):
    w = weights([16, 8])
    proto = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")], [tensor("x", [1, 5, 16])],
                  [tensor("y", None)], [("w", w)])
    result = imported(tmp_path, proto)
    (layer,) = result.model.layers
    assert (layer.in_features, layer.out_features, layer.steps, layer.macs) == (16, 8, 5, 5 * 16 * 8)
    np.testing.assert_array_equal(result.weights["proj"], w.T)


def test_gemm_trans_a_and_a_constant_left_operand_read_the_activations_columns(tmp_path):
    """Gemm(A^T, B) with A (16, 3): 3 input vectors of 16; MatMul(W, X) with W (8, 16), X (16, 5): X's 5
    columns are the input vectors, W the (out, in) weights. Measured masks: one input feature zeroed."""
    pytest.importorskip("onnxruntime")
    from accelsim.importers.onnx.measure import measure
    b, w = weights([16, 10]), weights([8, 16], 1)
    nodes = [helper.make_node("Gemm", ["a", "b"], ["y"], name="fc", transA=1),
             helper.make_node("MatMul", ["w", "x"], ["z"], name="left")]
    result = imported(tmp_path, model(nodes, [tensor("a", [16, 3]), tensor("x", [16, 5])],
                                      [tensor("y", None), tensor("z", None)], [("b", b), ("w", w)]))
    fc, left = result.model.layers
    assert (fc.in_features, fc.out_features, fc.steps, fc.macs) == (16, 10, 3, 3 * 16 * 10)
    assert (left.in_features, left.out_features, left.steps, left.macs) == (16, 8, 5, 5 * 16 * 8)
    np.testing.assert_array_equal(result.weights["fc"], b.T)
    np.testing.assert_array_equal(result.weights["left"], w)
    rng = np.random.default_rng(0)
    a, x = rng.standard_normal((1, 16, 3)).astype(np.float32), rng.standard_normal((1, 16, 5)).astype(np.float32)
    a[0, 4], x[0, 7] = 0, 0                                                # feature 4 of A, feature 7 of X
    masks, operands = measure(result, {"a": a, "x": x})
    np.testing.assert_array_equal(masks["fc"][0], a[0].T != 0)             # (steps, in_features)
    np.testing.assert_array_equal(masks["left"][0], x[0].T != 0)
    assert not masks["fc"][0][:, 4].any() and not masks["left"][0][:, 7].any() and operands == {}


def test_data_movement_between_layers_keeps_shapes_and_relu_zeros(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["a"], name="conv"), helper.make_node("Relu", ["a"], ["r"]),
             helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Reshape", ["t", "shape"], ["flat"]),
             helper.make_node("Unsqueeze", ["flat", "axis"], ["u"]), helper.make_node("Squeeze", ["u", "axis"], ["s"]),
             helper.make_node("Gemm", ["s", "wf"], ["y"], name="fc", transB=1)]
    proto = model(nodes, [tensor("x", [1, 2, 4, 4])], [tensor("y", None)],
                  [("w", weights([3, 2, 1, 1])), ("shape", np.array([1, 48], np.int64)),
                   ("axis", np.array([0], np.int64)), ("wf", weights([5, 48]))])
    result = imported(tmp_path, proto)
    assert [(layer.name, layer.macs) for layer in result.model.layers] == [("conv", 16 * 3 * 2), ("fc", 48 * 5)]
    assert result.dense_inputs == ("conv",) and not result.warnings        # fc reads the ReLU's zeros, moved
    assert {r.op_type: r.status for r in result.reports}["Reshape"] == "not simulated"


def test_matmul_of_two_activations_is_an_unpruned_gemm(tmp_path):
    # attention scores: Q (1, 2 heads, 4 tokens, 8) @ K^T (1, 2, 8, 4): 2 * 4 * 4 * 8 = 256 MACs
    proto = model([helper.make_node("MatMul", ["q", "k"], ["s"], name="scores")],
                  [tensor("q", [1, 2, 4, 8]), tensor("k", [1, 2, 8, 4])], [tensor("s", None)])
    result = imported(tmp_path, proto)
    (layer,) = result.model.layers
    assert (layer.in_features, layer.out_features, layer.steps) == (8, 4, 8) and layer.macs == 256
    assert not layer.prunable and "scores" not in result.weights
    assert any("first of its 2 batch entries (heads) stands for every one" in w for w in result.warnings)


def _lstm(tmp_path, directions):
    seq, size, hidden = 3, 5, 4
    w, r = weights([directions, 4 * hidden, size], 1), weights([directions, 4 * hidden, hidden], 2)
    node = helper.make_node("LSTM", ["x", "w", "r", "b"], ["y"], name="lstm", hidden_size=hidden,
                            direction="bidirectional" if directions == 2 else "forward")
    proto = model([node], [tensor("x", [seq, 1, size])], [tensor("y", None)],
                  [("w", w), ("r", r), ("b", weights([directions, 8 * hidden], 3))])
    return imported(tmp_path, proto), w, r


@pytest.mark.parametrize("directions", [1, 2])
def test_lstm_gate_order_and_directions(tmp_path, directions):
    result, w, r = _lstm(tmp_path, directions)
    (layer,) = result.model.layers
    assert isinstance(layer, LSTM) and layer.bidirectional == (directions == 2) and layer.steps == 3
    assert layer.macs == 3 * directions * 4 * 4 * (5 + 4)            # steps x 4H rows x (input + H) per direction
    stacked = result.weights["lstm"].reshape(directions, 4, 4, 9)     # direction, gate, row, [x, h]
    onnx_gates = np.concatenate([w, r], axis=2).reshape(directions, 4, 4, 9)     # ONNX gates i, o, f, c
    for ours, theirs in zip(range(4), (0, 2, 3, 1)):                  # accelsim's i, f, g, o
        np.testing.assert_array_equal(stacked[:, ours], onnx_gates[:, theirs])


def test_gru_becomes_input_and_recurrent_products(tmp_path):
    seq, size, hidden = 3, 5, 4
    node = helper.make_node("GRU", ["x", "w", "r"], ["y"], name="gru", hidden_size=hidden, direction="bidirectional")
    proto = model([node], [tensor("x", [seq, 1, size])], [tensor("y", None)],
                  [("w", weights([2, 3 * hidden, size])), ("r", weights([2, 3 * hidden, hidden], 1))])
    layers = imported(tmp_path, proto).model.layers
    assert [layer.name for layer in layers] == ["gru.input", "gru.recurrent", "gru.recurrent_reverse"]
    # seq x directions x 3H x (input + H) = 3 * 2 * 12 * 9
    assert sum(layer.macs for layer in layers) == 3 * 2 * 12 * 9


@pytest.mark.parametrize("op, gates", [("LSTM", 4), ("GRU", 3)])
def test_recurrent_masks_are_x_t_and_the_previous_hidden_state(tmp_path, op, gates):
    """Measured masks of a bidirectional recurrent node on relu(x): x_t's zeros, and h_t-1 by definition:
    the initial state (zeros: absent) at a direction's first step, then the output Y of the step before in
    that direction (forward: Y[t - 1]; backward: Y[t + 1]), Y as onnxruntime computes the model."""
    ort = pytest.importorskip("onnxruntime")
    from accelsim.importers.onnx.measure import measure
    seq, size, hidden = 4, 3, 5
    nodes = [helper.make_node("Relu", ["x"], ["xr"]),
             helper.make_node(op, ["xr", "w", "r"], ["y"], name="rnn", hidden_size=hidden, direction="bidirectional")]
    proto = model(nodes, [tensor("x", [seq, 1, size])], [tensor("y", None)],
                  [("w", weights([2, gates * hidden, size], 1)), ("r", weights([2, gates * hidden, hidden], 2))])
    result = imported(tmp_path, proto)
    x = np.random.default_rng(0).standard_normal((1, seq, 1, size)).astype(np.float32)
    masks, _ = measure(result, {"x": x})
    y = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": x[0]})[0][:, :, 0]     # (seq, 2, H)
    inputs = np.maximum(x[0, :, 0], 0) != 0
    none = np.zeros((1, hidden), bool)
    forward, backward = np.concatenate([none, y[:-1, 0] != 0]), np.concatenate([y[1:, 1] != 0, none])
    if op == "LSTM":                       # [x_t, h_t-1] of the forward direction
        np.testing.assert_array_equal(masks["rnn"][0], np.concatenate([inputs, forward], axis=1))
    else:
        np.testing.assert_array_equal(masks["rnn.input"][0], inputs)
        np.testing.assert_array_equal(masks["rnn.recurrent"][0], forward)
        np.testing.assert_array_equal(masks["rnn.recurrent_reverse"][0], backward)


def test_residual_and_concat_branches_chain_shapes(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="c1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["ar"]),
             helper.make_node("Add", ["ar", "x"], ["s"]),
             helper.make_node("Relu", ["s"], ["sr"]),
             helper.make_node("Conv", ["sr", "w2"], ["b1"], name="branch1"),
             helper.make_node("Conv", ["sr", "w3"], ["b2"], name="branch3", pads=[1, 1, 1, 1]),
             helper.make_node("MaxPool", ["sr"], ["p"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
             helper.make_node("Concat", ["b1", "b2", "p"], ["cat"], axis=1),
             helper.make_node("Relu", ["cat"], ["catr"]),
             helper.make_node("Flatten", ["catr"], ["f"]),
             helper.make_node("Gemm", ["f", "wf"], ["y"], name="fc", transB=1)]
    proto = model(nodes, [tensor("x", [1, 4, 6, 6])], [tensor("y", None)],
                  [("w1", weights([4, 4, 3, 3])), ("w2", weights([2, 4, 1, 1])), ("w3", weights([3, 4, 3, 3])),
                   ("wf", weights([10, (2 + 3 + 4) * 36]))])
    result = imported(tmp_path, proto)
    fc = result.model.layer("fc")
    assert fc.in_features == 9 * 6 * 6 and fc.macs == 324 * 10             # concat of 2 + 3 + 4 channels
    assert result.model.macs == 36 * (4 * 4 * 9 + 2 * 4 + 3 * 4 * 9) + 3240
    assert set(result.dense_inputs) == {"c1"}                               # every other input is a ReLU's
    statuses = {r.op_type: r.status for r in result.reports}
    assert statuses["Add"] == statuses["Concat"] == statuses["MaxPool"] == "not simulated"


def test_quantized_conv_and_matmul_dequantize_weights(tmp_path):
    w = np.array(np.random.default_rng(0).integers(-3, 4, size=(4, 2, 3, 3)), dtype=np.int8)
    scale, w_zero = np.array([0.5, 1, 2, 4], np.float32), np.array([0, 1, 0, -1], np.int8)
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"], name="qconv")
    proto = model([node], [tensor("x", [1, 2, 5, 5], TensorProto.UINT8)], [tensor("y", None, TensorProto.UINT8)],
                  [("xs", np.float32(0.1)), ("xz", np.uint8(128)), ("w", w), ("ws", scale), ("wz", w_zero),
                   ("ys", np.float32(0.2)), ("yz", np.uint8(128))])
    result = imported(tmp_path, proto)
    expected = (w.astype(np.float64) - w_zero[:, None, None, None]) * scale[:, None, None, None]
    np.testing.assert_allclose(result.weights["qconv"], expected)
    np.testing.assert_array_equal(result.masks["qconv"], w != w_zero[:, None, None, None])
    assert result.model.macs == 3 * 3 * 4 * 2 * 9
    b = np.array(np.random.default_rng(1).integers(-2, 3, size=(6, 3)), dtype=np.int8)
    nodes = [helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="qmm"),
             helper.make_node("ConvInteger", ["x", "w"], ["z"], name="qc")]
    proto = model(nodes, [tensor("a", [2, 6], TensorProto.UINT8), tensor("x", [1, 2, 5, 5], TensorProto.UINT8)],
                  [tensor("y", None, TensorProto.INT32), tensor("z", None, TensorProto.INT32)], [("b", b), ("w", w)])
    result = imported(tmp_path, proto)
    assert result.model.layer("qmm").macs == 2 * 6 * 3 and result.model.layer("qc").macs == 3 * 3 * 4 * 2 * 9
    np.testing.assert_array_equal(result.masks["qmm"], b.T != 0)


def test_weights_in_constant_nodes(tmp_path):
    w = weights([3, 2, 1, 1])
    nodes = [helper.make_node("Constant", [], ["w"], value=onnx.numpy_helper.from_array(w)),
             helper.make_node("Conv", ["x", "w"], ["y"], name="conv")]
    result = imported(tmp_path, model(nodes, [tensor("x", [1, 2, 4, 4])], [tensor("y", None)]))
    np.testing.assert_array_equal(result.weights["conv"], w)


def test_dynamic_dimensions_need_input_shape(tmp_path):
    proto, _ = conv(["N", 3, 8, 8], [4, 3, 3, 3])
    with pytest.raises(WorkloadError, match=r"input x: input has dynamic dimensions; expected --input-shape x="):
        imported(tmp_path, proto)
    (layer,) = imported(tmp_path, proto, input_shapes={"x": (1, 3, 8, 8)}).model.layers
    assert layer.macs == 6 * 6 * 4 * 3 * 9


def test_external_data_inside_the_folder(tmp_path):
    proto, w = conv([1, 2, 4, 4], [3, 2, 3, 3])
    onnx.save(proto, tmp_path / "m.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="m.data", size_threshold=0)
    result = import_onnx(tmp_path / "m.onnx")
    np.testing.assert_array_equal(result.weights["conv"], w)


def test_unmapped_op_between_layers_warns_or_fails_with_strict(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="c1"),
             helper.make_node("CumSum", ["a", "axis"], ["b"]),
             helper.make_node("Conv", ["b", "w2"], ["y"], name="c2")]
    proto = model(nodes, [tensor("x", [1, 2, 4, 4])], [tensor("y", None)],
                  [("w1", weights([2, 2, 1, 1])), ("w2", weights([2, 2, 1, 1])), ("axis", np.array(1, np.int64))])
    result = imported(tmp_path, proto)
    assert any("unmapped between simulated layers" in w and "CumSum" in w for w in result.warnings)
    (cumsum,) = [r for r in result.reports if r.status == "unmapped"]
    # one op per output element (1 x 2 x 4 x 4); bytes: input and output, 32 float32 each, and the int64 axis
    assert cumsum.macs == 32 and cumsum.bytes == 2 * 32 * 4 + 8
    with pytest.raises(WorkloadError, match="--strict: ops accelsim cannot map between simulated layers"):
        imported(tmp_path, proto, strict=True)
