"""Where zero is, where the pulses sit, how tall they are, and how noisy the trace is.

Before a capture can be cut into phases the analysis needs these numbers, all but the
first taken from the signal itself rather than from the spec (a faulty unit must not be
measured with the yardstick of a healthy one):

- the **zero** of current: *given*, never estimated. Zero current is zero: the scope's
  own offset is a property of the bench (measured with the output off, or declared) and
  is passed in as `zero_offset`. Estimating it from the gaps between pulses would
  subtract exactly the d.c. leak that WAV-DC and LKG-AUX-DC exist to catch.
- the **baseline**: the level of the gaps between pulses, the histogram peak nearest
  zero. It is where a pulse starts from, so phases are found and their widths timed
  against it; any difference from zero is a d.c. current and is reported as such.
  The one assumption: the leak is smaller than half the pulse height.
- the **step** of each polarity: the median of the samples beyond half of a robust
  extreme (the 0.5 / 99.5 percentiles) measured from the baseline, so overshoot spikes
  and the soft-start ramp barely move it. When the pulses stand less than ten noise
  deviations above the baseline (SNR down to 3), single samples would put the extremes
  at the noise peaks; means of 32 consecutive samples are used instead.
- the **noise**: a robust standard deviation (1.4826 x MAD) of the gap samples, and the
  **quantum**: the smallest step between sample values (an 8-bit scope's code step).

All come from a random subsample of at most 2^18 points, so the cost does not grow with
the record and a periodic signal cannot alias with the sampling pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_SUBSAMPLE = 1 << 18
_SUBSAMPLE_RUN = 16
_BINS = 128
_MIN_PEAK_FRACTION = 0.02
_PRESENT_FRACTION = 0.25
_MIN_CODES = 16
_LOW_SNR = 10.0
"""Below this reach-to-noise ratio the steps are taken from block means."""
_BLOCK = 32


@dataclass(frozen=True)
class Levels:
    """Levels in the units of the signal; plateaus are step magnitudes from the baseline."""

    zero: float
    plateau_pos: float | None
    plateau_neg: float | None
    noise: float
    baseline: float | None = None
    """The gap level; None: the same as zero."""
    quantum: float = 0.0

    @property
    def base(self) -> float:
        return self.zero if self.baseline is None else self.baseline

    @property
    def amplitude(self) -> float:
        return max(self.plateau_pos or 0.0, self.plateau_neg or 0.0)


def subsample(signal: npt.NDArray[np.floating], size: int = _SUBSAMPLE) -> npt.NDArray[np.float64]:
    """A reproducible random subset: short runs of consecutive samples at random places.

    Random places, so that no pulse rate can alias with a fixed stride; runs of
    ``_SUBSAMPLE_RUN`` samples rather than single ones, because gathering a quarter of a
    million scattered samples from a 10 M-sample record costs a cache miss each (most
    of this function's time); the runs are short against any pulse, so the subset's
    levels and spread are the record's.
    """
    if signal.size <= size:
        return np.asarray(signal, dtype=np.float64)
    runs = max(1, size // _SUBSAMPLE_RUN)
    rng = np.random.default_rng(12345)
    starts = np.sort(rng.integers(0, signal.size - _SUBSAMPLE_RUN + 1, runs))
    index = (starts[:, None] + np.arange(_SUBSAMPLE_RUN)[None, :]).ravel()
    picked: npt.NDArray[np.float64] = signal[index].astype(np.float64)
    return picked


def estimate_levels(signal: npt.NDArray[np.floating], zero_offset: float = 0.0) -> Levels:
    """Baseline, step per polarity, noise and quantum of a pulse capture (see module doc).

    `zero_offset` is the reading of zero current (the bench's, never the record's).
    """
    zero = float(zero_offset)
    s = subsample(signal)
    if s.size == 0:
        return Levels(zero, None, None, 0.0, zero)
    quantum = _quantum(s)
    lo, hi = (float(v) for v in np.percentile(s, [0.5, 99.5]))
    if not hi > lo:
        return Levels(zero, None, None, 0.0, float(np.median(s)), quantum)
    base_peak = _base_peak(s, lo, hi, zero)
    reach = max(hi - base_peak, base_peak - lo)
    gap = s[np.abs(s - base_peak) < 0.25 * reach]
    base = float(np.median(gap)) if gap.size else base_peak
    noise = 1.4826 * float(np.median(np.abs(gap - base))) if gap.size else 0.0
    if gap.size and noise == 0.0:
        noise = float(np.std(gap))
    if noise > 0 and max(hi - base, base - lo) < _LOW_SNR * noise:
        # Pulses barely above the noise: their levels from short averages instead.
        s = _block_means(signal)
        lo, hi = (float(v) for v in np.percentile(s, [0.5, 99.5]))
        detect_noise = noise / np.sqrt(_BLOCK)
    else:
        detect_noise = noise
    reach_pos, reach_neg = hi - base, base - lo
    biggest = max(reach_pos, reach_neg)

    def plateau(values: npt.NDArray[np.float64], reach: float) -> float | None:
        if reach < _PRESENT_FRACTION * biggest or reach <= 6 * detect_noise:
            return None
        top = values[values > 0.5 * reach]
        return float(np.median(top)) if top.size else None

    return Levels(
        zero, plateau(s - base, reach_pos), plateau(base - s, reach_neg), noise, base, quantum
    )


def _block_means(signal: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """Means of `_BLOCK` consecutive samples at reproducible random places."""
    count = min(1 << 13, max(signal.size // _BLOCK, 1))
    rng = np.random.default_rng(54321)
    starts = np.sort(rng.integers(0, max(signal.size - _BLOCK, 1), count))
    index = starts[:, None] + np.arange(min(_BLOCK, signal.size))[None, :]
    means: npt.NDArray[np.float64] = signal[index].astype(np.float64).mean(axis=1)
    return means


def _quantum(s: npt.NDArray[np.float64]) -> float:
    """The smallest spacing of distinct values, when the record is visibly quantised.

    A quantised record holds few distinct values; a float record (noise, no codes) as
    many as samples, and then its resolution is not the error to worry about: 0.
    """
    values = np.unique(s[: 1 << 14])
    if values.size < 2 or values.size > 4096:
        return 0.0
    step = float(np.min(np.diff(values)))
    # a handful of levels 0, I/2, I of a clean synthetic record is not a quantised one
    return step if (values[-1] - values[0]) >= _MIN_CODES * step else 0.0


def _base_peak(s: npt.NDArray[np.float64], lo: float, hi: float, zero: float) -> float:
    """The significant histogram peak nearest zero: the level of the gaps between pulses."""
    counts, edges = np.histogram(s, bins=_BINS, range=(lo, hi))
    smooth = np.convolve(counts, [1.0, 2.0, 1.0], mode="same")
    padded = np.concatenate(([-1.0], smooth, [-1.0]))
    is_peak = (smooth >= padded[:-2]) & (smooth >= padded[2:])
    is_peak &= smooth >= _MIN_PEAK_FRACTION * 4 * s.size
    centres = (edges[:-1] + edges[1:]) / 2
    candidates = centres[is_peak] if is_peak.any() else centres[[int(np.argmax(smooth))]]
    return float(candidates[np.argmin(np.abs(candidates - zero))])
