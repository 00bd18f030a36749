"""Ascending times computed a flat run at a time (`pulse_runs`) give the per-time bits.

The truth is `physics.current` and `physics.voltage` without the `ascending` promise:
every time through the per-time arithmetic. Compared bit for bit, signed zeros
included, on scope-like grids (dense and sparse, across edges, reversals and the
origin), on random ascending times, and on the units whose trains differ (stuck
polarity, leak, phase asymmetry, open circuit, a slow or biphasic stage).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from sim_support import R10K, K, treating_bench

from harness.sim import physics, pulse_runs
from harness.sim.bench import SimBench
from harness.sim.physics import FloatArray


def same_bits(a: FloatArray, b: FloatArray) -> bool:
    return bool(np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b)))


def treated(*faults: str, frequency: int = 3, level: int = 4, at: float = 3.0) -> SimBench:
    bench = treating_bench(*faults, frequency=frequency, level=level)
    bench.advance_to(at)
    return bench


GRIDS = {
    "1 us over 1 s, a reversal inside": (1.5, 1e-6, 1_000_000),
    "0.37 us over 37 ms": (2.1, 0.37e-6, 100_000),
    "13 us over 2.6 s": (0.2, 13e-6, 200_000),
    "100 us across the origin": (-0.3, 100e-6, 8_000),
    "exactly on edges": (2.0 / K, 0.5e-6, 50_000),
}


@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize(
    "faults", [(), ("stuck_polarity",), ("leak_ua=20",), ("phase_asymmetry=0.01",)]
)
@pytest.mark.parametrize("frequency", [1, 3])
def test_runs_give_the_per_time_bits(grid: str, faults: tuple[str, ...], frequency: int) -> None:
    start, step, n = GRIDS[grid]
    bench = treated(*faults, frequency=frequency)
    seg = bench._history.last
    t = start + step * np.arange(n, dtype=np.float64)
    for observe in (physics.current, physics.voltage):
        fast = observe(bench.stage, seg, t, ascending=True)
        assert same_bits(fast, observe(bench.stage, seg, t))


def test_runs_are_taken_on_a_scope_grid_and_refused_where_they_do_not_pay() -> None:
    bench = treated()
    seg, stage = bench._history.last, bench.stage
    drive = seg.drive

    def per_time(times: FloatArray) -> FloatArray:
        return physics.current(stage, seg, times)

    def runs(t: FloatArray) -> FloatArray | None:
        kw = {"origin": drive.origin, "period": drive.period, "edge_s": stage.edge_s}
        return pulse_runs.by_runs(per_time, t, half_cycle=drive.half_cycle, **kw)

    dense = 2.0 + 1e-6 * np.arange(500_000, dtype=np.float64)
    taken = runs(dense)
    assert taken is not None and same_bits(taken, per_time(dense))
    assert runs(dense[:1000]) is None  # too few times
    assert runs(2.0 + 1e-3 * np.arange(5000, dtype=np.float64)) is None  # 5 s: too sparse
    assert runs(5e5 + 1e-6 * np.arange(5000, dtype=np.float64)) is None  # far from zero


@pytest.mark.parametrize("spacing", [7e-6, 23e-6, 50e-6, 77e-6])
@pytest.mark.parametrize("faults", [(), ("stuck_polarity",)])
def test_edges_between_sparse_times_still_end_runs(spacing: float, faults: tuple[str, ...]) -> None:
    """Times sparser than the 20 us edges: an edge often holds none of them, and the
    plateau before it and the gap after it (or a whole gap and the plateaus around it,
    whose ends agree) must not be taken for one run."""
    rng = np.random.default_rng(int(spacing * 1e6))
    for frequency in (1, 2, 3):
        bench = treated(*faults, frequency=frequency, at=30.0)
        seg, stage = bench._history.last, bench.stage
        for start in rng.uniform(2.0, 28.0, 4):
            t = start + spacing * np.arange(20_000, dtype=np.float64)
            fast = physics.current(stage, seg, t, ascending=True)
            assert same_bits(fast, physics.current(stage, seg, t))
            drive = seg.drive
            half_cycle = None if stage.stuck_polarity else drive.half_cycle
            taken = pulse_runs.by_runs(
                partial(physics.current, stage, seg),
                t,
                origin=drive.origin,
                period=drive.period,
                edge_s=stage.edge_s,
                half_cycle=half_cycle,
            )
            assert taken is not None  # the runs were used, not refused


def test_random_ascending_times_give_the_per_time_bits() -> None:
    bench = treated(level=2)
    seg = bench._history.last
    t = np.sort(np.random.default_rng(3).uniform(1.0, 3.0, 300_000))
    t[1000:1010] = t[1000]  # repeated times are ascending too
    fast = physics.current(bench.stage, seg, t, ascending=True)
    assert same_bits(fast, physics.current(bench.stage, seg, t))


@pytest.mark.parametrize("faults", [("slew_us=40",), ("biphasic_gap_ms=1",)])
def test_other_trains_are_computed_per_time(faults: tuple[str, ...]) -> None:
    bench = treated(*faults)
    seg = bench._history.last
    t = 2.0 + 1e-6 * np.arange(200_000, dtype=np.float64)
    fast = physics.current(bench.stage, seg, t, ascending=True)
    assert same_bits(fast, physics.current(bench.stage, seg, t))


def test_the_bench_observes_every_segment_as_the_per_time_path_does() -> None:
    bench = treating_bench(level=3, load=R10K)
    bench.advance_to(1.9)
    bench.set_load(None)  # open circuit: compliance until the unit suspends
    bench.advance_to(3.0)
    t = 0.5 + 1e-6 * np.arange(2_400_000, dtype=np.float64)  # ramp, plateaus, open, off
    history = bench._history
    for observe, name in ((physics.current, "load_current"), (physics.voltage, "load_voltage")):
        truth = history.evaluate(partial(observe, bench.stage), t)
        assert same_bits(getattr(bench, name)(t), truth)
    assert np.max(bench.load_voltage(t)) == pytest.approx(12.0)
