"""The r.m.s. of a record holding part of a polarity cycle, when + and - pulses differ.

A reversing train gives each polarity the same share of its pulses; one and a half
polarity cycles hold one polarity's pulses more often than the other's. With - pulses
weaker than + ones the record's own r.m.s. is then not the train's, and once read 263 U
away from it. The truth here is closed-form from the generating parameters: a train of
rectangular pulses of duty D, half of them of amplitude A+ and half A-, has
r.m.s. = sqrt(D (A+^2 + A-^2) / 2).
"""

from __future__ import annotations

import math

import pytest

from harness.analysis.synth import PulseTrain, synthesize
from harness.analysis.waveform import analyze_voltage

RATE_HZ, FREQUENCY_HZ, WIDTH_S, A_POS = 1e5, 10.0, 0.05, 400e-6


@pytest.mark.parametrize("duration_s", [0.6, 1.0, 1.2, 1.4])
@pytest.mark.parametrize("a_neg", [300e-6, 400e-6, 200e-6])
def test_truth_within_u_for_unequal_pulses_and_part_of_a_cycle(
    duration_s: float, a_neg: float
) -> None:
    train = PulseTrain(
        FREQUENCY_HZ, WIDTH_S, A_POS, amplitude_neg_a=a_neg, pulses_per_polarity=4,
        first_edge_s=0.01,
    )  # fmt: skip
    capture = synthesize(train, sample_rate_hz=RATE_HZ, duration_s=duration_s, load_ohms=500.0)
    m = analyze_voltage(0.0, capture.dt, capture.volts, load_ohms=500.0)
    duty = WIDTH_S * FREQUENCY_HZ
    truth = math.sqrt(duty * (A_POS**2 + a_neg**2) / 2.0)
    assert m.mean_current_a is None  # no whole polarity cycle: no d.c. component
    assert m.rms_current_a is not None, m.reasons
    u = m.uncertainty["rms_current_a"]
    assert abs(m.rms_current_a - truth) <= u, (m.rms_current_a, u, truth)
    assert u <= 0.25 * truth  # a bound, not a shrug (4 + pulses against 2 - ones: ~19 %)
    assert "unequal shares" in m.reasons["rms_current_a"]


def test_one_polarity_only_says_so() -> None:
    """0.35 s of a train reversing every 4 pulses: + pulses only. Nothing in the record
    says whether it reverses (a unit stuck in one polarity does not): the r.m.s. is the
    + pulses', and the reason says the record holds one polarity only."""
    train = PulseTrain(
        FREQUENCY_HZ, WIDTH_S, A_POS, amplitude_neg_a=300e-6, pulses_per_polarity=4,
        first_edge_s=0.01,
    )  # fmt: skip
    capture = synthesize(train, sample_rate_hz=RATE_HZ, duration_s=0.35, load_ohms=500.0)
    m = analyze_voltage(0.0, capture.dt, capture.volts, load_ohms=500.0)
    assert m.rms_current_a is not None
    truth_of_the_pulses_seen = math.sqrt(WIDTH_S * FREQUENCY_HZ * A_POS**2)
    assert abs(m.rms_current_a - truth_of_the_pulses_seen) <= m.uncertainty["rms_current_a"]
    assert "one polarity only" in m.reasons["rms_current_a"]
