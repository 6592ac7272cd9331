"""SCNN's arbitrated crossbar with a queue at each accumulator bank (layer 5; ``docs/scnn.md``, "Bank
queues"). Each cycle the multiplier array issues one step (F x I products) and each bank adds one product
into its accumulator; a product waits in its bank's queue of ``depth`` entries, and the array stalls while
a step's products would not fit. Depth 0 is a step that waits for its busiest bank.

Per bank, with B products still to add after the cycle a step issues in (that cycle adds one): the next
step issues ``1 + max(0, max_b B_b - depth)`` cycles later, the banks having added one product per cycle
meanwhile; after the last step the banks drain their queues. Equivalently, with ``free_b`` the cycle bank
b's queue empties: a step issued in cycle t moves it to ``max(free_b, t) + products``, and the next step
issues in cycle ``max(t + 1, max_b free_b - depth)``: a step touches only the banks its products reach.

A step's time depends on the queues the steps before it left, so each sequence of steps (one PE's steps of
one Program step) runs step by step, in loop order. The loops are compiled with numba: numpy can vectorise
only across sequences, and a PE's sequence is thousands of steps long (AlexNet conv2: 7 M steps in all)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from accelsim.accelerators.scnn.cartesian import Chunks


#: Most (weight kind, activation kind) pairs whose step cycles are remembered (two int64 tables: 64 MB).
KINDS = 1 << 22


@njit(cache=True)
def _add(free: np.ndarray, bank: int, now: int, products: int) -> int:
    """Queue ``products`` at ``bank`` in the cycle ``now``; ``free[bank]`` is the cycle its queue empties (it
    adds one product per cycle). Returns the new ``free[bank]``."""
    free[bank] = max(free[bank], now) + products
    return free[bank]


@njit(cache=True)
def _queued_counts(counts: np.ndarray, sequence: np.ndarray, n_seq: int, depth: int) -> np.ndarray:
    free = np.zeros((n_seq, counts.shape[1]), np.int64)
    issued = np.zeros(n_seq, np.int64)      # cycle after a sequence's last issue
    last = np.zeros(n_seq, np.int64)        # cycle its busiest queue empties
    for step in range(counts.shape[0]):
        s = sequence[step]
        now = max(issued[s], last[s] - depth)
        for b in range(counts.shape[1]):
            if counts[step, b]:
                last[s] = max(last[s], _add(free[s], b, now, counts[step, b]))
        issued[s] = now + 1
    return np.maximum(issued, last)


def queued_cycles(counts: np.ndarray, sequence: np.ndarray, depth: int) -> np.ndarray:
    """The recurrence on per-bank counts (what the tests trace by hand; :func:`queued_cartesian` runs it on
    a layer's products). Cycles of each sequence of steps: ``counts`` (steps, banks) products per bank of
    each step, the steps of a sequence in issue order, ``sequence`` (steps,) their sequence ids (0, 1, ...).
    From the first issue to the last product added; every sequence starts with empty queues."""
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    sequence = np.ascontiguousarray(sequence, dtype=np.int64)
    n_seq = int(sequence.max()) + 1 if sequence.size else 0
    return _queued_counts(counts, sequence, n_seq, depth)


@njit(cache=True)
def _queued_runs(w_codes, a_codes, w_entries, a_entries, w_first, a_first, table, n_act, banks, pes, n_seq, depth,
                 w_vectors, w_start, w_step, w_pe, w_fits, key_w, a_vectors, a_start, a_step, a_pe, key_a):
    free = np.zeros((n_seq, banks), np.int64)
    issued = np.zeros(n_seq, np.int64)
    last = np.zeros(n_seq, np.int64)
    totals = np.zeros(5, np.int64)      # useful products, steps, products fed, weight reads, activation reads
    for key in range(key_w.size - 1):
        for rw in range(key_w[key], key_w[key + 1]):
            for ra in range(key_a[key], key_a[key + 1]):
                s = (w_step[rw] + a_step[ra]) * pes + w_pe[rw] + a_pe[ra]
                n_w, n_a = w_start[rw + 1] - w_start[rw], a_start[ra + 1] - a_start[ra]
                for outer in range(n_w * n_a):
                    if w_fits[rw]:      # activation vector outer: the weights of (c, g) stay in the FIFO
                        x, y = outer // n_w, outer % n_w
                    else:
                        x, y = outer % n_a, outer // n_a
                    wi, ai = w_vectors[w_start[rw] + y], a_vectors[a_start[ra] + x]
                    now = max(issued[s], last[s] - depth)
                    for wc in w_codes[wi]:
                        for ac in a_codes[ai]:
                            bank = table[wc * n_act + ac]
                            if bank < banks:
                                last[s] = max(last[s], _add(free[s], bank, now, 1))
                                totals[0] += 1
                    issued[s] = now + 1
                    totals[1] += 1
                    totals[2] += w_entries[wi] * a_entries[ai]
                    # each weight entry read from the FIFO once per activation vector when the weights fit
                    # it, else once per (c, g); each activation vector read once per weight vector otherwise
                    totals[3] += w_entries[wi] * (1 if w_fits[rw] else a_first[ai])
                    totals[4] += a_entries[ai] * (w_first[wi] if w_fits[rw] else 1)
    return np.maximum(issued, last), totals


@njit(cache=True)
def _busiest(w_rows, wk, a_rows, ak, table, n_act, banks, counts):
    """(cycles, useful products) of a step of weight kind ``wk`` (code row ``w_rows[wk]``) and activation kind
    ``ak``: the products its busiest bank receives (at least 1), and the products reaching a bank. ``counts``
    (per bank, zeros) is left zero; rows are read by index (no array views: 2x faster)."""
    busiest, useful = 1, 0
    for p in range(w_rows.shape[1]):
        row = w_rows[wk, p] * n_act
        for q in range(a_rows.shape[1]):
            bank = table[row + a_rows[ak, q]]
            if bank < banks:
                counts[bank] += 1
                useful += 1
                busiest = max(busiest, counts[bank])
    for p in range(w_rows.shape[1]):
        row = w_rows[wk, p] * n_act
        for q in range(a_rows.shape[1]):
            counts[table[row + a_rows[ak, q]]] = 0
    return busiest, useful


@njit(cache=True)
def _kind_runs(w_rows, a_rows, table, n_act, banks, pes, n_seq, w_step, w_pe, w_fits, key_w, w_run, a_step, a_pe,
               key_a, a_run):
    """Depth 0: per (weight run, activation run) pair, the steps added up by kind (see :func:`_histograms`
    for ``w_run`` and ``a_run``); each (weight kind, activation kind) met computed once from its rows."""
    w_kstart, w_kind, w_kcount, w_n, w_se, w_sf = w_run
    a_kstart, a_kind, a_kcount, a_n, a_se, a_sf = a_run
    cycles = np.zeros(n_seq, np.int64)
    counts = np.zeros(banks + 1, np.int64)
    n_ak = a_rows.shape[0]
    kind_cycles = np.full(w_rows.shape[0] * n_ak, -1, np.int64)
    kind_useful = np.zeros(kind_cycles.size, np.int64)
    totals = np.zeros(5, np.int64)
    for key in range(key_w.size - 1):
        for rw in range(key_w[key], key_w[key + 1]):
            for ra in range(key_a[key], key_a[key + 1]):
                s = (w_step[rw] + a_step[ra]) * pes + w_pe[rw] + a_pe[ra]
                for i in range(w_kstart[rw], w_kstart[rw + 1]):
                    for j in range(a_kstart[ra], a_kstart[ra + 1]):
                        kind = w_kind[i] * n_ak + a_kind[j]
                        if kind_cycles[kind] < 0:
                            kind_cycles[kind], kind_useful[kind] = _busiest(w_rows, w_kind[i], a_rows, a_kind[j],
                                                                            table, n_act, banks, counts)
                        alike = w_kcount[i] * a_kcount[j]
                        cycles[s] += alike * kind_cycles[kind]
                        totals[0] += alike * kind_useful[kind]
                totals[1] += w_n[rw] * a_n[ra]
                totals[2] += w_se[rw] * a_se[ra]
                totals[3] += w_se[rw] * (a_n[ra] if w_fits[rw] else a_sf[ra])
                totals[4] += a_se[ra] * (w_sf[rw] if w_fits[rw] else w_n[rw])
    return cycles, totals


def _distinct_rows(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row of the 2-D array ``lines`` among its distinct rows, and the first row of each: each
    row read as one opaque value of its bytes (10x faster than ``np.unique(axis=0)``)."""
    lines = np.ascontiguousarray(lines)
    whole = lines.view(np.dtype((np.void, lines.dtype.itemsize * lines.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(whole, return_index=True, return_inverse=True)
    return inverse.reshape(-1), first


def _canonical(kind: np.ndarray, rows: np.ndarray, code_class: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinds of vectors (``kind`` per vector, code ``rows`` per kind) merged by sorted rows of classes:
    (new kind per vector, class rows of the new kinds)."""
    classes = np.sort(code_class[rows], axis=1)
    of_kind, first = _distinct_rows(classes)
    return of_kind[kind], classes[first]


def merged_kinds(kinds, table: np.ndarray, n_act: int):
    """``kinds`` (((weight kind per vector, code rows of each weight kind), (the same for activations)), as
    :func:`queued_cartesian` takes them) merged by classes: (weight kind per vector, class rows of
    the weight kinds, the same for activations, the bank table of classes (flat, weight class major), and
    the number of activation classes)."""
    grid = table.reshape(-1, n_act)
    w_class, w_first = _distinct_rows(grid)
    a_class, a_first = _distinct_rows(grid.T)
    w_kind, w_rows = _canonical(*kinds[0], w_class)
    a_kind, a_rows = _canonical(*kinds[1], a_class)
    return (w_kind, w_rows, a_kind, a_rows, np.ascontiguousarray(grid[np.ix_(w_first, a_first)]).ravel(),
            a_first.size)


def _histograms(vectors: np.ndarray, start: np.ndarray, kind: np.ndarray, entries: np.ndarray, first: np.ndarray):
    """Per run of ``vectors`` (``start``: run boundaries): its kinds with their counts (CSR: start per run,
    kind, count), its vectors, stored entries and first-of-stream vectors."""
    n_runs = start.size - 1
    run = np.repeat(np.arange(n_runs), np.diff(start))
    n_kinds = int(kind.max(initial=0)) + 1
    pairs, count = np.unique(run * n_kinds + kind[vectors], return_counts=True)
    kstart = np.searchsorted(pairs // n_kinds, np.arange(n_runs + 1))
    sums = [np.add.reduceat(x[vectors].astype(np.int64), start[:-1]) if n_runs else np.zeros(0, np.int64)
            for x in (entries, first)]
    return kstart, pairs % n_kinds, count, np.diff(start), sums[0], sums[1]


def _runs(key: np.ndarray, step: np.ndarray, pe: np.ndarray, n_keys: int):
    """One operand's vectors grouped into runs of equal (key, Program step, PE), keys ascending, vectors
    in index order within a run: (vector indices, run starts, run Program step, run PE, first vector of
    each run, run range of each key)."""
    order = np.lexsort((np.arange(key.size), pe, step, key))
    k, st, p = key[order], step[order], pe[order]
    start = np.flatnonzero(np.r_[True, (k[1:] != k[:-1]) | (st[1:] != st[:-1]) | (p[1:] != p[:-1])][:key.size])
    key_range = np.searchsorted(k[start], np.arange(n_keys + 1))
    return order, np.r_[start, key.size], st[start], p[start], order[start], key_range


def queued_cartesian(w: Chunks, a: Chunks, table: np.ndarray, n_act: int, banks: int,
                     w_side: tuple[np.ndarray, np.ndarray, np.ndarray], w_fits: np.ndarray,
                     a_side: tuple[np.ndarray, np.ndarray, np.ndarray], n_keys: int, pes: int, n_steps: int,
                     depth: int, kinds=None) -> tuple[np.ndarray, np.ndarray]:
    """Every step of a Cartesian product, each (Program step, PE) sequence through bank queues of ``depth``
    products (0: each step waits for its busiest bank): the cycles of every sequence, (n_steps * pes,), and
    the totals (useful products reaching a bank, steps, products fed, weight FIFO entries read, IARAM
    activation entries read).

    A weight vector (of ``w``) meets every activation vector (of ``a``) of its key; ``w_side`` and
    ``a_side`` give each vector's (key, Program step share, PE share): the step runs on PE ``w_pe + a_pe``
    in Program step ``w_step + a_step`` (each key pairs one weight run with one activation run per
    sequence). A sequence runs its keys in ascending order; within a key the activation vector is the outer
    loop where the weights fit the FIFO (``w_fits``, per weight vector), the weight vector otherwise,
    vectors in index order. ``table[w_code * n_act + a_code]`` is a product's bank (``banks``: none).

    ``kinds`` (used at depth 0 only): ((weight kind per vector, code rows of each weight kind), (the same for
    activations)), vectors of one kind giving every step the same cycles and useful products. A step's
    cycles then depend on its kinds alone, so kinds are merged further (:func:`merged_kinds`), each pair of
    runs adds up its steps by kind, and each (weight kind, activation kind) met is computed once (up to
    :data:`KINDS` pairs; beyond, every step is walked)."""
    w_vectors, w_start, w_step, w_pe, w_lead, key_w = _runs(*w_side, n_keys)
    a_vectors, a_start, a_step, a_pe, _, key_a = _runs(*a_side, n_keys)
    fits = w_fits[w_lead]
    if not depth and kinds is not None:
        w_kind, w_rows, a_kind, a_rows, classes, n_classes = merged_kinds(kinds, table, n_act)
        if w_rows.shape[0] * a_rows.shape[0] <= KINDS:
            return _kind_runs(w_rows, a_rows, classes, n_classes, banks, pes, n_steps * pes, w_step, w_pe, fits,
                              key_w, _histograms(w_vectors, w_start, w_kind, w.entries, w.first), a_step, a_pe,
                              key_a, _histograms(a_vectors, a_start, a_kind, a.entries, a.first))
    return _queued_runs(np.ascontiguousarray(w.codes), np.ascontiguousarray(a.codes), w.entries, a.entries,
                        w.first, a.first, table, n_act, banks, pes, n_steps * pes, depth, w_vectors, w_start,
                        w_step, w_pe, fits, key_w, a_vectors, a_start, a_step, a_pe, key_a)
