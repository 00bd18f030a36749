"""Soft start and overshoot: how the pulse envelope reaches its final height.

The **envelope** is the height of successive pulses plotted against time. A unit with
a soft start (WAV-RAMP) lets it rise slowly when contact is made, so nobody feels a
jolt; a unit without one jumps straight to full height and its current stage may
overshoot (WAV-OVS).

- **Final plateau**: per polarity, the median plateau of the phases in the second half
  of the record (the part a ramp has long finished with).
- **Every pulse of the ramp**: the phases the analysis timed (both 50 % crossings found)
  give heights at their centres; the small pulses at the foot of a ramp often are not
  timed (their crossings drown in the noise, or no phase is detected at all), and which
  of them are depends on the noise of the one record. So, given the record
  (`EnvelopeTrace`), every pulse slot the timed phases leave out (before the first one,
  and in any gap longer than 1.5 pulse periods) is measured on the pulse grid itself:
  the mean of the middle half of the pulse width around the slot's centre (the last timed
  phase's, or before the first the first's, centre plus whole pulse periods) above the
  gap half a period away. An empty slot (the train has not started) reads 0 %. The rise
  time is taken on heights above the gap level throughout (``step``), so a d.c. under the
  pulses (a leak, another load's voltage before contact) is no part of the ramp. The
  heights no longer depend on which phases happened to be timed, nor does the rise time.
- **Rise time**: each height divided by its polarity's final height gives an envelope
  fraction at the pulse's centre time. The 10 % and 90 % times are interpolated
  linearly between the pulses that straddle them; the rise time is their difference.
  If the earliest pulse the record holds is already at 10 % the ramp's start was not
  recorded: None. Without the record (no `trace`), pulses before the first timed phase
  count as 0 % one pulse period earlier, if the record reaches back that far: an
  estimate that is only right when the first timed phase is the ramp's first pulse.
- **Overshoot**: the largest instantaneous magnitude over the timed phases at or above
  90 % of the envelope, as a percentage above the final plateau. It includes the noise
  peaks of the trace (a few noise standard deviations), which is what a scope's
  "maximum" measurement reports too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
LOW_FRACTION = 0.1
HIGH_FRACTION = 0.9
GAP_PERIODS = 1.5
"""Timed phases further apart than this many pulse periods leave pulses to measure."""


@dataclass(frozen=True)
class Envelope:
    """Final plateau per polarity (signal units), rise time and overshoot."""

    final_pos: float | None
    final_neg: float | None
    rise_time: float | None
    """10 % -> 90 %, in the units of `centre` (seconds when given seconds)."""
    overshoot_pct: float | None


@dataclass(frozen=True, eq=False)
class EnvelopeTrace:
    """The record itself, so pulses the phase timing left out can be measured.

    Sample ``i`` is at ``t0 + i * dt`` (the units of the phase centres) and reads
    ``signal[i]``; ``zero`` is the reading of zero current and ``width`` the pulse (phase)
    width, in the units of ``dt``.
    """

    signal: npt.NDArray[np.floating]
    t0: float
    dt: float
    zero: float
    width: float


def analyse_envelope(
    centre: FloatArray,
    polarity: npt.NDArray[np.int8],
    plateau: FloatArray,
    peak: FloatArray,
    *,
    pulse_period: float | None,
    record_start: float,
    trace: EnvelopeTrace | None = None,
    step: FloatArray | None = None,
) -> Envelope:
    """Envelope of valid phases given their centre times, polarity, plateau and peak.

    ``step``: each phase's height above the gap level (default: ``plateau``, above
    zero); the rise time is taken on it, so a d.c. under the pulses (a leak, another
    load's voltage before contact) is not part of the ramp. The slots measured on
    ``trace`` are heights above their own neighbouring gaps, for the same reason.
    """
    if centre.size == 0:
        return Envelope(None, None, None, None)
    later = centre >= centre[0] + (centre[-1] - centre[0]) / 2
    finals = _finals(plateau, polarity, later, centre)
    fraction = _fractions(plateau, polarity, finals)
    known = np.isfinite(fraction)
    t, frac, pk, pol = centre[known], fraction[known], peak[known], polarity[known]
    if t.size == 0:
        return Envelope(finals[1], finals[-1], None, None)
    heights = plateau if step is None else step
    rise_finals = _finals(heights, polarity, later, centre)
    rise_frac = _fractions(heights, polarity, rise_finals)[known]
    ok = np.isfinite(rise_frac)
    if trace is not None and pulse_period is not None and trace.width > 0 and ok.any():
        slot_t, slot_frac = _untimed_pulses(t[ok], trace, pulse_period, rise_finals, record_start)
        every_t = np.concatenate((t[ok], slot_t))
        order = np.argsort(every_t, kind="stable")
        every_frac = np.concatenate((rise_frac[ok], slot_frac))[order]
        rise = _rise_time(every_t[order], every_frac, None, record_start)
    elif ok.any():
        rise = _rise_time(t[ok], rise_frac[ok], pulse_period, record_start)
    else:
        rise = None
    settled = np.flatnonzero(frac >= HIGH_FRACTION)
    overshoot = None
    if settled.size:
        tail_idx = np.arange(settled[0], t.size)
        final_of = np.where(pol[tail_idx] > 0, finals[1] or np.nan, finals[-1] or np.nan)
        ratio = pk[tail_idx] / final_of
        if np.isfinite(ratio).any():
            overshoot = float((np.nanmax(ratio) - 1.0) * 100.0)
    return Envelope(finals[1], finals[-1], rise, overshoot)


def _finals(
    values: FloatArray,
    polarity: npt.NDArray[np.int8],
    later: npt.NDArray[np.bool_],
    centre: FloatArray,
) -> dict[int, float | None]:
    """Per polarity, the median of the record's later half's values; for a polarity with
    no phase there (the reversal fell in the first half), of the later half of its own.

    Why not all of its phases: a level changed while that polarity ran (WAV-OVS) would
    make the final a median over both levels, and every pulse of the new level an
    "overshoot" of the difference (RMD-1, 1 s half-cycles and 1.5 s records: whenever the
    reversal fell before the record's middle)."""
    finals: dict[int, float | None] = {}
    for sign in (1, -1):
        mine = polarity == sign
        tail = values[mine & later]
        if tail.size == 0 and mine.any():
            own = centre[mine]
            tail = values[mine][own >= own[0] + (own[-1] - own[0]) / 2]
        finals[sign] = float(np.median(tail)) if tail.size else None
    return finals


def _fractions(
    values: FloatArray, polarity: npt.NDArray[np.int8], finals: dict[int, float | None]
) -> FloatArray:
    """Each value over its polarity's final (NaN where that final is missing or 0)."""
    fraction = np.full(values.size, np.nan)
    for sign in (1, -1):
        final = finals[sign]
        if final:
            mine = polarity == sign
            fraction[mine] = values[mine] / final
    return fraction


def _untimed_pulses(
    t: FloatArray,
    trace: EnvelopeTrace,
    period: float,
    finals: dict[int, float | None],
    record_start: float,
) -> tuple[FloatArray, FloatArray]:
    """Centre times and envelope fractions of the pulse slots the timed phases skip."""
    slots: list[float] = []
    half = trace.width / 4.0  # the middle half of the pulse: clear of both edges
    k = 1
    while t[0] - k * period - period / 2 - half >= record_start:
        slots.append(float(t[0] - k * period))
        k += 1
    for a, b in itertools.pairwise(t.tolist()):
        if b - a > GAP_PERIODS * period:
            # counted back from the later phase: on a ramp the earlier one may be noise
            # crossing the threshold off the pulse grid (just after contact), the later
            # one is a pulse grown clear of it
            missing = round((b - a) / period) - 1
            slots.extend(float(b - j * period) for j in range(missing, 0, -1))
    end = trace.t0 + trace.signal.size * trace.dt
    kept = [c for c in slots if c + period / 2 + half <= end]
    times = np.asarray(kept, dtype=np.float64)
    heights = np.array([_height(trace, c, half, period) for c in kept], dtype=np.float64)
    pos = finals[1] or finals[-1]
    neg = finals[-1] or finals[1]
    scale = np.where(heights >= 0, pos or np.nan, neg or np.nan)
    return times, np.abs(heights) / scale


def _height(trace: EnvelopeTrace, centre: float, half: float, period: float) -> float:
    """The slot's height (signed) above its gaps.

    The mean over the middle half of the pulse, less the mean half a period before and
    half a period after (in the gaps of a monophasic train at 50 % duty, and in the
    empty half period of a biphasic pair): of the two, the height nearer zero, so a slot
    beside a change of d.c. level (the contact itself, a load switched) reads the step
    on its steady side, and a slot before the train reads nothing.
    """
    pulse = _mean(trace, centre, half)
    steps = [
        pulse - _mean(trace, centre - period / 2, half),
        pulse - _mean(trace, centre + period / 2, half),
    ]
    return min(steps, key=abs)


def _mean(trace: EnvelopeTrace, centre: float, half: float) -> float:
    """Mean reading over [centre - half, centre + half]."""
    a = max(0, int(np.ceil((centre - half - trace.t0) / trace.dt)))
    b = min(trace.signal.size, int(np.floor((centre + half - trace.t0) / trace.dt)) + 1)
    if b <= a:
        return trace.zero
    return float(np.mean(trace.signal[a:b], dtype=np.float64))


def _rise_time(
    t: FloatArray, frac: FloatArray, period: float | None, record_start: float
) -> float | None:
    if frac[0] >= HIGH_FRACTION:
        return None
    if frac[0] >= LOW_FRACTION:
        if period is None or t[0] - period < record_start:
            return None
        t = np.concatenate(([t[0] - period], t))
        frac = np.concatenate(([0.0], frac))
    low = _first_crossing(t, frac, LOW_FRACTION)
    high = _first_crossing(t, frac, HIGH_FRACTION)
    if low is None or high is None:
        return None
    return high - low


def _first_crossing(t: FloatArray, frac: FloatArray, level: float) -> float | None:
    above = np.flatnonzero(frac >= level)
    if above.size == 0 or above[0] == 0:
        return None
    k = int(above[0])
    f0, f1 = frac[k - 1], frac[k]
    return float(t[k - 1] + (t[k] - t[k - 1]) * (level - f0) / (f1 - f0))
