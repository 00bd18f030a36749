"""Every firmware timer fires at its exact virtual time (device seconds / (1 + error)).

How fast the model runs through a long session is measured by
`benchmarks/bench_sim_speed.py`, not here.
"""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R100K, R500, K, peak, treating_bench

from harness.sim.bench import SimBench

EPS = 1e-6


def _state_around(bench: SimBench, t: float) -> tuple[str, str]:
    bench.advance_to(t - EPS)
    before = bench.device.status().state
    bench.advance_to(t + EPS)
    return before, bench.device.status().state


def test_session_ends_after_300_s_of_treatment_then_auto_off() -> None:
    bench = treating_bench()
    assert _state_around(bench, 300.0 / K) == ("treating", "complete")
    status = bench.device.status()
    assert status.session_s == pytest.approx(300.0)
    assert peak(bench, 300.0 / K + 1e-6, 300.0 / K + 2.0) == 0.0
    done = [e for e in bench.device.events() if e.kind == "complete"]
    assert [e.t_device_s for e in done] == [pytest.approx(300.0, abs=1e-9)]
    assert bench.supply_current(1) == pytest.approx(8e-3)
    assert _state_around(bench, 1200.0 / K) == ("complete", "off")
    assert bench.supply_current(1) == pytest.approx(2e-6)


def test_relocate_beep_every_five_seconds_of_treatment() -> None:
    bench = treating_bench()
    bench.advance_to(16.0)
    for n in (1, 2, 3):
        t = 5.0 * n / K
        v = bench.buzzer_voltage(np.array([t - EPS, t + EPS, t + 0.1 / K - EPS, t + 0.1 / K + EPS]))
        assert list(v) == [0.0, 3.3, 3.3, 0.0]
    assert bench.buzzer_voltage(np.array([2.5, 7.5, 12.5])).tolist() == [0.0, 0.0, 0.0]
    beeps = [e.t_device_s for e in bench.device.events() if e.kind == "beep"]
    assert beeps == pytest.approx([5.0, 10.0, 15.0])


def test_session_timer_and_beeps_pause_while_suspended() -> None:
    bench = treating_bench()
    bench.advance_to(3.0)
    bench.set_load(None)
    lost = 3.0 + 0.2 / K
    assert _state_around(bench, lost) == ("treating", "suspended")
    bench.advance_to(40.0)
    assert bench.device.status().session_s == pytest.approx(lost * K, abs=1e-9)
    assert bench.buzzer_voltage(np.array([5.0 / K + 0.05])).tolist() == [0.0]
    bench.set_load(R500)  # recontact at 40 s: restarts with the soft ramp
    assert bench.device.status().state == "treating"
    resumed_beep = 40.0 + (5.0 - lost * K) / K
    bench.advance_to(resumed_beep + 0.05)
    assert bench.buzzer_voltage(np.array([resumed_beep + 0.05])).tolist() == [3.3]
    ramp = bench.load_current(np.array([40.0 + 0.025 / K, 40.0 + 0.625 / K + 0.025 / K]))
    assert ramp[0] == pytest.approx(400e-6 * 0.025 / 1.25, rel=1e-3)
    assert ramp[1] == pytest.approx(400e-6 * 0.65 / 1.25, rel=1e-3)
    assert _state_around(bench, 40.0 + (300.0 - lost * K) / K) == ("treating", "complete")


def test_contact_hysteresis_between_30k_and_50k_keeps_state() -> None:
    bench = treating_bench()
    bench.set_load(40_000.0)
    bench.advance(5.0)
    assert bench.device.status().state == "treating"
    idle = SimBench()
    idle.set_supply(1, 3.8, 1.0, True)
    idle.set_load(40_000.0)
    idle.device.power_on()
    idle.advance(5.0)
    assert idle.device.status().state == "standby"
    idle.set_load(29_000.0)
    assert idle.device.status().state == "treating"


def test_brief_open_shorter_than_200_ms_does_not_suspend() -> None:
    bench = treating_bench()
    bench.advance_to(3.0)
    bench.set_load(R100K)
    bench.advance(0.15)
    bench.set_load(R500)
    bench.advance(1.0)
    assert bench.device.status().state == "treating"
    assert not [e for e in bench.device.events() if e.kind == "suspend"]


def test_idle_off_after_120_s_when_never_touched() -> None:
    bench = SimBench()
    bench.set_supply(1, 3.8, 1.0, True)
    bench.device.power_on()
    assert bench.device.status().state == "standby"
    assert _state_around(bench, 120.0 / K) == ("standby", "off")
    offs = [e for e in bench.device.events() if e.kind == "power" and e.detail == "idle-off"]
    assert [e.t_device_s for e in offs] == [pytest.approx(120.0, abs=1e-9)]
    # a power-off beep pattern sounds as it switches off
    assert bench.buzzer_voltage(np.array([120.0 / K + 0.1])).tolist() == [3.3]


def test_no_idle_off_once_touched() -> None:
    bench = treating_bench()
    bench.advance_to(1.0)
    bench.set_load(None)
    bench.advance_to(200.0)
    assert bench.device.status().state == "suspended"


def test_twenty_minute_auto_off_run_in_one_second_steps() -> None:
    bench = treating_bench()
    states = []
    for _ in range(1210):
        bench.advance(1.0)
        states.append(bench.device.status().state)
        bench.supply_current(1)
    assert states[1198] == "complete" and states[1200] == "off"
    assert bench.supply_current(1) == pytest.approx(2e-6)


def test_on_time_counts_device_seconds() -> None:
    bench = treating_bench()
    bench.advance_to(100.0)
    assert bench.device.status().on_time_s == pytest.approx(100.0 * K, abs=1e-9)
