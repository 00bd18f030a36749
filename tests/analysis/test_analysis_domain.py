"""The RMD-1 L5 numbers of docs/domain.md, section 3 "Derived numbers at level 5",
recovered from a synthetic capture.

400 uA peak, 50 % duty, 4 Hz, polarity reversing every second, at 500 ohm: average |i|
200 uA, r.m.s. 283 uA, phase charge 50 uC, r.m.s. current density 0.57 mA/cm2 over
0.5 cm2; at 10 kohm the average power density is 1.6e-3 W/cm2. Captured as the scope
would: 8-bit, a little noise and offset, starting mid-pulse.
"""

from __future__ import annotations

import pytest

from harness.analysis.synth import PulseTrain, synthesize
from harness.analysis.waveform import WaveformMetrics, analyze_voltage

L5 = PulseTrain(4.0, 0.125, 400e-6, pulses_per_polarity=4, first_edge_s=-0.06)


def l5_at(load_ohms: float) -> WaveformMetrics:
    peak_v = 400e-6 * load_ohms
    c = synthesize(
        L5,
        sample_rate_hz=50e3,
        duration_s=10.7,
        load_ohms=load_ohms,
        noise_v=0.003 * peak_v,
        offset_v=0.01 * peak_v,
        quantize_8bit=True,
    )
    return analyze_voltage(
        c.t0,
        c.dt,
        c.volts,
        load_ohms=load_ohms,
        electrode_area_cm2=0.5,
        zero_offset=0.01 * peak_v,  # the scope's offset, as the bench declares it
    )


def test_l5_at_500_ohm() -> None:
    m = l5_at(500.0)
    assert m.frequency_hz == pytest.approx(4.0, rel=0.002)
    assert m.pulse_width_pos_s == pytest.approx(0.125, rel=0.01)
    assert m.polarity_period_s == pytest.approx(2.0, rel=0.002)
    assert m.average_abs_current_a == pytest.approx(200e-6, rel=0.01)
    assert m.rms_current_a == pytest.approx(283e-6, rel=0.01)
    assert m.charge_per_phase_pos_c == pytest.approx(50e-6, rel=0.01)
    assert m.max_charge_per_phase_c == pytest.approx(50e-6, rel=0.01)
    assert m.rms_current_density_a_per_cm2 is not None
    assert round(m.rms_current_density_a_per_cm2 * 1e3, 2) == 0.57
    assert m.mean_current_a is not None and abs(m.mean_current_a) < 2e-6  # WAV-DC limit


def test_l5_power_density_at_10k() -> None:
    m = l5_at(10_000.0)
    assert m.power_density_w_per_cm2 == pytest.approx(1.6e-3, rel=0.02)
    assert m.peak_current_pos_a == pytest.approx(400e-6, rel=0.03)
