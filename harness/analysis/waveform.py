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

Cost: a long record is summed once in blocks and its phases are found on the block
means, then timed at full rate only around their edges (`coarse`); the moments take
one more pass (a dot product). No full-size temporary is made (see
benchmarks/bench_analysis.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from harness.analysis import gaps
from harness.analysis import record_uncertainty as ru
from harness.analysis.coarse import detect_phases
from harness.analysis.collect import REPORTED, Collector, polarity_metrics, pulse_metrics
from harness.analysis.envelope import EnvelopeTrace, analyse_envelope
from harness.analysis.levels import Levels, estimate_levels
from harness.analysis.moments import moments
from harness.analysis.phase_metrics import PhaseMetrics, measure_phases
from harness.analysis.phases import smoothing_length
from harness.analysis.timing import analyse_timing

__all__ = ["REPORTED", "WaveformMetrics", "analyze_current", "analyze_signal", "analyze_voltage"]


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
    rms_current_a: float | None
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
    resolution: float | None = None,
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
        resolution=resolution,
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
    resolution: float | None = None,
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
        resolution=resolution,
    )


def _resolution(signal: npt.NDArray[np.floating], levels: Levels, stated: float | None) -> float:
    """The record's stated resolution, or its float type's spacing at full scale."""
    if stated is not None:
        if not (math.isfinite(stated) and stated >= 0):
            raise ValueError("resolution must be finite and >= 0")
        return stated
    kind = signal.dtype if np.issubdtype(signal.dtype, np.floating) else np.dtype(np.float64)
    scale = abs(levels.base) + max(levels.plateau_pos or 0.0, levels.plateau_neg or 0.0)
    return float(np.finfo(kind).eps) * scale


def _from_gaps(
    signal: npt.NDArray[np.floating], pm: PhaseMetrics, levels: Levels, rec: ru.RecordNoise
) -> tuple[Levels, ru.RecordNoise]:
    """The baseline and noise again, from the gaps now that the phases are known (`gaps`).

    The noise is the gaps' (about a line in each, so a decaying tail is not noise). The
    baseline moves to the gaps' mean only where the amplitude-only estimate of `levels`
    is shown off by more than that mean's own U (an 8-bit median at SNR 3 sits on a
    code); otherwise it stays, and the two estimates' difference is its uncertainty
    (a first-order tail near the gaps' ends is in both, differently).
    """
    gap = gaps.gap_level(signal, pm)
    if gap is None:
        return levels, rec
    u_gap = gap.u(rec.quantum_u)
    shown_off = abs(gap.level - levels.base)
    if shown_off > ru.K * u_gap:
        levels = replace(levels, baseline=gap.level, noise=gap.noise)
        return levels, replace(rec, noise=gap.noise, base_u=u_gap, gap_samples=gap.samples)
    levels = replace(levels, noise=gap.noise)
    gap_u = math.hypot(shown_off, u_gap)
    return levels, replace(rec, noise=gap.noise, base_u=gap_u, gap_samples=gap.samples)


def _envelope_trace(
    t0: float, dt: float, signal: npt.NDArray[np.floating], zero: float, pm: PhaseMetrics
) -> EnvelopeTrace | None:
    """The record for the envelope, which measures the pulses the timing left out."""
    widths = pm.width[pm.valid]
    if widths.size == 0:
        return None
    return EnvelopeTrace(signal, t0, dt, zero, float(np.median(widths)) * dt)


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
    resolution: float | None = None,
) -> WaveformMetrics:
    """Metrics of `signal`, where signal x `amperes_per_unit` is the current in amperes.

    `zero_offset` (signal units): the reading of zero current, subtracted from every
    level; the bench measures it with the output off or declares it. `zero_offset_u`:
    its expanded uncertainty. `min_polarity_cycles`: whole cycles the mean needs (WAV-DC
    asks for 5). `reversing`: False declares a monophasic train that never reverses, so
    its whole pulse periods are whole cycles; otherwise a record without a reversal has
    no mean. `resolution` (signal units): the record's stated vertical resolution (a
    scope's yinc); without it, the spacing of the record's float type at its full
    scale, so a noiseless record's U never claims more than its numbers can hold.
    Analysing in the signal's own units lets a voltage capture be measured
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
    found = detect_phases(signal, levels, m)
    phases = found.phases

    def measure(base: float) -> PhaseMetrics:
        return measure_phases(
            signal,
            levels.zero,
            phases,
            baseline=base,
            detect=found.timed,
            smoothing=found.smoothing,
            sums=found.sums,
        )

    pm = measure(levels.base)
    rec = ru.RecordNoise(
        levels.noise, levels.quantum, m, zero_offset_u / 2, _resolution(signal, levels, resolution)
    )
    base = levels.base
    levels, rec = _from_gaps(signal, pm, levels, rec)
    if levels.base != base:
        pm = measure(levels.base)
    timing = analyse_timing(phases, pm, n, min_cycles=min_polarity_cycles, reversing=reversing)
    out = Collector(dt, k, polarity_k)
    pulse_metrics(out, timing, pm, phases, rec, n)
    for sign, tag in ((1, "pos"), (-1, "neg")):
        polarity_metrics(out, tag, sign, phases, pm, rec, m)
    mean, mean_abs, rms, (a, b) = moments(out, signal, levels, timing, pm, phases, rec, found.sums)
    env = analyse_envelope(
        t0 + pm.centre[pm.valid] * dt,
        phases.polarity[pm.valid],
        pm.plateau[pm.valid],
        pm.peak[pm.valid],
        pulse_period=None if timing.pulse_period is None else timing.pulse_period * dt,
        record_start=t0,
        trace=_envelope_trace(t0, dt, signal, levels.zero, pm),
        step=pm.step[pm.valid],
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
        rms_current_density_a_per_cm2=None if area is None or rms is None else rms / area,
        power_density_w_per_cm2=None if area is None or rms is None else rms**2 * load_ohms / area,
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
