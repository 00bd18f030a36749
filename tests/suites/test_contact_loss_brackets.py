"""Lift-off and suspension read off a synthetic record of biphasic pairs (bench-free).

Pairs every 40 ms (+8 ms, 4 ms gap, -8 ms) at the contact level (75 mV) until lift-off
at 0.0925 s, at the open-circuit level (10 V) after, until the suspension at 0.4025 s.
The brackets must hold both instants, a stop too near the record's end gives None, and
no open-circuit edge gives no lift-off.
"""

from __future__ import annotations

import numpy as np

from harness.procedures.pairs import lift_off_bracket, pairs_stop_bracket

DT, PERIOD = 50e-6, 0.04
T = np.arange(0.0, 0.8, DT)


def _pairs(lift_off: float, suspended: float) -> np.ndarray:
    phase = np.mod(T, PERIOD)
    on = (phase < 0.008) | ((phase >= 0.012) & (phase < 0.020))
    level = np.where(lift_off > T, 0.075, 10.0)
    return np.where(on & (suspended > T), level, 0.0)


def test_both_brackets_hold_the_truth() -> None:
    volts = _pairs(0.0925, 0.4025)
    event = lift_off_bracket(T, volts, 0.075, 0.375)
    assert event is not None and event[0] <= 0.0925 <= event[1]
    stop = pairs_stop_bracket(T, volts, 0.375, after=event[1], period_s=PERIOD, hold_s=0.16)
    assert stop is not None and stop[0] <= 0.4025 <= stop[1]
    assert stop[1] - stop[0] <= PERIOD


def test_a_stop_near_the_end_of_the_record_is_not_a_stop() -> None:
    volts = _pairs(0.0925, 0.75)
    assert pairs_stop_bracket(T, volts, 0.375, after=0.1, period_s=PERIOD, hold_s=0.16) is None


def test_no_open_circuit_edge_is_no_lift_off() -> None:
    assert lift_off_bracket(T, _pairs(1.0, 1.0), 0.075, 0.375) is None
