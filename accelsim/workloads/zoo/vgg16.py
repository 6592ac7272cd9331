"""VGG-16 (Simonyan & Zisserman, ICLR 2015, configuration D), 224x224x3 input, as the Caffe model the
authors released (``VGG_ILSVRC_16_layers``) and SCNN evaluates (Parashar et al., ISCA 2017, "VGGNet").

Thirteen 3x3 convolutions, stride 1, pad 1, named ``conv1_1`` .. ``conv5_3``, in five stages of 64, 128,
256, 512 and 512 channels; a 2x2 stride-2 max pool after ``conv1_2``, ``conv2_2``, ``conv3_3``, ``conv4_3``
and ``conv5_3`` (not a layer here: the next layer's input size carries it, 224 -> 112 -> 56 -> 28 -> 14 -> 7);
then ``fc6`` (7*7*512 = 25,088 -> 4096), ``fc7`` (4096 -> 4096) and ``fc8`` (4096 -> 1000). Every layer has a
bias and every layer is prunable.

Counts, in closed form from these shapes (biases included in parameters):

* conv weights 9 * (3*64 + 64*64 + 64*128 + 128*128 + 128*256 + 2*256*256 + 256*512 + 5*512*512)
  = 14,710,464, conv biases 4,224: 14,714,688 conv parameters;
* fc 25,088*4096 + 4096*4096 + 4096*1000 = 123,633,664 weights, 9,192 biases: 123,642,856;
* 138,357,544 parameters in all (the paper's Table 2: 138 M);
* conv MACs 9 * (224^2 * (3*64 + 64*64) + 112^2 * (64*128 + 128*128) + 56^2 * (128*256 + 2*256^2)
  + 28^2 * (256*512 + 2*512^2) + 14^2 * 3*512^2) = 15,346,630,656 (SCNN Table 1: 15.3 B multiplies),
  plus 123,633,664 in the fc layers: 15,470,264,320 MACs per inference.

The largest layer weights are those of ``conv4_2`` .. ``conv5_3``, 512*512*9 = 2,359,296 (4.5 MiB at 2 bytes;
SCNN Table 1 prints 4.49 MB); the largest activations are ``conv1_1``'s output and ``conv1_2``'s input and
output, 224*224*64 = 3,211,264 (6.125 MiB at 2 bytes; SCNN Table 1: 6.12 MB).
"""
from __future__ import annotations

from accelsim.workloads.layers import Linear
from accelsim.workloads.model import Model
from accelsim.workloads.zoo.graph import Net, caffe_pool

RESOLUTION = 224  # input height and width in pixels

#: Output channels of each stage's convolutions (configuration D); a max pool ends every stage.
STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def vgg16(num_classes: int = 1000) -> Model:
    """VGG-16 (configuration D) for 1000 ImageNet classes."""
    net = Net()
    x = (3, RESOLUTION, RESOLUTION)
    for stage, widths in enumerate(STAGES, start=1):
        for n, out in enumerate(widths, start=1):
            x = net.conv(f"conv{stage}_{n}", x, out, (3, 3), padding=1)
        x = caffe_pool(x, 2, 2)
    channels, h, w = x   # 512 x 7 x 7
    net.layers += [
        Linear("fc6", in_features=channels * h * w, out_features=4096),
        Linear("fc7", in_features=4096, out_features=4096),
        Linear("fc8", in_features=4096, out_features=num_classes),
    ]
    return Model(name="vgg16", family="vgg16", layers=tuple(net.layers), options=())
