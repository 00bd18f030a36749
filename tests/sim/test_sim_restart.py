"""A unit that restarts mid-session: the output stops at the reset instant, the firmware
comes back off with its power-on defaults, and the restart is counted and logged."""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R500, K, grid, peak, treating_bench

from harness.sim.bench import SimBench
from harness.sim.firmware import CommandRejected

IN_A_PULSE_S = 3.02
"""At F2 (10 Hz, 50 % duty, from t = 0) a pulse is on here, well after the soft start."""


def test_reset_stops_the_output_at_the_reset_instant() -> None:
    bench = treating_bench()
    bench.advance_to(IN_A_PULSE_S)
    bench.device.reset("watchdog")
    bench.advance(1.0)
    just_before = bench.load_current(np.array([IN_A_PULSE_S - 1e-6]))[0]
    assert abs(just_before) == pytest.approx(400e-6, rel=0.01)
    assert peak(bench, IN_A_PULSE_S, IN_A_PULSE_S + 1.0) == 0.0


def test_reboot_fault_stops_the_output_at_its_time_seen_ahead_or_after() -> None:
    bench = treating_bench(f"reboot_at_s={IN_A_PULSE_S}")
    window = grid(IN_A_PULSE_S - 0.5, IN_A_PULSE_S + 0.5, 100_000)
    ahead = bench.load_current(window)  # the clock is at 0: a projection of the future
    bench.advance_to(IN_A_PULSE_S + 1.0)
    after = bench.load_current(window)
    assert np.array_equal(ahead, after)
    before_reset = window < IN_A_PULSE_S
    assert np.max(np.abs(after[before_reset])) == pytest.approx(400e-6, rel=0.01)
    assert np.max(np.abs(after[~before_reset])) == 0.0
    assert bench.device.status().boots == 2


def test_reset_returns_the_firmware_to_its_power_on_defaults() -> None:
    bench = treating_bench(level=5, frequency=3)
    bench.advance(30.0)
    bench.device.press_boost()
    bench.device.reset("brown-out")
    status = bench.device.status()
    assert (status.state, status.level, status.frequency, status.boost) == ("off", 1, 2, False)
    assert (status.session_s, status.on_time_s, status.contact) == (0.0, 0.0, False)
    assert (status.boots, status.reset_cause, status.uptime_s) == (2, "brown-out", 0.0)
    logged = len(bench.device.events())
    bench.advance(1500.0)  # past every timer a running unit had: beep, session, idle, auto-off
    assert len(bench.device.events()) == logged
    assert bench.buzzer_voltage(grid(bench.clock.now() - 100.0, bench.clock.now())).max() == 0.0
    assert bench.device.status().uptime_s == pytest.approx(1500.0 * K)


def test_reset_is_logged_at_uptime_zero_and_the_uptime_restarts() -> None:
    bench = treating_bench()
    bench.advance_to(10.0)
    bench.device.reset("watchdog")
    bench.advance(2.0)
    bench.device.power_on()
    events = bench.device.events()
    kinds = [e.kind for e in events]
    boot = events[kinds.index("boot")]
    assert (boot.detail, boot.t_device_s) == ("watchdog reset, boot 2", 0.0)
    assert kinds[kinds.index("boot") :] == ["boot", "power", "contact", "start"]
    assert [e.t_device_s for e in events[-3:]] == pytest.approx([2.0 * K] * 3)
    bench.advance(3.0)
    assert bench.device.status().state == "treating"  # a restarted unit works as before
    assert peak(bench, 14.0, 15.0) > 0.0


def test_a_beep_sounding_at_the_reset_is_cut_short() -> None:
    bench = treating_bench()
    beep = 5.0 / K  # the first relocate beep, 100 ms long
    bench.advance_to(beep + 0.05)
    bench.device.reset("watchdog")
    bench.advance(1.0)
    sounding = bench.buzzer_voltage(np.array([beep + 0.04, beep + 0.07]))
    assert sounding.tolist() == [3.3, 0.0]


def test_reboot_fault_happens_once_and_only_with_power() -> None:
    bench = treating_bench("reboot_at_s=10")
    bench.advance_to(9.9)
    assert bench.device.status().boots == 1
    bench.advance_to(100.0)
    assert bench.device.status().boots == 2
    assert [e.kind for e in bench.device.events()].count("boot") == 1
    unpowered = SimBench(faults=["reboot_at_s=10"])
    unpowered.advance_to(20.0)
    assert unpowered.device.status().boots == 1


def test_reset_needs_power_and_a_known_cause() -> None:
    bench = SimBench()
    with pytest.raises(CommandRejected, match="no power"):
        bench.device.reset("watchdog")
    bench.set_supply(1, 3.8, 1.0, True)
    bench.set_load(R500)
    with pytest.raises(ValueError, match="reset cause"):
        bench.device.reset("cosmic ray")
    assert bench.device.status().boots == 1
