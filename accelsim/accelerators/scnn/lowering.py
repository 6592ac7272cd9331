"""Every layer type on SCNN's and DCNN's planar machine (layer 5): the dispatch, and the layers that are
other mappings in disguise: a 1x1 convolution on a 1x1 map and a Linear layer are fully connected, an LSTM
is its gate products one time step after another, Attention is its GEMMs one after another, an Embedding is
a row lookup (``docs/scnn.md``, "Fully connected and sequence layers")."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from accelsim.accelerators.scnn.conv import compile_conv
from accelsim.accelerators.scnn.fc import compile_fc, compile_serial_fc, plan_fc
from accelsim.accelerators.scnn.machine import Chain, Machine
from accelsim.accelerators.scnn.plane import plan_plane
from accelsim.accelerators.scnn.products import Products
from accelsim.accelerators.scnn.steps import concat
from accelsim.compile.gemm import Gemm, embedding_rows, lower
from accelsim.compile.masks import checked_mask
from accelsim.compile.program import Program
from accelsim.counts import Counts
from accelsim.formats import RunLength
from accelsim.units import bits_to_bytes
from accelsim.workloads.layers import LSTM, Attention, Conv2D, Embedding, Layer, Linear


def compile_planar(layer: Layer, m: Machine, products: Products, masks=None, activations=None,
                   chain: Chain | None = None) -> Program:
    """``layer`` on the planar machine ``m`` whose PEs compute as ``products`` says, from its weight mask
    (``layer.weight_shape``) and input-activation mask (``accelsim.pruning.activation_shape(layer)``);
    None = dense. ``chain``: the inference the layer belongs to (its activations may stay on chip)."""
    if isinstance(layer, Embedding):
        weights = None if masks is None else checked_mask(layer, "weight mask", masks, layer.weight_shape)
        return lookup(layer, m, weights)
    if isinstance(layer, Attention):    # kept dense by the paper: dense operands
        return attention(
            layer, m,
            lambda name, g: compile_fc(name, m, products, np.ones((g.M, g.K), bool), np.ones((g.E, g.K), bool)),
            lambda name, g: compile_serial_fc(name, m, products, [np.ones((g.M, g.K), bool)],
                                              np.ones((g.repeats * g.E, g.K), bool), g.M))
    weights = checked_mask(layer, "weight mask", masks, layer.weight_shape)
    if isinstance(layer, Conv2D):
        acts = checked_mask(layer, "activation mask", activations, (layer.in_channels, layer.in_h, layer.in_w))
        if is_fc_conv(layer):
            return compile_fc(layer.name, m, products, weights.reshape(layer.out_channels, layer.in_channels),
                              acts.reshape(1, layer.in_channels))
        return compile_conv(layer, m, products, weights, acts, chain)
    if isinstance(layer, Linear):
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, layer.in_features))
        return compile_fc(layer.name, m, products, weights, acts)
    if isinstance(layer, LSTM):
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, layer.input_size + layer.hidden_size))
        rows = 4 * layer.hidden_size
        return compile_serial_fc(layer.name, m, products, [weights[d * rows:(d + 1) * rows]
                                                           for d in range(layer.directions)], acts, layer.hidden_size)
    raise TypeError(f"no planar mapping for {type(layer).__name__}")


def check_planar(layer: Layer, m: Machine) -> None:
    """The errors :func:`compile_planar` would raise for ``layer`` that do not depend on its masks, raised
    without compiling: partial sums of a one-pixel tile, or of all input vectors at once, that do not fit
    the accumulators."""
    if isinstance(layer, Conv2D) and not is_fc_conv(layer):
        plan_plane(layer, m, lambda plane: np.zeros(1))
    elif isinstance(layer, (Conv2D, Linear)):
        out_features, in_features = layer.weight_shape[:2]
        plan_fc(m, out_features, in_features, getattr(layer, "steps", 1), np.zeros(in_features), layer.name)


def activation_chain(layers) -> Chain:
    """The on-chip activation chain of one inference's ``layers`` (:class:`.machine.Chain`): convolutions
    on the planar tiling hand over to convolutions."""
    return Chain.of(layers, lambda layer: isinstance(layer, Conv2D) and not is_fc_conv(layer))


def is_fc_conv(layer: Conv2D) -> bool:
    """A 1x1 convolution on a 1x1 map with no groups: a fully connected layer."""
    return (layer.in_h == layer.in_w == 1 and layer.kernel_h == layer.kernel_w == 1 and layer.groups == 1
            and not any(layer.padding))


def attention(layer: Attention, m: Machine, fc: Callable[[str, Gemm], Program],
              serial_fc: Callable[[str, Gemm], Program]) -> Program:
    """Attention as its GEMMs (:func:`accelsim.compile.gemm.lower`) one after another: ``fc(name, gemm)`` for
    a GEMM of several vectors at once (the memory projection), ``serial_fc(name, gemm)`` for the decoder
    steps' GEMMs (one vector after another)."""
    return concat(layer.name, m, [(fc if gemm.repeats == 1 and gemm.E > 1 else serial_fc)(f"{layer.name}#{i}", gemm)
                                  for i, gemm in enumerate(lower(layer))])


def lookup(layer: Embedding, m: Machine, mask: np.ndarray | None) -> Program:
    """An Embedding: ``steps`` rows read from DRAM and written back as the layer's output, no MACs. A
    compressed table row costs its mean stored bits (which rows are looked up is unknown)."""
    rows = embedding_rows(layer)
    if mask is None or m.index_bits == 0:
        row_bits = layer.dim * m.weight_bits
    else:
        stored = RunLength(value_bits=m.weight_bits, index_bits=m.index_bits).measure(mask).stored
        row_bits = float(stored.mean()) * m.weight_entry_bits
    n_bytes = int(np.ceil(bits_to_bytes(rows * row_bits)))
    words = rows * row_bits / m.oaram.width_bits
    return Program(layer.name, load_bytes=[n_bytes], pe_cycles=np.zeros((1, m.n_pes), np.int64),
                   store_bytes=[n_bytes], barrier=True, useful_macs=0,
                   counts=Counts({(m.oaram.name, "write_words"): words, (m.oaram.name, "read_words"): words}))
