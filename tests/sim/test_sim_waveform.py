"""The output stage against docs/domain.md, section 3 "Derived numbers at level 5": the
numbers a scope and DMM would read.

How fast the model answers is measured by `benchmarks/bench_sim_speed.py`, not here.
"""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R2K, R10K, R100K, R500, K, grid, peak, treating_bench

from harness.sim.physics import NOMINAL_PHASE_MISMATCH


def test_derived_numbers_at_l5_500_ohm() -> None:
    bench = treating_bench(frequency=1)
    bench.advance_to(14.0)
    t = grid(3.0, 13.0, 1_000_000)  # five whole polarity cycles, well after the ramp
    i = bench.load_current(t)
    assert np.max(i) == pytest.approx(400e-6, rel=1e-9)
    assert np.mean(np.abs(i)) == pytest.approx(200e-6, rel=2e-3)
    assert np.sqrt(np.mean(i**2)) == pytest.approx(283e-6, rel=2e-3)
    assert np.max(bench.load_voltage(t)) == pytest.approx(400e-6 * R500, rel=1e-9)
    # phase charge of one 125 ms pulse at 4 Hz, integrated exactly
    start = 4.0 / K  # a pulse (and a positive half-cycle) starts here
    charge = bench.mean_current(start, start + 0.25 / K) * 0.25 / K
    assert charge == pytest.approx(50e-6 / K, rel=1e-6)


def test_peak_voltage_scales_with_load_below_compliance() -> None:
    for load, volts in ((R2K, 0.80), (R10K, 4.0)):
        bench = treating_bench(load=load)
        bench.advance_to(4.0)
        v = bench.load_voltage(grid(2.0, 4.0))
        assert np.max(v) == pytest.approx(volts, rel=2e-3)
        assert np.max(np.abs(bench.load_current(grid(2.0, 4.0)))) == pytest.approx(400e-6)


def test_mean_current_is_exact_over_whole_polarity_cycles() -> None:
    bench = treating_bench()
    bench.advance_to(14.0)
    t0 = 2.0 / K  # whole device cycles: from 2 s to 12 s device time
    mean = bench.mean_current(t0, t0 + 10.0 / K)
    assert mean == pytest.approx(0.25 * 400e-6 * NOMINAL_PHASE_MISMATCH, abs=1e-13)
    dense = float(np.mean(bench.load_current(grid(t0, t0 + 10.0 / K, 2_000_000))))
    assert mean == pytest.approx(dense, abs=5e-9)


def test_pulses_frequency_width_and_polarity_reversal() -> None:
    bench = treating_bench(frequency=3, level=3)
    bench.advance_to(5.0)
    t = grid(2.0, 4.0, 2_000_000)
    i = bench.load_current(t)
    on = np.abs(i) > 120e-6
    rising = t[1:][on[1:] & ~on[:-1]]
    period = np.median(np.diff(rising))
    assert 1.0 / period == pytest.approx(40.0 * K, rel=1e-4)
    assert np.mean(on) == pytest.approx(0.5, abs=1e-3)
    # positive for one device second, then negative for one
    assert np.all(i[(t > 2.0 / K + 0.01) & (t < 3.0 / K - 0.01)] >= 0.0)
    assert np.all(i[(t > 3.0 / K + 0.01) & (t < 4.0 / K - 0.01)] <= 0.0)
    assert np.min(i) == pytest.approx(-240e-6 * (1 - NOMINAL_PHASE_MISMATCH), rel=1e-6)


def test_edges_rise_in_about_20_us() -> None:
    bench = treating_bench()
    bench.advance_to(3.0)
    edge = 2.0 / K + 0.1 / K  # a rising edge at F2 after the ramp
    i = bench.load_current(np.array([edge - 1e-6, edge + 10e-6, edge + 21e-6]))
    assert i[0] == pytest.approx(0.0, abs=1e-9)
    assert i[1] == pytest.approx(200e-6, rel=0.05)
    assert i[2] == pytest.approx(400e-6, rel=1e-6)


def test_soft_start_ramps_ten_to_ninety_percent_in_one_second() -> None:
    bench = treating_bench(frequency=3)
    bench.advance_to(2.0)
    t = grid(0.0, 2.0, 2_000_000)
    env = np.abs(bench.load_current(t)) / 400e-6
    rise = t[np.argmax(env >= 0.9)] - t[np.argmax(env >= 0.1)]
    assert rise == pytest.approx(1.0 / K, abs=0.026)  # edges quantise to one 40 Hz period
    assert np.max(env) <= 1.0 + 1e-9  # no overshoot with soft start (WAV-OVS)
    centres = (np.arange(2, 40) * 0.025 + 0.00625) / K  # mid-pulse, during the ramp
    slope = np.polyfit(centres, np.abs(bench.load_current(centres)) / 400e-6, 1)[0]
    assert 0.8 / slope == pytest.approx(1.0 / K, rel=1e-3)


def test_compliance_limits_current_at_100k_then_contact_is_lost() -> None:
    bench = treating_bench(load=R10K)
    bench.advance_to(3.0)
    bench.set_load(R100K)
    bench.advance(0.15)
    assert peak(bench, 3.0, 3.15) == pytest.approx(12.0 / R100K, rel=1e-6)
    assert np.max(np.abs(bench.load_voltage(grid(3.0, 3.15)))) == pytest.approx(12.0, rel=1e-6)
    bench.advance(1.0)
    assert bench.device.status().state == "suspended"
    assert peak(bench, 3.0 + 0.2 / K + 1e-6, 4.0) == 0.0
    assert abs(bench.mean_current(3.3, 4.1)) <= 2e-6  # SAF-NOCONTACT-I


def test_open_circuit_shows_compliance_voltage_before_time_out() -> None:
    bench = treating_bench()
    bench.advance_to(3.0)
    bench.set_load(None)
    bench.advance(0.5)
    v = bench.load_voltage(grid(3.0, 3.5))
    assert np.max(np.abs(v[: len(v) * 19 // 50])) == pytest.approx(12.0)
    assert np.max(np.abs(v[len(v) * 21 // 50 :])) == 0.0  # suspended after 200 ms
    assert peak(bench, 3.0, 3.5) == 0.0


def test_line_regulation_is_tiny_over_battery_range() -> None:
    peaks = []
    for volts in (3.4, 4.2):
        bench = treating_bench(battery_v=volts)
        bench.advance_to(3.0)
        peaks.append(peak(bench, 2.0, 3.0))
    assert peaks[1] != peaks[0]
    assert abs(peaks[1] / peaks[0] - 1.0) < 0.01


def test_levels_and_level_up_wraps() -> None:
    bench = treating_bench(level=1)
    seen = []
    for step in range(6):
        bench.advance_to(2.0 + 2.0 * step)
        seen.append(round(peak(bench, bench.clock.now() - 1.0, bench.clock.now()) * 1e6))
        bench.device.level_up()
    assert seen == [80, 160, 240, 320, 400, 80]
    assert bench.device.status().level == 2


def test_boost_adds_one_level_for_ten_seconds_and_is_capped() -> None:
    bench = treating_bench(level=3)
    bench.advance_to(3.0)
    bench.device.press_boost()
    assert bench.device.status().boost
    bench.advance(12.0)
    assert peak(bench, 3.5, 3.0 + 10.0 / K - 1e-3) == pytest.approx(320e-6)
    assert peak(bench, 3.0 + 10.0 / K + 1e-6, 15.0) == pytest.approx(240e-6)
    assert not bench.device.status().boost
    off = [e.t_device_s for e in bench.device.events() if (e.kind, e.detail) == ("boost", "off")]
    assert off == [pytest.approx(3.0 * K + 10.0, abs=1e-9)]
    top = treating_bench(level=5)
    top.advance_to(2.0)
    top.device.press_boost()
    top.advance(2.0)
    assert peak(top, 2.1, 4.0) == pytest.approx(400e-6)  # capped at level 5


def test_observing_a_million_points_answers_each_one() -> None:
    bench = treating_bench(frequency=3)
    bench.advance_to(20.0)
    t = grid(5.0, 15.0, 1_000_000)
    i = bench.load_current(t)
    v = bench.load_voltage(t)
    assert i.shape == v.shape == (1_000_000,)
    np.testing.assert_array_equal(v, i * R500)  # 0.2 V at L5: far below compliance
    assert np.max(np.abs(i)) == pytest.approx(400e-6, rel=1e-9)
    assert bench.load_current(t.reshape(1000, 1000)).shape == (1000, 1000)
