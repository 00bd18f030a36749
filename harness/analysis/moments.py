"""The record's moments: mean (d.c.) current, mean |i| and r.m.s., over whole cycles.

The mean is only a d.c. current over whole polarity cycles (`timing` chooses the
window, or says there is none and why); the r.m.s. is corrected for the power the
scope's noise adds. Both come from two copy-free passes over the window (a sum and a
BLAS dot), or from the block sums when the record was summed in blocks already
(`blocks`); mean |i| comes from the phase charges, so the rectified noise of the gaps
does not inflate it, with a pass over the samples only when the charges cannot give it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from harness.analysis import mean_edges
from harness.analysis import record_uncertainty as ru
from harness.analysis.blocks import BlockSums
from harness.analysis.collect import Collector
from harness.analysis.levels import Levels
from harness.analysis.phase_metrics import PhaseMetrics
from harness.analysis.phases import Phases
from harness.analysis.timing import Timing

_CHUNK = 1 << 20
_ONE_POLARITY = (
    "the record holds pulses of one polarity only: this is their r.m.s., and a train that "
    "reverses beyond the record (with pulses of another size) would differ"
)
_NO_PERIOD = (
    "no whole pulse period in the record: the r.m.s. over part of a period is not the "
    "train's, and without a period nothing says what share of one the record holds"
)


def moments(
    out: Collector,
    signal: npt.NDArray[np.floating],
    levels: Levels,
    timing: Timing,
    pm: PhaseMetrics,
    phases: Phases,
    rec: ru.RecordNoise,
    sums: BlockSums | None = None,
) -> tuple[float | None, float, float | None, tuple[int, int]]:
    """Mean (whole cycles only), mean |i| and noise-corrected r.m.s. (None without a
    whole pulse period), in amperes."""
    k, pk = out.k, out.polarity_k
    a, b = timing.window
    mean_raw, mean_sq = _window_moments(signal, levels.zero, a, b, sums)
    step = max(levels.plateau_pos or 0.0, levels.plateau_neg or 0.0)
    gap_u = ru.K * math.hypot(rec.base_u, rec.zero_u)
    out.put("baseline_current_a", (levels.base - levels.zero) * k * pk, gap_u * k)
    inside = pm.valid & (pm.rise >= a) & (pm.fall < b)
    edges = 2 * int(inside.sum())
    times = pm.rise_time[inside]
    times = times[np.isfinite(times)]
    edge = float(np.median(times)) if times.size else None
    mean: float | None = None
    if timing.mean_window is None:
        out.none("mean_current_a", timing.mean_reason or "no whole cycle in the record")
    else:
        mean = mean_raw * k * pk
        edges_u = _edges_u(pm, phases, rec, a, b, edge)
        out.put("mean_current_a", mean, ru.mean_u(rec, b - a, step, edges_u) * k)
    # the scope's noise adds its power to the pulses'; a record of noise alone keeps it
    ms = max(mean_sq - levels.noise**2, 0.0) if len(phases) else mean_sq
    rms = math.sqrt(ms)
    u_rms = ru.rms_u(rec, b - a, rms, mean_raw, rec.gap_samples, edges, step, edge)
    rms_a: float | None = rms * k
    if timing.window_kind == "record" and len(phases):
        rms_a = None
        out.none("rms_current_a", _NO_PERIOD)
    else:
        out.put("rms_current_a", rms * k, u_rms * k)
    if rms_a is not None and timing.mean_window is None:
        shares = _unequal_shares_u(signal, levels, phases, a, b, rms)
        said = f"over {timing.window_kind}, not whole polarity cycles: " + (
            timing.mean_reason or ""
        )
        if shares is None:
            out.reasons["rms_current_a"] = f"{said}; {_ONE_POLARITY}"
        else:
            out.put("rms_current_a", rms * k, math.hypot(u_rms, shares) * k)
            out.reasons["rms_current_a"] = (
                f"{said}; U carries the + and - pulses' unequal shares in the record"
            )
    mean_abs = _abs_from_charges(pm, phases, levels, a, b)
    if mean_abs is None:
        mean_abs = _window_abs(signal, levels.zero, a, b)
    return mean, mean_abs * k, rms_a, (a, b)


def _edges_u(
    pm: PhaseMetrics, phases: Phases, rec: ru.RecordNoise, a: int, b: int, edge: float | None
) -> float:
    """The window sum's uncertainty from the edges inside it that do not cancel
    (`mean_edges`): their 50 % crossings, each phase's signed step, the crossings' noise."""
    ok = pm.valid & (pm.step > 0)
    if not ok.any():
        return 0.0
    rise = np.where(ok & (pm.rise >= a) & (pm.rise < b), pm.rise, np.nan)
    fall = np.where(ok & (pm.fall >= a) & (pm.fall < b), pm.fall, np.nan)
    signed = np.where(ok, pm.step, 0.0) * phases.polarity.astype(np.float64)
    step = float(np.median(pm.step[ok]))
    jitter = rec.timed_noise * max(edge or 1.0, 1.0) / (0.8 * step)
    delta_u = mean_edges.edge_delta_u(edge)
    bins = mean_edges.bins_for(jitter)
    u = mean_edges.mean_edges_u(rise, fall, signed, delta_u, bins)
    # a gapless pair's junction is one edge from +Ip to -In, placed where that ramp
    # crosses the middle of the two levels (the 50 % points weighted by step); the
    # samples of a junction and of two sub-sample edges a sample apart can look alike
    # (their 50 % points a sample apart or less), so the larger U of the two readings
    joined = np.flatnonzero(
        (phases.start[1:] <= phases.stop[:-1] + 1)
        & (phases.polarity[1:] != phases.polarity[:-1])
        & (rise[1:] - fall[:-1] <= 1.0 + 4.0 * jitter)
    )
    if joined.size:
        s_off, s_on = pm.step[joined], pm.step[joined + 1]
        at = (s_off * fall[joined] + s_on * rise[joined + 1]) / (s_off + s_on)
        fall, rise = fall.copy(), rise.copy()
        fall[joined], rise[joined + 1] = at, at
        u = max(u, mean_edges.mean_edges_u(rise, fall, signed, delta_u, bins))
    return u


def _abs_from_charges(
    pm: PhaseMetrics, phases: Phases, levels: Levels, a: int, b: int
) -> float | None:
    """Mean |i - zero| over [a, b) from the phase charges: no rectified noise in the gaps."""
    if b <= a:
        return None
    inside = np.isfinite(pm.rise) & (pm.rise >= a - 0.5) & (pm.rise < b - 0.5)
    if not inside.any() or not pm.valid[inside].all():
        return None
    charge = float(np.abs(pm.charge[inside]).sum())
    covered = float(pm.width[inside].sum())
    gaps = max(b - a - covered, 0.0) * abs(levels.base - levels.zero)
    return (charge + gaps) / (b - a)


def _window_moments(
    signal: npt.NDArray[np.floating], zero: float, a: int, b: int, sums: BlockSums | None
) -> tuple[float, float]:
    """Mean and mean square of (x - zero) over [a, b): two passes, no copy.

    Sums of blocks of 2^20 samples in the record's own dtype (numpy's pairwise sum and
    BLAS dot keep float32 well inside the 1e-4 this needs) are added in float64; the
    zero comes out algebraically: sum((x - z)^2) = sum(x^2) - 2 z sum(x) + n z^2.
    With block sums the plain sum is read from them and only the dot is a pass.
    """
    if b <= a:
        return 0.0, 0.0
    total = total_sq = 0.0
    for lo in range(a, b, _CHUNK):
        chunk = signal[lo : min(b, lo + _CHUNK)]
        if sums is None:
            total += float(chunk.sum())
        total_sq += float(np.dot(chunk, chunk))
    if sums is not None:
        total = float(sums.span_sums(np.array([a]), np.array([b]))[0])
    count = b - a
    mean = total / count
    return mean - zero, total_sq / count - 2 * zero * mean + zero * zero


def _window_abs(signal: npt.NDArray[np.floating], zero: float, a: int, b: int) -> float:
    """Mean |x - zero| over [a, b) (only when the phase charges cannot give it)."""
    if b <= a:
        return 0.0
    total = 0.0
    for lo in range(a, b, _CHUNK):
        chunk = signal[lo : min(b, lo + _CHUNK)].astype(np.float64)
        chunk -= zero
        total += float(np.abs(chunk, out=chunk).sum())
    return total / (b - a)


def _unequal_shares_u(
    signal: npt.NDArray[np.floating],
    levels: Levels,
    phases: Phases,
    a: int,
    b: int,
    rms: float,
) -> float | None:
    """U (k = 2, volts) of an r.m.s. over whole pulse periods but part of a polarity cycle.

    A reversing train gives each polarity the same share of its pulses; a record of,
    say, one and a half polarity cycles holds one polarity's pulses more often than the
    other's, and when the two differ in size its r.m.s. is not the train's (an RMD-1
    style train with - pulses 25 % weaker read 1.5 cycles 3.7 % high, 263 U off). The
    record shows both sizes: each polarity's pulse energy (the sum of i^2 over its
    pulses' samples, per pulse) with the two given equal shares is the train's
    mean square, and the difference from the record's is a bound, taken as
    rectangular. None when the record holds one polarity only: nothing in it says
    whether the train reverses at all (a unit stuck in one polarity does not), so the
    r.m.s. is that polarity's, and its reason says so.
    """
    inside = (phases.start >= a) & (phases.stop <= b)
    n_pos = int(np.count_nonzero(inside & (phases.polarity > 0)))
    n_neg = int(np.count_nonzero(inside & (phases.polarity < 0)))
    if (n_pos == 0) != (n_neg == 0):
        return None  # one polarity only
    if n_pos == 0 or b <= a:
        return 0.0  # no whole pulse of either polarity: nothing unequal to bound
    x = np.asarray(signal[a:b], dtype=np.float64) - levels.zero
    half_pos = 0.5 * (levels.plateau_pos or 0.0)
    half_neg = 0.5 * (levels.plateau_neg or 0.0)
    above = x > levels.base - levels.zero + half_pos
    below = x < levels.base - levels.zero - half_neg
    squares = x * x
    e_pos, e_neg = float(squares[above].sum()), float(squares[below].sum())
    rest = float(squares.sum()) - e_pos - e_neg
    balanced = (e_pos / n_pos + e_neg / n_neg) * (n_pos + n_neg) / 2.0
    ms_record, ms_train = (e_pos + e_neg + rest) / x.size, (balanced + rest) / x.size
    rms_train = math.sqrt(max(ms_train - (ms_record - rms * rms), 0.0))
    return ru.K * abs(rms_train - rms) / math.sqrt(3.0)
