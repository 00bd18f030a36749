"""What each phase measures: plateau, width at 50 %, rise and fall, charge and peak.

For every phase found by `harness.analysis.phases`:

- **Plateau** (the "peak current" of a rectangular pulse): the mean of the middle half
  of the phase, against zero. The middle half leaves out the edges, their ringing and
  a first-order approach; the mean (not a median of a few points) is what lets noise
  down to a signal-to-noise ratio of 3 average away.
- **Step**: the same against the baseline (the gap level). Pulse timing is IEEE 181's:
  crossings of a fraction of the step between the baseline and the plateau.
- **Width at 50 %**: between the first upward and the last downward crossing of half the
  step inside the phase, each interpolated linearly between the two samples that
  straddle it. The crossings are searched outward from the phase's detection points in
  windows that grow (64, 256, 1024 ... samples) until found, so an edge spanning
  hundreds of samples (a first-order output filter) is timed as well as a sharp one.
  Each phase's own step is used, which keeps soft-start pulses honest.
- **Rise and fall** (10 % -> 90 % and back) by the same search from the 50 % points.
- **Charge**: the charge above the baseline plus the baseline current over the width:
  the trapezoid integral of (i - baseline) from well before the rising crossing to well
  after the falling one (twice the distance from the detection point to the 50 % point,
  which covers a first-order tail to under 1 %), never past the middle of the gap to a
  neighbouring phase; for a gapless biphasic pulse that is its zero crossing. Adding
  the baseline current over the width makes a d.c. leak count (zero is zero) without
  making the charge depend on how far the integral reaches into the gaps.
- **Peak**: the largest instantaneous magnitude against zero in the same span.

All of it is gathers of a few windows per phase and `ufunc.reduceat` over the spans:
no Python loop over samples, and no full-size temporary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.analysis.phases import Phases

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_FIRST_WINDOW = 64
_GATHER = 1 << 22
"""Most samples gathered at once by a crossing search (rows x window)."""
_BLOCK = 1 << 20


@dataclass(frozen=True, eq=False)
class PhaseMetrics:
    """Per-phase results in signal units and sample indices (fractional), NaN if unknown.

    `plateau` is against zero, `step` against the baseline; `rise` and `fall` are the
    50 % crossings, `rise_time` and `fall_time` the 10-90 % durations (samples).
    `valid` marks complete phases whose both 50 % crossings were found.
    """

    plateau: FloatArray
    rise: FloatArray
    fall: FloatArray
    charge: FloatArray
    peak: FloatArray
    valid: npt.NDArray[np.bool_]
    step: FloatArray
    rise_time: FloatArray
    fall_time: FloatArray

    @property
    def width(self) -> FloatArray:
        return self.fall - self.rise

    @property
    def centre(self) -> FloatArray:
        return (self.rise + self.fall) / 2


def measure_phases(
    signal: npt.NDArray[np.floating],
    zero: float,
    phases: Phases,
    *,
    baseline: float | None = None,
    detect: npt.NDArray[np.floating] | None = None,
) -> PhaseMetrics:
    """Plateau, crossings, edges, charge (signal x samples) and peak of every phase.

    `zero` is the reading of zero current, `baseline` the gap level (default: zero);
    crossings are timed on `detect` (a smoothed copy for a noisy record, default the
    signal itself), levels and charges on the raw `signal`.
    """
    base = zero if baseline is None else baseline
    timed = signal if detect is None else detect
    sign = phases.polarity.astype(np.float64)
    start, stop = phases.start, phases.stop
    length = stop - start
    mean = _middle_mean(signal, start, stop)
    plateau = (mean - zero) * sign
    step = (mean - base) * sign
    ok = step > 0

    def at(fraction: float) -> FloatArray:
        return np.where(ok, fraction * step, np.nan)

    rise = _search(timed, base, sign, at(0.5), start - 1, length, forward=True, rising=True)
    fall = _search(timed, base, sign, at(0.5), stop, length, forward=False, rising=False)
    after_rise = np.floor(np.nan_to_num(rise, nan=-1.0)).astype(np.int64)
    after_fall = np.floor(np.nan_to_num(fall, nan=-1.0)).astype(np.int64)
    half = length // 2 + 1
    r10 = _search(timed, base, sign, at(0.1), after_rise + 1, half, forward=False, rising=True)
    r90 = _search(timed, base, sign, at(0.9), after_rise, half, forward=True, rising=True)
    f90 = _search(timed, base, sign, at(0.9), after_fall + 1, half, forward=False, rising=False)
    f10 = _search(timed, base, sign, at(0.1), after_fall, half, forward=True, rising=False)
    valid = phases.complete & np.isfinite(rise) & np.isfinite(fall) & ok & (fall > rise)
    charge = np.full(len(phases), np.nan)
    peak = np.full(len(phases), np.nan)
    if valid.any():
        charge[valid], peak[valid] = _integrate(signal, zero, base, sign, phases, rise, fall, valid)
    return PhaseMetrics(plateau, rise, fall, charge, peak, valid, step, r90 - r10, f10 - f90)


def _middle_mean(signal: npt.NDArray[np.floating], start: IntArray, stop: IntArray) -> FloatArray:
    """Mean of the middle half of each [start, stop) span."""
    if start.size == 0:
        return np.zeros(0)
    length = stop - start
    a = start + length // 4
    c = np.maximum(stop - length // 4, a + 1)
    c = np.minimum(c, signal.size - 1)
    a = np.clip(np.minimum(a, c - 1), 0, None)
    c = np.maximum(c, a + 1)
    means: FloatArray = _span_sums(signal, a, c) / (c - a)
    return means


def _search(
    signal: npt.NDArray[np.floating],
    base: float,
    sign: FloatArray,
    level: FloatArray,
    anchor: IntArray,
    limit: IntArray,
    *,
    forward: bool,
    rising: bool,
) -> FloatArray:
    """Fractional index of the crossing of `level` (from the baseline) nearest `anchor`.

    Forward: the first pair of samples (j - 1, j) with j - 1 >= anchor that crosses;
    backward: the last with j <= anchor. `rising` crossings go from below to at-or-above
    the level, falling ones the other way. Windows grow fourfold until the crossing is
    found or `limit` samples have been searched; not found: NaN.
    """
    n = signal.size
    out = np.full(anchor.size, np.nan)
    todo = np.flatnonzero((anchor >= 0) & (anchor < n) & np.isfinite(level) & (limit > 0))
    window = _FIRST_WINDOW
    while todo.size:
        width = int(min(window, max(int(limit[todo].max()), 1)))
        rows_per_block = max(1, _GATHER // (width + 1))
        unresolved: list[IntArray] = []
        for b in range(0, todo.size, rows_per_block):
            rows = todo[b : b + rows_per_block]
            offsets = np.arange(width + 1)
            first = anchor[rows] if forward else anchor[rows] - width
            index = first[:, None] + offsets[None, :]
            inside = (index >= 0) & (index < n)
            inside &= np.abs(index - anchor[rows, None]) <= limit[rows, None]
            v = signal[np.clip(index, 0, n - 1)].astype(np.float64) - base
            v *= sign[rows, None]
            v -= level[rows, None]
            before, after = v[:, :-1], v[:, 1:]
            hit = (before < 0) & (after >= 0) if rising else (before >= 0) & (after < 0)
            hit &= inside[:, :-1] & inside[:, 1:]
            found = hit.any(axis=1)
            k = np.argmax(hit, axis=1) if forward else width - 1 - np.argmax(hit[:, ::-1], axis=1)
            r = np.arange(rows.size)
            b0, b1 = before[r, k], after[r, k]
            frac = np.divide(b0, b0 - b1, out=np.zeros_like(b0), where=b0 != b1)
            out[rows[found]] = (index[r, k] + frac)[found]
            more = ~found & (limit[rows] > width)
            unresolved.append(rows[more])
        todo = np.concatenate(unresolved) if unresolved else todo[:0]
        window *= 4
    return out


def _integrate(
    signal: npt.NDArray[np.floating],
    zero: float,
    base: float,
    sign: FloatArray,
    phases: Phases,
    rise: FloatArray,
    fall: FloatArray,
    valid: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """Charge (signal x samples, see module doc) and peak magnitude of each valid phase."""
    n = signal.size
    start, stop = phases.start, phases.stop
    boundary = (stop[:-1] + start[1:]) // 2
    left_limit = np.concatenate(([0], boundary))
    right_limit = np.concatenate((boundary, [n - 1]))
    r = np.nan_to_num(rise, nan=0.0)
    f = np.nan_to_num(fall, nan=float(n - 1))
    reach = 2 * np.maximum(np.maximum(r - start, stop - f), 2.0).astype(np.int64) + 4
    a = np.maximum(np.floor(r).astype(np.int64) - reach, left_limit)[valid]
    c = np.minimum(np.ceil(f).astype(np.int64) + reach, right_limit)[valid]
    a = np.clip(a, 0, n - 1)
    c = np.clip(np.maximum(c, a + 1), 0, n - 1)
    bounds = np.empty(2 * a.size, dtype=np.int64)
    bounds[0::2], bounds[1::2] = a, c
    bounds = np.maximum.accumulate(bounds)
    a, c = bounds[0::2], bounds[1::2]
    sums = _span_sums(signal, a, c)
    ends = signal[a].astype(np.float64), signal[c].astype(np.float64)
    s = sign[valid]
    above_base = (sums + 0.5 * ends[1] - 0.5 * ends[0] - base * (c - a)) * s
    width = (f - r)[valid]
    charge = above_base + (base - zero) * s * width
    highs = np.maximum.reduceat(signal, bounds)[0::2].astype(np.float64)
    lows = np.minimum.reduceat(signal, bounds)[0::2].astype(np.float64)
    peak = np.where(s > 0, highs - zero, zero - lows)
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
