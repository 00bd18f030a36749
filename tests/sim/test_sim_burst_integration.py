"""Many apertures integrated in one pass (`mean_currents`) give each one's mean to the bit.

The truth is `mean_current`, one window at a time, on the same bench: it projects,
finds the kinks and integrates each window on its own. The windows cross what makes the
one-pass path careful: a soft start ending, an overshoot and a contact spike decaying
(`physics.batches_exactly`), a timer firing ahead of the clock (BOOST ending),
segment boundaries, windows that overlap, come out of order or have no width.
"""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R500, K, treating_bench

from harness.sim import physics
from harness.sim.bench import SimBench


def burst(start: float, count: int, width: float, step: float) -> list[tuple[float, float]]:
    """`count` windows of `width`, `step` apart from `start` (a DMM burst's apertures)."""
    return [(start + k * step, start + k * step + width) for k in range(count)]


def after_contact(at: float) -> SimBench:
    """A unit treating at 2 s loses contact at 1.95 s, so touching again at `at` sees a
    capacitor discharge at compliance (a contact spike)."""
    bench = treating_bench()
    bench.advance_to(1.95)
    bench.set_load(None)
    bench.advance_to(at)
    bench.set_load(R500)
    return bench


CASES = {
    "plateaus and gaps": (lambda: treating_bench(), burst(3.0, 64, 0.4e-3, 1.4e-3)),
    # at L3 a plateau computed as a constant level differs by an ulp from one computed
    # per time, which the one-pass path must not mix (`physics.batches_exactly`)
    "soft start ending": (
        lambda: treating_bench(level=3),
        burst(1.25 / K - 0.02, 40, 0.4e-3, 1.1e-3),
    ),
    "overshoot decaying": (
        lambda: treating_bench("soft_start=off", level=3),
        burst(0.095, 80, 0.4e-3, 1.4e-3),
    ),
    "contact spike": (lambda: after_contact(2.0), burst(1.9995, 30, 0.2e-3, 0.25e-3)),
    "long apertures, polarity reversals": (lambda: treating_bench(), burst(0.5, 12, 0.2, 0.201)),
    "overlapping, unordered, empty": (
        lambda: treating_bench(frequency=3),
        [(2.5, 2.7), (2.0, 2.0), (2.1, 2.6), (2.45, 2.46), (2.05, 2.5), (2.3, 2.3)],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_burst_means_equal_window_by_window_means(case: str) -> None:
    make, windows = CASES[case]
    bench = make()
    together = bench.mean_currents(windows)
    assert together == [bench.mean_current(t0, t1) for t0, t1 in windows]
    assert len(set(together)) >= 2  # not a stretch of nothing


def test_a_timer_firing_ahead_of_the_clock_is_projected_in_a_burst() -> None:
    bench = treating_bench(level=3)
    bench.advance_to(2.0)
    bench.device.press_boost()  # 240 -> 320 uA for ten device seconds
    end = 2.0 + 10.0 / K
    bench.advance_to(end - 0.3)
    windows = burst(end - 0.3, 48, 0.01, 0.0125)
    together = bench.mean_currents(windows)
    assert bench.device.status().boost  # the projection moved nothing
    assert together == [bench.mean_current(t0, t1) for t0, t1 in windows]
    boosted, after = np.abs(together[:20]), np.abs(together[-20:])
    assert max(boosted) == pytest.approx(320e-6, rel=0.01)
    assert max(after) == pytest.approx(240e-6, rel=0.01)
    bench.advance_to(end + 0.5)
    assert not bench.device.status().boost
    assert bench.mean_currents(windows) == together  # the same, now as history


def test_burst_means_refuse_what_a_mean_refuses() -> None:
    bench = treating_bench()
    assert bench.mean_currents([]) == []
    with pytest.raises(ValueError):
        bench.mean_currents([(1.0, 2.0), (1.0, 0.5)])
    bench.advance_to(300.0)
    with pytest.raises(ValueError, match="older than the retained history"):
        bench.mean_currents([(299.0, 300.0), (10.0, 11.0)])


@pytest.mark.parametrize("case", CASES)
def test_times_split_between_calls_give_the_same_bits_where_batches_exactly_says(
    case: str,
) -> None:
    bench = CASES[case][0]()
    rng = np.random.default_rng(5)
    for seg in bench._history.segments():
        a = max(seg.start, 0.0)
        for b in (a + 1e-3, a + 0.05, a + 2.0):
            t = np.sort(rng.uniform(a, b, 600))
            whole = physics.current(bench.stage, seg, t)
            parts = [physics.current(bench.stage, seg, p) for p in np.array_split(t, 7)]
            if physics.batches_exactly(seg, a, b):
                assert np.array_equal(whole, np.concatenate(parts))
            else:
                assert np.allclose(whole, np.concatenate(parts), rtol=1e-15, atol=0.0)


def test_batches_exactly_refuses_a_ramp_end_and_live_decays() -> None:
    ramping = treating_bench()._history.last
    end = ramping.drive.ramp_start + ramping.drive.ramp_length
    assert not physics.batches_exactly(ramping, end - 0.1, end + 0.1)
    assert physics.batches_exactly(ramping, end, end + 0.1)
    assert physics.batches_exactly(ramping, end - 0.2, end - 0.1)
    overshooting = treating_bench("soft_start=off")._history.last
    start = overshooting.drive.overshoot_start
    assert not physics.batches_exactly(overshooting, start, start + 0.01)
    assert physics.batches_exactly(overshooting, start + 0.2, start + 0.3)
    spiking = after_contact(2.0)._history.last
    assert spiking.spike is not None
    assert not physics.batches_exactly(spiking, 2.0, 2.001)
    assert physics.batches_exactly(spiking, 2.1, 2.2)
