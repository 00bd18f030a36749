"""Each injected fault changes the observables the way the physics says it should.

Every test contrasts the faulty unit with what a healthy one does under the same
conditions, so none can pass on a model that ignores the fault.
"""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R10K, R500, K, grid, peak, treating_bench

from harness.sim.bench import SimBench
from harness.sim.physics import NOMINAL_PHASE_MISMATCH, OUTPUT_CAPACITANCE_F


def _steady_peak(*faults: str, **kwargs: object) -> float:
    bench = treating_bench(*faults, **kwargs)  # type: ignore[arg-type]
    bench.advance_to(4.0)
    return peak(bench, 2.0, 4.0)


def test_gain() -> None:
    assert _steady_peak("gain=1.3") == pytest.approx(520e-6)
    assert _steady_peak() == pytest.approx(400e-6)


def test_level_table_swapped_levels_measure_differently_than_reported() -> None:
    bench = treating_bench("level_table=80,240,160,320,400", level=2)
    bench.advance_to(3.0)
    assert peak(bench, 2.0, 3.0) == pytest.approx(240e-6)
    assert bench.device.status().level == 2
    bench.device.set_level(3)
    bench.advance(1.0)
    assert peak(bench, 3.0, 4.0) == pytest.approx(160e-6)


def test_compliance_voltage_sags_at_10k_and_open_circuit() -> None:
    assert _steady_peak("compliance_v=3", load=R10K) == pytest.approx(3.0 / R10K)
    assert _steady_peak("compliance_v=3", load=R500) == pytest.approx(400e-6)
    bench = treating_bench("compliance_v=3")
    bench.advance_to(3.0)
    bench.set_load(None)
    bench.advance(0.15)
    assert np.max(np.abs(bench.load_voltage(grid(3.0, 3.15)))) == pytest.approx(3.0)


def _mean_over_cycles(*faults: str) -> float:
    bench = treating_bench(*faults)
    bench.advance_to(13.0)
    return bench.mean_current(2.0 / K, 12.0 / K)


def test_stuck_polarity_gives_dc() -> None:
    assert _mean_over_cycles("stuck_polarity") == pytest.approx(200e-6, rel=1e-9)
    assert abs(_mean_over_cycles()) < 0.2e-6


def test_phase_asymmetry_gives_dc() -> None:
    negative = 400e-6 * (1 - NOMINAL_PHASE_MISMATCH) * 0.9
    expected = 0.25 * (400e-6 - negative)
    assert _mean_over_cycles("phase_asymmetry=0.1") == pytest.approx(expected, rel=1e-9)


def test_leak_flows_in_every_state_including_off() -> None:
    bench = SimBench(faults=["leak_ua=20"])
    bench.set_supply(1, 3.8, 1.0, True)
    bench.set_load(R10K)
    bench.advance(1.0)
    assert bench.device.status().state == "off"
    assert bench.mean_current(0.5, 1.0) == pytest.approx(20e-6)
    bench.set_supply(2, 5.0, 1.0, True)
    bench.device.power_on()
    bench.advance(1.0)
    assert bench.device.status().state == "charging"
    assert bench.mean_current(1.5, 2.0) == pytest.approx(20e-6)
    healthy = treating_bench(load=R10K)
    healthy.device.power_off()
    healthy.advance(1.0)
    assert healthy.mean_current(0.5, 1.0) == 0.0


def test_charger_interlock_off_keeps_treating_on_the_charger() -> None:
    bench = treating_bench("charger_interlock=off")
    bench.advance_to(3.0)
    bench.set_supply(2, 5.0, 1.0, True)
    bench.advance(2.0)
    assert bench.device.status().state == "treating"
    assert peak(bench, 4.0, 5.0) == pytest.approx(400e-6)


def test_ocp_off_holds_800_ua_for_200_ms_without_latch() -> None:
    bench = treating_bench("ocp=off")
    bench.advance_to(3.0)
    bench.device.start_ocp_selftest()
    bench.advance(1.0)
    t = grid(3.0, 3.3, 300_000)
    i = bench.load_current(t)
    assert np.min(i[(t > 3.001) & (t < 3.0 + 0.2 / K - 1e-4)]) == pytest.approx(800e-6)
    after = np.abs(i[(t > 3.0 + 0.2 / K + 1e-5) & (t < 3.25)])
    assert np.max(after) < 0.05 * 400e-6  # gave up at 200 ms; treatment ramps up again
    failed = [e.t_device_s for e in bench.device.events() if e.kind == "ocp"][-1]
    assert failed == pytest.approx(3.0 * K + 0.2, abs=1e-9)
    assert bench.device.status().state == "treating"
    assert bench.device.status().fault is None


def test_ocp_delay_slows_the_trip() -> None:
    bench = treating_bench("ocp_delay_ms=30")
    bench.advance_to(3.0)
    bench.device.start_ocp_selftest()
    bench.advance(0.5)
    t = grid(3.0, 3.1, 200_000)
    above = t[np.abs(bench.load_current(t)) >= 10e-6]
    assert above[-1] - 3.0 == pytest.approx(0.030 / K, abs=1e-5)
    assert bench.device.status().fault == "ocp"


def test_contact_detect_off_drives_open_circuit_then_spikes_on_contact() -> None:
    bench = treating_bench("contact_detect=off", load=None)
    bench.advance_to(10.0)
    assert bench.device.status().state == "treating"
    assert np.max(bench.load_voltage(grid(5.0, 10.0))) == pytest.approx(12.0)
    contact = 10.0 + 0.02 / K  # inside a positive pulse
    bench.advance_to(contact)
    bench.set_load(R500)
    bench.advance(1.0)
    tau = R500 * OUTPUT_CAPACITANCE_F
    i = bench.load_current(np.array([contact, contact + tau]))
    assert i[0] == pytest.approx(12.0 / R500 + 400e-6, rel=1e-6)
    assert i[1] == pytest.approx(12.0 / R500 / np.e + 400e-6, rel=1e-6)
    bench.set_load(None)
    bench.advance(200.0)
    assert bench.device.status().state == "treating"  # never suspends nor idles off
    healthy = treating_bench()  # suspends after 200 ms, recontacts without a spike
    healthy.advance_to(3.0)
    healthy.set_load(None)
    healthy.advance_to(10.0)
    healthy.set_load(R500)
    healthy.advance(3.0)
    assert peak(healthy, 10.0, 13.0) == pytest.approx(400e-6)


def test_soft_start_off_overshoots_25_percent_decaying_in_2_ms() -> None:
    bench = treating_bench("soft_start=off")
    bench.advance_to(2.0)
    i = bench.load_current(np.array([1e-4, 2e-3, 0.03]))
    assert i[0] == pytest.approx(400e-6 * (1 + 0.25 * np.exp(-1e-4 / 2e-3)), rel=1e-3)
    assert i[1] == pytest.approx(400e-6 * (1 + 0.25 / np.e), rel=1e-3)
    assert i[2] == pytest.approx(400e-6, rel=1e-6)  # full at once: no ramp
    bench.device.set_level(3)  # mid-pulse: a step down undershoots at once
    bench.advance(1.0)
    i = bench.load_current(np.array([2.0 + 1e-4, 2.5]))
    assert i[0] == pytest.approx(240e-6 - 0.25 * 160e-6 * np.exp(-1e-4 / 2e-3), rel=1e-3)
    assert i[1] == pytest.approx(240e-6, rel=1e-6)
    assert peak(bench, 2.0, 3.0) == pytest.approx(240e-6)


def test_clock_error_scales_frequency_and_timers() -> None:
    bench = treating_bench("clock_error=0.01", frequency=1)
    bench.advance_to(6.0)
    t = grid(2.0, 6.0, 1_000_000)
    on = np.abs(bench.load_current(t)) > 200e-6
    rising = t[1:][on[1:] & ~on[:-1]]
    assert 1.0 / np.median(np.diff(rising)) == pytest.approx(4.04, rel=1e-4)
    bench.advance_to(300.0 / 1.01 + 1e-6)
    assert bench.device.status().state == "complete"
    done = [e.t_device_s for e in bench.device.events() if e.kind == "complete"]
    assert done == [pytest.approx(300.0, abs=1e-9)]


def test_session_and_autooff_timer_bugs() -> None:
    bench = treating_bench("session_s=100", "autooff_s=600")
    bench.advance_to(100.0 / K - 1e-6)
    assert bench.device.status().state == "treating"
    bench.advance_to(100.0 / K + 1e-6)
    assert bench.device.status().state == "complete"
    bench.advance_to(600.0 / K + 1e-6)
    assert bench.device.status().state == "off"


def test_lowbatt_cutoff_off_keeps_treating_on_a_flat_battery() -> None:
    bench = treating_bench("lowbatt_cutoff=off", battery_v=3.25)
    bench.advance(2.0)
    status = bench.device.status()
    assert status.state == "treating" and status.lowbatt_warning
    assert peak(bench, 1.5, 2.0) > 390e-6


def test_boost_unlimited_never_ends_and_stacks_past_absmax() -> None:
    bench = treating_bench("boost_unlimited")
    bench.advance_to(2.0)
    bench.device.press_boost()
    bench.advance_to(20.0)
    assert bench.device.status().boost
    assert peak(bench, 19.0, 20.0) == pytest.approx(480e-6)
    bench.device.press_boost()
    bench.advance(1.0)
    assert peak(bench, 20.1, 21.0) == pytest.approx(560e-6)


def test_report_level_offset() -> None:
    bench = treating_bench("report_level_offset=1", level=3)
    bench.advance_to(3.0)
    assert bench.device.status().level == 4
    assert peak(bench, 2.0, 3.0) == pytest.approx(240e-6)
