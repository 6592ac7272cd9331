"""InceptionV3 (Szegedy et al. 2016), 299x299x3 input, layer for layer as TF-slim's ``inception_v3``.

The network of TF-slim ``nets/inception_v3.py``, TensorFlow's reference implementation (Zhu & Gupta 2017
prune InceptionV3 in TensorFlow, Sec. 3): the stem
``Conv2d_1a_3x3`` .. ``Conv2d_4a_3x3``, the inception blocks ``Mixed_5b`` .. ``Mixed_7c`` with their
factorised 1x7/7x1 and 1x3/3x1 convolutions, the auxiliary classifier ``AuxLogits`` on ``Mixed_6e`` and the
classifier ``Logits``. Layer names are TF-slim's variable scopes, quirks included (``Mixed_5c/Branch_1``
is ``Conv2d_0b_1x1`` then ``Conv_1_0c_5x5``; the 3x3 stride-2 convolutions of ``Mixed_6a`` are named
``Conv2d_1a_1x1``; ``Mixed_7b``'s 3x1 in Branch_1 is ``Conv2d_0b_3x1``, ``Mixed_7c``'s ``Conv2d_0c_3x1``).
Padding is TF's ``VALID`` (none) or ``SAME`` (:func:`same_padding`) exactly where TF-slim sets it.
Pooling layers have no parameters and no layer objects; only their effect on spatial size is applied:
299 -> 149 -> 147 -> 147 -> (max pool) 73 -> 73 -> 71 -> (max pool) 35 -> (Mixed_6a) 17 -> (Mixed_7a) 8
-> (8x8 average pool) 1, and 17 -> (5x5 stride-3 average pool) 5 in the auxiliary classifier.

Parameter counting. TF-slim follows every convolution with batch norm with ``scale=False`` and gives the
convolutions no bias, so each convolution trains its weights and one BN ``beta`` per output channel. At
inference BN folds into the convolution (moving mean and variance into weights and bias, ``beta`` into the
bias), so every convolution here is a ``Conv2D`` with ``bias=True``: that bias is ``beta``. The moving mean and
variance are statistics, not trained parameters, and are not counted; there is no ``gamma``. The two
classifiers (``Logits/Conv2d_1c_1x1`` and ``AuxLogits/Conv2d_2b_1x1``) have no batch norm and a real bias;
each is a 1x1 convolution on a 1x1 map, i.e. a fully connected layer, and is a ``Linear`` here.
Totals in parameters for ``num_classes=1001`` (TF-slim's ImageNet labels, class 0 = background):

=========================================  =============  ==============
                                           beta counted   without beta
=========================================  =============  ==============
with the auxiliary classifier              27,145,970     27,127,858
without it (the layers run at inference)   23,819,401     23,802,185
=========================================  =============  ==============

The betas are 17,216 in the main network and 896 in the auxiliary classifier. The counted total is 0.17% above
the paper's 27.1M (Zhu & Gupta 2017, Table 1); without betas it is 0.10% above, so the paper's rounding
cannot tell the two apart. Betas are counted because they are trained variables and are the biases the
convolutions carry at inference. Cross-checks with 1000 classes (27,143,152 / 23,817,352 parameters): Keras'
``InceptionV3`` (same ``scale=False`` batch norm, no auxiliary classifier) reports 23,817,352 trainable
parameters; torchvision's ``inception_v3`` (batch norm with ``gamma``, auxiliary classifier) 27,161,264, which
is 27,143,152 + 18,112 gammas.

Pruning. "All the convolutional layers in this model are pruned" (Zhu & Gupta 2017, Sec. 3): every
convolution is prunable, the auxiliary ones included. TF-slim builds both classifiers as 1x1 convolutions
(``slim.conv2d``), so they are convolutional layers and prunable too; biases are never pruned (see
:mod:`accelsim.workloads.layers`).

The auxiliary classifier is trained but not run when predicting: its layers have ``at_inference=False``.
Layers are listed in TF-slim's order of variable creation: stem, Mixed_5b .. Mixed_7c, AuxLogits, Logits.
One inference (1001 classes) is 5,713,218,144 MACs: 5,711,168,096 in the convolutions, 2,050,048 in the
classifier.
"""
from __future__ import annotations

from accelsim.errors import WorkloadError
from accelsim.workloads.layers import Linear
from accelsim.workloads.model import Model
from accelsim.workloads.zoo.graph import Net, Shape, concat, tf_pool

RESOLUTION = 299  # input height and width in pixels (TF-slim ``default_image_size``)


def _stem(net: Net, x: Shape) -> Shape:
    """299 x 299 x 3 image -> 35 x 35 x 192: five convolutions and two max pools."""
    x = net.conv("Conv2d_1a_3x3", x, 32, (3, 3), stride=2, padding="VALID")  # 149 x 149 x 32
    x = net.conv("Conv2d_2a_3x3", x, 32, (3, 3), padding="VALID")  # 147 x 147 x 32
    x = net.conv("Conv2d_2b_3x3", x, 64, (3, 3))  # 147 x 147 x 64
    x = tf_pool(x, 3, 2, "VALID")  # MaxPool_3a_3x3: 73 x 73 x 64
    x = net.conv("Conv2d_3b_1x1", x, 80, (1, 1), padding="VALID")  # 73 x 73 x 80
    x = net.conv("Conv2d_4a_3x3", x, 192, (3, 3), padding="VALID")  # 71 x 71 x 192
    return tf_pool(x, 3, 2, "VALID")  # MaxPool_5a_3x3: 35 x 35 x 192


def _mixed_5(net: Net, scope: str, x: Shape, pool_channels: int, branch_1: tuple[str, str]) -> Shape:
    """35 x 35 block: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1."""
    return concat(
        net.chain(f"{scope}/Branch_0", x, ("Conv2d_0a_1x1", 64, (1, 1))),
        net.chain(f"{scope}/Branch_1", x, (branch_1[0], 48, (1, 1)), (branch_1[1], 64, (5, 5))),
        net.chain(f"{scope}/Branch_2", x, ("Conv2d_0a_1x1", 64, (1, 1)), ("Conv2d_0b_3x3", 96, (3, 3)),
                  ("Conv2d_0c_3x3", 96, (3, 3))),
        net.chain(f"{scope}/Branch_3", tf_pool(x, 3, 1, "SAME"), ("Conv2d_0b_1x1", pool_channels, (1, 1))),
    )


def _mixed_6a(net: Net, x: Shape) -> Shape:
    """Grid reduction 35 -> 17: 3x3/2 | 1x1 -> 3x3 -> 3x3/2 | max pool 3x3/2."""
    return concat(
        net.chain("Mixed_6a/Branch_0", x, ("Conv2d_1a_1x1", 384, (3, 3), 2, "VALID")),
        net.chain("Mixed_6a/Branch_1", x, ("Conv2d_0a_1x1", 64, (1, 1)), ("Conv2d_0b_3x3", 96, (3, 3)),
                  ("Conv2d_1a_1x1", 96, (3, 3), 2, "VALID")),
        tf_pool(x, 3, 2, "VALID"),
    )


def _mixed_6(net: Net, scope: str, x: Shape, c7: int) -> Shape:
    """17 x 17 block with factorised 7x7: 1x1 | 1x1 -> 1x7 -> 7x1 | 1x1 -> (7x1 -> 1x7) x 2 | avg pool -> 1x1."""
    return concat(
        net.chain(f"{scope}/Branch_0", x, ("Conv2d_0a_1x1", 192, (1, 1))),
        net.chain(f"{scope}/Branch_1", x, ("Conv2d_0a_1x1", c7, (1, 1)), ("Conv2d_0b_1x7", c7, (1, 7)),
                  ("Conv2d_0c_7x1", 192, (7, 1))),
        net.chain(f"{scope}/Branch_2", x, ("Conv2d_0a_1x1", c7, (1, 1)), ("Conv2d_0b_7x1", c7, (7, 1)),
                  ("Conv2d_0c_1x7", c7, (1, 7)), ("Conv2d_0d_7x1", c7, (7, 1)), ("Conv2d_0e_1x7", 192, (1, 7))),
        net.chain(f"{scope}/Branch_3", tf_pool(x, 3, 1, "SAME"), ("Conv2d_0b_1x1", 192, (1, 1))),
    )


def _mixed_7a(net: Net, x: Shape) -> Shape:
    """Grid reduction 17 -> 8: 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | max pool 3x3/2."""
    return concat(
        net.chain("Mixed_7a/Branch_0", x, ("Conv2d_0a_1x1", 192, (1, 1)),
                  ("Conv2d_1a_3x3", 320, (3, 3), 2, "VALID")),
        net.chain("Mixed_7a/Branch_1", x, ("Conv2d_0a_1x1", 192, (1, 1)), ("Conv2d_0b_1x7", 192, (1, 7)),
                  ("Conv2d_0c_7x1", 192, (7, 1)), ("Conv2d_1a_3x3", 192, (3, 3), 2, "VALID")),
        tf_pool(x, 3, 2, "VALID"),
    )


def _mixed_7(net: Net, scope: str, x: Shape, branch_1_3x1: str) -> Shape:
    """8 x 8 block with expanded filter banks: 1x1 | 1x1 -> (1x3, 3x1) | 1x1 -> 3x3 -> (1x3, 3x1) | pool -> 1x1."""
    branch_0 = net.chain(f"{scope}/Branch_0", x, ("Conv2d_0a_1x1", 320, (1, 1)))
    branch_1 = net.chain(f"{scope}/Branch_1", x, ("Conv2d_0a_1x1", 384, (1, 1)))
    branch_1 = net.split(f"{scope}/Branch_1", branch_1, ("Conv2d_0b_1x3", 384, (1, 3)),
                         (branch_1_3x1, 384, (3, 1)))
    branch_2 = net.chain(f"{scope}/Branch_2", x, ("Conv2d_0a_1x1", 448, (1, 1)), ("Conv2d_0b_3x3", 384, (3, 3)))
    branch_2 = net.split(f"{scope}/Branch_2", branch_2, ("Conv2d_0c_1x3", 384, (1, 3)),
                         ("Conv2d_0d_3x1", 384, (3, 1)))
    branch_3 = net.chain(f"{scope}/Branch_3", tf_pool(x, 3, 1, "SAME"), ("Conv2d_0b_1x1", 192, (1, 1)))
    return concat(branch_0, branch_1, branch_2, branch_3)


def _aux_logits(net: Net, x: Shape, num_classes: int) -> None:
    """Auxiliary classifier on Mixed_6e (17 x 17 x 768): avg pool 5x5/3 -> 1x1 -> 5x5 VALID -> classes."""
    x = tf_pool(x, 5, 3, "VALID")  # AvgPool_1a_5x5: 5 x 5 x 768
    x = net.conv("AuxLogits/Conv2d_1b_1x1", x, 128, (1, 1), at_inference=False)
    channels, _, _ = net.conv("AuxLogits/Conv2d_2a_5x5", x, 768, (5, 5), padding="VALID", at_inference=False)
    net.layers.append(Linear("AuxLogits/Conv2d_2b_1x1", at_inference=False, in_features=channels,
                             out_features=num_classes, bias=True))


def inception_v3(num_classes: int = 1001) -> Model:
    """InceptionV3 for ``num_classes`` classes (1001: TF-slim's ImageNet labels with background)."""
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes <= 0:
        raise WorkloadError("bad number of classes", key="num_classes", expected="a positive integer",
                            got=num_classes)
    net = Net()
    x = _stem(net, (3, RESOLUTION, RESOLUTION))
    x = _mixed_5(net, "Mixed_5b", x, 32, ("Conv2d_0a_1x1", "Conv2d_0b_5x5"))
    x = _mixed_5(net, "Mixed_5c", x, 64, ("Conv2d_0b_1x1", "Conv_1_0c_5x5"))
    x = _mixed_5(net, "Mixed_5d", x, 64, ("Conv2d_0a_1x1", "Conv2d_0b_5x5"))
    x = _mixed_6a(net, x)
    for scope, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        x = _mixed_6(net, scope, x, c7)
    mixed_6e = x
    x = _mixed_7a(net, x)
    x = _mixed_7(net, "Mixed_7b", x, "Conv2d_0b_3x1")
    x = _mixed_7(net, "Mixed_7c", x, "Conv2d_0c_3x1")
    _aux_logits(net, mixed_6e, num_classes)
    channels, _, _ = tf_pool(x, 8, 2, "VALID")  # Logits/AvgPool_1a_8x8 (slim default stride 2): 1 x 1 x 2048
    net.layers.append(Linear("Logits/Conv2d_1c_1x1", in_features=channels, out_features=num_classes, bias=True))
    return Model(name="inception_v3", family="inception_v3", layers=tuple(net.layers),
                 options=(("num_classes", num_classes),))
