"""Virtual clock, bench registry and the seeded per-instrument noise generators."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.sim import registry
from harness.sim.bench import SimBench
from harness.sim.clock import VirtualClock


def test_clock_moves_only_forward() -> None:
    clock = VirtualClock()
    assert clock.now() == 0.0
    assert clock.advance(1.5) == 1.5
    clock.advance(0.0)
    assert clock.now() == 1.5
    for bad in (-1e-9, math.nan, math.inf):
        with pytest.raises(ValueError):
            clock.advance(bad)
    assert clock.now() == 1.5


def test_registry_round_trip_and_clear_errors() -> None:
    bench, other = SimBench(), SimBench()
    registry.register("reg-test", bench)
    try:
        assert registry.lookup("reg-test") is bench
        registry.register("reg-test", bench)  # same bench again is harmless
        with pytest.raises(ValueError, match="already registered"):
            registry.register("reg-test", other)
    finally:
        registry.unregister("reg-test")
    with pytest.raises(KeyError, match="reg-test"):
        registry.lookup("reg-test")
    registry.unregister("reg-test")  # unknown ids are ignored


def test_rng_is_seeded_by_seed_and_name() -> None:
    a, b, c = SimBench(seed=7), SimBench(seed=7), SimBench(seed=8)
    first = a.rng("dmm").normal(size=4)
    assert np.array_equal(first, b.rng("dmm").normal(size=4))
    assert not np.array_equal(first, c.rng("dmm").normal(size=4))
    assert not np.array_equal(first, SimBench(seed=7).rng("scope").normal(size=4))
    # the same name continues one stream rather than replaying it
    assert not np.array_equal(a.rng("dmm").normal(size=4), first)


def test_start_state_is_supplies_off_load_open_device_off() -> None:
    bench = SimBench()
    assert bench.load_ohms is None
    assert all(not bench.supply(ch).on for ch in (1, 2, 3))
    assert bench.device.status().state == "off"
    assert not bench.device.has_power
    assert bench.supply_current(1) == 0.0
    assert bench.load_bank == {1001: 499.8, 1002: 2001.5, 1003: 9994.0, 1004: 100_020.0}
