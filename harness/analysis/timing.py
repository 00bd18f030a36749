"""Pulse rate, polarity reversal, and the stretch of record to average over.

- **Pulses from phases.** In a monophasic train every phase is a pulse. In a biphasic
  train a pulse is a pair: a phase followed by one of opposite polarity after an
  interphase gap that is shorter than half the gaps around the pair. That rule holds
  for gaps from zero to longer than a phase (a biphasic pulse with a 1 ms gap between
  3 ms phases at 5 Hz is one pulse, not two), and it never pairs the evenly spaced
  phases of a monophasic train that alternates every pulse, whose gaps are all alike.
  The pulse starts at the leading phase's rising 50 % crossing. A train is called
  biphasic when at least 40 % of its phases are in pairs.
- **Pulse repetition frequency.** From the intervals between consecutive pulse starts:
  the intervals within 20 % of their median are "in burst" (a pause between bursts, or
  a missing pulse, is not), and the period is their sum over their count. Summing
  intervals telescopes, so the timing error of individual edges does not accumulate.
  If the all-pulse intervals are irregular (fewer than half in burst, e.g. + and -
  pulses interleaved unevenly) the + phases alone are used.
- **Polarity period.** A monophasic train with reversal delivers a burst of + pulses,
  then a burst of - pulses: one full + then - cycle is the polarity period, measured
  between successive cycle starts (a + phase following a - phase). If the record holds
  fewer than two cycle starts, it is rebuilt from the lengths of whole bursts. Biphasic
  trains reverse within every pulse: None. A train that never reverses: None.
- **The mean's window: whole cycles or nothing.** The d.c. component of a reversing
  train is the mean over whole polarity cycles; over a fraction of one it is a fraction
  of a pulse's charge, not a d.c. current (0.4 s of an RMD-1 train averages 200 uA,
  1.5 cycles 65 uA, where the truth is 0). So the window runs from the first to the last
  cycle start and needs `min_cycles` whole cycles; with fewer there is no window and a
  reason says why. A biphasic train's cycle is its pulse period (each pair is a cycle),
  as is a monophasic train's that is declared never to reverse (`reversing=False`);
  with pauses, whole bursts. A monophasic record without a reversal is not evidence
  that the unit never reverses, so unless declared it has no mean.
- **The r.m.s. window** is the mean's when there is one, else whole pulse periods, else
  the record; its kind is reported.

Times here are fractional sample indices; the caller converts to seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from harness.analysis.phase_metrics import PhaseMetrics
from harness.analysis.phases import Phases

FloatArray = npt.NDArray[np.float64]
WindowKind = Literal["polarity cycles", "pulse periods", "bursts", "record"]
_PAIR_GAP_RATIO = 0.5
_BIPHASIC_SHARE = 0.4
_BURST_TOLERANCE = 0.2


@dataclass(frozen=True)
class Timing:
    """Timing of a train, in samples."""

    biphasic: bool
    pulse_count: int
    pulse_period: float | None
    polarity_period: float | None
    window: tuple[int, int]
    window_kind: WindowKind
    mean_window: tuple[int, int] | None = None
    """Whole cycles for the mean (d.c.) current; None: see `mean_reason`."""
    mean_reason: str | None = None
    cycles: int = 0
    """Whole cycles in `mean_window` (polarity cycles, pulse periods or bursts)."""
    pair_gap: float | None = None
    """Median interphase gap of a biphasic train (samples, 50 % to 50 %)."""
    period_intervals: int = 0
    """Pulse intervals summed into `pulse_period`."""
    period_runs: int = 1
    """Runs of consecutive intervals among them (each ends in two crossing errors)."""


def pair_phases(phases: Phases, metrics: PhaseMetrics) -> npt.NDArray[np.bool_]:
    """paired[i]: phases i and i + 1 form one biphasic pulse (see module doc)."""
    rise, fall, pol = metrics.rise, metrics.fall, phases.polarity
    if pol.size < 2:
        return np.zeros(0, dtype=bool)
    gap = rise[1:] - fall[:-1]
    before = np.concatenate(([np.nan], gap[:-1]))
    after = np.concatenate((gap[1:], [np.nan]))
    around = np.fmin(before, after)
    width = fall[:-1] - rise[:-1]
    lone = ~np.isfinite(around)
    limit = np.where(lone, width, _PAIR_GAP_RATIO * around)
    with np.errstate(invalid="ignore"):
        paired: npt.NDArray[np.bool_] = (pol[1:] != pol[:-1]) & (gap < limit)
    return paired


def analyse_timing(
    phases: Phases,
    metrics: PhaseMetrics,
    n: int,
    *,
    min_cycles: int = 1,
    reversing: bool | None = None,
) -> Timing:
    """Pulse period, polarity period and averaging windows of a segmented record."""
    rise, pol = metrics.rise, phases.polarity
    paired = pair_phases(phases, metrics)
    measurable = int(np.isfinite(rise).sum())
    biphasic = measurable > 0 and 2 * int(paired.sum()) >= _BIPHASIC_SHARE * measurable
    if biphasic:
        leading = np.concatenate((paired, [False])) & ~np.concatenate(([False], paired))
        starts = rise[leading]
    else:
        starts = rise
    starts = starts[np.isfinite(starts)]
    burst = _burst_period(starts)
    if burst is None and not biphasic:
        burst = _burst_period(rise[(pol > 0) & np.isfinite(rise)])
    period, intervals, runs = (None, 0, 1) if burst is None else burst
    polarity_period, cycle_starts = (
        (None, starts[:0]) if biphasic else _polarity(phases, rise, period)
    )
    pair_gap = None
    if biphasic and paired.any():
        gaps = (rise[1:] - metrics.fall[:-1])[paired]
        gaps = gaps[np.isfinite(gaps)]
        pair_gap = float(np.median(gaps)) if gaps.size else None
    seen_reversal = bool((pol > 0).any() and (pol < 0).any())
    periodic, periodic_kind = _whole_periods(starts, period)
    mean_window: tuple[int, int] | None = None
    reason: str | None = None
    cycles = 0
    if pol.size == 0:
        mean_window = (0, n)  # no pulses: a steady current, whose every stretch is whole
    elif biphasic or (reversing is False and not seen_reversal):
        if periodic is None:
            reason = "fewer than two pulse starts: no whole pulse period in the record"
        else:
            mean_window, cycles = periodic
    elif seen_reversal or reversing:
        cycles = max(int(cycle_starts.size) - 1, 0)
        if cycles >= 1:
            mean_window = (round(cycle_starts[0]), round(cycle_starts[-1]))
        else:
            reason = (
                "the record holds no whole polarity cycle (a + burst after a - burst, "
                "twice); a part of a cycle has a mean that is not its d.c. component"
            )
    else:
        reason = (
            "no polarity reversal in the record: it may be part of one polarity of a "
            "reversing train; record whole polarity cycles, or declare reversing=False"
        )
    if mean_window is not None and pol.size and cycles < min_cycles:
        reason = f"{cycles} whole cycles in the record, {min_cycles} needed"
        mean_window = None
    kind: WindowKind
    if mean_window is not None:
        window = mean_window
        kind = "polarity cycles" if cycle_starts.size >= 2 and not biphasic else periodic_kind
    elif periodic is not None:
        window, kind = periodic[0], periodic_kind
    else:
        window, kind = (0, n), "record"
    return Timing(
        biphasic,
        int(starts.size),
        period,
        polarity_period,
        window,
        kind,
        mean_window,
        reason,
        cycles,
        pair_gap,
        intervals,
        runs,
    )


def _whole_periods(
    starts: FloatArray, period: float | None
) -> tuple[tuple[tuple[int, int], int] | None, WindowKind]:
    """Window over whole pulse periods (whole bursts when there are pauses), and count."""
    if starts.size < 2 or period is None:
        return None, "record"
    d = np.diff(starts)
    pause = d > (1 + _BURST_TOLERANCE) * period
    if pause.any():
        burst_starts = starts[1:][pause]
        if burst_starts.size >= 2:
            window = (round(burst_starts[0]), round(burst_starts[-1]))
            return (window, int(burst_starts.size) - 1), "bursts"
        return None, "record"
    return ((round(starts[0]), round(starts[-1])), int(starts.size) - 1), "pulse periods"


def _burst_period(starts: FloatArray) -> tuple[float, int, int] | None:
    """Mean in-burst interval, how many intervals it sums, and in how many runs.

    A run of consecutive regular intervals telescopes to its two end crossings; a pause
    or a missed pulse between runs breaks it, so each run adds two crossing errors.
    """
    if starts.size < 2:
        return None
    d = np.diff(starts)
    typical = float(np.median(d))
    regular = np.abs(d - typical) < _BURST_TOLERANCE * typical
    count = int(regular.sum())
    if 2 * count < d.size:
        return None
    runs = int(regular[0]) + int((regular[1:] & ~regular[:-1]).sum())
    return float(d[regular].sum() / count), count, max(runs, 1)


def _polarity(
    phases: Phases, rise: FloatArray, period: float | None
) -> tuple[float | None, FloatArray]:
    """Polarity period and the cycle-start times (a + phase right after a - phase)."""
    pol = phases.polarity
    if pol.size == 0 or (pol > 0).all() or (pol < 0).all():
        return None, rise[:0]
    is_start = np.concatenate(([False], (pol[1:] > 0) & (pol[:-1] < 0)))
    cycle_starts = rise[is_start & np.isfinite(rise)]
    if cycle_starts.size >= 2:
        d = np.diff(cycle_starts)
        typical = float(np.median(d))
        regular = np.abs(d - typical) < _BURST_TOLERANCE * typical
        return float(d[regular].sum() / max(int(regular.sum()), 1)), cycle_starts
    if period is None:
        return None, cycle_starts
    change = np.flatnonzero(pol[1:] != pol[:-1]) + 1
    bounds = np.concatenate(([0], change, [pol.size]))
    lengths = np.diff(bounds)[1:-1]
    run_pol = pol[bounds[1:-2]]
    if lengths.size == 0:
        return None, cycle_starts
    half: dict[int, float] = {}
    for sign in (1, -1):
        mine = lengths[run_pol == sign]
        if mine.size:
            half[sign] = float(np.median(mine))
    pos = half.get(1, half.get(-1, 0.0))
    neg = half.get(-1, pos)
    return (pos + neg) * period, cycle_starts
