"""The bounds SCNN's and DCNN's exact mapper prunes with (``accelsim.accelerators.scnn.mapper.search``;
docs/scnn.md, "Mapper"): the dense pre-screen computed without compiling, the program's lower bound and the
double-buffer bound never exceed the cycles the kernel simulates for a candidate, so pruning never changes
the choice; and a layer equal to one mapped before but for its name gets the same mapping from the memo."""
import numpy as np
import pytest
from conftest import hw_variant

from accelsim.accelerators.engines import engine_for
from accelsim.accelerators.scnn import mapper
from accelsim.pruning import activation_shape
from accelsim.workloads.layers import LSTM, Conv2D, Layer, Linear, same_padding


def _layers(rng: np.random.Generator, count: int, most_macs: int | None = None) -> list[Conv2D]:
    """Random convolutions: pointwise, depthwise, grouped and strided, on small planes."""
    layers = []
    while len(layers) < count:
        groups = int(rng.choice([1, 1, 2, 4]))
        depthwise = rng.random() < 0.3
        cin = groups * int(rng.integers(1, 12)) if not depthwise else int(rng.integers(4, 40))
        cout = cin if depthwise else groups * int(rng.integers(1, 24))
        kernel = int(rng.choice([1, 3, 5]))
        size, stride = int(rng.integers(kernel + 1, 20)), (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        pad = same_padding(size, kernel, stride[0]) + same_padding(size, kernel, stride[1])
        layer = Conv2D(f"c{len(layers)}", in_channels=cin, out_channels=cout, in_h=size, in_w=size,
                       kernel_h=kernel, kernel_w=kernel, padding=pad, stride=stride,
                       groups=cin if depthwise else groups)
        if most_macs is None or layer.macs <= most_macs:
            layers.append(layer)
    return layers


def _sequence_layers(rng: np.random.Generator) -> list[Layer]:
    """Random small fully connected layers (several input vectors at once) and LSTMs (one after another)."""
    return [Linear("fc", in_features=int(rng.integers(1, 40)), out_features=int(rng.integers(1, 60)),
                   steps=int(rng.integers(1, 5))),
            LSTM("lstm", input_size=int(rng.integers(1, 12)), hidden_size=int(rng.integers(1, 12)),
                 steps=int(rng.integers(1, 4)))]


@pytest.mark.parametrize("engine, changes", [
    ("dcnn", {}),
    ("dcnn", {"buffers.iaram.size_bytes": 512, "dram.latency_cycles": 300}),      # several input blocks, passes
    ("dcnn", {"pe_array.rows": 3, "pe_array.cols": 5, "buffers.iaram.banks": 2, "dram.outstanding_requests": 2}),
    ("scnn", {"pe_array.rows": 2, "pe_array.cols": 4}),
])
def test_bounds_never_exceed_the_simulated_cycles(engine, changes, monkeypatch):
    """Every candidate the mapper considers for random layers: its pre-screen bound (dense machines), the
    program's :func:`mapper.lower_bound` and :func:`mapper.buffered_bound` are at most the cycles the
    kernel simulates for it (the kernel's own replay or SimPy run, not the bounds' formulas)."""
    hw = hw_variant(engine, changes)
    checked = []

    def every_candidate(options, exact, m, bounds=()):
        kernel = mapper.Kernel(m)
        for grid in options:
            for plane in grid.planes:
                program = mapper.padded(exact(grid, plane), m.n_pes)
                cycles = kernel.engine.execute(program).cycles
                found = (grid.bound, *(bound(grid, plane) for bound in bounds), mapper.lower_bound(program, m),
                         mapper.buffered_bound(program, mapper.step_cycles(program, m), m))
                assert max(found) <= cycles, (plane, found, cycles)
                checked.append(found[-1] > 0 and (not bounds or found[2] > 0))
        return real(options, exact, m, bounds)

    real = mapper.best_candidate
    monkeypatch.setattr(mapper, "best_candidate", every_candidate)
    eng = engine_for(hw)
    rng = np.random.default_rng(len(changes))
    for layer in _layers(rng, 4, mapper.EXHAUSTIVE_MACS // 4 if engine == "scnn" else None) + _sequence_layers(rng):
        weights = rng.random(layer.weight_shape) < 0.4
        acts = rng.random(activation_shape(layer)) < 0.6
        eng.compile(layer, masks=weights, activations=acts)
    assert len(checked) > 10 and any(checked)       # the double-buffer bounds took part


def test_equal_layers_share_one_search(monkeypatch):
    """A dense layer mapped before under another name is not searched again: its program is the first
    one's (same steps, cycles and mapping), and only its name differs."""
    hw = hw_variant("dcnn", {"pe_array.rows": 4, "pe_array.cols": 4})
    searches = []
    real = mapper.best_candidate

    def counted(*args, **kwargs):
        searches.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mapper, "best_candidate", counted)
    eng = engine_for(hw)

    def conv(name: str, out_channels: int) -> Conv2D:
        return Conv2D(name, in_channels=24, out_channels=out_channels, in_h=12, in_w=12, kernel_h=3, kernel_w=3,
                      padding=(1, 1, 1, 1))

    first, again, other = eng.compile(conv("a", 40)), eng.compile(conv("b", 40)), eng.compile(conv("c", 48))
    assert len(searches) == 2                       # "b" came from the memo, "c" was searched
    assert (first.layer, again.layer) == ("a", "b")
    assert np.array_equal(first.pe_cycles, again.pe_cycles) and np.array_equal(first.load_bytes, again.load_bytes)
    assert dict(first.details) == dict(again.details) and first.counts == again.counts
    assert eng.execute(first).cycles == eng.execute(again).cycles
    assert dict(other.details) != dict(first.details)
