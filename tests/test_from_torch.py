"""``accelsim.from_torch``: a PyTorch module pruned with torch.nn.utils.prune, exported and imported (slow:
needs the optional torch extra, which ``make test-slow`` installs)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
from torch import nn  # noqa: E402
from torch.nn.utils import prune  # noqa: E402

import accelsim as acs  # noqa: E402
from conftest import HWCONFIGS  # noqa: E402

pytestmark = pytest.mark.slow


def test_from_torch_reads_prune_masks_and_measures_activations(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                        nn.Linear(8 * 8 * 8, 10))
    prune.l1_unstructured(net[0], "weight", amount=0.5)
    prune.l1_unstructured(net[4], "weight", amount=0.75)
    net.eval()
    samples = np.random.default_rng(0).standard_normal((3, 1, 3, 8, 8)).astype(np.float32)
    found = acs.from_torch(net, torch.from_numpy(samples[0]), tmp_path / "imp", samples=samples)
    conv, fc = found.workload.model.layers
    assert conv.macs == 8 * 8 * 8 * 3 * 9 and fc.macs == 512 * 10       # outputs x weights per output
    np.testing.assert_array_equal(found.masks[conv.name], net[0].weight_mask.numpy().astype(bool))
    np.testing.assert_array_equal(found.masks[fc.name], net[4].weight_mask.numpy().astype(bool))
    with torch.no_grad():
        hidden = net[:4](torch.from_numpy(samples[:, 0])).numpy()       # the linear layer's real input
    np.testing.assert_array_equal(found.activations[fc.name][:, 0], hidden != 0)
    result = acs.simulate(found.workload.model, acs.load_hardware(HWCONFIGS / "scnn_like.yaml"), masks=found.masks,
                          activations={k: v[0] for k, v in found.activations.items()})
    assert result.total["useful_macs"] < conv.macs + fc.macs
