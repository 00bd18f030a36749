"""How far the edges' sampling can move a mean over whole cycles: what does not cancel.

The sum of the samples over a window misses the integral of the current wherever an
edge falls between them: an edge of signed step dI whose equivalent step (the place a
jump of the same area would be) lies delta samples from where the samples put it moves
the sum by -dI delta. For an edge sharper than two samples delta is only known to lie
within +-0.5 (rectangular: the record cannot place a sub-sample edge inside its sample
interval, nor show its shape); for a slower edge it is the corners' J/8 sample^2
(`record_uncertainty.kink_u`). Added edge by edge on a grid locked to the pulse rate,
these make ~0.5 uA at 500 samples per period: as much as WAV-DC's tolerance can bear.

But delta depends on where in its sample interval an edge falls and on its shape, not
on its sign. Over whole polarity cycles a + pulse's turn-on and a - pulse's turn-on,
sampled at the same place, make the same delta with opposite dI, and cancel; so do a
biphasic pair's two turn-ons (and turn-offs) when the pair spans whole samples. What
remains is the *difference*: dI summed over each group of edges that share their kind
(turn-on or turn-off: one output stage, mirrored between the polarities, is the one
assumption) and their place in the sample interval (the interpolated 50 % crossing's
fractional part, binned no finer than four times its noise). So the record itself says
what cancels, edge by edge; nothing is fitted to a corpus:

- **groups**: each group's net dI times one delta (rectangular), in quadrature over
  the groups (different places, different deltas). A balanced train leaves the
  imbalance of its + and - steps (RMD-1's 0.1 %); an unbalanced one keeps the rest.
- **within a group**: edges of one group whose places differ (by the crossings'
  noise, or truly) differ in delta by as much, as a share of its range over the
  interval: sum |dI| x (the |dI|-weighted r.m.s. spread of the places about their
  group's circular mean) x u(delta) / (its range), coherently. The crossings' own noise
  is in that spread, so it only ever widens U.
- **independent edges**: an edge that shows no sample on it reads the middle of its
  interval wherever it really is, so edges of one bin need not share a place; each
  edge's own delta in quadrature (sum dI^2) covers a grid not locked to the pulses,
  where they average like noise.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from harness.analysis import record_uncertainty as ru

FloatArray = npt.NDArray[np.float64]
_MOST_BINS = 32
INTERPOLATION_RANGE = 1.0
"""delta's range over one sample interval (it moves one for one with the place)."""
_JITTERS_PER_BIN = 4.0


def edge_delta_u(edge_samples: float | None) -> float:
    """Standard uncertainty of one edge's equivalent-step place (samples, per unit step)."""
    if edge_samples is None or edge_samples < 2.0:
        return ru.INTERPOLATION
    return 2.0 * ru.kink_u(edge_samples)


def bins_for(jitter: float) -> int:
    """Bins of the sample interval that a crossing with `jitter` (samples, std) resolves."""
    if not (jitter > 0 and math.isfinite(jitter)):
        return _MOST_BINS
    return int(min(max(math.floor(1.0 / (_JITTERS_PER_BIN * jitter)), 1), _MOST_BINS))


def mean_edges_u(
    on_at: FloatArray,
    off_at: FloatArray,
    signed_step: FloatArray,
    delta_u: float,
    bins: int,
) -> float:
    """Standard uncertainty of the window's sum (signal x samples) from its edges.

    `on_at`, `off_at`: each phase's rising and falling 50 % crossings (samples; NaN: that
    edge is outside the window); `signed_step`: each phase's step times its polarity;
    `delta_u`: `edge_delta_u`; `bins`: `bins_for` the crossings' jitter.
    """
    on, off = np.isfinite(on_at), np.isfinite(off_at)
    at = np.concatenate((on_at[on], off_at[off]))
    d_i = np.concatenate((signed_step[on], -signed_step[off]))
    if at.size == 0:
        return 0.0
    place = np.mod(at, 1.0)
    group = np.floor(place * bins + 0.5).astype(np.int64) % bins
    net = np.bincount(group, weights=d_i, minlength=bins)
    # each edge's place against its group's (circular) mean place, weighted by |dI|
    weight = np.abs(d_i)
    angle = 2 * math.pi * place
    cos = np.bincount(group, weights=weight * np.cos(angle), minlength=bins)
    sin = np.bincount(group, weights=weight * np.sin(angle), minlength=bins)
    centre = np.arctan2(sin, cos)[group] / (2 * math.pi)
    apart = np.mod(place - centre + 0.5, 1.0) - 0.5
    spread = math.sqrt(float(np.dot(weight, apart * apart)) / max(float(weight.sum()), 1e-300))
    grouped = float(np.dot(net, net))
    own = float(np.dot(d_i, d_i))
    within = float(weight.sum()) * spread / INTERPOLATION_RANGE
    return delta_u * math.sqrt(grouped + own + within * within)
