"""Battery, charger interlock, low-battery thresholds and supply currents."""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R10K, K, peak, treating_bench

from harness.sim.bench import SimBench


def test_charger_stops_output_within_100_ms_and_inhibits_it() -> None:
    bench = treating_bench()
    bench.advance_to(5.03)
    bench.set_supply(2, 5.0, 1.0, True)
    bench.advance(0.1)
    assert bench.device.status().state == "charging"
    assert bench.device.status().charging
    stops = [e for e in bench.device.events() if e.kind == "interlock"]
    assert len(stops) == 1 and 0.0 < stops[0].t_device_s / K - 5.03 <= 0.1 + 1e-9
    bench.advance(3.0)
    assert peak(bench, 5.13, 8.13) == 0.0
    assert bench.supply_current(2) == pytest.approx(0.303)
    bench.set_supply(2, 5.0, 1.0, False)
    bench.advance(0.2)
    assert bench.device.status().state == "treating"  # resumes, with the soft ramp
    assert [e.kind for e in bench.device.events()][-1] == "resume"


def test_charger_below_4_5_v_is_not_a_charger() -> None:
    bench = treating_bench()
    bench.set_supply(2, 4.4, 1.0, True)
    bench.advance(1.0)
    assert bench.device.status().state == "treating"
    assert bench.supply_current(2) == 0.0


def test_power_on_while_on_charger_starts_charging_not_treating() -> None:
    bench = SimBench()
    bench.set_supply(1, 3.8, 1.0, True)
    bench.set_supply(2, 5.0, 1.0, True)
    bench.set_load(500.0)
    bench.device.power_on()
    bench.advance(2.0)
    assert bench.device.status().state == "charging"
    assert peak(bench, 0.0, 2.0) == 0.0


def _ramp(bench: SimBench, start_mv: int, stop_mv: int, step_mv: int) -> None:
    for mv in range(start_mv, stop_mv, step_mv):
        bench.set_supply(1, mv / 1000.0, 1.0, True)
        bench.advance(1.0)


def test_low_battery_warning_cutoff_and_hysteresis_on_a_ramp() -> None:
    bench = treating_bench(battery_v=3.60)
    _ramp(bench, 3600, 3290, -10)  # 10 mV/s down to 3.30 V
    lowbatt = [e for e in bench.device.events() if e.kind == "lowbatt"]
    assert [e.detail for e in lowbatt] == ["warning 3500 mV", "cutoff 3300 mV"]
    status = bench.device.status()
    assert status.state == "lowbatt" and status.lowbatt_warning
    now = bench.clock.now()
    assert peak(bench, now - 0.8, now) == 0.0
    _ramp(bench, 3310, 3510, 10)  # back up: restart only at 3.50 V
    states = bench.device.status().state
    details = [e.detail for e in bench.device.events() if e.kind == "lowbatt"]
    assert details[-1] == "recovered 3500 mV"
    assert states == "treating"


def test_low_battery_restart_needs_3_5_v_not_3_31() -> None:
    bench = treating_bench(battery_v=3.30)
    bench.advance(1.0)
    assert bench.device.status().state == "lowbatt"
    bench.set_supply(1, 3.45, 1.0, True)
    bench.advance(1.0)
    assert bench.device.status().state == "lowbatt"
    bench.set_supply(1, 3.50, 1.0, True)
    bench.advance(1.0)
    assert bench.device.status().state == "treating"


def test_dead_battery_switches_off_and_unit_goes_silent() -> None:
    bench = treating_bench()
    bench.set_supply(1, 2.9, 1.0, True)
    assert bench.device.status().state == "off"
    assert not bench.device.has_power
    with pytest.raises(ValueError, match="no power"):
        bench.device.power_on()
    bench.set_supply(1, 3.8, 1.0, False)
    assert bench.supply_current(1) == 0.0


def test_supply_current_follows_state() -> None:
    bench = SimBench()
    bench.set_supply(1, 3.8, 1.0, True)
    assert bench.supply_current(1) == pytest.approx(2e-6)
    bench.set_load(R10K)
    bench.device.power_on()
    bench.device.set_level(5)
    bench.advance(3.0)
    treating = bench.supply_current(1)
    output_power = 0.5 * 400e-6 * 12.0 / 0.8 / 3.8
    assert treating == pytest.approx(12e-3 + output_power, rel=1e-3)
    bench.set_load(None)
    bench.advance(1.0)
    assert bench.supply_current(1) == pytest.approx(8e-3)
    bench.set_supply(1, 3.8, 0.005, True)
    assert bench.supply_current(1) == pytest.approx(0.005)


def test_supply_voltage_history_is_exact() -> None:
    bench = SimBench()
    bench.advance(1.0)
    bench.set_supply(2, 5.0, 1.0, True)
    bench.advance(1.0)
    bench.set_supply(2, 5.0, 1.0, False)
    v = bench.supply_voltage(2, np.array([0.5, 1.0, 1.5, 2.0, 2.5]))
    assert v.tolist() == [0.0, 5.0, 5.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        bench.supply_voltage(4, np.array([0.0]))
