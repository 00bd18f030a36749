"""Soft start and overshoot: how the pulse envelope reaches its final height.

The **envelope** is the height of successive pulses plotted against time. A unit with
a soft start (WAV-RAMP) lets it rise slowly when contact is made, so nobody feels a
jolt; a unit without one jumps straight to full height and its current stage may
overshoot (WAV-OVS).

- **Final plateau**: per polarity, the median plateau of the phases in the second half
  of the record (the part a ramp has long finished with).
- **Rise time**: each phase's plateau divided by its polarity's final plateau gives an
  envelope fraction at the phase's centre time. The 10 % and 90 % times are
  interpolated linearly between the phases that straddle them; the rise time is their
  difference. Phases too small to be detected (below the enter threshold) before the
  first detected one count as 0 % one pulse period earlier, if the record reaches back
  that far. If the first phase is already at 90 % no ramp was recorded: None.
- **Overshoot**: the largest instantaneous magnitude over the phases at or above 90 %
  of the envelope, as a percentage above the final plateau. It includes the noise
  peaks of the trace (a few noise standard deviations), which is what a scope's
  "maximum" measurement reports too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
LOW_FRACTION = 0.1
HIGH_FRACTION = 0.9


@dataclass(frozen=True)
class Envelope:
    """Final plateau per polarity (signal units), rise time and overshoot."""

    final_pos: float | None
    final_neg: float | None
    rise_time: float | None
    """10 % -> 90 %, in the units of `centre` (seconds when given seconds)."""
    overshoot_pct: float | None


def analyse_envelope(
    centre: FloatArray,
    polarity: npt.NDArray[np.int8],
    plateau: FloatArray,
    peak: FloatArray,
    *,
    pulse_period: float | None,
    record_start: float,
) -> Envelope:
    """Envelope of valid phases given their centre times, polarity, plateau and peak."""
    if centre.size == 0:
        return Envelope(None, None, None, None)
    finals: dict[int, float | None] = {}
    fraction = np.full(centre.size, np.nan)
    later = centre >= centre[0] + (centre[-1] - centre[0]) / 2
    for sign in (1, -1):
        mine = polarity == sign
        tail = plateau[mine & later]
        if tail.size == 0:
            tail = plateau[mine]
        final = float(np.median(tail)) if tail.size else None
        finals[sign] = final
        if final:
            fraction[mine] = plateau[mine] / final
    known = np.isfinite(fraction)
    t, frac, pk, pol = centre[known], fraction[known], peak[known], polarity[known]
    if t.size == 0:
        return Envelope(finals[1], finals[-1], None, None)
    rise = _rise_time(t, frac, pulse_period, record_start)
    settled = np.flatnonzero(frac >= HIGH_FRACTION)
    overshoot = None
    if settled.size:
        tail_idx = np.arange(settled[0], t.size)
        final_of = np.where(pol[tail_idx] > 0, finals[1] or np.nan, finals[-1] or np.nan)
        ratio = pk[tail_idx] / final_of
        if np.isfinite(ratio).any():
            overshoot = float((np.nanmax(ratio) - 1.0) * 100.0)
    return Envelope(finals[1], finals[-1], rise, overshoot)


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
