"""The numbers a regulator asks about a stimulator's output waveform, from one capture.

FDA's output characterisation of an electrical stimulator (and IEC 60601-2-10's
disclosures) want, at a stated load: pulse duration, pulse frequency, peak current,
charge per phase, the d.c. (mean) current, average and r.m.s. current, r.m.s. current
density and average power density over the electrode area. `analyze_current` computes
all of them from a scope record of the current (the voltage across the load divided by
its resistance) in four steps:

1. `levels`: zero level (from the gaps: scope offset removed), plateaus, noise;
2. `phases`: the record cut into phases of one polarity each;
3. `phase_metrics`: per phase, plateau, width at 50 %, charge, peak;
4. `timing` and `envelope`: pulse rate, polarity period, averaging window, soft start.

Per-phase quantities are reported as the *median over complete phases* of each
polarity, so a record that starts or ends mid-pulse, a soft-start ramp or one glitch
does not move them. Record-level quantities (mean, average |i|, r.m.s.) are taken over
whole polarity cycles (or whole pulse periods), never over a fractional cycle, which
would invent a d.c. component. Every current is measured against the zero level.

Cost: a handful of vectorised passes over the samples, processed in chunks so that
no full-size temporary is made (see benchmarks/bench_analysis.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from harness.analysis.envelope import analyse_envelope
from harness.analysis.levels import estimate_levels
from harness.analysis.phase_metrics import PhaseMetrics, measure_phases
from harness.analysis.phases import Phases, find_phases
from harness.analysis.timing import analyse_timing

_CHUNK = 1 << 18


@dataclass(frozen=True)
class WaveformMetrics:
    """Waveform metrics in SI units (A, s, C, W); magnitudes for per-polarity values.

    None means "not measurable from this record" (e.g. no negative phases, no area given).
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
    mean_current_a: float
    average_abs_current_a: float
    rms_current_a: float
    rms_current_density_a_per_cm2: float | None
    power_density_w_per_cm2: float | None
    averaging_window_s: float
    averaging_window_kind: str
    ramp_time_s: float | None
    overshoot_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def analyze_current(
    t0: float,
    dt: float,
    current_a: npt.NDArray[np.floating],
    *,
    load_ohms: float,
    electrode_area_cm2: float | None = None,
) -> WaveformMetrics:
    """All waveform metrics of a uniformly sampled current record (amperes)."""
    return analyze_signal(
        t0, dt, current_a, 1.0, load_ohms=load_ohms, electrode_area_cm2=electrode_area_cm2
    )


def analyze_voltage(
    t0: float,
    dt: float,
    volts: npt.NDArray[np.floating],
    *,
    load_ohms: float,
    electrode_area_cm2: float | None = None,
) -> WaveformMetrics:
    """As `analyze_current` for the voltage across the load, without making i = v/R."""
    return analyze_signal(
        t0, dt, volts, 1.0 / load_ohms, load_ohms=load_ohms, electrode_area_cm2=electrode_area_cm2
    )


def analyze_signal(
    t0: float,
    dt: float,
    signal: npt.NDArray[np.floating],
    amperes_per_unit: float,
    *,
    load_ohms: float,
    electrode_area_cm2: float | None = None,
) -> WaveformMetrics:
    """Metrics of `signal`, where signal x `amperes_per_unit` is the current in amperes.

    Analysing in the signal's own units lets a voltage capture be measured without a
    full-size i = v/R copy; every result is scaled once at the end.
    """
    if signal.ndim != 1:
        raise ValueError("a capture is one-dimensional")
    if not (dt > 0 and load_ohms > 0):
        raise ValueError("dt and load_ohms must be positive")
    if electrode_area_cm2 is not None and not electrode_area_cm2 > 0:
        raise ValueError("electrode_area_cm2 must be positive")
    k = amperes_per_unit
    n = int(signal.size)
    levels = estimate_levels(signal)
    phases = find_phases(signal, levels)
    pm = measure_phases(signal, levels.zero, phases)
    timing = analyse_timing(phases, pm, n)
    a, b = timing.window
    mean, mean_abs, mean_sq = _window_moments(signal, levels.zero, a, b)
    rms = math.sqrt(mean_sq) * abs(k)
    valid = pm.valid
    period_s = None if timing.pulse_period is None else timing.pulse_period * dt
    env = analyse_envelope(
        t0 + pm.centre[valid] * dt,
        phases.polarity[valid],
        pm.plateau[valid],
        pm.peak[valid],
        pulse_period=period_s,
        record_start=t0,
    )
    per_pos = _per_polarity(phases, pm, 1)
    per_neg = _per_polarity(phases, pm, -1)
    charges = [c for c in (per_pos[2], per_neg[2]) if c is not None]
    area = electrode_area_cm2

    def scaled(value: float | None, factor: float) -> float | None:
        return None if value is None else value * factor

    net = None
    if timing.biphasic and per_pos[2] is not None and per_neg[2] is not None:
        net = (per_pos[2] - per_neg[2]) * dt * abs(k)
    elif not timing.biphasic and charges:
        net = max(charges) * dt * abs(k)
    return WaveformMetrics(
        samples=n,
        duration_s=n * dt,
        load_ohms=load_ohms,
        electrode_area_cm2=area,
        zero_level_a=levels.zero * k,
        noise_rms_a=levels.noise * abs(k),
        biphasic=timing.biphasic,
        frequency_hz=None if period_s is None else 1.0 / period_s,
        polarity_period_s=scaled(timing.polarity_period, dt),
        phase_count_pos=int((valid & (phases.polarity > 0)).sum()),
        phase_count_neg=int((valid & (phases.polarity < 0)).sum()),
        pulse_width_pos_s=scaled(per_pos[0], dt),
        pulse_width_neg_s=scaled(per_neg[0], dt),
        peak_current_pos_a=scaled(per_pos[1], abs(k)),
        peak_current_neg_a=scaled(per_neg[1], abs(k)),
        charge_per_phase_pos_c=scaled(per_pos[2], dt * abs(k)),
        charge_per_phase_neg_c=scaled(per_neg[2], dt * abs(k)),
        max_charge_per_phase_c=max(charges) * dt * abs(k) if charges else None,
        net_charge_per_pulse_c=net,
        mean_current_a=mean * k,
        average_abs_current_a=mean_abs * abs(k),
        rms_current_a=rms,
        rms_current_density_a_per_cm2=None if area is None else rms / area,
        power_density_w_per_cm2=None if area is None else rms**2 * load_ohms / area,
        averaging_window_s=(b - a) * dt,
        averaging_window_kind=timing.window_kind,
        ramp_time_s=env.rise_time,
        overshoot_pct=env.overshoot_pct,
    )


def _per_polarity(
    phases: Phases, pm: PhaseMetrics, sign: int
) -> tuple[float | None, float | None, float | None]:
    """Median width (samples), plateau and charge (signal x samples) of valid phases."""
    mine = pm.valid & (phases.polarity == sign)
    if not mine.any():
        return None, None, None
    return (
        float(np.median(pm.width[mine])),
        float(np.median(pm.plateau[mine])),
        float(np.median(pm.charge[mine])),
    )


def _window_moments(
    signal: npt.NDArray[np.floating], zero: float, a: int, b: int
) -> tuple[float, float, float]:
    """Mean, mean |x - zero| and mean (x - zero)^2 over [a, b), chunked in float64."""
    if b <= a:
        return 0.0, 0.0, 0.0
    total = total_abs = total_sq = 0.0
    for lo in range(a, b, _CHUNK):
        chunk = signal[lo : min(b, lo + _CHUNK)].astype(np.float64)
        chunk -= zero
        total += float(chunk.sum())
        total_sq += float(np.dot(chunk, chunk))
        total_abs += float(np.abs(chunk, out=chunk).sum())
    count = b - a
    return total / count, total_abs / count, total_sq / count
