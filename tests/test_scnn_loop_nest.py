"""SCNN's per-PE cycles re-derived independently from the paper's loop nest (PT-IS-CP-sparse, Parashar et
al., ISCA 2017, Sec. 3 and Fig. 4 as restated in reference/scnn_isca2017.md sec. 1.3), with plain Python
loops over one PE at a time, never calling the module under test: the planar tile of each PE (the input
plane cut into rows x cols tiles), per output-channel group (Kc: the mapper's choice, read from the
Program) and input channel c, the tile's channel-c activations in raster order and the (c, group) weights in
(r, s, k) order, both stored with 4-bit zero runs (a placeholder entry after 15 zeros, trailing zeros not
stored), cut into I- and F-vectors; every F-vector meets every I-vector in one step of F x I products; a
product of two real entries whose output lies in the plane goes to bank (k + F (x + Wt y)) mod A
(docs/scnn.md, "Bank function"), and a step lasts as many cycles as its busiest bank receives (at least 1)."""
import math
from collections import Counter

import numpy as np
import pytest
from conftest import hw_variant

from accelsim.accelerators.scnn.engine import compile_scnn
from accelsim.workloads.layers import Conv2D


def stored(values):
    """Entries of a run-length stream of booleans (4-bit zero runs): [real?], a placeholder after 15 zeros."""
    entries, zeros = [], 0
    last = max((i for i, v in enumerate(values) if v), default=-1)
    for i, v in enumerate(values[:last + 1]):
        if v:
            entries.append(i)
            zeros = 0
        elif zeros == 15:
            entries.append(-1 - i)            # a placeholder (its position, negated)
            zeros = 0
        else:
            zeros += 1
    return entries


def chunks(entries, size):
    return [entries[i:i + size] for i in range(0, len(entries), size)]


def reference_pe_cycles(layer, weights, acts, rows, cols, kc, f, i, banks):
    """Multiplier-array cycles of each PE (row-major), all groups, from the loop nest."""
    tw, th = math.ceil(layer.in_w / cols), math.ceil(layer.in_h / rows)
    top, _, left, _ = layer.padding
    cycles = []
    for ty in range(rows):
        for tx in range(cols):
            pixels = [(x, y) for y in range(ty * th, min((ty + 1) * th, layer.in_h))
                      for x in range(tx * tw, min((tx + 1) * tw, layer.in_w))]
            total = 0
            for k0 in range(0, layer.out_channels, kc):
                ks = range(k0, min(k0 + kc, layer.out_channels))
                for c in range(layer.in_channels):
                    a_stream = stored([bool(acts[c, y, x]) for x, y in pixels])
                    order = [(r, s, k) for r in range(layer.kernel_h) for s in range(layer.kernel_w) for k in ks]
                    w_stream = stored([bool(weights[k, c, r, s]) for r, s, k in order])
                    for a_vec in chunks(a_stream, i):
                        for w_vec in chunks(w_stream, f):
                            hits = Counter()
                            for wp in w_vec:
                                for ap in a_vec:
                                    if wp < 0 or ap < 0:
                                        continue            # a placeholder reaches no bank
                                    r, s, k = order[wp]
                                    x, y = pixels[ap]
                                    ox, oy = x + left - s, y + top - r
                                    if 0 <= ox < layer.out_w and 0 <= oy < layer.out_h:
                                        hits[(k + f * (ox + tw * oy)) % banks] += 1
                            total += max(max(hits.values(), default=0), 1)
            cycles.append(total)
    return cycles


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pointwise_layer_per_pe(seed):
    """1x1 convolution, random masks (weights ~35% dense, activations ~55%), 6 -> 20 channels on a 9 x 7 plane
    over 2 x 3 PEs (edge tiles smaller): every PE's cycles equal the loop nest's (no halo on a 1x1 kernel)."""
    rng = np.random.default_rng(seed)
    layer = Conv2D("pw", in_channels=6, out_channels=20, in_h=9, in_w=7)
    weights = rng.random(layer.weight_shape) < 0.35
    acts = rng.random((6, 9, 7)) < 0.55
    hw = hw_variant("scnn", {"pe_array.rows": 2, "pe_array.cols": 3})
    program = compile_scnn(layer, hw, weights, acts)
    expected = reference_pe_cycles(layer, weights, acts, 2, 3, int(program.details["kc"]), 4, 4, 32)
    assert program.pe_cycles.sum(axis=0).tolist() == expected


@pytest.mark.parametrize("seed", [0, 1])
def test_three_by_three_layer_in_total(seed):
    """3x3 convolution (padding 1), random masks, 3 -> 8 channels on 8 x 8 over 2 x 2 PEs (4 x 4 tiles, no
    sparsity in the shape of the plane): the PEs' cycles sum to the loop nest's plus the halo drain the
    Program reports (mean over PEs, halo_stall_cycles x PEs)."""
    rng = np.random.default_rng(seed)
    layer = Conv2D("c3", in_channels=3, out_channels=8, kernel_h=3, kernel_w=3, in_h=8, in_w=8,
                   padding=(1, 1, 1, 1))
    weights = rng.random(layer.weight_shape) < 0.5
    acts = rng.random((3, 8, 8)) < 0.6
    hw = hw_variant("scnn", {"pe_array.rows": 2, "pe_array.cols": 2})
    program = compile_scnn(layer, hw, weights, acts)
    expected = reference_pe_cycles(layer, weights, acts, 2, 2, int(program.details["kc"]), 4, 4, 32)
    halo = program.details["halo_stall_cycles"] * 4
    assert int(program.pe_cycles.sum()) == sum(expected) + round(halo)
