"""SCNN's Cartesian product (CP) and accumulator banks (layer 5): operand streams cut into F-vectors of
weights and I-vectors of activations, the bank of every product of a weight code and an activation code,
and every step of a weight vector times an activation vector, run through the accumulator banks and their
queues in loop order (:mod:`.queues`; ``docs/scnn.md``, "Cartesian product", "Bank function", "Bank
queues")."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.scnn.machine import Machine, bank_of, bank_period
from accelsim.accelerators.scnn.queues import queued_cartesian
from accelsim.workloads.layers import Conv2D


@dataclass(frozen=True)
class Chunks:
    """Operand vectors fed to the multiplier array: F weights or I activations each.

    ``key``: the chunk's (stream, phase) key; ``codes``: (n, lanes) table codes (``discard`` for padding
    entries and empty lanes); ``entries``: stored entries in the chunk (padding included); ``first``: the
    chunk is the first of its key."""

    key: np.ndarray
    codes: np.ndarray
    entries: np.ndarray
    first: np.ndarray


def chunk(key: np.ndarray, codes: np.ndarray, lanes: int, discard: int, presorted: bool) -> Chunks:
    """Cut entries (in storage order) into vectors of ``lanes`` entries per ``key``."""
    if not presorted:
        order = np.argsort(key, kind="stable")
        key, codes = key[order], codes[order]
    n = key.size
    if n == 0:
        return Chunks(np.zeros(0, np.int64), np.zeros((0, lanes), np.int32), np.zeros(0, np.int64),
                      np.zeros(0, bool))
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[start, n])
    per_key = -(-sizes // lanes)
    base = np.cumsum(per_key) - per_key                     # each key's first vector
    total = int(base[-1] + per_key[-1])
    out = np.full(total * lanes, discard, dtype=np.int32)
    out[np.arange(n) + np.repeat(base * lanes - start, sizes)] = codes     # entry i of a key: first slot + i
    entries = np.full(total, lanes, np.int64)
    entries[base + per_key - 1] = sizes - (per_key - 1) * lanes           # a key's last vector holds the rest
    first = np.zeros(total, bool)
    first[base] = True
    return Chunks(np.repeat(key[start], per_key), out.reshape(total, lanes), entries, first)


@dataclass(frozen=True)
class BankTable:
    """Bank (or ``discard``) of the product of a weight code and an activation code.

    Weight code: (k mod ``k_codes``, kernel row, kernel column). Activation code: (x class, y class), where a
    coordinate's class keeps exactly what decides validity and bank: its exact value near the borders, its
    residue mod (bank period x stride) inside (see :func:`_coordinate_classes`)."""

    table: np.ndarray           # flat (n_weight_codes + 1) x (n_activation_codes + 1), uint8 (uint16 if A > 255)
    n_act: int                  # activation codes, discard included
    x_class: np.ndarray         # padded x -> class
    y_class: np.ndarray
    n_y: int
    k_codes: int                # output channels are coded k mod k_codes
    interior: tuple[int, int, int, int]     # x and y: first interior class, classes of the interior (x then y)
    stride_w: int
    stride_h: int
    weight_discard: int
    act_discard: int
    discard: int                # the bank value meaning "reaches no bank"

    def weight_code(self, k: np.ndarray, kernel_pos: np.ndarray, kernel_size: int) -> np.ndarray:
        """Code of a weight of output channel ``k`` at kernel position ``kernel_pos`` (row * kernel_w + col)."""
        return (k % self.k_codes) * kernel_size + kernel_pos

    def shifted_weights(self, codes: np.ndarray) -> np.ndarray:
        """Weight code rows with their output channels shifted so that each row's lowest is 0: a step's
        banks all move by one constant, so its conflicts and useful products stay the same, and rows that
        differ only by such a shift become one."""
        kernel_size = self.weight_discard // self.k_codes
        real = codes != self.weight_discard
        k = codes // kernel_size
        low = np.where(real, k, self.k_codes).min(axis=1, keepdims=True)
        return np.where(real, codes - low * kernel_size, codes).astype(codes.dtype)

    def shifted_activations(self, codes: np.ndarray) -> np.ndarray:
        """Activation code rows whose entries all lie inside the plane (every kernel offset valid) shifted by
        whole strides in x and y so that the row's first entry has the smallest residue of its stride
        phase: as :meth:`shifted_weights`, every bank of a step moves by one constant."""
        x_lo, x_span, y_lo, y_span = self.interior
        real = codes != self.act_discard
        xc, yc = codes // self.n_y, codes % self.n_y
        inside = (~real | ((xc >= x_lo) & (xc < x_lo + x_span) & (yc >= y_lo) & (yc < y_lo + y_span))).all(axis=1)
        first = np.where(real.any(axis=1), real.argmax(axis=1), 0)
        rows = np.arange(codes.shape[0])
        dx = (xc[rows, first] - x_lo) // self.stride_w * self.stride_w
        dy = (yc[rows, first] - y_lo) // self.stride_h * self.stride_h
        x_mod, y_mod = max(x_span, 1), max(y_span, 1)
        shifted = (x_lo + (xc - x_lo - dx[:, None]) % x_mod) * self.n_y + y_lo + (yc - y_lo - dy[:, None]) % y_mod
        return np.where(real & inside[:, None], shifted, codes).astype(codes.dtype)


def _coordinate_classes(padded: int, kernel: int, out: int, stride: int,
                        period: int) -> tuple[np.ndarray, np.ndarray]:
    """Class of each padded coordinate and a representative coordinate per class (-1: none).

    Left border (X < kernel - 1): its own class (some kernel offsets give an output < 0). Right border
    (X > (out - 1) * stride): its own class (some offsets give an output >= out). Interior: class by
    X mod (period x stride) (every offset valid; the bank needs (X - r) / stride mod ``period``)."""
    x = np.arange(max(padded, 1))
    span = period * stride
    left = x < kernel - 1
    right = ~left & (x > (out - 1) * stride)
    cls = np.where(left, x, np.where(right, kernel - 1 + span + x - (out - 1) * stride - 1,
                                     kernel - 1 + x % span))
    rep = np.full(int(cls.max()) + 1, -1, dtype=np.int64)
    rep[cls] = x
    return cls, rep


@dataclass(frozen=True)
class Window:
    """The geometry a bank table depends on: a kernel sliding with ``stride_w`` x ``stride_h`` over a padded
    plane onto an output plane of ``channels`` output channels, the planar tile ``row`` outputs wide in one
    stride phase (a fully connected layer is a 1x1 kernel over a row of input vectors)."""

    kernel_w: int
    kernel_h: int
    stride_w: int
    stride_h: int
    padded_w: int
    padded_h: int
    out_w: int
    out_h: int
    channels: int
    row: int

    @classmethod
    def of(cls, layer: Conv2D, tile_w: int) -> "Window":
        """``layer`` on planar tiles ``tile_w`` input pixels wide."""
        return cls(layer.kernel_w, layer.kernel_h, layer.stride_w, layer.stride_h, layer.padded_w, layer.padded_h,
                   layer.out_w, layer.out_h, layer.out_channels, -(-tile_w // layer.stride_w))

    @classmethod
    def row_of(cls, positions: int, channels: int) -> "Window":
        """A 1x1 kernel over ``positions`` input vectors side by side, ``channels`` outputs each."""
        return cls(1, 1, 1, 1, positions, 1, positions, 1, channels, positions)


def bank_table(window: Window, f: int, banks: int) -> BankTable:
    """The bank (:func:`.machine.bank_of`) of every (weight code, activation code) product of ``window`` on
    ``banks`` banks with ``f`` weights per step."""
    kernel_w, kernel_h, sw, sh = window.kernel_w, window.kernel_h, window.stride_w, window.stride_h
    out_w, out_h = window.out_w, window.out_h
    period = bank_period(f, banks)
    x_class, x_rep = _coordinate_classes(window.padded_w, kernel_w, out_w, sw, period)
    y_class, y_rep = _coordinate_classes(window.padded_h, kernel_h, out_h, sh, period)
    k_codes = min(banks, window.channels)
    k = np.arange(k_codes)[:, None, None, None, None]
    ry = np.arange(kernel_h)[None, :, None, None, None]
    rx = np.arange(kernel_w)[None, None, :, None, None]
    vx = x_rep[None, None, None, :, None]
    vy = y_rep[None, None, None, None, :]
    dx, dy = vx - rx, vy - ry
    ox, oy = dx // sw, dy // sh
    valid = ((vx >= 0) & (vy >= 0) & (dx % sw == 0) & (dy % sh == 0)
             & (ox >= 0) & (ox < out_w) & (oy >= 0) & (oy < out_h))
    bank = np.where(valid, bank_of(k, ox, oy, f, window.row, banks), banks)
    n_w, n_x, n_y = k_codes * kernel_h * kernel_w, x_rep.size, y_rep.size
    # one byte per entry while the bank ids and the discard value `banks` fit in it (A = 32 in SCNN)
    table = np.full((n_w + 1, n_x * n_y + 1), banks, dtype=np.min_scalar_type(banks))
    table[:n_w, :n_x * n_y] = bank.reshape(n_w, n_x * n_y)
    span_x, span_y = period * sw, period * sh   # interior classes, when the plane has every residue inside
    whole_x = x_rep.size > kernel_w - 1 + span_x and (x_rep[kernel_w - 1:kernel_w - 1 + span_x] >= 0).all()
    whole_y = y_rep.size > kernel_h - 1 + span_y and (y_rep[kernel_h - 1:kernel_h - 1 + span_y] >= 0).all()
    whole = whole_x and whole_y
    interior = (kernel_w - 1, span_x if whole else 0, kernel_h - 1, span_y if whole else 0)
    return BankTable(table.ravel(), n_x * n_y + 1, x_class, y_class, n_y, k_codes, interior, sw, sh, n_w,
                     n_x * n_y, banks)


@dataclass
class Tally:
    """What the Cartesian products of a layer add up to."""

    pe_cycles: np.ndarray       # (Program steps, PEs): multiplier-array cycles, conflicts included
    useful: int = 0             # products of two non-zeros reaching a bank
    fed: int = 0                # products computed (entries x entries), padding and out-of-plane included
    slots: int = 0              # multiplier slots of all steps (steps x F x I)
    conflicts: int = 0          # cycles beyond one per step
    steps: int = 0
    weight_reads: int = 0       # weight FIFO entries read
    activation_reads: int = 0   # IARAM activation entries read


@dataclass(frozen=True)
class Side:
    """One operand of the Cartesian product: its vectors and, per vector, the key it pairs on (a weight
    vector meets every activation vector of the same key), and its share of the step's PE and Program step
    (a step runs on PE ``w.pe + a.pe`` in Program step ``w.step + a.step``). ``kinds``: each vector's kind
    and the code rows of the kinds, as :func:`cartesian` computes them without bank queues, when known
    (an operand met again by another mapping)."""

    chunks: Chunks
    key: np.ndarray
    pe: np.ndarray
    step: np.ndarray
    kinds: tuple[np.ndarray, np.ndarray] | None = None


def _row_ids(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's index among the distinct rows of ``codes`` (a 2-D array of small non-negative integers),
    and those rows. A row is read as one number in base (largest code + 1) when that fits 63 bits."""
    base = int(codes.max(initial=0)) + 1
    if codes.shape[1] * math.log2(base) >= 63:
        rows, ids = np.unique(codes, axis=0, return_inverse=True)
        return rows, ids.reshape(-1)
    number = codes[:, 0].astype(np.int64)
    for column in range(1, codes.shape[1]):
        number = number * base + codes[:, column]
    _, first, ids = np.unique(number, return_index=True, return_inverse=True)
    return codes[first], ids.reshape(-1)


def step_kinds(shifted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinds of an operand's vectors from their shifted code rows (:meth:`BankTable.shifted_weights`,
    :meth:`BankTable.shifted_activations`): each vector's kind and the code rows of the kinds."""
    rows, kind = _row_ids(shifted)
    return kind, rows


def cartesian(w: Side, a: Side, w_fits: np.ndarray, table: BankTable, m: Machine,
              shape: tuple[int, int]) -> Tally:
    """Run every step (weight vector x activation vector of the same key), each PE's steps of a Program step
    in loop order through the bank queues (:func:`.queues.queued_cartesian`; depth 0, no queues: a step lasts
    as many cycles as its busiest accumulator bank receives products, at least one). ``shape``: (keys,
    Program steps). Operand reads follow the loop order: activation vector outer when the (c, g) weights fit
    the weight FIFO (``w_fits``, per weight vector), weight vector outer otherwise."""
    n_keys, n_steps = shape
    kinds = None
    if not m.bank_queue:                # a step's cycles then depend on its kind only
        kinds = (w.kinds or step_kinds(table.shifted_weights(w.chunks.codes)),
                 a.kinds or step_kinds(table.shifted_activations(a.chunks.codes)))
    cycles, totals = queued_cartesian(w.chunks, a.chunks, table.table, table.n_act, table.discard,
                                      (w.key, w.step, w.pe), w_fits, (a.key, a.step, a.pe), n_keys, m.n_pes,
                                      n_steps, m.bank_queue, kinds)
    useful, steps, fed, weight_reads, activation_reads = (int(t) for t in totals)
    return Tally(pe_cycles=cycles.reshape(n_steps, m.n_pes), useful=useful, fed=fed, slots=steps * m.lanes,
                 conflicts=int(cycles.sum()) - steps, steps=steps, weight_reads=weight_reads,
                 activation_reads=activation_reads)
