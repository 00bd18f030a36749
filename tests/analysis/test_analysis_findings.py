"""The four findings against the analysis, each as the record that exposed it.

Truth comes from the generating parameters (`synth_truth`), never from the samples.

1. A biphasic pulse with an interphase gap was read as two monophasic pulses (frequency
   in the hundreds, an invented polarity period). A pair is one pulse for gaps from zero
   to longer than a phase.
2. Edges spanning many samples (first-order, tau = 50 us at 1 MSa/s) gave null widths
   and peaks; a gapless biphasic pair with such edges a charge of ~1e-12 C.
3. A record shorter than two polarity cycles stated a d.c. component that is not there.
4. A d.c. leak between pulses was subtracted as the "zero level", hiding what WAV-DC
   must catch. Zero is zero; the scope's offset is given by the bench.
"""

from __future__ import annotations

import math

import pytest

from harness.analysis.synth import PulseTrain, synthesize
from harness.analysis.synth_truth import mean_current_a, phase_truth
from harness.analysis.waveform import WaveformMetrics, analyze_current

RATE = 1e6


def run(train: PulseTrain, seconds: float, rate: float = RATE, **kw: object) -> WaveformMetrics:
    c = synthesize(train, sample_rate_hz=rate, duration_s=seconds, load_ohms=500.0)
    return analyze_current(c.t0, c.dt, c.volts / 500.0, load_ohms=500.0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("gap_s", [0.0, 0.2e-3, 1e-3, 4e-3, 20e-3])
def test_a_biphasic_pair_with_a_gap_is_one_pulse(gap_s: float) -> None:
    train = PulseTrain(5.0, 3e-3, 400e-6, biphasic=True, gap_s=gap_s, first_edge_s=0.05)
    m = run(train, 2.1, rate=100e3)
    assert m.biphasic
    assert m.frequency_hz == pytest.approx(5.0, rel=0.005)
    assert m.polarity_period_s is None
    assert "biphasic" in m.reasons["polarity_period_s"]
    for positive, width in ((True, m.pulse_width_pos_s), (False, m.pulse_width_neg_s)):
        truth = phase_truth(train, positive)
        assert width == pytest.approx(truth.width_s, rel=0.03)
    assert m.interphase_gap_s == pytest.approx(gap_s, abs=2e-5)
    assert m.mean_current_a == pytest.approx(0.0, abs=0.01 * 400e-6)


def test_first_order_edges_of_many_samples_keep_widths_and_peaks() -> None:
    train = PulseTrain(40.0, 12.5e-3, 400e-6, pulses_per_polarity=40, edge_tau_s=50e-6)
    m = run(train, 2.2)
    truth = phase_truth(train, True)
    assert m.pulse_width_pos_s == pytest.approx(truth.width_s, rel=0.03)
    assert m.pulse_width_neg_s == pytest.approx(truth.width_s, rel=0.03)
    assert m.peak_current_pos_a == pytest.approx(400e-6, rel=0.03)
    assert m.peak_current_neg_a == pytest.approx(400e-6, rel=0.03)
    assert m.charge_per_phase_pos_c == pytest.approx(truth.charge_c, rel=0.04)
    assert m.rise_time_pos_s == pytest.approx(50e-6 * math.log(9), rel=0.05)
    assert m.fall_time_neg_s == pytest.approx(50e-6 * math.log(9), rel=0.05)


@pytest.mark.parametrize("gap_s", [0.0, 50e-6, 200e-6])
def test_gapless_and_small_gap_biphasic_with_slow_edges(gap_s: float) -> None:
    train = PulseTrain(40.0, 1.6e-3, 400e-6, biphasic=True, gap_s=gap_s, edge_tau_s=50e-6)
    m = run(train, 0.31)
    assert m.frequency_hz == pytest.approx(40.0, rel=0.005)
    for positive in (True, False):
        truth = phase_truth(train, positive)
        charge = m.charge_per_phase_pos_c if positive else m.charge_per_phase_neg_c
        width = m.pulse_width_pos_s if positive else m.pulse_width_neg_s
        assert charge == pytest.approx(truth.charge_c, rel=0.04)
        assert width == pytest.approx(truth.width_s, rel=0.03)
    assert m.charge_per_phase_pos_c == pytest.approx(6.4e-7, rel=0.04)


RMD1_40HZ = PulseTrain(40.0, 12.5e-3, 400e-6, pulses_per_polarity=40)


@pytest.mark.parametrize("seconds", [0.4, 3.0])
def test_less_than_a_whole_polarity_cycle_has_no_mean(seconds: float) -> None:
    m = run(RMD1_40HZ, seconds, rate=50e3)
    assert m.mean_current_a is None
    assert m.reasons["mean_current_a"]


def test_whole_cycles_give_the_mean_and_too_few_say_so() -> None:
    m = run(RMD1_40HZ, 5.0, rate=50e3)
    assert m.mean_current_a == pytest.approx(0.0, abs=0.01 * 400e-6)
    assert m.uncertainty["mean_current_a"] > 0
    five = run(RMD1_40HZ, 5.0, rate=50e3, min_polarity_cycles=5)
    assert five.mean_current_a is None
    assert "5 needed" in five.reasons["mean_current_a"]


def test_a_dc_leak_is_measured_not_subtracted() -> None:
    train = PulseTrain(40.0, 12.5e-3, 400e-6, pulses_per_polarity=40, leak_a=20e-6)
    m = run(train, 4.3, rate=50e3)
    assert m.mean_current_a == pytest.approx(mean_current_a(train), abs=0.01 * 400e-6)
    assert m.mean_current_a == pytest.approx(20e-6, abs=1e-6)
    assert m.baseline_current_a == pytest.approx(20e-6, abs=1e-6)
    assert m.peak_current_pos_a == pytest.approx(420e-6, rel=0.01)
    assert m.peak_current_neg_a == pytest.approx(380e-6, rel=0.01)
    assert m.charge_per_phase_pos_c == pytest.approx(phase_truth(train, True).charge_c, rel=0.01)
    assert m.zero_level_a == 0.0


def test_the_bench_zero_offset_is_subtracted_and_reported() -> None:
    train = PulseTrain(40.0, 12.5e-3, 400e-6, pulses_per_polarity=40)
    c = synthesize(train, sample_rate_hz=50e3, duration_s=4.3, load_ohms=500.0, offset_v=0.004)
    m = analyze_current(c.t0, c.dt, c.volts / 500.0, load_ohms=500.0, zero_offset=8e-6)
    assert m.zero_level_a == 8e-6
    assert m.mean_current_a == pytest.approx(0.0, abs=1e-7)
    assert m.baseline_current_a == pytest.approx(0.0, abs=1e-7)
    raw = analyze_current(c.t0, c.dt, c.volts / 500.0, load_ohms=500.0)
    assert raw.mean_current_a == pytest.approx(8e-6, abs=1e-7)  # an undeclared offset shows
