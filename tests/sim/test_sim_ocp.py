"""Over-current protection self-test: forced 800 uA, trip within 12 ms, latched off."""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R500, K, grid, peak, treating_bench


def test_selftest_trips_within_12_ms_and_latches() -> None:
    bench = treating_bench()
    bench.advance_to(3.0)
    bench.device.start_ocp_selftest()
    bench.advance(1.0)
    t = grid(3.0, 3.05, 500_000)
    i = bench.load_current(t)
    assert np.max(i) == pytest.approx(800e-6, rel=1e-6)
    assert np.max(i) <= 1000e-6  # SAF-OC-PEAK
    above = t[np.abs(i) >= 10e-6]
    assert above[-1] - 3.0 == pytest.approx(0.010 / K, abs=1e-5)
    assert above[-1] - 3.0 < 0.012
    status = bench.device.status()
    assert (status.state, status.fault) == ("fault", "ocp")
    # latched: contact changes and buttons do not bring the output back
    bench.set_load(None)
    bench.advance(1.0)
    bench.set_load(R500)
    bench.advance(3.0)
    with pytest.raises(ValueError, match="fault"):
        bench.device.set_level(3)
    assert peak(bench, 3.05, bench.clock.now()) == 0.0
    assert bench.device.status().state == "fault"
    # a power cycle clears it
    bench.device.power_off()
    bench.device.power_on()
    assert bench.device.status().state == "treating" and bench.device.status().fault is None


def test_selftest_without_enough_current_gives_up() -> None:
    bench = treating_bench(load=100_020.0)  # compliance allows only 120 uA: no trip
    bench.advance_to(0.05)
    bench.device.start_ocp_selftest()
    bench.advance(0.5)
    assert bench.device.status().fault is None
    assert [e.detail for e in bench.device.events() if e.kind == "ocp"][-1].startswith(
        "self-test failed"
    )
