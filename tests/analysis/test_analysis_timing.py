"""Pulse rate in bursts, and polarity period when a train alternates every pulse."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis.synth import PulseTrain
from harness.analysis.waveform import analyze_current


def test_bursts_with_pauses_keep_the_in_burst_rate() -> None:
    """Ten pulses at 40 Hz, 0.3 s of silence, repeated: the rate is the in-burst 40 Hz."""
    dt = 1e-5
    train = PulseTrain(40.0, 0.0125, 300e-6, first_edge_s=0.01)
    burst_len = round(10 / 40.0 / dt)
    t = np.arange(burst_len) * dt
    burst = train.current(t)
    silence = np.zeros(round(0.3 / dt))
    record = np.concatenate([np.concatenate((burst, silence)) for _ in range(6)])
    record += np.random.default_rng(1).normal(0.0, 3e-6, record.size)
    m = analyze_current(0.0, dt, record, load_ohms=500.0)
    assert m.frequency_hz == pytest.approx(40.0, rel=0.005)
    assert m.phase_count_pos == 60
    assert m.pulse_width_pos_s == pytest.approx(0.0125, rel=0.03)


def test_monophasic_alternating_every_pulse_has_a_two_pulse_polarity_period() -> None:
    train = PulseTrain(0.5, 1.0, 400e-6, pulses_per_polarity=1, first_edge_s=-0.4)
    t = np.arange(round(13.3 / 1e-3)) * 1e-3
    m = analyze_current(0.0, 1e-3, train.current(t), load_ohms=500.0)
    assert m.frequency_hz == pytest.approx(0.5, rel=0.005)
    assert m.polarity_period_s == pytest.approx(4.0, rel=0.005)
    assert abs(m.mean_current_a) <= 0.01 * 400e-6
