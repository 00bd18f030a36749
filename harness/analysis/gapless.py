"""Where the two lobes of a gapless biphasic pulse part: the interpolated zero crossing.

A gapless pair goes from +Ip to -In in one edge; the charge of each lobe is the
integral up to where the current crosses the baseline. `phase_metrics` integrates
over whole samples, so a split at the sample nearest the phase boundary moves up to
half a sample of the full step (Ip + In) from one lobe to the other: ~1 % of the charge
at 40 samples per phase, far more than the record's own uncertainty. This module moves
each such split from its sample to the crossing, interpolated linearly between the two
samples that straddle it, and returns the charge that moves (signal x samples, with
each phase's own sign), so the integral ends exactly where the lobe does.

Only boundaries where one phase stops where the next, of the other polarity, starts
(no gap between them) are moved, and only when the integral actually ends there; a
crossing not found within a few samples of the boundary leaves the split where it was.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from harness.analysis.phases import Phases

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_HALF = 4
"""Samples searched on each side of a boundary for the crossing."""


def split_correction(
    signal: npt.NDArray[np.floating],
    base: float,
    phases: Phases,
    valid: npt.NDArray[np.bool_],
    a: IntArray,
    c: IntArray,
) -> FloatArray:
    """Charge to add to each valid phase (signal x samples, times its sign).

    `a`, `c`: the integer ends of each valid phase's trapezoid integral.
    """
    out = np.zeros(a.size)
    n = len(phases)
    if n < 2 or a.size == 0:
        return out
    start, stop, pol = phases.start, phases.stop, phases.polarity
    joined = (start[1:] <= stop[:-1] + 1) & (pol[1:] != pol[:-1])
    if not joined.any():
        return out
    first = np.flatnonzero(joined)  # boundary between phase i and i + 1
    boundary = (stop[first] + start[first + 1]) // 2
    crossing, ok = _crossings(signal, base, pol[first].astype(np.float64), boundary)
    index = np.full(n, -1)
    index[np.flatnonzero(valid)] = np.arange(a.size)
    sign = pol.astype(np.float64)
    for side, owner in ((1, first), (0, first + 1)):
        row = index[owner]
        use = ok & (row >= 0)
        if side:
            use &= c[np.maximum(row, 0)] == boundary
        else:
            use &= a[np.maximum(row, 0)] == boundary
        if not use.any():
            continue
        r, b, x = row[use], boundary[use], crossing[use]
        moved = _integral(signal, base, b, x) * sign[owner[use]]
        # past the boundary the right-hand lobe's integral grows, the left-hand one's shrinks
        out[r] += moved if side else -moved
    return out


def _crossings(
    signal: npt.NDArray[np.floating], base: float, sign: FloatArray, boundary: IntArray
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Interpolated crossing of the baseline nearest each boundary, leaving `sign`."""
    offsets = np.arange(-_HALF, _HALF + 1)
    idx = np.clip(boundary[:, None] + offsets[None, :], 0, signal.size - 1)
    v = (signal[idx].astype(np.float64) - base) * sign[:, None]
    change = (v[:, :-1] > 0) & (v[:, 1:] <= 0)
    ok = change.any(axis=1)
    # the change nearest the boundary (centre of the window)
    distance = np.where(change, np.abs(offsets[:-1] + 0.5), np.inf)
    j = np.argmin(distance, axis=1)
    rows = np.arange(boundary.size)
    left, right = v[rows, j], v[rows, j + 1]
    frac = np.where(left - right > 0, left / np.where(left - right > 0, left - right, 1.0), 0.5)
    crossing = idx[rows, j] + frac
    return crossing.astype(np.float64), ok


def _integral(
    signal: npt.NDArray[np.floating], base: float, p: IntArray, x: FloatArray
) -> FloatArray:
    """Integral of the linear interpolation of (signal - base) from sample p to x."""
    out = np.zeros(p.size)
    lo = np.minimum(p, np.floor(x).astype(np.int64))
    hi = np.maximum(p, np.ceil(x).astype(np.int64))
    n = signal.size
    for i in range(p.size):  # a few samples per boundary
        a, b = int(max(lo[i], 0)), int(min(hi[i], n - 1))
        if b <= a:
            continue
        v = signal[a : b + 1].astype(np.float64) - base
        out[i] = _segment(v, float(p[i] - a), float(x[i] - a))
    return out


def _segment(v: FloatArray, u: float, w: float) -> float:
    """Integral from u to w (sample units, 0 at v[0]) of the linear interpolation of v."""

    def cumulative(t: float) -> float:
        t = min(max(t, 0.0), float(v.size - 1))
        j = min(int(t), v.size - 2)
        f = t - j
        whole = float(np.sum((v[:j] + v[1 : j + 1]) / 2))
        return float(whole + f * v[j] + f * f / 2 * (v[j + 1] - v[j]))

    return cumulative(w) - cumulative(u)
