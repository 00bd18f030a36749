"""Joining a shared power-on only while it holds, on the simulated bench.

Each refusal here is a case where joining would have measured something other than
what the member's requirement asks (another load, a unit restarted or off, a session
older than the member may see), so the member must start its own treatment, and the
record must say ``own``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.bench.station import Bench, open_bench
from harness.data import BENCHES, SPECS
from harness.definitions.bench_file import load_bench
from harness.judging.spec import load_spec
from harness.procedures.activity import unit_is_on
from harness.procedures.shared_power_on import SharedPowerOn
from harness.procedures.treatment import Conditions, conditions_for

MEMBERS = ("TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF")


@pytest.fixture(params=["sim.yaml", "sim-rmd2-relay.yaml"])
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    opened = open_bench(load_bench(BENCHES / request.param), faults=[])
    try:
        yield opened
    finally:
        opened.safe_state()
        opened.close()


def conditions(bench: Bench) -> Conditions:
    spec = load_spec(SPECS / ("rmd1.yaml" if bench.has_port else "rmd2.yaml"))
    return conditions_for(spec, spec.requirement("TIM-SESSION"))


def test_members_join_the_running_treatment_and_say_with_whom(bench: Bench) -> None:
    window = SharedPowerOn("w", MEMBERS)
    c = conditions(bench)
    first = window.start(bench, "TIM-BEEP", c)
    bench.clock.sleep(16.0)
    assert window.start(bench, "TIM-SESSION", c, within_s=50.0) == first
    bench.clock.sleep(300.0)
    assert window.start(bench, "TIM-AUTOOFF", c.but(level=1), names_level=False) == first
    assert window.record("TIM-BEEP") == {
        "power_on": "first of one shared with TIM-SESSION, TIM-AUTOOFF"
    }
    assert window.record("TIM-AUTOOFF") == {"power_on": "shared with TIM-BEEP, TIM-SESSION"}


def test_a_member_starts_its_own_treatment_when_joining_would_change_its_conditions(
    bench: Bench,
) -> None:
    c = conditions(bench)
    other_level = 2 if c.level == 1 else 1
    # another load, a level its requirement names, or a session older than it may see
    for kwargs, change in (
        ({}, {"load_ohms": 2000.0}),
        ({}, {"level": other_level}),
        ({"within_s": 0.5}, {}),
    ):
        window = SharedPowerOn("w", MEMBERS)
        first = window.start(bench, "TIM-BEEP", c)
        bench.clock.sleep(1.0)
        again = window.start(bench, "TIM-SESSION", c.but(**change), **kwargs)  # type: ignore[arg-type]
        assert again > first, (kwargs, change)
        assert window.record("TIM-SESSION") == {
            "power_on": "first of one shared with " + "TIM-BEEP, TIM-AUTOOFF"
        }


def test_a_unit_that_went_off_or_a_closed_window_is_not_joined(bench: Bench) -> None:
    window = SharedPowerOn("w", MEMBERS)
    c = conditions(bench)
    first = window.start(bench, "TIM-BEEP", c)
    bench.supply.enable(1, False)  # the battery gone: the unit is off
    bench.clock.sleep(1.0)
    assert not unit_is_on(bench)
    second = window.start(bench, "TIM-SESSION", c)
    assert second > first and unit_is_on(bench)
    window.close("a test outside the window ran")
    assert window.start(bench, "TIM-AUTOOFF", c, names_level=False) > second
    assert window.record("TIM-AUTOOFF")["power_on"].startswith("first of one")


def test_alone_every_start_is_a_power_on_of_its_own(bench: Bench) -> None:
    window = SharedPowerOn("own")
    c = conditions(bench)
    first = window.start(bench, "TIM-BEEP", c)
    bench.clock.sleep(1.0)
    assert window.start(bench, "TIM-SESSION", c) > first
    assert window.record("TIM-SESSION") == {"power_on": "own"}
