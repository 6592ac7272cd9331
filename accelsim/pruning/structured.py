"""Structured masks: N:M, block and channel pruning, beside the unstructured ones (layer 2).

All three work on a layer's **reduction matrix**: one row per output (an output channel of a convolution,
an output unit of a matrix), one column per element of the reduction (the K of the GEMM the layer lowers to,
:mod:`accelsim.compile.gemm`). For a convolution with weights (out, in/groups, kh, kw) the columns are ordered
(kernel row, kernel column, input channel), **input channel fastest**, as an NHWC implicit GEMM and
SCALE-Sim's filter operand matrix order them: when the input channels are a multiple of M, every N:M group is
M consecutive input channels at one kernel position (what sparse tensor cores require); otherwise (the
3-channel first convolution, a depthwise 3x3) groups run on across kernel positions. A matrix layer (Linear,
LSTM, Attention) keeps its ``weight_shape`` rows and columns.

* **N:M** (:func:`nm_mask`): in every group of M consecutive columns of a row keep the N largest |w|. The
  last group of a row, of r < M columns, keeps min(N, r) (padded to M with zeros, as hardware does). Ties
  are pruned lowest column first, as :func:`accelsim.pruning.masks.magnitude_mask` does. Sparsity is
  (M - N) / M for rows that are a multiple of M long.
* **block** (:func:`block_mask`): b x b blocks of the reduction matrix (edge blocks smaller) ranked by the L2
  norm of their weights; the k = floor(s * blocks + 0.5) blocks of smallest norm are pruned, ties lowest
  block (row-major) first. ``s`` is the fraction of blocks pruned.
* **channel** (:func:`channel_mask`): whole rows (output channels or units) ranked by L1 norm; the
  k = floor(s * rows + 0.5) smallest are pruned. A channel-pruned model is a smaller *dense* model reached by
  pruning ("small-dense" of the paper's comparison): its kept channels need no index at all. The next layer's
  inputs from pruned channels are zero too, but their weights are not masked here (their masks say what the
  magnitude of *those* weights decides).

Embeddings are left dense by every structure (a row lookup has no reduction; Mishra et al. 2021 leave
them dense too); unstructured pruning is :func:`~accelsim.pruning.masks.prune`'s, which prunes them as the
paper does (its Tables 3 and 4 count every weight).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from accelsim.errors import InputError
from accelsim.pruning.masks import Masks, _keep, _layer_magnitudes, magnitude_mask, prune, rounded_count
from accelsim.schema import SPARSITY, checked
from accelsim.workloads.layers import Embedding
from accelsim.workloads.model import Model

KINDS = ("unstructured", "nm", "block", "channel")
STRUCTURE_HELP = "N:M (e.g. 2:4), block:B (B x B blocks, e.g. block:4), channel, or unstructured"


@dataclass(frozen=True)
class Structure:
    """A pruning structure: ``kind`` one of :data:`KINDS`; ``n``, ``m`` for N:M; ``block`` for block."""

    kind: str = "unstructured"
    n: int = 0
    m: int = 0
    block: int = 0

    def __str__(self) -> str:
        return {"nm": f"{self.n}:{self.m}", "block": f"block:{self.block}"}.get(self.kind, self.kind)

    @property
    def fixed_sparsity(self) -> float | None:
        """The sparsity the structure itself sets ((M - N) / M for N:M), or None when one is chosen."""
        return (self.m - self.n) / self.m if self.kind == "nm" else None


def parse_structure(text: str, key: str = "--structure") -> Structure:
    """``"2:4"``, ``"block:4"``, ``"channel"`` or ``"unstructured"`` as a :class:`Structure`; an InputError
    naming ``key`` otherwise (N:M needs 1 <= N <= M, block needs B >= 1)."""
    text = str(text).strip().lower()
    if text in ("unstructured", "channel"):
        return Structure(text)
    nm = re.fullmatch(r"(\d+):(\d+)", text)
    if nm and 1 <= int(nm[1]) <= int(nm[2]):
        return Structure("nm", n=int(nm[1]), m=int(nm[2]))
    block = re.fullmatch(r"block:(\d+)", text)
    if block and int(block[1]) >= 1:
        return Structure("block", block=int(block[1]))
    raise InputError("unknown pruning structure", key=key, expected=STRUCTURE_HELP, got=text)


def canonical_structure(text: str) -> str:
    """``text`` as :func:`parse_structure` reads it, in its canonical spelling (``"2:4"``, ``"block:4"``,
    ``"channel"``, ``"unstructured"``); an InputError otherwise."""
    return str(parse_structure(text))


#: how far below a multiple of 1/M a sparsity of eq. (1) may fall from float rounding and still count as it
NM_STEP_TOLERANCE = 1e-9


def gradual_nm(structure: Structure, sparsity: float) -> Structure:
    """The pattern a gradual N:M schedule holds at ``sparsity`` (a level of eq. (1) rising to (M - N) / M):
    N' = M - floor(sparsity x M + 1e-9) weights kept in every group of M, never fewer than N. For 2:4:
    4:4 below 25 %, 3:4 from 25 % and 2:4 from 50 % (the tolerance absorbs float rounding of s x M)."""
    pruned = int(np.floor(sparsity * structure.m + NM_STEP_TOLERANCE))
    return Structure("nm", n=max(structure.n, structure.m - pruned), m=structure.m)


def reduction_rows(array: ArrayLike) -> np.ndarray:
    """A weight (or mask) tensor as its reduction matrix: (out, in, kh, kw) -> (out, kh*kw*in), input channel
    fastest; a 2-D tensor as it is."""
    array = np.asarray(array)
    if array.ndim == 4:
        return array.transpose(0, 2, 3, 1).reshape(array.shape[0], -1)
    if array.ndim == 2:
        return array
    raise InputError("weights have no reduction matrix", key="weights", expected="a 2-D or 4-D array",
                     got=f"shape {array.shape}")


def from_reduction_rows(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of :func:`reduction_rows` for a tensor of ``shape``."""
    if len(shape) == 4:
        out, cin, kh, kw = shape
        return rows.reshape(out, kh, kw, cin).transpose(0, 3, 1, 2)
    return rows.reshape(shape)


def nm_groups(rows: np.ndarray, m: int, fill: float | bool = 0) -> np.ndarray:
    """(rows, K) -> (rows, ceil(K / m), m): groups of ``m`` consecutive columns, the last padded with ``fill``."""
    n_rows, k = rows.shape
    padded = np.full((n_rows, -(-k // m) * m), fill, dtype=rows.dtype)
    padded[:, :k] = rows
    return padded.reshape(n_rows, -1, m)


def nm_mask(weights: ArrayLike, n: int, m: int) -> np.ndarray:
    """Boolean mask of ``weights``' shape keeping the ``n`` largest |w| of every ``m`` along the reduction
    (module docstring: order, last group, ties)."""
    structure = Structure("nm", n=n, m=m) if 1 <= n <= m else parse_structure(f"{n}:{m}", key="n:m")
    magnitudes = np.abs(np.asarray(weights, dtype=np.float64))
    rows = reduction_rows(magnitudes)
    groups = nm_groups(rows, structure.m, fill=-1.0)          # padding ranks below every real weight
    order = np.argsort(groups, axis=2, kind="stable")        # ascending |w|, ties by lower column first
    keep = np.ones(groups.shape, dtype=bool)
    np.put_along_axis(keep, order[:, :, : m - n], False, axis=2)
    keep = keep.reshape(rows.shape[0], -1)[:, : rows.shape[1]]
    return from_reduction_rows(keep, magnitudes.shape)


def row_wise_mask(shape: tuple[int, ...], m: int, seed: int) -> np.ndarray:
    """SCALE-Sim 3.0.0's row-wise N:M weights (``OptimizedMapping``; ``operand_matrix.create_filter_matrix``):
    each row of the reduction matrix its own N drawn uniformly from [1, m/2] (``seed``), the first N of every
    group of ``m`` kept. For cross-checks: the positions, not the magnitudes, decide what is kept."""
    width = reduction_rows(np.ones(shape, dtype=bool)).shape[1]
    n = np.random.default_rng(seed).integers(1, m // 2 + 1, size=shape[0])
    return from_reduction_rows((np.arange(width) % m)[None, :] < n[:, None], shape)


def nm_complies(mask: ArrayLike, n: int, m: int) -> bool:
    """Whether every group of ``m`` along the reduction of ``mask`` keeps at most ``n`` weights."""
    groups = nm_groups(reduction_rows(np.asarray(mask, dtype=bool)), m, fill=False)
    return bool(np.count_nonzero(groups, axis=2).max(initial=0) <= n)


def block_mask(weights: ArrayLike, block: int, sparsity: float) -> np.ndarray:
    """Boolean mask of ``weights``' shape pruning the floor(s * blocks + 0.5) ``block`` x ``block`` blocks of
    the reduction matrix with the smallest L2 norm (module docstring)."""
    checked(SPARSITY, sparsity, "sparsity")
    magnitudes = np.abs(np.asarray(weights, dtype=np.float64))
    rows = reduction_rows(magnitudes)
    n_rows, k = rows.shape
    br, bc = -(-n_rows // block), -(-k // block)
    padded = np.zeros((br * block, bc * block))
    padded[:n_rows, :k] = rows
    norms = np.sqrt((padded.reshape(br, block, bc, block) ** 2).sum(axis=(1, 3)))
    keep_blocks = _keep(norms.ravel(), rounded_count(sparsity, norms.size)).reshape(br, bc)
    keep = np.repeat(np.repeat(keep_blocks, block, axis=0), block, axis=1)[:n_rows, :k]
    return from_reduction_rows(keep, magnitudes.shape)


def channel_mask(weights: ArrayLike, sparsity: float) -> np.ndarray:
    """Boolean mask of ``weights``' shape pruning the floor(s * rows + 0.5) output channels (rows) of smallest
    L1 norm, ties lowest row first."""
    checked(SPARSITY, sparsity, "sparsity")
    magnitudes = np.abs(np.asarray(weights, dtype=np.float64))
    rows = reduction_rows(magnitudes)
    keep_rows = _keep(rows.sum(axis=1), rounded_count(sparsity, rows.shape[0]))
    keep = np.repeat(keep_rows[:, None], rows.shape[1], axis=1)
    return from_reduction_rows(keep, magnitudes.shape)


def structured_mask(weights: ArrayLike, structure: Structure, sparsity: float | None) -> np.ndarray:
    """The mask of one layer's ``weights`` under ``structure`` (``sparsity`` unused for N:M)."""
    if structure.kind == "nm":
        return nm_mask(weights, structure.n, structure.m)
    if structure.kind == "block":
        return block_mask(weights, structure.block, sparsity)
    if structure.kind == "channel":
        return channel_mask(weights, sparsity)
    return magnitude_mask(weights, sparsity)


def prune_structured(model: Model, structure: Structure, sparsity: float | None = None, *, seed: int,
                     weights: Mapping[str, ArrayLike] | None = None) -> Masks:
    """Masks of ``model``'s prunable layers under ``structure`` (Embeddings stay dense under a structure;
    unstructured masks are :func:`~accelsim.pruning.masks.prune`'s, the ones a simulation of the same point uses).

    ``sparsity``: the fraction pruned for block (of blocks), channel (of channels) and unstructured (of
    weights); N:M sets its own, so a sparsity given with it is an InputError. ``weights`` as for
    :func:`accelsim.pruning.masks.prune` (None: seeded synthetic weights).
    """
    if structure.kind == "nm" and sparsity is not None:
        raise InputError("N:M pruning sets its own sparsity", key="--sparsity",
                         expected=f"no --sparsity with {structure} (it prunes {structure.fixed_sparsity:g})",
                         got=sparsity)
    if structure.kind != "nm":
        if sparsity is None:
            raise InputError("no sparsity given", key="--sparsity",
                             expected=f"a number in [0, 1) for {structure} pruning")
        checked(SPARSITY, sparsity, "sparsity")
    if structure.kind == "unstructured":
        return prune(model, sparsity, seed=seed, weights=weights)
    masks = {}
    for layer, magnitudes in zip(model.prunable_layers, _layer_magnitudes(model, seed, weights)):
        dense = isinstance(layer, Embedding)
        masks[layer.name] = (np.ones(magnitudes.shape, bool) if dense
                             else structured_mask(magnitudes, structure, sparsity))
    return Masks(masks)
