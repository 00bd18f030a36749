"""Soft start (10 % -> 90 % rise time) and overshoot, against the generating envelope."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.analysis.synth import PulseTrain, synthesize
from harness.analysis.synth_truth import mean_current_a, ramp_10_90_s
from harness.analysis.waveform import analyze_current, analyze_voltage


@pytest.mark.parametrize(("f", "tolerance_s"), [(40.0, 0.02), (10.0, 0.05), (4.0, 0.1)])
def test_soft_start_rise_time(f: float, tolerance_s: float) -> None:
    train = PulseTrain(f, 0.5 / f, 400e-6, pulses_per_polarity=round(f), ramp_start_s=0.37)
    c = synthesize(
        train, sample_rate_hz=200 * f * 10, duration_s=5.0, load_ohms=500.0, noise_v=0.001
    )
    m = analyze_voltage(c.t0, c.dt, c.volts, load_ohms=500.0)
    truth = ramp_10_90_s(train)
    assert truth == pytest.approx(1.0)
    assert m.ramp_time_s == pytest.approx(truth, abs=tolerance_s)
    assert m.peak_current_pos_a == pytest.approx(400e-6, rel=0.03)


def test_no_ramp_recorded_is_none() -> None:
    train = PulseTrain(10.0, 0.05, 400e-6, pulses_per_polarity=10)
    c = synthesize(train, sample_rate_hz=20e3, duration_s=4.2, load_ohms=500.0)
    assert analyze_voltage(c.t0, c.dt, c.volts, load_ohms=500.0).ramp_time_s is None


def test_overshoot_of_an_unramped_step() -> None:
    train = PulseTrain(
        4.0,
        0.125,
        400e-6,
        pulses_per_polarity=4,
        first_edge_s=0.1,
        overshoot_at_s=0.1,
        overshoot_fraction=0.25,
    )
    c = synthesize(train, sample_rate_hz=100e3, duration_s=4.3, load_ohms=500.0)
    m = analyze_voltage(c.t0, c.dt, c.volts, load_ohms=500.0)
    # The spike's top is reached half an edge (10 us) after it starts: 25 % x e^(-10us/2ms).
    assert m.overshoot_pct == pytest.approx(25.0 * np.exp(-10e-6 / 2e-3), abs=0.5)


def test_clean_signal_has_no_overshoot() -> None:
    train = PulseTrain(40.0, 0.0125, 400e-6, pulses_per_polarity=40)
    c = synthesize(train, sample_rate_hz=100e3, duration_s=4.1, load_ohms=500.0)
    m = analyze_voltage(c.t0, c.dt, c.volts, load_ohms=500.0)
    assert m.overshoot_pct == pytest.approx(0.0, abs=1e-6)


def test_noise_only_record_has_no_pulses() -> None:
    noise = np.random.default_rng(3).normal(0.0, 1e-6, 100_000)
    m = analyze_current(0.0, 1e-5, noise, load_ohms=500.0)
    assert m.frequency_hz is None and m.phase_count_pos == 0 and m.phase_count_neg == 0
    assert m.rms_current_a == pytest.approx(1e-6, rel=0.05)


def test_flat_record() -> None:
    m = analyze_current(0.0, 1e-5, np.zeros(1000), load_ohms=500.0)
    assert m.frequency_hz is None and m.mean_current_a == 0.0 and m.pulse_width_pos_s is None


def test_unipolar_train_without_reversal() -> None:
    train = PulseTrain(100.0, 0.002, 300e-6, first_edge_s=-0.001)
    c = synthesize(
        train, sample_rate_hz=200e3, duration_s=0.5, load_ohms=2000.0, noise_v=0.003, offset_v=0.02
    )
    m = analyze_voltage(c.t0, c.dt, c.volts, load_ohms=2000.0, zero_offset=0.02, reversing=False)
    assert m.polarity_period_s is None and m.phase_count_neg == 0
    assert m.frequency_hz == pytest.approx(100.0, rel=0.005)
    assert m.mean_current_a == pytest.approx(mean_current_a(train), abs=0.01 * 300e-6)
    assert m.averaging_window_kind == "pulse periods"
    undeclared = analyze_voltage(c.t0, c.dt, c.volts, load_ohms=2000.0, zero_offset=0.02)
    assert undeclared.mean_current_a is None
    assert "no polarity reversal" in undeclared.reasons["mean_current_a"]


def test_level_step_before_the_reversal_is_no_overshoot() -> None:
    """A level raised (320 -> 400 uA, no overshoot) in the middle of a pulse of the
    positive half-cycle, and the record's later half all negative pulses: the positive
    pulses' final height is the new level, not a median over both levels (that read
    ~11 % "overshoot" of a unit that has none, whenever the reversal fell that way)."""
    dt, period, width = 5e-6, 0.025, 0.0125
    t = np.arange(0.0, 1.5, dt)
    phase = np.mod(t - 0.001, period)
    pulse = (phase >= 0.0) & (phase < width) & (t >= 0.001)
    amplitude = np.where(t < 0.2963, 320e-6, 400e-6)  # changes inside the pulse at 0.2860 s
    sign = np.where(t < 0.601, 1.0, -1.0)
    current = np.where(pulse, sign * amplitude, 0.0)
    m = analyze_current(0.0, dt, current, load_ohms=500.0)
    assert m.overshoot_pct is not None
    assert m.overshoot_pct == pytest.approx(0.0, abs=0.5)


def test_noise_crossings_at_contact_do_not_misplace_the_ramp() -> None:
    """A contact record from the simulated bench (the fault-matrix run that showed it;
    8-bit codes as the scope sent them): a linear soft start of 1.25 s, so 10-90 % in
    1.00 s. Just after contact the first pulses are a few uA under noise, which crosses
    the detection threshold off the pulse grid; the slots between that and the first
    pulses grown clear of the noise are counted back from those pulses, on their grid.
    Counted forward from the noise they fell in the gaps, read zero: 0.707 s."""
    record = np.load(Path(__file__).with_name("data") / "soft_start_noise_at_contact.npz")
    volts = record["codes"].astype(np.float64) * float(record["step_v"])
    m = analyze_voltage(float(record["t0"]), float(record["dt"]), volts, load_ohms=500.0)
    assert m.ramp_time_s is not None
    assert m.ramp_time_s == pytest.approx(1.0, abs=0.03)
