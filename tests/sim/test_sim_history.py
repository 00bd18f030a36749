"""Observations of the past, of the near future (a DMM aperture), and the history bound."""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R500, K, grid, treating_bench

from harness.sim.timeline import IntervalSet


def test_future_window_is_projected_exactly_like_the_real_run() -> None:
    ahead = treating_bench()
    ahead.advance_to(2.9)
    ahead.set_load(None)  # contact loss fires at 3.1 s, inside the window
    t = grid(2.9, 3.4)
    projected_mean = ahead.mean_current(2.9, 3.4)
    projected = ahead.load_voltage(t)
    assert ahead.device.status().state == "treating"  # projection did not move the unit
    ahead.advance_to(3.4)
    assert ahead.device.status().state == "suspended"
    assert ahead.mean_current(2.9, 3.4) == projected_mean
    assert np.array_equal(ahead.load_voltage(t), projected)
    assert np.max(np.abs(projected)) == pytest.approx(12.0)
    assert np.max(np.abs(projected[t > 2.9 + 0.2 / K + 1e-6])) == 0.0


def test_future_without_a_timer_due_is_the_present_segment_continued() -> None:
    ahead = treating_bench()
    ahead.advance_to(2.0)  # no timer falls due before the first relocate beep
    t = grid(2.0, 2.5)
    projected = ahead.load_current(t), ahead.buzzer_voltage(t), ahead.mean_current(2.0, 2.5)
    ahead.advance_to(2.5)
    assert np.array_equal(ahead.load_current(t), projected[0])
    assert np.array_equal(ahead.buzzer_voltage(t), projected[1])
    assert ahead.mean_current(2.0, 2.5) == projected[2]


def test_projected_beep_matches_the_real_one() -> None:
    bench = treating_bench()
    bench.advance_to(4.99)
    future = bench.buzzer_voltage(np.array([5.0 / K + 0.05]))
    bench.advance_to(5.2)
    assert future.tolist() == bench.buzzer_voltage(np.array([5.0 / K + 0.05])).tolist() == [3.3]


def test_history_is_bounded_and_older_times_are_refused() -> None:
    bench = treating_bench()
    bench.advance_to(300.0)
    with pytest.raises(ValueError, match="older than the retained history"):
        bench.load_current(np.array([10.0]))
    assert bench.history_start == 300.0 - 120.0
    bench.load_current(np.array([300.0 - 119.0]))


def test_unsorted_and_shaped_times_are_fine() -> None:
    bench = treating_bench()
    bench.advance_to(4.0)
    t = grid(2.0, 4.0, 1000)
    shuffled = np.random.default_rng(1).permutation(t).reshape(10, 100)
    direct = bench.load_current(t)
    order = np.argsort(shuffled.ravel())
    assert np.array_equal(bench.load_current(shuffled).ravel()[order], direct)
    assert bench.load_current(3.0).shape == ()


def test_mean_current_rejects_reversed_window() -> None:
    bench = treating_bench()
    with pytest.raises(ValueError):
        bench.mean_current(1.0, 0.5)
    assert bench.mean_current(0.0, 0.0) == float(bench.load_current(np.array([0.0]))[0])


def test_inputs_apply_at_clock_now() -> None:
    bench = treating_bench()
    bench.clock.advance(5.0)  # an instrument moved the clock; the model catches up lazily
    bench.set_load(None)
    bench.advance(1.0)
    lost = [e.t_device_s for e in bench.device.events() if e.kind == "suspend"]
    assert lost == [pytest.approx((5.0 + 0.2 / K) * K, abs=1e-9)]
    bench.set_load(R500)
    assert bench.device.status().state == "treating"


def test_interval_level_is_the_mask_made_volts() -> None:
    """`IntervalSet.level` fills a slice per interval for ascending times; the truth is
    `contains`, mask by mask, whatever the order or shape of the times."""
    sounding = IntervalSet()
    assert np.array_equal(sounding.level(grid(0.0, 1.0, 5000), 3.3), np.zeros(5000))
    for start, end in ((0.10, 0.15), (0.30, 0.30001), (0.5, 0.7), (0.69, 0.8), (2.0, 3.0)):
        sounding.add(start, end)
    t = grid(0.0, 1.0, 100_000)
    for times in (t, np.random.default_rng(2).permutation(t), t.reshape(100, 1000), t[::-1]):
        truth = np.where(sounding.contains(times), 3.3, 0.0)
        assert np.array_equal(sounding.level(times, 3.3), truth)
    assert sounding.level(t, 3.3).sum() == pytest.approx(3.3 * 100_000 * 0.35, rel=1e-3)
