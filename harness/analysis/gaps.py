"""The level and the noise of the gaps between phases, found by where the phases are.

`levels` must guess the baseline and the noise before any phase is known, by
amplitude alone: the samples near the histogram peak nearest zero. At a
signal-to-noise ratio of 3 that cannot work: a pulse's samples fall into the gap's
amplitude range and a gap's noise peaks out of it, so the noise (a MAD of a
truncated set) reads ~20 % low and the baseline is the median of 8-bit codes (up to
half a code off, which at SNR 3 moves a charge by ~1 %). Once the phases are found,
the gaps are known by *position*, and their samples give both directly:

- **Window.** In each gap between two phases (from one phase's falling 50 % point to
  the next one's rising 50 % point, length g) the stretch from g/2 after the fall to
  g/4 before the rise: the second half of the gap, where a first-order tail has
  decayed the most, short of the next edge. Gaps of fewer than `_MIN_SAMPLES` there
  (a gapless pair's) are left out; at most `_BUDGET` samples are read, from windows
  spread over the record, so the cost does not grow with it.
- **Level**: the mean of the windows' samples (noise dithers the 8-bit codes).
- **Noise**: the pooled standard deviation about a straight line fitted in each
  window, so a tail still decaying there is not taken for noise (and then
  subtracted from the r.m.s. as noise power).
- **Trend**: the common slope of those lines times half a window: how far the gap
  level still moves within the window (a tail not yet settled).

`GapLevel.u` is the level's standard uncertainty: the noise of the mean, the trend,
and the quantum where no noise dithers it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.analysis.phase_metrics import PhaseMetrics

_MIN_SAMPLES = 8
_BUDGET = 1 << 18


@dataclass(frozen=True)
class GapLevel:
    """Gap level and noise (signal units) from `samples` samples of the gaps."""

    level: float
    noise: float
    trend: float
    samples: int

    def u(self, quantum_u: float) -> float:
        """Standard uncertainty of `level`; `quantum_u` is the record's code step's."""
        dither = self.noise >= math.sqrt(12.0) * quantum_u / 2
        q = quantum_u / math.sqrt(self.samples) if dither else quantum_u
        return math.sqrt(self.noise**2 / self.samples + self.trend**2 + q**2)


def gap_level(signal: npt.NDArray[np.floating], pm: PhaseMetrics) -> GapLevel | None:
    """The gaps' level, noise and trend (see module doc); None: no gap long enough."""
    rise, fall = pm.rise[1:], pm.fall[:-1]
    ok = np.isfinite(rise) & np.isfinite(fall)
    g = np.where(ok, rise - fall, 0.0)
    a = np.ceil(fall + g / 2)
    c = np.floor(rise - g / 4)
    keep = ok & (c - a >= _MIN_SAMPLES)
    a = np.clip(a[keep], 0, signal.size).astype(np.int64)
    c = np.clip(c[keep], 0, signal.size).astype(np.int64)
    keep = c - a >= _MIN_SAMPLES
    a, c = a[keep], c[keep]
    if a.size == 0:
        return None
    lengths = c - a
    total = int(lengths.sum())
    if total > _BUDGET:  # windows spread evenly over the record, each whole
        take = max(int(a.size * _BUDGET // total), 1)
        pick = np.unique(np.linspace(0, a.size - 1, take).round().astype(np.int64))
        a, c, lengths = a[pick], c[pick], lengths[pick]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    offset = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    x = signal[np.repeat(a, lengths) + offset].astype(np.float64)
    t = offset - np.repeat((lengths - 1) / 2, lengths)  # centred in its window
    n = lengths.astype(np.float64)
    sx = np.add.reduceat(x, starts)
    stx = np.add.reduceat(t * x, starts)
    stt = np.add.reduceat(t * t, starts)
    mean = sx / n
    dev = x - np.repeat(mean, lengths)
    ss = np.add.reduceat(dev * dev, starts)
    slope = np.divide(stx, stt, out=np.zeros_like(stx), where=stt > 0)
    residual = np.maximum(ss - slope * stx, 0.0)
    dof = max(float(n.sum()) - 2 * a.size, 1.0)
    noise = math.sqrt(float(residual.sum()) / dof)
    common = float(stx.sum() / stt.sum()) if stt.sum() > 0 else 0.0
    trend = abs(common) * float(np.median(n)) / 2
    return GapLevel(float(sx.sum() / n.sum()), noise, trend, int(n.sum()))
