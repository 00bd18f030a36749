"""Where zero is, how tall the pulses are, and how noisy the trace is.

Before a capture can be cut into phases the analysis needs three numbers, all taken
from the signal itself rather than from the spec (a faulty unit must not be measured
with the yardstick of a healthy one):

- the **zero level**: the scope's reading of *no current*. A real scope has a d.c.
  offset of a few millivolts, so zero is estimated from the inter-pulse gaps, the
  histogram peak nearest 0 V. (A true d.c. leak through the unit is indistinguishable
  from scope offset on this trace; LKG-AUX-DC measures it with the ammeter instead.)
  The one assumption: the offset is smaller than half the pulse height.
- the **plateau** of each polarity: the median of the samples above half of a robust
  extreme (the 0.5 / 99.5 percentiles), so overshoot spikes and the soft-start ramp
  barely move it.
- the **noise**: a robust standard deviation (1.4826 x MAD) of the gap samples.

All three come from a random subsample of at most 2^18 points, so the cost does not
grow with the record and a periodic signal cannot alias with the sampling pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_SUBSAMPLE = 1 << 18
_BINS = 128
_MIN_PEAK_FRACTION = 0.02
_PRESENT_FRACTION = 0.25


@dataclass(frozen=True)
class Levels:
    """Levels in the units of the signal; plateaus are magnitudes relative to zero."""

    zero: float
    plateau_pos: float | None
    plateau_neg: float | None
    noise: float

    @property
    def amplitude(self) -> float:
        return max(self.plateau_pos or 0.0, self.plateau_neg or 0.0)


def subsample(signal: npt.NDArray[np.floating], size: int = _SUBSAMPLE) -> npt.NDArray[np.float64]:
    """A reproducible random subset (sorted indices, for cache-friendly gathering)."""
    if signal.size <= size:
        return np.asarray(signal, dtype=np.float64)
    rng = np.random.default_rng(12345)
    index = np.sort(rng.integers(0, signal.size, size))
    return signal[index].astype(np.float64)


def estimate_levels(signal: npt.NDArray[np.floating]) -> Levels:
    """Zero level, plateau per polarity and noise of a pulse capture (see module doc)."""
    s = subsample(signal)
    if s.size == 0:
        return Levels(0.0, None, None, 0.0)
    lo, hi = (float(v) for v in np.percentile(s, [0.5, 99.5]))
    if not hi > lo:
        return Levels(float(np.median(s)), None, None, 0.0)
    zero_peak = _zero_peak(s, lo, hi)
    reach = max(hi - zero_peak, zero_peak - lo)
    gap = s[np.abs(s - zero_peak) < 0.25 * reach]
    zero = float(np.median(gap)) if gap.size else zero_peak
    noise = 1.4826 * float(np.median(np.abs(gap - zero))) if gap.size else 0.0
    reach_pos, reach_neg = hi - zero, zero - lo
    biggest = max(reach_pos, reach_neg)

    def plateau(values: npt.NDArray[np.float64], reach: float) -> float | None:
        if reach < _PRESENT_FRACTION * biggest or reach <= 6 * noise:
            return None
        top = values[values > 0.5 * reach]
        return float(np.median(top)) if top.size else None

    return Levels(zero, plateau(s - zero, reach_pos), plateau(zero - s, reach_neg), noise)


def _zero_peak(s: npt.NDArray[np.float64], lo: float, hi: float) -> float:
    """The significant histogram peak nearest 0: the level of the gaps between pulses."""
    counts, edges = np.histogram(s, bins=_BINS, range=(lo, hi))
    smooth = np.convolve(counts, [1.0, 2.0, 1.0], mode="same")
    padded = np.concatenate(([-1.0], smooth, [-1.0]))
    is_peak = (smooth >= padded[:-2]) & (smooth >= padded[2:])
    is_peak &= smooth >= _MIN_PEAK_FRACTION * 4 * s.size
    centres = (edges[:-1] + edges[1:]) / 2
    candidates = centres[is_peak] if is_peak.any() else centres[[int(np.argmax(smooth))]]
    return float(candidates[np.argmin(np.abs(candidates))])
