"""A pulse train at many ascending times, computed a flat run at a time.

A scope record asks for the output at up to a million ascending times, and the pulse
train is flat nearly everywhere: on a plateau or in a gap, between 20 us edges that at
40 Hz take 0.16 % of the time, and of one polarity between reversals a second apart.
`physics` computes every time with the same dozen numpy passes (phase, floor, trapezoid,
clip, polarity), most of a record's cost after its noise. Here only the times within a
hair (`MARGIN` of a period) of an edge or a reversal go through that arithmetic, which
the caller passes as `per_time`; each flat run between them takes the value
`per_time` gives at its first time.

The bits are `per_time`'s. Its value at a time is a function of that time alone, and it
can only change across an edge or a reversal: within a run the phase computed in
floating point stays within ~1e-10 of a period of the true phase (guards refuse times
more than `MAX_PERIODS` periods from the origin or `MAX_TIME_S` from zero), a thousand
times less than the margin, so the trapezoid sits on 1 or at 0 and the polarity holds.
As a check, a run's last time is computed too and must give the same bits as its first;
if any does not, or the pulses are too short or too sparsely sampled to have runs worth
the bookkeeping, the caller computes every time (None).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]

MIN_TIMES = 4096
"""Fewer times than this are computed per time: the runs' bookkeeping would cost more."""
TIMES_PER_BOUND = 32
"""Runs are used only with at least this many times per edge or reversal on average."""
MARGIN = 1e-7
"""Times within this fraction of a period (of a half cycle, for a reversal) of an edge
(a reversal) are computed per time."""
MAX_PERIODS = 1e6
"""Farther from the origin than this many periods, the phase's rounding (~2e-16 per
period counted) would come within 1 % of `MARGIN`: compute per time."""
MAX_TIME_S = 1e5
"""Times (or an origin) beyond this many seconds carry a rounding (~2e-11 s) that would
come within 1 % of `MARGIN` of a 40 Hz half cycle: compute per time."""


def by_runs(
    per_time: Callable[[FloatArray], FloatArray],
    t: FloatArray,
    *,
    origin: float,
    period: float,
    edge_s: float,
    half_cycle: float | None,
) -> FloatArray | None:
    """`per_time(t)` for ascending `t`, or None where runs do not pay or cannot be trusted.

    The train has trapezoid pulses starting at ``origin + k·period``, rising and falling
    in `edge_s`, falling at half a period; its polarity reverses every `half_cycle`
    from `origin` (None: it never does).
    """
    n = t.size
    if n < MIN_TIMES or not 2.0 * (edge_s + 2.0 * MARGIN * period) < period:
        return None
    first, last = float(t[0]), float(t[-1])
    reach = max(abs(first - origin), abs(last - origin))
    cycles = [period] if half_cycle is None else [period, half_cycle]
    if reach > MAX_PERIODS * min(cycles) or max(abs(first), abs(last), abs(origin)) > MAX_TIME_S:
        return None
    bounds = _flat_bounds(first, last, origin, period, edge_s, half_cycle)
    if bounds[0].size * TIMES_PER_BOUND > n:
        return None
    starts, ends = _merged(
        np.searchsorted(t, bounds[0], side="left"), np.searchsorted(t, bounds[1], side="right")
    )
    run_lo = np.concatenate(([0], ends))
    run_hi = np.concatenate((starts, [n]))
    keep = run_hi > run_lo
    run_lo, run_hi = run_lo[keep], run_hi[keep]
    edges = _ranges(starts, ends)
    probes = np.concatenate((edges, run_lo, run_hi - 1))
    values = per_time(t[probes])
    k, r = edges.size, run_lo.size
    at_first, at_last = values[k : k + r], values[k + r :]
    same = (at_first == at_last) & (np.signbit(at_first) == np.signbit(at_last))
    if not bool(np.all(same)):
        return None
    out = np.empty(n, dtype=np.float64)
    out[edges] = values[:k]
    for lo, hi, value in zip(run_lo.tolist(), run_hi.tolist(), at_first.tolist(), strict=True):
        out[lo:hi] = value
    return out


def _flat_bounds(
    first: float,
    last: float,
    origin: float,
    period: float,
    edge_s: float,
    half_cycle: float | None,
) -> tuple[FloatArray, FloatArray]:
    """(from, to) of every stretch of [first, last] that must be computed per time: each
    rising and falling edge and each reversal, widened by `MARGIN` either side."""
    k0 = math.floor((first - origin) / period) - 1
    k1 = math.ceil((last - origin) / period) + 1
    pulse = origin + np.arange(k0, k1 + 1, dtype=np.float64) * period
    pad = MARGIN * period
    lows = [pulse - pad, pulse + (0.5 * period - pad)]
    highs = [pulse + (edge_s + pad), pulse + (0.5 * period + edge_s + pad)]
    if half_cycle is not None:
        m0 = math.floor((first - origin) / half_cycle) - 1
        m1 = math.ceil((last - origin) / half_cycle) + 1
        flips = origin + np.arange(m0, m1 + 1, dtype=np.float64) * half_cycle
        lows.append(flips - MARGIN * half_cycle)
        highs.append(flips + MARGIN * half_cycle)
    return np.concatenate(lows), np.concatenate(highs)


def _merged(starts: IndexArray, ends: IndexArray) -> tuple[IndexArray, IndexArray]:
    """Index ranges [start, end) sorted and merged where they touch or overlap.

    An empty range stays (unless another covers it): an edge that falls between two
    sparse times holds none of them, yet the times either side of it are not one run.
    """
    order = np.argsort(starts, kind="stable")
    lo, hi = starts[order], np.maximum.accumulate(ends[order])
    opens = np.concatenate(([True], lo[1:] > hi[:-1]))
    closes = np.concatenate((opens[1:], [True]))
    return lo[opens], hi[closes]


def _ranges(starts: IndexArray, ends: IndexArray) -> IndexArray:
    """The indices of disjoint ranges [start, end), in order."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    indices: IndexArray = np.arange(total, dtype=np.intp) + shift
    return indices
