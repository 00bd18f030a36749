"""The simulated unit's other waveform classes: first-order edges and biphasic pairs.

Real captures have edges that span many samples and many microcurrent devices emit
biphasic pulse pairs; the faults ``slew_us`` and ``biphasic_gap_ms`` make the simulated
unit produce both, so the suites (and the analysis behind them) meet them on the bench.
Each truth here comes from the circuit's own equations (a first-order step response,
a rectangular pair), evaluated in the test, never from the model's samples.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sim_support import K, grid, treating_bench

AMPLITUDE = 400e-6  # level 5 at 500 ohm, battery at the line-regulation reference


def _period(bench_frequency_hz: float) -> float:
    return 1.0 / (bench_frequency_hz * K)


def test_first_order_edges_follow_the_step_response() -> None:
    bench = treating_bench("slew_us=200", frequency=3)  # 40 Hz: 12.5 ms pulses
    bench.advance_to(6.0)
    period = _period(40.0)
    start = 4.0 / K + 80 * period  # a rising edge, ramp long done, positive half-cycle
    for after in (50e-6, 200e-6, 600e-6):
        expected = AMPLITUDE * (1.0 - math.exp(-after / 200e-6))
        got = float(bench.load_current(np.array([start + after]))[0])
        assert got == pytest.approx(expected, rel=2e-3), after
    fall = start + 0.5 * period
    top = AMPLITUDE * (1.0 - math.exp(-0.5 * period / 200e-6))
    got = float(bench.load_current(np.array([fall + 300e-6]))[0])
    assert got == pytest.approx(top * math.exp(-300e-6 / 200e-6), rel=2e-3)


def test_first_order_edges_keep_the_charge_of_a_pulse() -> None:
    """Charge of one pulse = A * width exactly (the delayed fall returns what the slow rise
    lost), integrated by the model's exact method."""
    bench = treating_bench("slew_us=200", frequency=3)
    bench.advance_to(6.0)
    period = _period(40.0)
    start = 4.0 / K + 80 * period
    charge = bench.mean_current(start, start + period) * period
    tail = math.exp(-0.5 * period / 200e-6)  # what the previous pulse still leaks: ~0
    assert charge == pytest.approx(AMPLITUDE * 0.5 * period, rel=1e-4 + tail)


@pytest.mark.parametrize("gap_ms", [0.0, 1.0, 5.0])
def test_biphasic_pairs_are_balanced_with_their_gap(gap_ms: float) -> None:
    bench = treating_bench(f"biphasic_gap_ms={gap_ms}", frequency=1)  # 4 Hz: 250 ms period
    bench.advance_to(6.0)
    period = _period(4.0)
    gap = gap_ms * 1e-3
    width = 0.5 * (0.5 * period - gap)
    start = 4.0 / K
    mid_pos, mid_gap, mid_neg = (
        start + width / 2,
        start + width + gap / 2,
        start + 1.5 * width + gap,
    )
    values = bench.load_current(np.array([mid_pos, mid_neg, start + 0.75 * period]))
    assert values[0] == pytest.approx(AMPLITUDE, rel=1e-9)
    assert values[1] == pytest.approx(-AMPLITUDE * (1 - 0.001), rel=1e-9)  # 0.1 % weaker
    assert values[2] == 0.0
    if gap_ms > 0:
        assert float(bench.load_current(np.array([mid_gap]))[0]) == 0.0
    # no polarity reversal: a second later the pair still starts positive
    later = float(
        bench.load_current(np.array([start + round(1.0 / period) * period + width / 2]))[0]
    )
    assert later == pytest.approx(AMPLITUDE, rel=1e-9)
    # net charge per pair: the 0.1 % weaker negative phase, nothing else
    mean = bench.mean_current(start, start + 20 * period)
    assert mean == pytest.approx(AMPLITUDE * 0.001 * width / period, rel=1e-3)


def test_a_leak_flows_through_the_load_in_the_gaps() -> None:
    """A leaky output switch is d.c. through the load: the scope path sees it too."""
    bench = treating_bench("leak_ua=20", frequency=1)
    bench.advance_to(6.0)
    period = _period(4.0)
    gap_time = 4.0 / K + 0.75 * period
    assert float(bench.load_current(np.array([gap_time]))[0]) == pytest.approx(20e-6)
    volts = bench.load_voltage(grid(gap_time, gap_time + 1e-3, 10))
    assert volts == pytest.approx(20e-6 * 500.0, rel=1e-3)  # the resistor's own tolerance
