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
  which covers a first-order tail to under 1 %, and at least four 10-90 % edge times:
  at low SNR the detection threshold sits at the 50 % point itself, and the distance
  to it says nothing about the tail), never past the middle of the gap to a
  neighbouring phase; for a gapless biphasic pulse that is its zero crossing,
  interpolated between the two samples that straddle it (`gapless`): split at a
  sample, each lobe would gain or lose up to half a sample of the full step. Adding
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

from harness.analysis.blocks import BlockSums
from harness.analysis.crossings import search
from harness.analysis.gapless import split_correction
from harness.analysis.phases import Phases

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
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
    settling: FloatArray
    """Mean of the second half of the plateau's window minus the first's (toward the
    plateau's polarity): a phase still approaching its level shows it."""
    span: FloatArray
    """Samples each charge was integrated over (NaN where not valid): a baseline
    error moves the charge by itself times (span - width)."""

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
    smoothing: int = 1,
    sums: BlockSums | None = None,
) -> PhaseMetrics:
    """Plateau, crossings, edges, charge (signal x samples) and peak of every phase.

    `zero` is the reading of zero current, `baseline` the gap level (default: zero);
    crossings are timed on `detect` (a smoothed copy for a noisy record, default the
    signal itself, or the signal under a `smoothing`-sample moving average taken only
    where the crossings are searched), levels and charges on the raw `signal`. `sums`:
    block sums of `signal` (`blocks`) that make the span sums cheap for a long record.
    """
    base = zero if baseline is None else baseline
    timed = signal if detect is None else detect
    sign = phases.polarity.astype(np.float64)
    start, stop = phases.start, phases.stop
    length = stop - start
    mean, trend = _middle_mean(signal, start, stop, sums)
    plateau = (mean - zero) * sign
    step = (mean - base) * sign
    ok = step > 0

    def find(
        fraction: float, anchor: IntArray, limit: IntArray, forward: bool, rising: bool
    ) -> FloatArray:
        level = np.where(ok, fraction * step, np.nan)
        return search(
            timed, base, sign, level, anchor, limit,
            forward=forward, rising=rising, smoothing=smoothing, blocks=sums,
        )  # fmt: skip

    rise = find(0.5, start - 1, length, True, True)
    fall = find(0.5, stop, length, False, False)
    after_rise = np.floor(np.nan_to_num(rise, nan=-1.0)).astype(np.int64)
    after_fall = np.floor(np.nan_to_num(fall, nan=-1.0)).astype(np.int64)
    half = length // 2 + 1
    r10 = find(0.1, after_rise + 1, half, False, True)
    r90 = find(0.9, after_rise, half, True, True)
    f90 = find(0.9, after_fall + 1, half, False, False)
    f10 = find(0.1, after_fall, half, True, False)
    valid = phases.complete & np.isfinite(rise) & np.isfinite(fall) & ok & (fall > rise)
    charge = np.full(len(phases), np.nan)
    peak = np.full(len(phases), np.nan)
    span = np.full(len(phases), np.nan)
    if valid.any():
        edge = np.fmax(r90 - r10, f10 - f90)
        charge[valid], peak[valid], span[valid] = _integrate(
            signal, zero, base, sign, phases, rise, fall, valid, sums, edge
        )
    return PhaseMetrics(
        plateau, rise, fall, charge, peak, valid, step, r90 - r10, f10 - f90, trend * sign, span
    )


def _middle_mean(
    signal: npt.NDArray[np.floating], start: IntArray, stop: IntArray, sums: BlockSums | None
) -> tuple[FloatArray, FloatArray]:
    """Mean of the middle half of each [start, stop) span, and its second half's mean
    minus its first's (how far the level still moves there: a phase not yet settled)."""
    if start.size == 0:
        return np.zeros(0), np.zeros(0)
    length = stop - start
    a = start + length // 4
    c = np.maximum(stop - length // 4, a + 1)
    c = np.minimum(c, signal.size - 1)
    a = np.clip(np.minimum(a, c - 1), 0, None)
    c = np.maximum(c, a + 1)
    mid = (a + c) // 2
    halves = mid > a  # an empty first half (a one-sample window) sums to nothing
    first = np.where(halves, _span_sums(signal, a, mid, sums), 0.0)
    second = _span_sums(signal, mid, c, sums)
    means: FloatArray = (first + second) / (c - a)
    trend = np.zeros(a.size)
    trend[halves] = second[halves] / (c - mid)[halves] - first[halves] / (mid - a)[halves]
    return means, trend


def _integrate(
    signal: npt.NDArray[np.floating],
    zero: float,
    base: float,
    sign: FloatArray,
    phases: Phases,
    rise: FloatArray,
    fall: FloatArray,
    valid: npt.NDArray[np.bool_],
    sums: BlockSums | None,
    edge: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Charge (signal x samples, see module doc), peak magnitude and integration span
    (samples) of each valid phase."""
    n = signal.size
    start, stop = phases.start, phases.stop
    boundary = (stop[:-1] + start[1:]) // 2
    left_limit = np.concatenate(([0], boundary))
    right_limit = np.concatenate((boundary, [n - 1]))
    r = np.nan_to_num(rise, nan=0.0)
    f = np.nan_to_num(fall, nan=float(n - 1))
    reach = np.fmax(np.maximum(r - start, stop - f), 2.0 * np.nan_to_num(edge))
    reach = 2 * np.maximum(reach, 2.0).astype(np.int64) + 4
    a = np.maximum(np.floor(r).astype(np.int64) - reach, left_limit)[valid]
    c = np.minimum(np.ceil(f).astype(np.int64) + reach, right_limit)[valid]
    a = np.clip(a, 0, n - 1)
    c = np.clip(np.maximum(c, a + 1), 0, n - 1)
    bounds = np.empty(2 * a.size, dtype=np.int64)
    bounds[0::2], bounds[1::2] = a, c
    bounds = np.maximum.accumulate(bounds)
    a, c = bounds[0::2], bounds[1::2]
    total = _span_sums(signal, a, c, sums)
    ends = signal[a].astype(np.float64), signal[c].astype(np.float64)
    s = sign[valid]
    above_base = (total + 0.5 * ends[1] - 0.5 * ends[0] - base * (c - a)) * s
    above_base += split_correction(signal, base, phases, valid, a, c)
    width = (f - r)[valid]
    charge = above_base + (base - zero) * s * width
    peak = np.full(a.size, np.nan)
    for polarity, extreme in ((1.0, np.maximum), (-1.0, np.minimum)):
        mine = np.flatnonzero(s == polarity)
        if mine.size:  # each polarity's own extreme, over its own spans only
            spans = np.empty(2 * mine.size, dtype=np.int64)
            spans[0::2], spans[1::2] = a[mine], c[mine]
            values = extreme.reduceat(signal, spans)[0::2].astype(np.float64)
            peak[mine] = (values - zero) * polarity
    return charge, peak, (c - a).astype(np.float64)


def _span_sums(
    signal: npt.NDArray[np.floating],
    a: npt.NDArray[np.int64],
    c: npt.NDArray[np.int64],
    sums: BlockSums | None = None,
) -> FloatArray:
    """Sum of signal[a:c] per span, accumulated in float64 one block of spans at a time.

    With block sums of the record (`blocks`), from those instead (no pass over the spans).

    A float32 capture summed in float32 over a long phase loses digits; converting the
    whole capture to float64 would double its memory. Blocks of about `_BLOCK` samples
    are converted one at a time instead (a longer single phase is its own block).
    """
    if sums is not None:
        return sums.span_sums(a, c)
    out = np.empty(a.size)
    i = 0
    while i < a.size:
        j = max(int(np.searchsorted(c, a[i] + _BLOCK, side="right")), i + 1)
        lo, hi = int(a[i]), int(c[j - 1]) + 1
        block = signal[lo:hi].astype(np.float64, copy=False)
        local = np.empty(2 * (j - i), dtype=np.int64)
        local[0::2], local[1::2] = a[i:j] - lo, c[i:j] - lo
        out[i:j] = np.add.reduceat(block, local)[0::2]
        i = j
    return out
