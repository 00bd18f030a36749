"""What each phase measures: plateau, width at 50 %, charge and peak.

For every phase found by `harness.analysis.phases`:

- **Plateau** (the "peak current" of a rectangular pulse): the median of up to 64
  evenly spaced samples of the flat middle half of the phase. The median ignores the
  edges, ringing and a noise spike; the middle half ignores the corners.
- **Width at 50 %**: the time between the crossings of half that phase's own plateau,
  each interpolated linearly between the two samples that straddle it. Using each
  phase's own plateau keeps soft-start pulses honest.
- **Charge**: the integral of the current against the zero level, trapezoid rule, from
  a margin before the rising crossing to a margin after the falling one (so the edges
  are counted) but never past the midpoint to a neighbouring phase. For a biphasic pulse
  that midpoint is the zero crossing between its + and - phases.
- **Peak**: the largest instantaneous magnitude in the same span (for overshoot).

All of it is gathers of a few samples per phase and `ufunc.reduceat` over the spans: no
Python loop over samples or phases, and no full-size temporary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.analysis.phases import Phases

FloatArray = npt.NDArray[np.float64]
_PLATEAU_POINTS = 64
_EDGE_WINDOW = 32
"""Samples searched either side of a detected edge for the 50 % crossing (and margin)."""
_BLOCK = 1 << 20


@dataclass(frozen=True, eq=False)
class PhaseMetrics:
    """Per-phase results in signal units and sample indices (fractional), NaN if unknown.

    `valid` marks complete phases whose both 50 % crossings were found.
    """

    plateau: FloatArray
    rise: FloatArray
    fall: FloatArray
    charge: FloatArray
    peak: FloatArray
    valid: npt.NDArray[np.bool_]

    @property
    def width(self) -> FloatArray:
        return self.fall - self.rise

    @property
    def centre(self) -> FloatArray:
        return (self.rise + self.fall) / 2


def measure_phases(signal: npt.NDArray[np.floating], zero: float, phases: Phases) -> PhaseMetrics:
    """Plateau, 50 % crossings, charge (signal x samples) and peak of every phase."""
    n = signal.size
    sign = phases.polarity.astype(np.float64)
    start, stop = phases.start, phases.stop
    plateau = _plateau(signal, zero, sign, start, stop)
    half = plateau / 2
    # The sample before a neighbour's end / after its start may hold our crossing when
    # a biphasic transition is faster than one sample.
    prev_stop = np.concatenate(([0], stop[:-1] - 1))
    next_start = np.concatenate((start[1:] + 1, [n]))
    rise = _crossing(
        signal,
        zero,
        sign,
        half,
        np.maximum(start - _EDGE_WINDOW, prev_stop),
        start + _EDGE_WINDOW,
        upward=True,
    )
    fall_from = np.maximum(
        stop - _EDGE_WINDOW, np.floor(np.nan_to_num(rise, nan=0.0)).astype(np.int64) + 1
    )
    fall = _crossing(
        signal,
        zero,
        sign,
        half,
        fall_from,
        np.minimum(stop + _EDGE_WINDOW, next_start),
        upward=False,
    )
    valid = phases.complete & np.isfinite(rise) & np.isfinite(fall) & (plateau > 0)
    charge = np.full(len(phases), np.nan)
    peak = np.full(len(phases), np.nan)
    if valid.any():
        charge[valid], peak[valid] = _integrate(signal, zero, sign, rise, fall, valid)
    return PhaseMetrics(plateau, rise, fall, charge, peak, valid)


def _plateau(
    signal: npt.NDArray[np.floating],
    zero: float,
    sign: FloatArray,
    start: npt.NDArray[np.int64],
    stop: npt.NDArray[np.int64],
) -> FloatArray:
    length = stop - start
    mid_start = start + length // 4
    mid_len = np.maximum(length - 2 * (length // 4), 1)
    steps = np.arange(_PLATEAU_POINTS)
    index = mid_start[:, None] + (steps[None, :] * mid_len[:, None]) // _PLATEAU_POINTS
    index = np.minimum(index, signal.size - 1)
    values = signal[index].astype(np.float64)
    return (np.median(values, axis=1) - zero) * sign


def _crossing(
    signal: npt.NDArray[np.floating],
    zero: float,
    sign: FloatArray,
    level: FloatArray,
    lo: npt.NDArray[np.int64],
    hi: npt.NDArray[np.int64],
    *,
    upward: bool,
) -> FloatArray:
    """Fractional index of the first crossing of `level` in [lo, hi) per phase, else NaN."""
    width = 2 * _EDGE_WINDOW + 1
    index = lo[:, None] + np.arange(width)[None, :]
    inside = index < np.minimum(hi, signal.size)[:, None]
    v = (signal[np.minimum(index, signal.size - 1)].astype(np.float64) - zero) * sign[:, None]
    v -= level[:, None]
    beyond = (v >= 0) if upward else (v < 0)
    beyond &= inside
    beyond[:, 0] = False
    found = beyond.any(axis=1)
    j = np.argmax(beyond, axis=1)
    rows = np.arange(lo.size)
    before, after = v[rows, j - 1], v[rows, j]
    step = before - after
    frac = np.divide(before, step, out=np.zeros_like(step), where=step != 0)
    found &= (before < 0) if upward else (before >= 0)
    return np.where(found, lo + j - 1 + frac, np.nan)


def _integrate(
    signal: npt.NDArray[np.floating],
    zero: float,
    sign: FloatArray,
    rise: FloatArray,
    fall: FloatArray,
    valid: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """Trapezoid charge (signal x samples) and peak magnitude over each valid phase span."""
    n = signal.size
    r = np.nan_to_num(rise, nan=0.0)
    f = np.nan_to_num(fall, nan=float(n - 1))
    midpoint = np.floor((f[:-1] + r[1:]) / 2).astype(np.int64)
    left_limit = np.concatenate(([0], midpoint))
    right_limit = np.concatenate((midpoint, [n - 1]))
    a = np.maximum(np.floor(r).astype(np.int64) - _EDGE_WINDOW, left_limit)[valid]
    c = np.minimum(np.ceil(f).astype(np.int64) + _EDGE_WINDOW, right_limit)[valid]
    a = np.clip(a, 0, n - 1)
    c = np.clip(np.maximum(c, a + 1), 0, n - 1)
    bounds = np.empty(2 * a.size, dtype=np.int64)
    bounds[0::2], bounds[1::2] = a, c
    bounds = np.maximum.accumulate(bounds)
    a, c = bounds[0::2], bounds[1::2]
    sums = _span_sums(signal, a, c)
    ends = signal[a].astype(np.float64), signal[c].astype(np.float64)
    charge = (sums + 0.5 * ends[1] - 0.5 * ends[0] - zero * (c - a)) * sign[valid]
    highs = np.maximum.reduceat(signal, bounds)[0::2].astype(np.float64)
    lows = np.minimum.reduceat(signal, bounds)[0::2].astype(np.float64)
    peak = np.where(sign[valid] > 0, highs - zero, zero - lows)
    return charge, peak


def _span_sums(
    signal: npt.NDArray[np.floating], a: npt.NDArray[np.int64], c: npt.NDArray[np.int64]
) -> FloatArray:
    """Sum of signal[a:c] per span, accumulated in float64 one block of spans at a time.

    A float32 capture summed in float32 over a long phase loses digits; converting the
    whole capture to float64 would double its memory. Blocks of about `_BLOCK` samples
    are converted one at a time instead (a longer single phase is its own block).
    """
    sums = np.empty(a.size)
    i = 0
    while i < a.size:
        j = max(int(np.searchsorted(c, a[i] + _BLOCK, side="right")), i + 1)
        lo, hi = int(a[i]), int(c[j - 1]) + 1
        block = signal[lo:hi].astype(np.float64, copy=False)
        local = np.empty(2 * (j - i), dtype=np.int64)
        local[0::2], local[1::2] = a[i:j] - lo, c[i:j] - lo
        sums[i:j] = np.add.reduceat(block, local)[0::2]
        i = j
    return sums
