"""A DRAM channel limited by bandwidth, latency and the requests it keeps in flight."""
from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import simpy

#: Tolerance of the float schedule: a completion within it of a whole cycle lands on that cycle.
_EPSILON = 1e-9


class DramChannel:
    """One DRAM channel shared by reads and writes, with at most ``outstanding_requests`` requests in flight.

    A transfer of ``n`` bytes is ``k = ceil(n / request_bytes)`` requests issued in order (the last one
    carries the remainder). Request ``i`` of the channel is issued at ``a_i = max(t, c_{i-N})``: when its
    transfer was asked for (``t``) and a slot is free (``N = outstanding_requests``; the slot of request i-N
    frees when that request completes). Its data leaves the DRAM ``latency_cycles`` after issue and crosses
    the bus after the previous request's data (FIFO), taking ``d_i = bytes_i / bytes_per_cycle`` cycles; the
    request completes when its last byte has arrived::

        c_i = max(a_i + L, c_{i-1}) + d_i = max(t + L, c_{i-N} + L, c_{i-1}) + d_i

    So the latency overlaps the bus time of the requests in flight: with enough requests
    (``latency x bandwidth / request_bytes + 1``, the default:
    :attr:`~accelsim.hardware.schema.Dram.requests_in_flight`) an isolated transfer completes at
    ``t + L + n / B`` and back-to-back transfers stream at the full bandwidth ``B``; with fewer, each request slot carries ``request_bytes`` per round trip
    ``L + request_bytes / B`` and the throughput is ``N x request_bytes / (L + request_bytes / B)``.

    One event per transfer: the completions of a transfer's requests follow in closed form from the channel's
    last ``N`` completions (:meth:`_schedule`). A transfer's event fires at its last completion rounded up to
    a whole cycle; the channel keeps the exact (fractional) times. Counts bytes read and written.
    """

    def __init__(self, env: simpy.Environment, bytes_per_cycle: float, latency_cycles: int,
                 outstanding_requests: int, request_bytes: int) -> None:
        if bytes_per_cycle <= 0 or latency_cycles < 0 or outstanding_requests < 1 or request_bytes < 1:
            raise ValueError("DramChannel needs bytes_per_cycle > 0, latency_cycles >= 0, "
                             "outstanding_requests >= 1 and request_bytes >= 1")
        self.env = env
        self.bytes_per_cycle = float(bytes_per_cycle)
        self.latency_cycles = int(latency_cycles)
        self.outstanding_requests = int(outstanding_requests)
        self.request_bytes = int(request_bytes)
        #: completion times of the channel's last N requests, oldest first (-inf: no request yet)
        self._recent = [-math.inf] * self.outstanding_requests
        self.read_bytes = 0
        self.write_bytes = 0

    def read(self, n_bytes: int) -> simpy.events.Event:
        """Start reading ``n_bytes`` now; the returned event fires when the last byte has arrived."""
        self.read_bytes += n_bytes
        return self._transfer(n_bytes)

    def write(self, n_bytes: int) -> simpy.events.Event:
        """Start writing ``n_bytes`` now; the returned event fires when the last byte has been written."""
        self.write_bytes += n_bytes
        return self._transfer(n_bytes)

    def _transfer(self, n_bytes: int) -> simpy.events.Event:
        return self.env.timeout(self.completion(self.env.now, n_bytes) - self.env.now)

    def completion(self, now: int, n_bytes: int) -> int:
        """The whole cycle at which a transfer of ``n_bytes`` asked for at cycle ``now`` completes (``now``
        for none); the channel then counts it as in flight (it does not count its bytes)."""
        if n_bytes <= 0:
            return now
        done = self._schedule(float(now), int(n_bytes))
        return now + max(0, math.ceil(done - _EPSILON) - now)

    def _schedule(self, t: float, n_bytes: int) -> float:
        """Completion of a transfer of ``n_bytes`` asked for at ``t``; updates the last N completions.

        Unrolling the recurrence of the class docstring over the transfer's full requests (all of duration
        ``d``): a path back from request i either steps to i-1 (adding ``d``) or jumps to i-N (adding
        ``L + d``, i.e. ``g = L - (N-1) d`` more than N steps, worth taking only when ``g > 0``: too few
        requests to cover the latency). Request i (0-based in the transfer, previous completions h_r =
        c_{-r}) therefore completes at the largest of

        * ``t + L + (i+1) d + floor(i/N) g+``  (its own issue time),
        * ``h_1 + (i+1) d + floor(i/N) g+``   (the bus after the previous request),
        * ``h_r + L + (j+1) d + floor(j/N) g+`` with ``j = i - (N - r) >= 0``  (the slot of request -r).

        With ``i = qN + m`` the slots' ``j`` run over ``i-N+1 .. i``: ``floor(j/N) = q`` for
        ``r >= N - m`` and ``q - 1`` below, so the largest slot term is a suffix or prefix maximum of
        ``h_r + r d`` (computed once), and each of the last N full requests costs O(1). With ``g = 0`` (the
        requests cover the latency) the q terms vanish and the slot term is the suffix maximum alone (over
        every r once ``i >= N - 1``). The last request, of the remaining bytes, follows from the recurrence
        itself.
        """
        n, latency, d = self.outstanding_requests, self.latency_cycles, self.request_bytes / self.bytes_per_cycle
        k = -(-n_bytes // self.request_bytes)
        d_last = (n_bytes - (k - 1) * self.request_bytes) / self.bytes_per_cycle
        recent = self._recent                                       # c_{-N} .. c_{-1}
        if k == 1:                                                  # no full request: the last one alone
            last = max(t + latency, recent[0] + latency, recent[-1]) + d_last
            self._recent = recent[1:] + [last]
            return last
        gap = max(0.0, latency - (n - 1) * d)
        reach = [recent[n - r] + r * d for r in range(1, n + 1)]    # h_r + r d, r = 1 .. N
        suffix = list(itertools.accumulate(reversed(reach), max))[::-1]   # suffix[r-1] = max over r .. N
        start = max(t + latency, recent[-1])                        # own issue time, or the bus after h_1
        requests = range(max(0, k - 1 - n), k - 1)                  # the last N full requests
        if gap == 0:            # no q terms, and the slot term is a suffix maximum (all of them once i >= N-1)
            full = [max(start + (i + 1) * d, suffix[max(n - 1 - i, 0)] + (latency + (i - n + 1) * d))
                    for i in requests]
        else:
            prefix = list(itertools.accumulate(reach, max))         # prefix[r-1] = max over 1 .. r
            full = []
            for i in requests:
                q, m = divmod(i, n)
                slot = latency + (i - n + 1) * d
                c = max(start + (i + 1) * d + q * gap, suffix[n - m - 1] + slot + q * gap)
                if q:
                    c = max(c, prefix[n - m - 2] + slot + (q - 1) * gap) if m < n - 1 else c
                full.append(c)
        times = recent + full                                       # c_{-N} .. c_{k-2}
        last = max(t + latency, times[-n] + latency, times[-1]) + d_last
        self._recent = (times + [last])[-n:]
        return last
