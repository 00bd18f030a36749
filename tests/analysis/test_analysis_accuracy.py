"""Accuracy of the waveform analysis against captures whose truth is known.

Every expected value comes from the generating parameters (`PulseTrain` truth methods),
never from the samples. Each scenario combines several of the conditions a bench
produces (frequency 0.5-300 Hz, load 500 ohm-10 kohm, noise, 8-bit quantisation, a scope
offset, a record starting and ending mid-pulse, monophasic with reversal or biphasic),
and each is read back through all five capture formats.

Tolerances (the issue's): frequency 0.5 %, widths 3 % or 2 samples, plateau currents
3 %, phase charges 4 %, mean current 1 % of the peak, r.m.s. 3 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from analysis_formats import FORMATS, write_as

from harness.analysis.capture_io import read_capture
from harness.analysis.synth import PulseTrain, synthesize
from harness.analysis.synth_truth import mean_current_a, phase_charge_c, rms_current_a
from harness.analysis.waveform import WaveformMetrics, analyze_voltage


@dataclass(frozen=True)
class Scenario:
    train: PulseTrain
    load_ohms: float
    samples_per_period: int
    noise_fraction: float = 0.0
    """Noise r.m.s. as a fraction of the peak voltage."""
    offset_fraction: float = 0.0
    quantize: bool = False
    periods: float = 0.0
    """Record length in pulse periods; 0: 2.3 polarity cycles (or 12 pulses)."""


def mono(
    f: float, amp: float, *, duty: float = 0.5, neg: float | None = None, start: float = 0.0
) -> PulseTrain:
    """RMD-1-like: reversal every second (every pulse below 1 Hz)."""
    return PulseTrain(
        f,
        duty / f,
        amp,
        amplitude_neg_a=neg,
        pulses_per_polarity=max(1, round(f)),
        edge_s=min(20e-6, 0.01 / f),
        first_edge_s=start / f,
    )


def bi(
    f: float, amp: float, width: float, *, neg: float | None = None, start: float = 0.0
) -> PulseTrain:
    return PulseTrain(
        f,
        width,
        amp,
        amplitude_neg_a=neg,
        biphasic=True,
        edge_s=min(20e-6, width / 50),
        first_edge_s=start / f,
    )


SCENARIOS = {
    "mono-0.5Hz-500R-clean": Scenario(mono(0.5, 400e-6), 500.0, 400),
    "mono-4Hz-500R-8bit-noise-offset-midpulse": Scenario(
        mono(4.0, 400e-6, start=-0.3), 500.0, 1000, 0.01, 0.02, True
    ),
    "mono-10Hz-2k-asym-8bit-midpulse": Scenario(
        mono(10.0, 320e-6, neg=300e-6, start=-0.45), 2000.0, 500, 0.005, -0.03, True
    ),
    "mono-40Hz-10k-duty30-noise": Scenario(
        mono(40.0, 240e-6, duty=0.3, start=0.1), 10000.0, 400, 0.02, 0.01
    ),
    "mono-300Hz-500R-8bit-offset-midpulse": Scenario(
        mono(300.0, 160e-6, start=-0.2), 500.0, 200, 0.004, 0.05, True
    ),
    "bi-4Hz-500R-8bit-noise-midpulse": Scenario(
        bi(4.0, 400e-6, 0.02, start=-0.0025 * 4.0), 500.0, 2000, 0.01, 0.02, True, periods=12.4
    ),
    "bi-40Hz-2k-asym-offset": Scenario(
        bi(40.0, 300e-6, 0.005, neg=250e-6, start=0.3),
        2000.0,
        500,
        0.005,
        -0.04,
        True,
        periods=30.6,
    ),
    "bi-300Hz-10k-clean-midpulse": Scenario(
        bi(300.0, 80e-6, 0.0008, start=-0.05), 10000.0, 400, 0.0, 0.0, False, periods=60.7
    ),
}


def offset_v(s: Scenario) -> float:
    """The scope's offset, as the bench declares it (measured with the output off)."""
    return s.offset_fraction * max(s.train.amplitude_pos_a, s.train.neg_a) * s.load_ohms


def capture_for(s: Scenario):  # type: ignore[no-untyped-def]
    f = s.train.frequency_hz
    pp = s.train.polarity_period_s
    periods = s.periods or (2.3 * pp * f if pp else 12.4)
    peak_v = max(s.train.amplitude_pos_a, s.train.neg_a) * s.load_ohms
    return synthesize(
        s.train,
        sample_rate_hz=f * s.samples_per_period,
        duration_s=periods / f,
        load_ohms=s.load_ohms,
        noise_v=s.noise_fraction * peak_v,
        offset_v=s.offset_fraction * peak_v,
        quantize_8bit=s.quantize,
        seed=7,
    )


def check(m: WaveformMetrics, s: Scenario, dt: float) -> None:
    t = s.train
    peak = max(t.amplitude_pos_a, t.neg_a)
    assert m.frequency_hz == pytest.approx(t.frequency_hz, rel=0.005)
    assert m.biphasic == t.biphasic
    for width in (m.pulse_width_pos_s, m.pulse_width_neg_s):
        assert width is not None
        assert abs(width - t.width_s) <= max(0.03 * t.width_s, 2 * dt)
    assert m.peak_current_pos_a == pytest.approx(t.amplitude_pos_a, rel=0.03)
    assert m.peak_current_neg_a == pytest.approx(t.neg_a, rel=0.03)
    assert m.charge_per_phase_pos_c == pytest.approx(phase_charge_c(t, True), rel=0.04)
    assert m.charge_per_phase_neg_c == pytest.approx(phase_charge_c(t, False), rel=0.04)
    assert m.mean_current_a is not None
    assert abs(m.mean_current_a - mean_current_a(t)) <= 0.01 * peak
    assert m.rms_current_a == pytest.approx(rms_current_a(t), rel=0.03)
    if t.polarity_period_s is None:
        assert m.polarity_period_s is None
    else:
        assert m.polarity_period_s == pytest.approx(t.polarity_period_s, rel=0.005)
        assert m.averaging_window_kind == "polarity cycles"
    assert m.phase_count_pos >= 1 and m.phase_count_neg >= 1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_metrics_within_tolerance_in_every_format(name: str, fmt: str, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    synth = capture_for(scenario)
    capture = read_capture(write_as(fmt, tmp_path, synth))
    assert capture.source_format == fmt
    assert capture.dt == pytest.approx(synth.dt, rel=1e-6)
    assert capture.volts.size == synth.volts.size
    metrics = analyze_voltage(
        capture.t0,
        capture.dt,
        capture.volts,
        load_ohms=scenario.load_ohms,
        zero_offset=offset_v(scenario),
    )
    check(metrics, scenario, capture.dt)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_current_and_voltage_entry_points_agree(name: str) -> None:
    from harness.analysis.waveform import analyze_current

    scenario = SCENARIOS[name]
    synth = capture_for(scenario)
    offset = offset_v(scenario)
    ohms = scenario.load_ohms
    by_v = analyze_voltage(synth.t0, synth.dt, synth.volts, load_ohms=ohms, zero_offset=offset)
    by_i = analyze_current(
        synth.t0, synth.dt, synth.volts / ohms, load_ohms=ohms, zero_offset=offset / ohms
    )
    assert by_i.rms_current_a == pytest.approx(by_v.rms_current_a, rel=1e-9)
    assert by_i.charge_per_phase_pos_c == pytest.approx(by_v.charge_per_phase_pos_c, rel=1e-9)
    check(by_i, scenario, synth.dt)
