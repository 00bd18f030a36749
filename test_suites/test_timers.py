"""Timers: relocate beeps, the session, auto-off and idle-off, on the bench clock.

Every time here is read off an instrument: the buzzer-enable test point on scope
channel 2 (beeps), pulses across the load (session end), the battery supply's current
(power-off). On the simulated bench the clock is virtual, so the 20-minute auto-off
check costs seconds; on a real bench the waits report their progress.

The beeps, the session and the auto-off share one power-on unless ``--sequential``
(``shares_power_on``, ``harness.plugin.test_plan``): the auto-off's own treatment is a
session, whose first seconds hold the beeps, and whose next two thirds host guest tests
of other requirements before the lift-off. ``bench_time`` is what each test is
expected to take on the bench, for the plan's estimate.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.bench.station import Bench
from harness.dut import testport
from harness.judging.spec import Spec
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.activity import unit_is_on
from harness.procedures.capture import BUZZER_CHANNEL, capture_channel, keep, timing_budget
from harness.procedures.session_timer import BEFORE_LIFT_S, poll_budget, time_session
from harness.procedures.shared_power_on import PowerOnShare
from harness.procedures.treatment import conditions_for
from harness.procedures.unit_control import power_cycle
from harness.procedures.waiting import Pace, fine_from_lower_limit, poll_until
from harness.recording.captures import CaptureArchive

BUZZER_HIGH_V = 1.65
RELOCATE_BEEP_S = (0.07, 0.15)
"""Length of a relocate beep (100 ms) with room for a crystal off by tens of percent."""
GUEST_OVERRUN_S = 30.0
"""How far past their span the guests of a shared session may run before the session's
own lift-off no longer joins it (it then times a session of its own)."""


@pytest.mark.requirement("TIM-BEEP")
@pytest.mark.shares_power_on("auto-off")
@pytest.mark.bench_time(17)
def test_relocate_beep_interval(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    shared_unit: PowerOnShare,
    captures: CaptureArchive,
) -> None:
    req = spec.requirement("TIM-BEEP")
    c = conditions_for(spec, req)
    # the beeps from the session's start: a shared treatment only while it is that young
    contact = shared_unit.start(bench, c, settle_s=0.0, within_s=0.0)
    bench.clock.sleep(max(0.0, contact + 0.5 - bench.clock.now()))
    resolution = 1e-3
    wave = capture_channel(
        bench, BUZZER_CHANNEL, volts_per_div=1.0, duration_s=16.0, resolution_s=resolution
    )
    high = wave.volts > BUZZER_HIGH_V
    evidence = [keep(captures, "TIM-BEEP-buzzer", wave)]
    rising = np.flatnonzero(~high[:-1] & high[1:]) + 1
    falling = np.flatnonzero(high[:-1] & ~high[1:]) + 1
    # only relocate beeps count: a single ~100 ms beep, not the power-off tone (300 ms)
    # or the low-battery pair (50 ms each) that may also sound in the record
    lengths = np.array(
        [(falling[falling > r][0] - r) * wave.dt if (falling > r).any() else np.inf for r in rising]
    )
    rising = rising[(lengths > RELOCATE_BEEP_S[0]) & (lengths < RELOCATE_BEEP_S[1])]
    times = wave.t0 + wave.dt * rising
    intervals = np.diff(times)
    value = float(np.mean(intervals)) if intervals.size else None
    budget = timing_budget(value or 0.0, wave.dt)
    if intervals.size >= 2:
        budget.add_repeatability("interval spread", intervals.tolist())
    measure(
        "TIM-BEEP",
        value,
        "s",
        uncertainty=budget,
        instruments=["scope"],
        attachments=evidence,
        conditions={
            **c.as_record(),
            "beeps_seen": str(rising.size),
        },
    )


@pytest.mark.requirement("TIM-SESSION")
@pytest.mark.shares_power_on("auto-off", hosts_guests=True)
@pytest.mark.bench_time(322)
def test_session_length_pauses_while_contact_is_lost(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, shared_unit: PowerOnShare
) -> None:
    req = spec.requirement("TIM-SESSION")
    c = conditions_for(spec, req)
    # lifted off the skin for 20 s after 100 s (or once the guests of a shared session
    # are done): the session timer must stop meanwhile
    guests_done_s = shared_unit.window.guest_until_s + GUEST_OVERRUN_S
    contact = shared_unit.start(bench, c, settle_s=0.0, within_s=max(BEFORE_LIFT_S, guests_done_s))
    # guests that lifted the spheres paused this session's timer too: each pause is
    # subtracted, as the session's own is
    earlier = tuple(shared_unit.window.pauses) if shared_unit.joined else ()
    timing = time_session(bench, c, req.lower_limit, contact=contact, earlier=earlier)
    record = {
        **c.as_record(),
        "lift_off_at_s": f"{timing.lift_off - timing.contact:.1f}",
    }
    if earlier:
        record["guest_pauses"] = ", ".join(f"{p.by} {p.seconds:.2f} s" for p in earlier)
    if timing.seconds is None:
        if not timing.resumed:
            note = "no output after the return: the session had ended by the lift-off"
        elif timing.suspended is None:
            note = "no suspension after lift-off seen; the session timer cannot be shown to pause"
        else:
            note = "no session end seen; the session timer cannot be shown to pause"
        measure(
            "TIM-SESSION",
            None,
            "s",
            instruments=["scope", "switch"],
            conditions=record,
            note=note,
        )
        return
    measure(
        "TIM-SESSION",
        timing.seconds,
        "s",
        uncertainty=timing.budget,
        instruments=["scope", "switch"],
        conditions={**record, "pause_s": f"{timing.pause_s:.2f}"},
    )


def _measure_power_off(
    measure: MeasureForCurrentTest,
    bench: Bench,
    spec: Spec,
    rid: str,
    *,
    what: str,
    timeout_s: float,
    step_s: float,
    conditions: dict[str, str],
    since: float | None = None,
) -> None:
    """Time from ``since`` (default: now) until the battery supply shows the unit off
    (polled every step, and ten times as seldom until two coarse steps before the
    requirement's lower limit)."""
    coarse = 10.0 * step_s
    lower = spec.requirement(rid).lower_limit
    t_on = bench.clock.now() if since is None else since
    off = poll_until(
        bench.clock,
        lambda: not unit_is_on(bench),
        what=what,
        timeout_s=timeout_s,
        step_s=step_s,
        pace=Pace(step_s, coarse, fine_from_lower_limit(lower, 0.0, coarse), on_grid=True),
        since=t_on,
    )
    measure(
        rid,
        None if off is None else off.estimate - t_on,
        "s",
        uncertainty=poll_budget(*([off] if off else [])),
        instruments=["psu"],
        conditions=conditions,
        note="" if off else f"still on after {timeout_s:g} s",
    )


@pytest.mark.requirement("TIM-AUTOOFF")
@pytest.mark.shares_power_on("auto-off")
@pytest.mark.bench_time(1201)
def test_auto_off_after_twenty_minutes(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, shared_unit: PowerOnShare
) -> None:
    c = conditions_for(spec, spec.requirement("TIM-AUTOOFF"))
    # counted from power-on whatever the unit does: any treatment at its load will do
    contact = shared_unit.start(bench, c, settle_s=0.0, keep_level=True)
    _measure_power_off(
        measure,
        bench,
        spec,
        "TIM-AUTOOFF",
        what="auto power-off",
        timeout_s=1500.0,
        step_s=2.0,
        conditions={
            **c.as_record(),
            "user_action": "none",
        },
        since=contact,
    )


@pytest.mark.requirement("TIM-IDLE-OFF")
@pytest.mark.bench_time(121)
def test_idle_off_when_never_touched(
    measure: MeasureForCurrentTest, bench: Bench, spec: Spec, fresh_unit: testport.TestPort
) -> None:
    c = conditions_for(spec, spec.requirement("TIM-IDLE-OFF"))
    bench.select_load(None)
    power_cycle(bench)  # over the port, or POWER pressed twice, each press confirmed
    _measure_power_off(
        measure,
        bench,
        spec,
        "TIM-IDLE-OFF",
        what="idle power-off",
        timeout_s=300.0,
        step_s=0.5,
        conditions={**c.as_record(), "load": "open"},
    )
