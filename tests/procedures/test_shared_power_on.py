"""Joining a shared power-on only while it holds, on the simulated bench.

Each refusal here is a case where joining would have measured something other than
what the test's requirement asks (another battery, the load open, a unit off, a
session older than a member may see, a guest that would not be done in its span), so
the test must start a treatment of its own, and the record must say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness.bench.station import Bench, open_bench
from harness.data import BENCHES, SPECS
from harness.definitions.bench_file import load_bench
from harness.judging.spec import load_spec
from harness.procedures.activity import unit_is_on
from harness.procedures.shared_power_on import (
    PowerOnShare,
    SharedPowerOn,
    SharedSessionEnded,
)
from harness.procedures.treatment import Conditions, conditions_for, set_battery

MEMBERS = ("TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF")


@pytest.fixture(params=["sim.yaml", "sim-rmd2-relay.yaml"])
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    opened = open_bench(load_bench(BENCHES / request.param), faults=[])
    try:
        yield opened
    finally:
        opened.safe_state()
        opened.close()


@pytest.fixture
def rmd1() -> Iterator[Bench]:
    opened = open_bench(load_bench(BENCHES / "sim.yaml"), faults=["session_s=60"])
    try:
        yield opened
    finally:
        opened.safe_state()
        opened.close()


@contextmanager
def rmd1_bench(*faults: str) -> Iterator[Bench]:
    """A simulated RMD-1 bench with ``faults``, left safe and closed."""
    opened = open_bench(load_bench(BENCHES / "sim.yaml"), faults=list(faults))
    try:
        yield opened
    finally:
        opened.safe_state()
        opened.close()


def conditions(bench: Bench) -> Conditions:
    spec = load_spec(SPECS / ("rmd1.yaml" if bench.has_port else "rmd2.yaml"))
    return conditions_for(spec, spec.requirement("TIM-SESSION"))


def window() -> SharedPowerOn:
    return SharedPowerOn("w", MEMBERS, guest_until_s=200.0)


def test_members_and_guests_join_the_running_treatment_and_say_so(bench: Bench) -> None:
    w, c = window(), conditions(bench)
    first = PowerOnShare(w, ("TIM-BEEP",)).start(bench, c, settle_s=0.0)
    bench.clock.sleep(16.0)
    guest = PowerOnShare(w, ("OUT-AMP-L1",), guest_s=5.0)
    guest_start = guest.start(bench, c.but(level=1))
    # without a port the guest is refused and its own power-on becomes the shared one
    shared = first if bench.has_port else guest_start
    session = PowerOnShare(w, ("TIM-SESSION",))
    assert session.start(bench, c, settle_s=0.0, within_s=230.0) == shared
    autooff = PowerOnShare(w, ("TIM-AUTOOFF",))
    assert autooff.start(bench, c, settle_s=0.0, keep_level=True) == shared
    opener = PowerOnShare(w, ("TIM-BEEP",), joined=True).record()
    if bench.has_port:  # a guest sets its level over the port
        assert opener == {"power_on": "opened for TIM-SESSION, TIM-AUTOOFF"}
        assert guest_start > first and guest.joined
        assert guest.record()["power_on"].startswith("guest on the power-on of TIM-BEEP")
        assert bench.dut.status().level == 3  # the session applied its own level again
        assert session.record() == {"power_on": "shared with TIM-BEEP and 1 guest test"}
    else:  # refused: it started its own treatment, which the timers then shared
        assert opener == {"power_on": "own"}
        # TIM-BEEP was timed on the power-on before: the guest's is not opened for it
        assert guest.record() == {"power_on": "opened for TIM-SESSION, TIM-AUTOOFF"}
        assert session.record() == {"power_on": "shared with 1 guest test"}
    assert autooff.record()["power_on"].startswith("shared with")


@pytest.mark.parametrize(
    ("kwargs", "change", "guest_s"),
    [
        ({}, {"battery_v": 3.6}, None),  # another battery
        ({}, {"load_ohms": None}, None),  # the load open: the session would pause
        ({"within_s": 0.5}, {}, None),  # the session older than the member may see
        ({}, {}, 190.0),  # a guest that would not be done within the guests' span
    ],
)
def test_a_test_starts_its_own_treatment_when_joining_would_change_what_it_measures(
    bench: Bench, kwargs: dict[str, float], change: dict[str, object], guest_s: float | None
) -> None:
    w, c = window(), conditions(bench)
    first = PowerOnShare(w, ("TIM-BEEP",)).start(bench, c, settle_s=0.0)
    bench.clock.sleep(20.0)
    late = PowerOnShare(w, ("X",), guest_s=guest_s)
    again = late.start(bench, c.but(**change), settle_s=0.0, **kwargs)
    assert again > first
    assert late.record()["power_on"].startswith("opened for")  # its own, now the window's


def test_a_unit_that_went_off_or_a_closed_window_is_not_joined(bench: Bench) -> None:
    w, c = window(), conditions(bench)
    first = PowerOnShare(w, ("TIM-BEEP",)).start(bench, c, settle_s=0.0)
    bench.supply.enable(1, False)  # the battery gone: the unit is off
    bench.clock.sleep(1.0)
    assert not unit_is_on(bench)
    second = PowerOnShare(w, ("TIM-SESSION",)).start(bench, c, settle_s=0.0)
    assert second > first and unit_is_on(bench)
    w.close("a test outside the window ran")
    third = PowerOnShare(w, ("TIM-AUTOOFF",))
    assert third.start(bench, c, settle_s=0.0, keep_level=True) > second


def test_alone_every_start_is_a_power_on_of_its_own(bench: Bench) -> None:
    alone, c = SharedPowerOn("own"), conditions(bench)
    first = PowerOnShare(alone, ("TIM-BEEP",)).start(bench, c, settle_s=0.0)
    bench.clock.sleep(1.0)
    share = PowerOnShare(alone, ("TIM-SESSION",))
    assert share.start(bench, c, settle_s=0.0) > first
    assert share.record() == {"power_on": "own"}


def test_a_guest_whose_session_ended_may_record_nothing_more(rmd1: Bench) -> None:
    w, c = window(), conditions(rmd1)
    PowerOnShare(w, ("TIM-BEEP",)).start(rmd1, c, settle_s=0.0)
    guest = PowerOnShare(w, ("OUT-AMP-L1",), guest_s=5.0)
    guest.start(rmd1, c.but(level=1))
    guest.check_still_treating(rmd1)  # treating: nothing raised
    rmd1.clock.sleep(70.0)  # this unit's session is 60 s
    with pytest.raises(SharedSessionEnded, match="stopped treating"):
        guest.check_still_treating(rmd1)
    assert w.broken is not None and not w.open


@pytest.mark.parametrize("leftover", ["none", "boosted", "battery"])
def test_a_guest_that_leaves_the_unit_changed_closes_the_window(leftover: str) -> None:
    """OUT-BOOST and OUT-LINE are guests: a boost still running, or a battery not back
    at the shared voltage, would change every later guest's output, so leaving them
    closes the window (and nothing else does)."""
    with rmd1_bench() as opened:
        w, c = window(), conditions(opened)
        PowerOnShare(w, ("TIM-BEEP",)).start(opened, c, settle_s=0.0)
        guest = PowerOnShare(w, ("OUT-BOOST",), guest_s=5.0)
        guest.start(opened, c)
        if leftover == "boosted":
            opened.dut.boost()
        elif leftover == "battery":
            set_battery(opened, c.battery_v - 0.3)
        guest.leave(opened)
        assert w.open is (leftover == "none"), w.broken
        if leftover != "none":
            assert w.broken is not None and "OUT-BOOST" in w.broken


def _suspensions(bench: Bench) -> list[tuple[float, float]]:
    """(suspended, resumed) on the bench clock, from the simulated firmware's own log:
    the truth the pause records are held to (the device clock is 20 ppm fast)."""
    events = [e for e in bench.sim._firmware.log.since(0) if e.kind in ("suspend", "resume")]
    k = 1.0 + bench.sim._firmware.faults.clock_error
    out, start = [], None
    for e in events:
        if e.kind == "suspend":
            start = e.t_device_s / k
        elif start is not None:
            out.append((start, e.t_device_s / k))
            start = None
    return out


def test_a_guest_lift_off_is_a_pause_on_record_and_not_treatment_time() -> None:
    """A guest that lifts the spheres pauses the shared session's timer: its pause is
    recorded (suspension bracket to contact again) within its bracket of the firmware's
    own suspend/resume, and it does not count as treatment time for later joins."""
    with rmd1_bench() as opened:
        w, c = window(), conditions(opened)
        PowerOnShare(w, ("TIM-BEEP",)).start(opened, c, settle_s=0.0)
        guest = PowerOnShare(w, ("WAV-DC",), guest_s=5.0)
        guest.start(opened, c)
        t_a = opened.clock.now()
        treated_a = w.treatment_s(t_a)
        suspended = guest.lift_off(opened, period_s=0.1)
        assert suspended is not None
        guest.check_still_treating(opened)  # suspended by its own lift-off: still a session
        opened.clock.sleep(3.0)
        guest.put_back(opened, c, settle_s=0.0)
        t_b = opened.clock.now()
        [pause] = w.pauses
        (truth_start, truth_end) = _suspensions(opened)[-1]
        assert pause.by == "WAV-DC"
        assert abs(pause.suspended.estimate - truth_start) <= pause.suspended.half_width
        assert pause.back == pytest.approx(truth_end, abs=1e-3)
        assert pause.seconds == pytest.approx(truth_end - truth_start, abs=0.11)
        # the time off the skin is not treatment time: only the lift-off's delay is
        treated = w.treatment_s(t_b) - treated_a
        assert treated == pytest.approx(truth_start - t_a, abs=0.11)
        assert treated < 0.5 < t_b - t_a - 3.0 + 0.5
        assert w.open


def test_a_lift_off_that_did_not_suspend_closes_the_window() -> None:
    """A unit that does not see the contact lost (no contact detection) keeps treating:
    nobody knows whether its timer paused, so the window closes and TIM-SESSION times a
    session of its own; no pause is recorded."""
    with rmd1_bench("contact_detect=off") as opened:
        w, c = window(), conditions(opened)
        PowerOnShare(w, ("TIM-BEEP",)).start(opened, c, settle_s=0.0)
        guest = PowerOnShare(w, ("WAV-DC",), guest_s=5.0)
        guest.start(opened, c)
        assert guest.lift_off(opened, period_s=0.1) is None
        guest.put_back(opened, c, settle_s=0.0)
        assert w.pauses == [] and not w.open
        assert w.broken is not None and "no suspension" in w.broken
