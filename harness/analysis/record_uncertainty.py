"""How well the record itself pins each metric down: expanded uncertainties (k = 2).

A decision rule (ILAC-G8 guarded acceptance, `judging/`) needs U in the metric's own
unit. Part of U belongs to the bench: the scope's gain and timebase, the load's
tolerance (`procedures/budgets.py`). This module gives the other part, the one only
the record knows: how finely it was sampled, how coarsely quantised, how noisy, and
over how many phases and periods the metric was averaged. The two parts combine in
quadrature.

Every term is a standard uncertainty; the result is doubled (k = 2).

- **Crossing time** (one 50 % point): the noise divided by the edge's slope at that
  point (a noisy level turned into a time), in quadrature with the interpolation error
  of a straight line between two samples on a curved edge (a rectangular half sample).
  Slope: 80 % of the step over the 10-90 % time, at least one step per sample.
- **Frequency**: each run of consecutive regular intervals telescopes to its two end
  crossings, so the period carries two crossing errors per run (a pause or a missed
  pulse starts a new run), divided by the number of intervals.
- **Width, rise, fall**: two crossings per phase; the median over N phases scatters
  1.25 / sqrt(N) as much as one phase, or as the phases are seen to scatter, whichever
  is more. An edge shorter than two samples adds its interpolation error undivided
  (`locked_grid_u`): on a grid locked to the pulse rate every phase makes the same
  one. A plateau not yet settled moves the 50 % level, and both crossings with it.
- **Plateau**: the noise of a mean over the middle half of a phase, the quantum (an
  8-bit code, which does not average away without noise to dither it), the zero's
  uncertainty, and a trend the record shows there (`settling_u`: the second half's
  mean minus the first's, where it exceeds three standard errors over the phases).
- **Charge**: the noise over the integration span, the quantum, the zero over the
  width, the baseline (`RecordNoise.base_u`, from the gaps) over the samples
  integrated beyond the width, each sharp edge's place within its sample (half a
  sample of the step, rectangular, undivided on a locked grid: a phase has one
  turn-on and one turn-off, and nothing the record shows makes them cancel), and a
  slower edge's corners (`kink_u`).
- **Mean**: the noise and quantum over the window, a half-sample misplacement of each
  window end, the zero's uncertainty, and the edges' sampling that does not cancel
  over whole cycles (`mean_edges`: edges at the same place in their sample interval
  are misplaced alike, so only their net step counts).
- **R.m.s.**: the noise's contribution to the mean square is subtracted (it would add
  sigma^2, measured in the gaps); what remains uncertain is that subtraction, the
  noise of the mean square, the zero's uncertainty times mean / r.m.s., the quantum,
  and each sharp edge's sampling (half a sample of step^2, adding on a locked grid)
  and slower edges' corners.
- **Floors**: a noiseless record still has a resolution (a scope's code step, or the
  float type's spacing: `RecordNoise.resolution`) and float64 sums round once per term,
  so no U is ever ~1e-15 of its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
K = 2.0
INTERPOLATION = 0.5 / math.sqrt(3.0)
"""One crossing's interpolation error, in samples (rectangular over +-0.5 sample)."""
_EPS = float(np.finfo(np.float64).eps)
_SHOWN = 3.0
"""Standard errors a plateau's trend must exceed to be taken as not settled."""
_MEDIAN = 1.2533
"""Scatter of a median of normal values relative to one value's, times sqrt(N)."""


@dataclass(frozen=True)
class RecordNoise:
    """What limits the record: noise and quantum (signal units), smoothing (samples)."""

    noise: float
    quantum: float
    smoothing: int
    zero_u: float
    """Standard uncertainty of the zero offset (signal units)."""
    resolution: float = 0.0
    """What the record says its resolution is (a scope's yinc, or the float type's
    spacing at full scale): a floor for `quantum`, which a noiseless record of a few
    levels cannot show (`levels` finds no code step in it)."""

    gap_samples: int = 1 << 12
    """Samples the noise was estimated from (`gaps`; `levels` reads up to 2^18, of
    which the gaps are a part): how well the noise power subtracted from the r.m.s. is
    known."""
    base_u: float = 0.0
    """Standard uncertainty of the baseline (the gap level, `gaps`; signal units): a
    charge integrated over more than its width carries it over the difference."""

    @property
    def quantum_u(self) -> float:
        return max(self.quantum, self.resolution) / math.sqrt(12.0)

    @property
    def timed_noise(self) -> float:
        """Noise of the trace the crossings are timed on (after any smoothing)."""
        return math.hypot(self.noise / math.sqrt(self.smoothing), self.quantum_u)


def crossing_u(rec: RecordNoise, step: float, edge_samples: float | None) -> float:
    """Standard uncertainty of one 50 % crossing time, in samples."""
    ramp = max(edge_samples or 0.0, 1.0) / 0.8
    slope = step / ramp if step > 0 else math.inf
    return math.hypot(rec.timed_noise / slope, INTERPOLATION)


def locked_grid_u(edge_samples: float | None) -> float:
    """Standard uncertainty of a width (samples) that no number of phases averages away.

    An edge shorter than two samples is known only to lie between the two samples that
    straddle it; when the sample rate is a multiple of the pulse rate (a scope's
    timebase and a stimulator's clock often are), every phase is sampled at the same
    place and the median of N phases keeps the one phase's interpolation error. Two
    edges per width, each rectangular over +-0.5 sample. A slower edge is interpolated
    on its slope, which this error does not reach.
    """
    if edge_samples is not None and edge_samples >= 2.0:
        return 0.0
    return math.sqrt(2.0) * INTERPOLATION


def edge_charge_u(step: float, edge_samples: float | None) -> float:
    """Standard uncertainty of a phase charge (signal x samples) from its two edges.

    An edge sharper than two samples is placed by the samples only to within the
    interval that straddles it: the integral moves by up to half a sample of the step
    per edge (rectangular), and on a grid locked to the pulse rate every phase makes
    the same error, so no median removes it (see `locked_grid_u`). A gapless pair's
    middle edge sampled at its crossing is the case that shows it: each lobe reads
    0.4 sample of its step short of the truth at 40 samples per phase.
    """
    return step * locked_grid_u(edge_samples)


def kink_u(edge_samples: float | None) -> float:
    """Standard error of a sum over samples at one edge's corner, per unit slope jump.

    Where an edge sets off or lands, the slope jumps; the sum over samples (the
    trapezoid rule, which a sum over whole periods is) then misses the integral by
    J theta (1 - theta) / 2 sample^2 for a slope jump J at a point theta into its
    interval: one-signed, up to J / 8, rectangular, the same on every phase on a locked
    grid. An edge of ten-to-ninety time `edge_samples` jumps by at most ln 9 / that
    per unit step (a first-order edge's start; a linear one jumps by 0.8 / that at each
    end). Edges sharper than two samples are `locked_grid_u`'s instead: 0 here.
    """
    if edge_samples is None or edge_samples < 2.0:
        return 0.0
    return math.log(9.0) / edge_samples / (8.0 * math.sqrt(3.0))


def rounding_u(value: float, samples: float) -> float:
    """A sum of `samples` float64 terms is exact to about one rounding per term."""
    return _EPS * max(samples, 1.0) * abs(value)


def frequency_u(f: float, period: float, intervals: int, crossing: float, runs: int = 1) -> float:
    """Expanded U of a frequency from `intervals` intervals in `runs` telescoping runs.

    Each run of consecutive intervals sums to its last crossing minus its first, so it
    adds two crossing errors however long it is (period in samples).
    """
    u_period = math.sqrt(2.0 * max(runs, 1)) * crossing / max(intervals, 1)
    return K * f * u_period / period


def spread_u(values: FloatArray, one: float) -> float:
    """Standard uncertainty of a median of per-phase values, `one` per value."""
    n = values.size
    observed = float(np.std(values, ddof=1)) if n >= 2 else 0.0
    return _MEDIAN * max(one, observed) / math.sqrt(max(n, 1))


def settling_u(settling: FloatArray) -> float:
    """Standard uncertainty of a plateau (the middle half's mean) that has not settled.

    `settling` holds each phase's second-half-minus-first-half mean over that window.
    A level approaching its plateau exponentially (ratio r from one half to the next)
    leaves the window's mean short by (1 + r) / (2 (1 - r)) of that difference: under
    it for r < 1/3, under twice it for r < 0.6 (a time constant up to half the
    phase), so the difference itself is the term. It counts only where the record shows
    it: a mean difference over the phases within three of its standard errors is
    noise, which the plateau's noise term already carries (at two, one settled
    plateau in twenty would have its noise counted twice over).
    """
    values = settling[np.isfinite(settling)]
    if values.size == 0:
        return 0.0
    mean = abs(float(np.mean(values)))
    noise = float(np.std(values, ddof=1)) / math.sqrt(values.size) if values.size >= 2 else 0.0
    return mean if mean > _SHOWN * noise else 0.0


def plateau_u(
    rec: RecordNoise, lengths: FloatArray, values: FloatArray, settling: FloatArray | None = None
) -> float:
    """Expanded U of a median plateau (signal units); `settling`: see `settling_u`."""
    samples = float(np.median(lengths)) / 2 if lengths.size else 1.0
    dither = rec.noise >= rec.quantum / 2
    q = rec.quantum_u / math.sqrt(samples) if dither else rec.quantum_u
    one = rec.noise / math.sqrt(max(samples, 1.0))
    level = float(np.median(values)) if values.size else 0.0
    rounding = rounding_u(level, samples)
    settle = 0.0 if settling is None else settling_u(settling)
    terms = spread_u(values, one) ** 2 + q**2 + rec.zero_u**2 + rounding**2 + settle**2
    return K * math.sqrt(terms)


def charge_u(
    rec: RecordNoise,
    widths: FloatArray,
    spans: FloatArray,
    values: FloatArray,
    step: float = 0.0,
    edge_samples: float | None = None,
    beyond: float = 0.0,
) -> float:
    """Expanded U of a median phase charge (signal x samples).

    `step` and `edge_samples` (the 10-90 % time) give the edges' sampling error
    (`edge_charge_u`); without a step it is left out. `beyond`: samples integrated
    outside the width, over which the charge is taken against the baseline (its
    uncertainty `rec.base_u` enters once per such sample).
    """
    width = float(np.median(widths)) if widths.size else 0.0
    span = float(np.median(spans)) if spans.size else width
    one = rec.noise * math.sqrt(max(span, 1.0))
    dither = rec.noise >= rec.quantum / 2
    q = rec.quantum_u * (math.sqrt(span) if dither else width)
    edges = math.hypot(edge_charge_u(step, edge_samples), 2 * step * kink_u(edge_samples))
    charge = float(np.median(values)) if values.size else 0.0
    rounding = rounding_u(charge, span)
    terms = spread_u(values, one) ** 2 + q**2 + (rec.zero_u * width) ** 2 + edges**2
    terms += (rec.base_u * beyond) ** 2
    return K * math.sqrt(terms + rounding**2)


def mean_u(rec: RecordNoise, samples: int, step: float, edges_sum_u: float = 0.0) -> float:
    """Expanded U of a mean over `samples` whole-cycle samples (signal units).

    `edges_sum_u`: the standard uncertainty of the window's sum from its edges'
    sampling, what of it does not cancel over the cycles (`mean_edges`).
    """
    w = max(samples, 1)
    dither = rec.noise >= rec.quantum / 2
    q = rec.quantum_u / math.sqrt(w) if dither else rec.quantum_u
    ends = math.sqrt(2.0) * 0.5 * step * INTERPOLATION * 2 / w
    inner = edges_sum_u / w
    terms = (rec.noise / math.sqrt(w)) ** 2 + q**2 + ends**2 + inner**2 + rec.zero_u**2
    return K * math.sqrt(terms)


def rms_u(
    rec: RecordNoise,
    samples: int,
    rms: float,
    mean: float,
    gap_samples: int,
    edges: int = 0,
    step: float = 0.0,
    edge_samples: float | None = None,
) -> float:
    """Expanded U of a noise-corrected r.m.s. (signal units).

    `edges` sharper than two samples (`edge_samples`, the 10-90 % time) of `step` in
    the window each move the sum of squares by up to half a sample of step^2
    (rectangular, as for a charge): a sample on the edge is squared as if it held its
    value over the whole interval. On a grid locked to the pulse rate every edge makes
    the same error, so they add, not in quadrature.
    """
    if rms <= 0:
        return K * rec.noise
    w = max(samples, 1)
    u_ms_noise = 2 * rms * rec.noise / math.sqrt(w)
    u_correction = rec.noise**2 * math.sqrt(2.0 / max(gap_samples, 2))
    per_edge = locked_grid_u(edge_samples) / math.sqrt(2.0) + 2 * kink_u(edge_samples)
    u_edges = edges * step**2 * per_edge / w
    u_ms = math.sqrt(u_ms_noise**2 + u_correction**2 + u_edges**2)
    zero_term = abs(mean) / rms * rec.zero_u
    return K * math.hypot(u_ms / (2 * rms), math.hypot(zero_term, rec.quantum_u / math.sqrt(w)))
