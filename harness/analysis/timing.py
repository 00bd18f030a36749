"""Pulse rate, polarity reversal, and the stretch of record to average over.

- **Pulses from phases.** In a monophasic train every phase is a pulse. In a biphasic
  train a pulse is a pair: a phase immediately followed (gap under a fifth of its width)
  by one of opposite polarity; the pulse starts at the leading phase's rising 50 %
  crossing. A train is called biphasic when at least 40 % of its phases are in pairs.
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
- **Averaging window.** The d.c. (mean) current of a reversing train is only meaningful
  over whole polarity cycles, so the window runs from the first to the last cycle start;
  otherwise from the first to the last pulse start (whole pulse periods); failing that,
  the whole record.

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
WindowKind = Literal["polarity cycles", "pulse periods", "record"]
_PAIR_GAP_FRACTION = 0.2
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


def analyse_timing(phases: Phases, metrics: PhaseMetrics, n: int) -> Timing:
    """Pulse period, polarity period and averaging window of a segmented record."""
    rise, fall, pol = metrics.rise, metrics.fall, phases.polarity
    gap = rise[1:] - fall[:-1]
    width = fall[:-1] - rise[:-1]
    paired = (pol[1:] != pol[:-1]) & (gap < _PAIR_GAP_FRACTION * width + 2)
    measurable = int(np.isfinite(rise).sum())
    biphasic = measurable > 0 and 2 * int(paired.sum()) >= _BIPHASIC_SHARE * measurable
    if biphasic:
        leading = np.concatenate((paired, [False])) & ~np.concatenate(([False], paired))
        starts = rise[leading]
    else:
        starts = rise
    starts = starts[np.isfinite(starts)]
    period = _burst_period(starts)
    if period is None and not biphasic:
        period = _burst_period(rise[(pol > 0) & np.isfinite(rise)])
    polarity_period, cycle_starts = (
        (None, starts[:0]) if biphasic else _polarity(phases, rise, period)
    )
    if cycle_starts.size >= 2:
        window = (round(cycle_starts[0]), round(cycle_starts[-1]))
        kind: WindowKind = "polarity cycles"
    elif starts.size >= 2 and period is not None:
        window = (round(starts[0]), round(starts[-1]))
        kind = "pulse periods"
    else:
        window, kind = (0, n), "record"
    return Timing(biphasic, int(starts.size), period, polarity_period, window, kind)


def _burst_period(starts: FloatArray) -> float | None:
    if starts.size < 2:
        return None
    d = np.diff(starts)
    typical = float(np.median(d))
    regular = np.abs(d - typical) < _BURST_TOLERANCE * typical
    if 2 * int(regular.sum()) < d.size:
        return None
    return float(d[regular].sum() / regular.sum())


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
