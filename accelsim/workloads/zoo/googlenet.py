"""GoogLeNet / Inception v1 (Szegedy et al., CVPR 2015), 224x224x3 input, as Caffe's ``bvlc_googlenet``, the
model SCNN evaluates (Parashar et al., ISCA 2017). Layer names are Caffe's.

Stem: ``conv1/7x7_s2`` (7x7, stride 2, pad 3, 3 -> 64), max pool 3x3/2, ``conv2/3x3_reduce`` (1x1, 64 -> 64),
``conv2/3x3`` (3x3, pad 1, 64 -> 192), max pool 3x3/2. Then the inception modules 3a, 3b, max pool 3x3/2,
4a .. 4e, max pool 3x3/2, 5a, 5b, each of six convolutions with the channel counts of the paper's Table 1:
``inception_3a/1x1``; ``inception_3a/3x3_reduce`` (1x1) -> ``inception_3a/3x3`` (pad 1);
``inception_3a/5x5_reduce`` (1x1) -> ``inception_3a/5x5`` (pad 2); ``inception_3a/pool_proj`` (1x1) reading
the 3x3 stride-1 pad-1 max pool of the module input, which has the input's size. A module's output is the
depth concatenation of its four branches (``1x1``, ``3x3``, ``5x5``, ``pool_proj``), and the next module's
branches read it: their input channels are that sum. Pooling and concatenation have no layer objects (as in
:mod:`accelsim.workloads.zoo.inception`); Caffe's pools round their output size up, so the grid goes
224 -> 112 -> 56 -> 28 -> 14 -> 7. A 7x7 average pool feeds ``loss3/classifier`` (1024 -> 1000). Every layer
has a bias and is prunable.

The two auxiliary classifiers, on the outputs of 4a (14x14x512) and 4d (14x14x528), are trained but not run
when predicting (``at_inference=False``), and are listed where Caffe's prototxt defines them, after 4a and
4d: a 5x5 stride-3 average pool to 4x4, ``loss1/conv`` (1x1 -> 128), ``loss1/fc`` (4*4*128 = 2048 -> 1024),
``loss1/classifier`` (1024 -> 1000), and the same for ``loss2``.

Counts (exact, from these shapes). Parameters: 5,973,552 in the 57 convolutions, 1,025,000 in
``loss3/classifier`` (6,998,552 run at inference), 3,188,840 + 3,190,888 in the two auxiliary classifiers:
13,378,280 in all. MACs of one inference: 1,581,647,872 in the 57 convolutions, of which 477,675,520 in the
stem's three and 1,103,972,352 in the 54 convolutions of the nine inception modules; 1,024,000 in
``loss3/classifier``; 1,582,671,872 in all.

SCNN's Table 1 gives GoogLeNet "54" convolutional layers and "1.1 B" multiplies: the inception modules'
convolutions alone (1.104 G MACs), without the stem's three (0.478 G, 30% of the convolutions' work); its
per-layer results (Figs. 9 to 11) likewise cover only the nine modules, IC_3a .. IC_5b. The largest layer
weights are ``inception_5b/3x3``'s, 192*384*9 = 663,552 (1.33 MB at 2 bytes; SCNN Table 1: 1.32 MB); the
largest activations are ``conv1/7x7_s2``'s output, 112*112*64 = 802,816 (1.53 MiB at 2 bytes; SCNN Table 1:
1.52 MB).
"""
from __future__ import annotations

from accelsim.workloads.layers import Linear
from accelsim.workloads.model import Model
from accelsim.workloads.zoo.graph import Net, Shape, caffe_pool, concat

RESOLUTION = 224  # input height and width in pixels

#: Output channels per module, GoogLeNet paper Table 1:
#: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
POOL_BEFORE = {"4a", "5a"}      # a 3x3 stride-2 max pool precedes these modules
AUXILIARY = {"4a": "loss1", "4d": "loss2"}   # auxiliary classifiers on these modules' outputs


def _module(net: Net, name: str, x: Shape) -> Shape:
    """One inception module: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | max pool 3x3/1 -> 1x1, concatenated."""
    c1, c3r, c3, c5r, c5, proj = MODULES[name]
    scope = f"inception_{name}"
    return concat(
        net.conv(f"{scope}/1x1", x, c1, (1, 1), padding=0),
        net.chain(scope, x, ("3x3_reduce", c3r, (1, 1), 1, 0), ("3x3", c3, (3, 3), 1, 1)),
        net.chain(scope, x, ("5x5_reduce", c5r, (1, 1), 1, 0), ("5x5", c5, (5, 5), 1, 2)),
        net.conv(f"{scope}/pool_proj", caffe_pool(x, 3, 1, pad=1), proj, (1, 1), padding=0),
    )


def _auxiliary(net: Net, loss: str, x: Shape, num_classes: int) -> None:
    """Auxiliary classifier: average pool 5x5/3 -> 1x1 conv (128) -> fc 1024 -> classes; not run at inference."""
    channels, h, w = net.conv(f"{loss}/conv", caffe_pool(x, 5, 3), 128, (1, 1), padding=0, at_inference=False)
    net.layers += [
        Linear(f"{loss}/fc", at_inference=False, in_features=channels * h * w, out_features=1024),
        Linear(f"{loss}/classifier", at_inference=False, in_features=1024, out_features=num_classes),
    ]


def googlenet(num_classes: int = 1000) -> Model:
    """GoogLeNet (Caffe ``bvlc_googlenet``) for 1000 ImageNet classes, with its two auxiliary classifiers."""
    net = Net()
    x = net.conv("conv1/7x7_s2", (3, RESOLUTION, RESOLUTION), 64, (7, 7), stride=2, padding=3)   # 112x112
    x = caffe_pool(x, 3, 2)                                                                        # 56x56
    x = net.conv("conv2/3x3_reduce", x, 64, (1, 1), padding=0)
    x = net.conv("conv2/3x3", x, 192, (3, 3), padding=1)
    x = caffe_pool(x, 3, 2)                                                                        # 28x28
    for name in MODULES:
        if name in POOL_BEFORE:
            x = caffe_pool(x, 3, 2)                                                                # 14, 7
        x = _module(net, name, x)
        if name in AUXILIARY:
            _auxiliary(net, AUXILIARY[name], x, num_classes)
    channels, _, _ = caffe_pool(x, 7, 1)                                           # pool5/7x7_s1: 1x1x1024
    net.layers.append(Linear("loss3/classifier", in_features=channels, out_features=num_classes))
    return Model(name="googlenet", family="googlenet", layers=tuple(net.layers), options=())
