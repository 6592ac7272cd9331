"""Lowering a layer to EIE's work: weight matrices times sequences of input vectors (layer 5).

Linear: one vector per step. LSTM: the gate matrix (4H x (I+H)) of each direction times [x_t, h_{t-1}] per
time step (the activation mask's row t). Embedding: the table stored as its transpose (dim x vocab), one
one-hot column per token (a lookup reads the stored entries of that column; no MACs). Attention: its GEMMs
(:func:`accelsim.compile.gemm.lower`) as dense matrices times dense vectors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.eie.config import EieConfig
from accelsim.accelerators.eie.storage import SlicedMatrix, dense_slice, slice_matrix
from accelsim.compile.gemm import lower
from accelsim.compile.masks import checked_mask
from accelsim.errors import WorkloadError
from accelsim.workloads.layers import LSTM, Attention, Embedding, Layer, Linear


@dataclass(frozen=True)
class MatrixWork:
    """One weight matrix times a sequence of input vectors: ``vectors`` holds the distinct ones (U x cols,
    bool, in lexicographic order) and ``order`` the index of each step's vector in it (equal vectors have
    equal schedules and counts, so each is computed once). A ``lookup`` (Embedding) broadcasts token
    indices given from outside: no input vector in the activation registers (no scan, no batches, no
    reloads) and no MACs."""

    matrix: SlicedMatrix
    vectors: np.ndarray
    order: np.ndarray
    lookup: bool = False

    @classmethod
    def of(cls, matrix: SlicedMatrix, vectors: np.ndarray, lookup: bool = False) -> MatrixWork:
        distinct, order = _distinct_rows(vectors)
        return cls(matrix, distinct, order, lookup)


def _distinct_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows of boolean ``vectors`` in lexicographic order, index of each row among them): the
    rows packed eight elements to a byte (most significant first, so byte order is row order) and compared
    as byte strings."""
    packed = np.ascontiguousarray(np.packbits(vectors, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, first, order = np.unique(keys, return_index=True, return_inverse=True)
    return vectors[first], order.reshape(-1).astype(np.int64)


def _slice(mask, n_rows: int, n_cols: int, cfg: EieConfig) -> SlicedMatrix:
    if mask is None:
        return dense_slice(n_rows, n_cols, cfg.n_pes, cfg.rf_activations)
    return slice_matrix(mask, cfg.n_pes, cfg.rf_activations, cfg.index_bits)


def lower_layer(layer: Layer, masks, activations, cfg: EieConfig) -> list[MatrixWork]:
    """The matrix work of ``layer`` with weight ``masks`` and input ``activations`` (see
    :func:`accelsim.accelerators.eie.plan.compile_eie`)."""
    if masks is not None and not isinstance(layer, Attention):
        masks = checked_mask(layer, "weight mask", masks, layer.weight_shape)
    if isinstance(layer, Linear):
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, layer.in_features))
        return [MatrixWork.of(_slice(masks, layer.out_features, layer.in_features, cfg), acts)]
    if isinstance(layer, LSTM):
        width, gates = layer.input_size + layer.hidden_size, 4 * layer.hidden_size
        acts = checked_mask(layer, "activation mask", activations, (layer.steps, width))
        return [MatrixWork.of(_slice(None if masks is None else masks[d * gates:(d + 1) * gates], gates, width,
                                     cfg), acts) for d in range(layer.directions)]
    if isinstance(layer, Embedding):
        if activations is None:     # evenly spaced tokens: deterministic, spread over the table
            acts = np.zeros((layer.steps, layer.vocab_size), bool)
            acts[np.arange(layer.steps), np.arange(layer.steps) * layer.vocab_size // layer.steps] = True
        else:
            acts = checked_mask(layer, "one-hot token mask", activations, (layer.steps, layer.vocab_size))
        table = None if masks is None else masks.T      # a view: slicing reads it in place
        return [MatrixWork.of(_slice(table, layer.dim, layer.vocab_size, cfg), acts, lookup=True)]
    if isinstance(layer, Attention):
        return [MatrixWork(_slice(None, g.M, g.K, cfg), np.ones((1, g.K), bool),
                           np.zeros(g.E * g.repeats, np.int64)) for g in lower(layer)]
    raise WorkloadError("EIE runs matrix-vector layers only", key=layer.name,
                        expected="a Linear, LSTM, Embedding or Attention layer", got=layer.kind)
