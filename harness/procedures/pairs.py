"""Biphasic pairs read off a current record: rate, phase widths, interphase gap, balance.

A charge-balanced biphasic device (the RMD-2) delivers, in every period, a positive
phase, a short interphase gap at zero, a negative phase of equal charge, and a rest.
Each phase is found where the current crosses half of its own plateau (the 50 % points,
so edge shape and a small leak do not move them); a pair is a positive phase followed,
within half a period, by a negative one. From the pairs found:

* the **rate** is the number of pair starts per second over the whole pairs seen;
* the **phase width** is each phase's 50 %-to-50 % time;
* the **gap** is the time between the two phases' 50 % points (the positive phase's end,
  the negative phase's start);
* the **charge imbalance** is |Q+ - Q-| / Q+, each phase's charge integrated over the
  phase and its edges (trapezoidal over the record's samples).

A relocate cue that pauses the output mid-record only removes pairs; a record holding
fewer than ``MIN_PAIRS`` pairs gives no value, which the test records as not shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.procedures.capture import CurrentCapture

MIN_PAIRS = 5
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PairMetrics:
    """What the pairs of one record show; each list has one value per pair."""

    rate_hz: float
    positive_width_s: list[float]
    negative_width_s: list[float]
    gap_s: list[float]
    imbalance: list[float]
    pairs: int


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) sample indices of each complete run of True (end exclusive)."""
    edges = np.diff(mask.astype(np.int8))
    starts = [int(k) for k in np.flatnonzero(edges == 1) + 1]
    ends = [int(k) for k in np.flatnonzero(edges == -1) + 1]
    if ends and starts and ends[0] <= starts[0]:
        ends = ends[1:]
    return list(zip(starts, ends, strict=False))


def pair_metrics(capture: CurrentCapture) -> PairMetrics | None:
    """The pairs of ``capture``; None when fewer than ``MIN_PAIRS`` complete pairs."""
    i = capture.current_a
    dt = capture.dt
    top = float(np.percentile(i, 99.5))
    bottom = float(np.percentile(i, 0.5))
    if top <= 0.0 or bottom >= 0.0:
        return None
    positive = _runs(i > top / 2.0)
    negative = _runs(i < bottom / 2.0)
    pos_w: list[float] = []
    neg_w: list[float] = []
    gaps: list[float] = []
    imbalance: list[float] = []
    starts: list[float] = []
    for p0, p1 in positive:
        following = [n for n in negative if p1 <= n[0]]
        if not following:
            break
        n0, n1 = following[0]
        if positive and any(p1 <= q0 < n0 for q0, _q1 in positive):
            continue  # another positive phase first: this one has no partner
        pos_w.append((p1 - p0) * dt)
        neg_w.append((n1 - n0) * dt)
        gaps.append((n0 - p1) * dt)
        q_pos = float(np.trapezoid(i[max(p0 - 2, 0) : p1 + 2])) * dt
        q_neg = -float(np.trapezoid(i[max(n0 - 2, 0) : n1 + 2])) * dt
        imbalance.append(abs(q_pos - q_neg) / q_pos if q_pos > 0 else float("inf"))
        starts.append(p0 * dt)
    if len(starts) < MIN_PAIRS:
        return None
    periods = np.diff(starts)
    typical = float(np.median(periods))
    steady = periods[np.abs(periods - typical) < 0.2 * typical]  # a cue's pause excluded
    rate = 1.0 / float(np.mean(steady)) if steady.size else 1.0 / typical
    return PairMetrics(rate, pos_w, neg_w, gaps, imbalance, len(starts))


# --- lift-off and suspension on one record of the load position ----------------------

LEVEL_MIN_S = 1e-3
"""A stretch at the contact level is a phase only if it lasts this long: the smoothed
rising edge of the open-circuit voltage passes through that band for a few samples."""


def _bool_runs(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def lift_off_bracket(
    times: FloatArray, volts: FloatArray, contact_v: float, open_v: float
) -> tuple[float, float] | None:
    """Lift-off lies between the end of the last phase at the contact level (at least
    ``LEVEL_MIN_S`` long) and the first sample above ``open_v`` (the open spheres)."""
    above = np.flatnonzero(volts >= open_v)
    if above.size == 0:
        return None
    edge = int(above[0])
    band = (volts >= contact_v / 2) & (volts < contact_v * 2)
    band[edge:] = False
    starts, stops = _bool_runs(band)
    dt = float(times[1] - times[0])
    long = (stops - starts) * dt >= LEVEL_MIN_S
    last = float(times[stops[long][-1] - 1]) if long.any() else float(times[0])
    return last, float(times[edge])


def pairs_stop_bracket(
    times: FloatArray, volts: FloatArray, level_v: float, *, after: float, period_s: float,
    hold_s: float,
) -> tuple[float, float] | None:  # fmt: skip
    """When a train of biphasic pairs stopped for good after ``after``: between the end
    of the last phase and when the phase after it was due (the phase before the last,
    one pair period later). None when a phase comes within ``hold_s`` of the record's end.
    """
    starts, stops = _bool_runs(volts >= level_v)
    keep = times[np.minimum(stops, times.size - 1)] >= after
    starts, stops = starts[keep], stops[keep]
    dt = float(times[1] - times[0])
    if starts.size == 0:
        return after, after + dt
    last_end = float(times[stops[-1] - 1]) + dt
    if float(times[-1]) - last_end < hold_s:
        return None
    if starts.size < 2:
        return last_end - dt, last_end + period_s
    return last_end - dt, max(last_end, float(times[starts[-2]]) + period_s)
