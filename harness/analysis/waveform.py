"""The numbers a regulator asks about a stimulator's output waveform, from one capture.

FDA's output characterisation of an electrical stimulator (and IEC 60601-2-10's
disclosures) want, at a stated load: pulse duration, pulse frequency, peak current,
charge per phase, the d.c. (mean) current, average and r.m.s. current, r.m.s. current
density and average power density over the electrode area. `analyze_current` computes
all of them from a scope record of the current (the voltage across the load divided by
its resistance) in four steps:

1. `levels`: baseline (the gap level), steps, noise, quantum;
2. `phases`: the record cut into phases of one polarity each (on a smoothed copy only
   when the noise demands it);
3. `phase_metrics`: per phase, plateau, 50 % crossings, 10-90 % edges, charge, peak;
4. `timing` and `envelope`: pulses (biphasic pairs are one pulse), polarity period,
   the whole-cycle windows, soft start.

**Zero is zero.** Currents, charges, peaks and the mean are measured against zero
current. The scope's own offset is the bench's to know (measured with the output off,
or declared) and comes in as `zero_offset` (default 0; `zero_level_a` reports what was
subtracted). The record's gaps are never taken as zero: their level is reported as
`baseline_current_a`, the d.c. leak between pulses.

Per-phase quantities are the *median over complete phases* of each polarity, so a
record that starts or ends mid-pulse, a soft-start ramp or one glitch does not move
them. The mean is taken over whole polarity cycles only (whole pulse periods for a
biphasic train); a record without enough of them has no mean, and says why. The r.m.s.
is corrected for the noise power the trace adds.

Every metric has an expanded uncertainty (k = 2) from the record itself
(`record_uncertainty`) in `uncertainty[name]`, and a metric that is not measurable is
None with a reason in `reasons[name]`; `to_dict` puts both beside the value as
``<name>_u`` and ``<name>_reason``.

Cost: a handful of vectorised passes over the samples, processed in chunks so that
no full-size temporary is made (see benchmarks/bench_analysis.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from harness.analysis import record_uncertainty as ru
from harness.analysis.envelope import analyse_envelope
from harness.analysis.levels import Levels, estimate_levels
from harness.analysis.phase_metrics import PhaseMetrics, measure_phases
from harness.analysis.phases import Phases, detection_signal, find_phases, smoothing_length
from harness.analysis.timing import Timing, analyse_timing

_CHUNK = 1 << 20
REPORTED = (
    "frequency_hz",
    "polarity_period_s",
    "pulse_width_pos_s",
    "pulse_width_neg_s",
    "rise_time_pos_s",
    "fall_time_pos_s",
    "rise_time_neg_s",
    "fall_time_neg_s",
    "peak_current_pos_a",
    "peak_current_neg_a",
    "charge_per_phase_pos_c",
    "charge_per_phase_neg_c",
    "max_charge_per_phase_c",
    "mean_current_a",
    "baseline_current_a",
    "rms_current_a",
)
"""Metrics that carry an uncertainty and, when None, a reason."""


@dataclass(frozen=True)
class WaveformMetrics:
    """Waveform metrics in SI units (A, s, C, W); magnitudes for per-polarity values.

    None means "not measurable from this record"; `reasons` says why. `uncertainty`
    holds expanded uncertainties (k = 2) in each metric's unit, from the record alone.
    """

    samples: int
    duration_s: float
    load_ohms: float
    electrode_area_cm2: float | None
    zero_level_a: float
    noise_rms_a: float
    biphasic: bool
    frequency_hz: float | None
    polarity_period_s: float | None
    phase_count_pos: int
    phase_count_neg: int
    pulse_width_pos_s: float | None
    pulse_width_neg_s: float | None
    peak_current_pos_a: float | None
    peak_current_neg_a: float | None
    charge_per_phase_pos_c: float | None
    charge_per_phase_neg_c: float | None
    max_charge_per_phase_c: float | None
    net_charge_per_pulse_c: float | None
    mean_current_a: float | None
    average_abs_current_a: float
    rms_current_a: float
    rms_current_density_a_per_cm2: float | None
    power_density_w_per_cm2: float | None
    averaging_window_s: float
    averaging_window_kind: str
    ramp_time_s: float | None
    overshoot_pct: float | None
    baseline_current_a: float = 0.0
    rise_time_pos_s: float | None = None
    fall_time_pos_s: float | None = None
    rise_time_neg_s: float | None = None
    fall_time_neg_s: float | None = None
    interphase_gap_s: float | None = None
    whole_cycles: int = 0
    smoothing_samples: int = 1
    uncertainty: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready dict: each reported metric followed by its _u and _reason."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key in ("uncertainty", "reasons"):
                continue
            out[key] = value
            if key in REPORTED:
                out[f"{key}_u"] = self.uncertainty.get(key)
                out[f"{key}_reason"] = self.reasons.get(key)
        return out


def analyze_current(
    t0: float,
    dt: float,
    current_a: npt.NDArray[np.floating],
    *,
    load_ohms: float,
    electrode_area_cm2: float | None = None,
    zero_offset: float = 0.0,
    zero_offset_u: float = 0.0,
    min_polarity_cycles: int = 1,
    reversing: bool | None = None,
) -> WaveformMetrics:
    """All waveform metrics of a uniformly sampled current record (amperes).

    `zero_offset` (A) is the record's reading of zero current and `zero_offset_u` its
    expanded uncertainty, both from the bench (see `analyze_signal`).
    """
    return analyze_signal(
        t0,
        dt,
        current_a,
        1.0,
        load_ohms=load_ohms,
        electrode_area_cm2=electrode_area_cm2,
        zero_offset=zero_offset,
        zero_offset_u=zero_offset_u,
        min_polarity_cycles=min_polarity_cycles,
        reversing=reversing,
    )


def analyze_voltage(
    t0: float,
    dt: float,
    volts: npt.NDArray[np.floating],
    *,
    load_ohms: float,
    electrode_area_cm2: float | None = None,
    zero_offset: float = 0.0,
    zero_offset_u: float = 0.0,
    min_polarity_cycles: int = 1,
    reversing: bool | None = None,
) -> WaveformMetrics:
    """As `analyze_current` for the voltage across the load (zero offset in volts)."""
    return analyze_signal(
        t0,
        dt,
        volts,
        1.0 / load_ohms,
        load_ohms=load_ohms,
        electrode_area_cm2=electrode_area_cm2,
        zero_offset=zero_offset,
        zero_offset_u=zero_offset_u,
        min_polarity_cycles=min_polarity_cycles,
        reversing=reversing,
    )


def analyze_signal(
    t0: float,
    dt: float,
    signal: npt.NDArray[np.floating],
    amperes_per_unit: float,
    *,
    load_ohms: float,
    electrode_area_cm2: float | None = None,
    zero_offset: float = 0.0,
    zero_offset_u: float = 0.0,
    min_polarity_cycles: int = 1,
    reversing: bool | None = None,
) -> WaveformMetrics:
    """Metrics of `signal`, where signal x `amperes_per_unit` is the current in amperes.

    `zero_offset` (signal units): the reading of zero current, subtracted from every
    level; the bench measures it with the output off or declares it. `zero_offset_u`:
    its expanded uncertainty. `min_polarity_cycles`: whole cycles the mean needs (WAV-DC
    asks for 5). `reversing`: False declares a monophasic train that never reverses, so
    its whole pulse periods are whole cycles; otherwise a record without a reversal has
    no mean. Analysing in the signal's own units lets a voltage capture be measured
    without a full-size i = v/R copy; every result is scaled once at the end.
    """
    if signal.ndim != 1:
        raise ValueError("a capture is one-dimensional")
    if not (dt > 0 and load_ohms > 0):
        raise ValueError("dt and load_ohms must be positive")
    if electrode_area_cm2 is not None and not electrode_area_cm2 > 0:
        raise ValueError("electrode_area_cm2 must be positive")
    if not (math.isfinite(zero_offset) and zero_offset_u >= 0 and min_polarity_cycles >= 1):
        raise ValueError("zero_offset must be finite, zero_offset_u >= 0, min cycles >= 1")
    k = abs(amperes_per_unit)
    polarity_k = 1.0 if amperes_per_unit > 0 else -1.0
    n = int(signal.size)
    levels = estimate_levels(signal, zero_offset)
    m = smoothing_length(levels)
    detect = detection_signal(signal, m)
    phases = find_phases(detect, levels)
    pm = measure_phases(signal, levels.zero, phases, baseline=levels.base, detect=detect)
    timing = analyse_timing(phases, pm, n, min_cycles=min_polarity_cycles, reversing=reversing)
    rec = ru.RecordNoise(levels.noise, levels.quantum, m, zero_offset_u / 2)
    out = _Collector(dt, k, polarity_k)
    _pulses(out, timing, pm, phases, rec, n)
    for sign, tag in ((1, "pos"), (-1, "neg")):
        _polarity_metrics(out, tag, sign, phases, pm, rec, m)
    mean, mean_abs, rms, (a, b) = _moments(out, signal, levels, timing, pm, phases, rec)
    env = analyse_envelope(
        t0 + pm.centre[pm.valid] * dt,
        phases.polarity[pm.valid],
        pm.plateau[pm.valid],
        pm.peak[pm.valid],
        pulse_period=None if timing.pulse_period is None else timing.pulse_period * dt,
        record_start=t0,
    )
    v = out.values
    charges = [c for c in (v["charge_per_phase_pos_c"], v["charge_per_phase_neg_c"]) if c]
    net = None
    q_pos, q_neg = v["charge_per_phase_pos_c"], v["charge_per_phase_neg_c"]
    if timing.biphasic and q_pos is not None and q_neg is not None:
        net = q_pos - q_neg
    elif not timing.biphasic and charges:
        net = max(charges)
    if charges:
        biggest = (
            "charge_per_phase_pos_c" if (q_pos or 0) >= (q_neg or 0) else "charge_per_phase_neg_c"
        )
        out.put("max_charge_per_phase_c", max(charges), out.uncertainty.get(biggest, 0.0))
    else:
        out.none("max_charge_per_phase_c", "no complete phase to take a charge from")
    area = electrode_area_cm2
    return WaveformMetrics(
        samples=n,
        duration_s=n * dt,
        load_ohms=load_ohms,
        electrode_area_cm2=area,
        zero_level_a=levels.zero * amperes_per_unit,
        noise_rms_a=levels.noise * k,
        biphasic=timing.biphasic,
        frequency_hz=v["frequency_hz"],
        polarity_period_s=v["polarity_period_s"],
        phase_count_pos=int((pm.valid & (phases.polarity > 0)).sum()),
        phase_count_neg=int((pm.valid & (phases.polarity < 0)).sum()),
        pulse_width_pos_s=v["pulse_width_pos_s"],
        pulse_width_neg_s=v["pulse_width_neg_s"],
        peak_current_pos_a=v["peak_current_pos_a"],
        peak_current_neg_a=v["peak_current_neg_a"],
        charge_per_phase_pos_c=q_pos,
        charge_per_phase_neg_c=q_neg,
        max_charge_per_phase_c=v["max_charge_per_phase_c"],
        net_charge_per_pulse_c=net,
        mean_current_a=mean,
        average_abs_current_a=mean_abs,
        rms_current_a=rms,
        rms_current_density_a_per_cm2=None if area is None else rms / area,
        power_density_w_per_cm2=None if area is None else rms**2 * load_ohms / area,
        averaging_window_s=(b - a) * dt,
        averaging_window_kind=timing.window_kind,
        ramp_time_s=env.rise_time,
        overshoot_pct=env.overshoot_pct,
        baseline_current_a=v["baseline_current_a"] or 0.0,
        rise_time_pos_s=v["rise_time_pos_s"],
        fall_time_pos_s=v["fall_time_pos_s"],
        rise_time_neg_s=v["rise_time_neg_s"],
        fall_time_neg_s=v["fall_time_neg_s"],
        interphase_gap_s=None if timing.pair_gap is None else timing.pair_gap * dt,
        whole_cycles=timing.cycles,
        smoothing_samples=m,
        uncertainty=out.uncertainty,
        reasons=out.reasons,
    )


class _Collector:
    """Values, uncertainties and reasons by metric name, scaled to SI on the way in."""

    def __init__(self, dt: float, k: float, polarity_k: float) -> None:
        self.dt, self.k, self.polarity_k = dt, k, polarity_k
        self.values: dict[str, float | None] = dict.fromkeys(REPORTED)
        self.uncertainty: dict[str, float] = {}
        self.reasons: dict[str, str] = {}

    def put(self, name: str, value: float, u: float) -> None:
        self.values[name] = value
        self.uncertainty[name] = u

    def none(self, name: str, reason: str) -> None:
        self.values[name] = None
        self.reasons[name] = reason


def _pulses(
    out: _Collector, timing: Timing, pm: PhaseMetrics, phases: Phases, rec: ru.RecordNoise, n: int
) -> None:
    """Frequency and polarity period with their uncertainties, or the reasons."""
    dt = out.dt
    valid = pm.valid
    step = float(np.median(pm.step[valid])) if valid.any() else 0.0
    edge = pm.rise_time[valid & np.isfinite(pm.rise_time)]
    crossing = ru.crossing_u(rec, step, float(np.median(edge)) if edge.size else None)
    period = timing.pulse_period
    if period is None:
        reason = "no pulses found" if len(phases) == 0 else "fewer than two regular pulse starts"
        out.none("frequency_hz", reason)
    else:
        f = 1.0 / (period * dt)
        intervals = max(timing.pulse_count - 1, 1)
        out.put("frequency_hz", f, ru.frequency_u(f, period, intervals, crossing))
    if timing.polarity_period is not None:
        cycles = max(timing.cycles, 1)
        u = ru.K * math.sqrt(2.0) * crossing / cycles * dt
        out.put("polarity_period_s", timing.polarity_period * dt, u)
    elif timing.biphasic:
        out.none("polarity_period_s", "biphasic: the polarity reverses within every pulse")
    elif len(phases) and ((phases.polarity > 0).all() or (phases.polarity < 0).all()):
        out.none("polarity_period_s", "no polarity reversal in the record")
    else:
        out.none("polarity_period_s", "too few whole polarity bursts to time a cycle")


def _polarity_metrics(
    out: _Collector,
    tag: str,
    sign: int,
    phases: Phases,
    pm: PhaseMetrics,
    rec: ru.RecordNoise,
    smoothing: int,
) -> None:
    """Median width, edges, plateau and charge of one polarity, with U or reasons."""
    dt, k = out.dt, out.k
    if out.polarity_k < 0:  # a negative amperes_per_unit swaps which polarity is which
        tag = "neg" if tag == "pos" else "pos"
    names: tuple[str, ...] = (
        f"pulse_width_{tag}_s",
        f"rise_time_{tag}_s",
        f"fall_time_{tag}_s",
        f"peak_current_{tag}_a",
        f"charge_per_phase_{tag}_c",
    )
    polarity = sign * out.polarity_k
    mine = pm.valid & (phases.polarity == sign)
    label = "+" if polarity > 0 else "-"
    if not mine.any():
        present = bool((phases.polarity == sign).any())
        why = (
            f"no complete {label} phase: the record starts or ends inside it, or its "
            "50 % points were not found"
            if present
            else f"no {label} phases in the record"
        )
        for name in names:
            out.none(name, why)
        return
    step = float(np.median(pm.step[mine]))
    widths = pm.width[mine]
    edges = pm.rise_time[mine]
    edge = float(np.nanmedian(edges)) if np.isfinite(edges).any() else None
    one = math.sqrt(2.0) * ru.crossing_u(rec, step, edge)
    out.put(names[0], float(np.median(widths)) * dt, ru.K * ru.spread_u(widths, one) * dt)
    for name, values in ((names[1], pm.rise_time[mine]), (names[2], pm.fall_time[mine])):
        values = values[np.isfinite(values)]
        if smoothing > 1:
            out.none(name, f"noise needed a {smoothing}-sample average to find the phases; "
                     "10 % and 90 % points are not located in it")  # fmt: skip
        elif values.size == 0:
            out.none(name, "10 % or 90 % crossing not found")
        else:
            out.put(name, float(np.median(values)) * dt, ru.K * ru.spread_u(values, one) * dt)
    lengths = (phases.stop - phases.start)[mine].astype(np.float64)
    plateaus = pm.plateau[mine]
    out.put(names[3], float(np.median(plateaus)) * k, ru.plateau_u(rec, lengths, plateaus) * k)
    charges = pm.charge[mine]
    u_q = ru.charge_u(rec, widths, lengths, charges)
    out.put(names[4], float(np.median(charges)) * dt * k, u_q * dt * k)


def _moments(
    out: _Collector,
    signal: npt.NDArray[np.floating],
    levels: Levels,
    timing: Timing,
    pm: PhaseMetrics,
    phases: Phases,
    rec: ru.RecordNoise,
) -> tuple[float | None, float, float, tuple[int, int]]:
    """Mean (whole cycles only), mean |i| and noise-corrected r.m.s., in amperes."""
    k, pk = out.k, out.polarity_k
    a, b = timing.window
    mean_raw, mean_sq = _window_moments(signal, levels.zero, a, b)
    step = max(levels.plateau_pos or 0.0, levels.plateau_neg or 0.0)
    out.put("baseline_current_a", (levels.base - levels.zero) * k * pk, 0.0)
    gap_u = ru.mean_u(rec, 1 << 12, 0.0)
    out.uncertainty["baseline_current_a"] = gap_u * k
    mean: float | None = None
    if timing.mean_window is None:
        out.none("mean_current_a", timing.mean_reason or "no whole cycle in the record")
    else:
        mean = mean_raw * k * pk
        out.put("mean_current_a", mean, ru.mean_u(rec, b - a, step) * k)
    # the scope's noise adds its power to the pulses'; a record of noise alone keeps it
    ms = max(mean_sq - levels.noise**2, 0.0) if len(phases) else mean_sq
    rms = math.sqrt(ms)
    out.put("rms_current_a", rms * k, ru.rms_u(rec, b - a, rms, mean_raw, 1 << 12) * k)
    if timing.mean_window is None:
        out.reasons["rms_current_a"] = f"over {timing.window_kind}, not whole polarity cycles: " + (
            timing.mean_reason or ""
        )
    mean_abs = _abs_from_charges(pm, phases, levels, a, b)
    if mean_abs is None:
        mean_abs = _window_abs(signal, levels.zero, a, b)
    return mean, mean_abs * k, rms * k, (a, b)


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
    signal: npt.NDArray[np.floating], zero: float, a: int, b: int
) -> tuple[float, float]:
    """Mean and mean square of (x - zero) over [a, b): two passes, no copy.

    Sums of blocks of 2^20 samples in the record's own dtype (numpy's pairwise sum and
    BLAS dot keep float32 well inside the 1e-4 this needs) are added in float64; the
    zero comes out algebraically: sum((x - z)^2) = sum(x^2) - 2 z sum(x) + n z^2.
    """
    if b <= a:
        return 0.0, 0.0
    total = total_sq = 0.0
    for lo in range(a, b, _CHUNK):
        chunk = signal[lo : min(b, lo + _CHUNK)]
        total += float(chunk.sum())
        total_sq += float(np.dot(chunk, chunk))
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
