"""Cutting a current capture into phases.

A **phase** is one uninterrupted run of current in one direction: a monophasic pulse is
one phase; a biphasic pulse is two (a + phase immediately followed by a - phase). Every
per-pulse quantity the regulators ask for (pulse duration, phase charge, peak current)
is a statistic of phases, so finding them robustly comes first.

How a phase is found, and why:

- **Thresholds from the signal.** A phase begins when the current moves away from the
  baseline (the gap level, see `levels`) beyond an *enter* threshold and ends when it
  comes back within a lower *exit* threshold (hysteresis), so noise riding on an edge
  cannot chop one pulse into several. The enter threshold is 8 % of that polarity's
  step (low enough to see the first pulses of a soft start) but at least 4 noise
  standard deviations; exit is half of enter.
- **Smoothing only where noise needs it.** When the noise is more than a few percent of
  the step (down to a signal-to-noise ratio of 3), no threshold separates pulse from gap
  sample by sample. `detection_signal` then applies a centred moving average just long
  enough to bring the noise under a twelfth of the step; a centred average moves the 50 %
  point of a rising and of a falling edge alike, so widths and periods keep their value.
  Levels, charges and moments are still taken on the raw samples.
- **Minimum lengths.** Runs shorter than `min_samples` are noise spikes and dropped;
  same-polarity runs separated by fewer than `min_samples` are one phase and merged.
  Runs shorter than a fifth of the polarity's long runs (its 90th percentile) are the
  ringing after an edge of the other polarity, and dropped too.
- **Incomplete phases.** A record that starts or ends mid-pulse has a phase whose true
  width and charge are unknown; it is kept (it still marks the polarity sequence) but
  flagged `complete = False` and left out of per-phase statistics.

The scan is vectorised and chunked: per chunk, four comparisons and their transitions
give the (sparse) crossing events, and the hysteresis is applied to the events alone:
between two crossings of the enter level there is either an exit crossing or not, so
keeping the first of each run of equal event kinds is exactly the hysteresis rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.analysis.levels import Levels

IntArray = npt.NDArray[np.int64]
_CHUNK = 1 << 18
ENTER_FRACTION = 0.08
ENTER_NOISE_SIGMAS = 4.0
SMOOTH_ABOVE = 0.03
"""Noise (as a fraction of the step) above which detection runs on a smoothed trace."""
MAX_SMOOTHING = 256
SLIVER_FRACTION = 0.2


@dataclass(frozen=True, eq=False)
class Phases:
    """Phases in time order: polarity (+1/-1), [start, stop) sample indices, completeness.

    `start` is the first sample above the enter threshold, `stop` the first sample back
    below the exit threshold (or the record length for a phase still running at the end).
    """

    polarity: npt.NDArray[np.int8]
    start: IntArray
    stop: IntArray
    complete: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.start.size)


def enter_exit(plateau: float, noise: float) -> tuple[float, float]:
    """Hysteresis thresholds above zero for one polarity (see module doc)."""
    enter = max(ENTER_FRACTION * plateau, ENTER_NOISE_SIGMAS * noise)
    enter = min(enter, 0.5 * plateau)
    return enter, 0.5 * enter


def smoothing_length(levels: Levels) -> int:
    """Samples to average so the noise is at most a twelfth of the smaller step (1: none)."""
    steps = [p for p in (levels.plateau_pos, levels.plateau_neg) if p]
    if not steps or levels.noise <= 0:
        return 1
    ratio = levels.noise / min(steps)
    if ratio < SMOOTH_ABOVE:
        return 1
    return int(min(MAX_SMOOTHING, math.ceil((12 * ratio) ** 2)))


def detection_signal(signal: npt.NDArray[np.floating], length: int) -> npt.NDArray[np.floating]:
    """`signal` under a centred moving average of `length` samples (itself when 1).

    Running sums in float64 one chunk at a time, differenced by slicing; the record's
    ends are padded with their edge values. The result keeps the input's dtype.
    """
    if length <= 1 or signal.size < length:
        return signal
    half = length // 2
    n = signal.size
    out = np.empty_like(signal)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        lo, hi = a - half, b - half + length
        piece = signal[max(lo, 0) : min(hi, n)]
        if lo < 0 or hi > n:
            piece = np.pad(piece, (max(-lo, 0), max(hi - n, 0)), mode="edge")
        c = np.empty(piece.size + 1)
        c[0] = 0.0
        np.cumsum(piece, dtype=np.float64, out=c[1:])
        out[a:b] = (c[length : length + b - a] - c[: b - a]) / length
    return out


def find_phases(
    signal: npt.NDArray[np.floating],
    levels: Levels,
    *,
    min_samples: int = 3,
) -> Phases:
    """All phases of both polarities in `signal`, in time order."""
    parts: list[tuple[int, IntArray, IntArray]] = []
    for sign, plateau in ((1, levels.plateau_pos), (-1, levels.plateau_neg)):
        if plateau is None:
            continue
        enter, leave = enter_exit(plateau, levels.noise)
        start, stop = _runs(signal, levels.base, sign, enter, leave)
        start, stop = _clean(start, stop, min_samples)
        start, stop = _drop_slivers(start, stop)
        parts.append((sign, start, stop))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Phases(np.zeros(0, dtype=np.int8), empty, empty.copy(), np.zeros(0, dtype=bool))
    polarity = np.concatenate([np.full(p[1].size, p[0], dtype=np.int8) for p in parts])
    start = np.concatenate([p[1] for p in parts])
    stop = np.concatenate([p[2] for p in parts])
    order = np.argsort(start, kind="stable")
    polarity, start, stop = polarity[order], start[order], stop[order]
    complete = (start > 0) & (stop < signal.size)
    return Phases(polarity, start, stop, complete)


def _runs(
    signal: npt.NDArray[np.floating],
    zero: float,
    sign: int,
    enter: float,
    leave: float,
) -> tuple[IntArray, IntArray]:
    """[start, stop) of the hysteresis runs of one polarity."""
    n = signal.size
    ups: list[IntArray] = []
    downs: list[IntArray] = []
    if sign > 0:
        enter_level, leave_level = zero + enter, zero + leave
    else:
        enter_level, leave_level = zero - enter, zero - leave
    for a in range(0, n, _CHUNK):
        lo = max(a - 1, 0)
        chunk = signal[lo : min(n, a + _CHUNK)]
        if sign > 0:
            above_enter = chunk > enter_level
            above_leave = chunk > leave_level
        else:
            above_enter = chunk < enter_level
            above_leave = chunk < leave_level
        ups.append(np.flatnonzero(above_enter[1:] & ~above_enter[:-1]) + lo + 1)
        downs.append(np.flatnonzero(above_leave[:-1] & ~above_leave[1:]) + lo + 1)
    up = np.concatenate(ups) if ups else np.zeros(0, dtype=np.int64)
    down = np.concatenate(downs) if downs else np.zeros(0, dtype=np.int64)
    first = float(signal[0]) if n else zero
    inside_at_start = (first - leave_level) * sign > 0
    index = np.concatenate(([0], up, down)).astype(np.int64)
    kind = np.concatenate(([1 if inside_at_start else -1], np.ones(up.size), -np.ones(down.size)))
    order = np.argsort(index, kind="stable")
    index, kind = index[order], kind[order]
    keep = np.concatenate(([True], kind[1:] != kind[:-1]))
    index, kind = index[keep], kind[keep]
    starts = index[kind > 0]
    stops = index[kind < 0]
    if kind[0] < 0:
        stops = stops[1:]
    if stops.size < starts.size:
        stops = np.append(stops, n)
    return starts.astype(np.int64), stops.astype(np.int64)


def _drop_slivers(start: IntArray, stop: IntArray) -> tuple[IntArray, IntArray]:
    """Drop runs far shorter than this polarity's pulses: ringing after an opposite edge.

    An edge that rings by 15 % dips past the other polarity's enter threshold for half
    a ring period; that is not a phase. A soft-start pulse is small, not short, so it
    stays.
    """
    if start.size < 4:
        return start, stop
    length = stop - start
    keep = length >= SLIVER_FRACTION * np.percentile(length, 90)
    return start[keep], stop[keep]


def _clean(start: IntArray, stop: IntArray, min_samples: int) -> tuple[IntArray, IntArray]:
    """Merge runs split by a short dip, then drop runs too short to be pulses."""
    if start.size > 1:
        joined = (start[1:] - stop[:-1]) < min_samples
        if joined.any():
            start = start[np.concatenate(([True], ~joined))]
            stop = stop[np.concatenate((~joined, [True]))]
    long_enough = (stop - start) >= min_samples
    return start[long_enough], stop[long_enough]
