"""ONNX LSTM and GRU -> accelsim layers with their real weights (layer 2).

LSTM: ONNX stores W (directions, 4H, input), R (directions, 4H, H) with gate blocks in the order i, o, f, c;
accelsim's LSTM multiplies [x_t, h_t-1] by one (4H, input + H) matrix per direction with gates in the order
i, f, g (ONNX's c), o (``accelsim.workloads.layers.LSTM``). The importer concatenates W and R per direction,
reorders the gate blocks, and stacks the directions row-wise. Peepholes (P) are element-wise and not counted.
Its input-activation mask is [x_t, h_t-1] of the forward direction for every time step t (and batch row).

GRU has no accelsim layer of its own; its matrix products are two kinds of Linear layers with the real
weights: ``NAME.input``, x_t by W of every direction (directions * 3H outputs), and one ``NAME.recurrent``
(``NAME.recurrent_reverse`` for the backward direction) per direction, h_t-1 by R (3H outputs). The MACs
are the GRU's; with ``linear_before_reset = 0`` the candidate gate multiplies r * h_t-1 rather than h_t-1,
whose zeros the mask of h_t-1 stands for.
"""
from __future__ import annotations

import numpy as np

from accelsim.importers.onnx.context import GraphContext, Unmappable, attributes, optional_input
from accelsim.importers.onnx.mapped import Mapped, nonzero
from accelsim.workloads.layers import LSTM, Linear

#: ONNX LSTM gate block order i, o, f, c -> accelsim's i, f, g (= c), o.
LSTM_GATE_ORDER = (0, 2, 3, 1)


def _sequence(node, context: GraphContext) -> tuple[int, int, int, bool]:
    """(sequence length, batch, input size, batch-first layout) of a recurrent node's input X."""
    shape = context.shape(node.input[0])
    layout = int(attributes(node).get("layout", 0))
    seq, batch = (shape[1], shape[0]) if layout else (shape[0], shape[1])
    return seq, batch, shape[2], bool(layout)


def _previous_hidden(values, node, direction: int, hidden: int, layout: bool) -> np.ndarray:
    """h_t-1 of ``direction`` for every step t (time-major rows (t, batch)): the initial state (zeros when
    absent) for the first step of that direction, then the node's output Y."""
    y = np.asarray(values[1])                       # (seq, dirs, batch, H) or (batch, seq, dirs, H)
    y = (y.transpose(1, 2, 0, 3) if layout else y)[:, direction]     # (seq, batch, H)
    if len(values) > 2:                             # initial_h: (dirs, batch, H) or (batch, dirs, H)
        initial = np.asarray(values[2])[:, direction] if layout else np.asarray(values[2])[direction]
    else:
        initial = np.zeros_like(y[0])
    if direction == 0:
        return np.concatenate([initial[None], y[:-1]]).reshape(-1, hidden)
    return np.concatenate([y[1:], initial[None]]).reshape(-1, hidden)


def _sources(node) -> tuple[str, ...]:
    if not optional_input(node, 0) or not node.output or not node.output[0]:
        raise Unmappable("a recurrent node without its output Y (needed for the hidden state)")
    initial_h = optional_input(node, 5)
    return (node.input[0], node.output[0]) + ((initial_h,) if initial_h else ())


def _inputs(values, layout: bool, size: int) -> np.ndarray:
    x = np.asarray(values[0])
    return (np.swapaxes(x, 0, 1) if layout else x).reshape(-1, size)


def map_lstm(node, context: GraphContext, name: str) -> list[Mapped]:
    seq, batch, size, layout = _sequence(node, context)
    w, r = context.const(node.input[1]), context.const(node.input[2])
    hidden = r.shape[-1]
    directions = w.shape[0]
    blocks = []
    for d in range(directions):
        both = np.concatenate([w[d], r[d]], axis=1).reshape(4, hidden, size + hidden)
        blocks.append(both[list(LSTM_GATE_ORDER)].reshape(4 * hidden, size + hidden))
    layer = LSTM(name, input_size=size, hidden_size=hidden, bias=bool(optional_input(node, 3)),
                 bidirectional=directions == 2, steps=seq * batch)

    def to_mask(values):
        x = _inputs(values, layout, size)
        h = _previous_hidden(values, node, 0, hidden, layout)
        return nonzero(np.concatenate([x, h], axis=1))
    note = "bidirectional: input mask of the forward direction" if directions == 2 else ""
    return [Mapped(layer, np.concatenate(blocks).astype(np.float32), _sources(node), to_mask, note=note)]


def map_gru(node, context: GraphContext, name: str) -> list[Mapped]:
    seq, batch, size, layout = _sequence(node, context)
    w, r = context.const(node.input[1]), context.const(node.input[2])
    hidden = r.shape[-1]
    directions = w.shape[0]
    bias = bool(optional_input(node, 3))
    sources = _sources(node)
    steps = seq * batch
    mapped = [Mapped(Linear(f"{name}.input", in_features=size, out_features=directions * 3 * hidden, steps=steps,
                            bias=bias), w.reshape(directions * 3 * hidden, size).astype(np.float32), sources,
                     lambda values: nonzero(_inputs(values, layout, size)))]
    for d in range(directions):
        suffix = "recurrent" if d == 0 else "recurrent_reverse"
        mapped.append(Mapped(Linear(f"{name}.{suffix}", in_features=hidden, out_features=3 * hidden, steps=steps,
                                    bias=bias), r[d].astype(np.float32), sources,
                             lambda values, d=d: nonzero(_previous_hidden(values, node, d, hidden, layout))))
    return mapped
