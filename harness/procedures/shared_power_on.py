"""One power-on shared by the timers that can be timed on it, and by guests meanwhile.

Why: the auto-off (TIM-AUTOOFF, 20 minutes on RMD-1) counts from power-on whatever the
unit does, and timed on its own it leaves the bench waiting for 20 minutes. Its own
procedure already starts a treatment at power-on, and that treatment is a whole session:
the relocate beeps of the session's first seconds (TIM-BEEP) and the session timer
itself (TIM-SESSION, whose lift-off and return come once the guests are done) are
measured on that same power-on, by their own procedures. Meanwhile, before the lift-off,
*guests* use the running treatment: tests that need stimulation at some level,
frequency and load and leave nothing behind but those settings (each guest sets its own
anew), keep contact (every load they use is one the unit takes for skin) and need
neither the charger nor a fresh power-on. A guest may press BOOST (OUT-BOOST) or move
the battery within its working range (OUT-LINE) if it undoes it: the boost must have
ended and the battery be back when it leaves, which is checked (``leave``). A guest may
also lift the spheres (``lift_off`` … ``put_back``): the unit suspends and its session
timer pauses, so the pause is timed (suspension polled, contact again at the relay's
instant) and goes on record for TIM-SESSION, which subtracts it as it does its own;
the guests' span is counted in treatment time, without those pauses. A lift-off whose
suspension was not seen closes the window (the timer may or may not have paused).

A test *joins* the shared treatment only if it still holds, which is checked, not
assumed:

- the unit is on the same boot (its test port's status raises on a restart) and, for
  a guest or a member that needs stimulation, still treating;
- no test outside the window ran in between (the plan closes the window);
- the battery is the one the treatment was started with;
- the member needs the session no further along than it is (``within_s``), and a guest
  fits in what is left of the guests' span (``guest_until_s``, from its expected bench
  time).

On joining, the test's level, frequency and load are applied as ``start_treatment``
applies them, without the power cycle, and it settles as it would. Otherwise it starts
a treatment of its own exactly as it would alone; a guest or member that does so makes
its power-on the shared one from then on (a fresh power-on, a fresh session). And a
guest's every measurement is taken only while the session still runs
(``check_still_treating``, called before each is recorded): a session that ended early
(a faulty unit) ends the guest's attempt with ``SharedSessionEnded``, and the plan runs
its body again on a power-on of its own. So a window that breaks costs time, never a
verdict. The record says which (``power_on`` in each measurement's conditions).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from harness.bench.station import Bench
from harness.errors import DeviceCommError
from harness.procedures.activity import ACTIVITY_WINDOW_S, unit_is_on
from harness.procedures.conditions import Conditions
from harness.procedures.session_timer import SessionPause, paused_s, suspended_after_lift_off
from harness.procedures.treatment import (
    BATTERY_CHANNEL,
    SOFT_START_SETTLE_S,
    set_battery,
    set_operating_point,
    start_treatment,
)
from harness.procedures.waiting import WaitResult

log = logging.getLogger(__name__)

BATTERY_TOLERANCE_V = 0.02
"""How far the battery supply may read from the shared treatment's voltage after a guest
(a supply's setting and read-back accuracy are a few millivolts)."""

JOIN_SETTLE_S = 0.5
"""Settle after a join's new level, frequency or load: the contact is kept, so there is
no soft start to wait for, only the next pulses at the new setting (two periods at the
slowest frequency, 4 Hz; an overshoot decays in milliseconds). A test that asks for a
settle other than the soft start's keeps its own."""

OWN = "own"
"""``power_on`` of a measurement made on a power-on of its own (the sequential order)."""


class SharedSessionEnded(RuntimeError):
    """The shared session stopped treating while a guest was measuring on it."""


@dataclass
class SharedPowerOn:
    """The power-on a window's tests share, and who has used it.

    ``members`` are the requirement ids of the timers timed on it, in plan order; an
    empty tuple is a window of one (``--sequential``, or one member selected): every
    ``start`` then powers the unit on afresh, as the sequential order does.
    ``guest_until_s``: treatment time (from contact) by which the guests must be done.
    """

    name: str
    members: tuple[str, ...] = ()
    guest_until_s: float = 0.0
    contact: float | None = None
    """Bench time the shared treatment started (the load connected), or None."""
    battery_v: float | None = None
    joined: list[str] = field(default_factory=list)
    broken: str | None = None
    """Why the power-on can no longer be shared, once it cannot."""
    pauses: list[SessionPause] = field(default_factory=list)
    """The session's pauses made by guests, in order."""
    started: list[str] = field(default_factory=list)
    """The members (timers) that have started, on this power-on or an earlier one."""

    def treatment_s(self, now: float) -> float:
        """Treatment time since contact: bench time less the guests' pauses."""
        assert self.contact is not None
        return now - self.contact - paused_s(self.pauses)

    @property
    def shared(self) -> bool:
        return len(self.members) > 1

    @property
    def open(self) -> bool:
        return self.shared and self.contact is not None and self.broken is None

    def close(self, why: str) -> None:
        """No later test may join (a test outside the window ran, one failed, ...)."""
        if self.broken is None and self.contact is not None:
            self.broken = why
            log.info("the shared power-on %r is closed: %s", self.name, why)


@dataclass
class PowerOnShare:
    """One test's use of a window: what it asks of the shared treatment, and its record.

    ``guest_s``: for a guest, the bench time it is expected to take (None: a member).
    """

    window: SharedPowerOn
    requirements: tuple[str, ...]
    guest_s: float | None = None
    joined: bool = False
    lifted: bool = field(default=False, repr=False)
    suspended: WaitResult | None = field(default=None, repr=False)
    """Between ``lift_off`` and ``put_back``: the suspension seen, if it was."""

    @property
    def name(self) -> str:
        return ", ".join(self.requirements)

    def start(
        self,
        bench: Bench,
        conditions: Conditions,
        *,
        settle_s: float = SOFT_START_SETTLE_S,
        within_s: float | None = None,
        keep_level: bool = False,
    ) -> float:
        """The bench time of contact of the treatment this test measures on.

        Joins the shared treatment when it holds for this test (module docstring) and
        applies the test's settings; otherwise starts one (``start_treatment``), which in
        a window becomes the shared one. ``within_s``: the test must begin no later than
        this many seconds after contact (None: any time). ``keep_level``: a test whose
        requirement fixes no level or frequency (an auto-off) leaves them as they are.
        """
        if self.guest_s is None:  # a timer starts: a later opener no longer names it
            self.window.started.extend(r for r in self.requirements if r not in self.window.started)
        why_not = self._why_not_join(bench, conditions, within_s)
        w = self.window
        if why_not is None:
            assert w.contact is not None
            if not keep_level or self.guest_s is not None:
                set_battery(bench, conditions.battery_v)
                settle = JOIN_SETTLE_S if settle_s == SOFT_START_SETTLE_S else settle_s
                set_operating_point(bench, conditions, settle)
            self.joined = True
            if self.name not in w.joined:
                w.joined.append(self.name)
            log.info("%s joins the shared power-on %r", self.name, w.name)
            return w.contact if self.guest_s is None else bench.clock.now()
        if w.open:
            log.info("%s starts its own treatment: %s", self.name, why_not)
        contact = start_treatment(bench, conditions, settle_s=settle_s)
        self.joined = False
        if w.shared:
            w.contact, w.battery_v, w.broken = contact, conditions.battery_v, None
            w.joined, w.pauses = [self.name], []
            self.joined = True
        return contact

    def lift_off(
        self, bench: Bench, lifted_ohms: float | None = None, *, period_s: float | None = None
    ) -> WaitResult | None:
        """Lift the spheres (the load to ``lifted_ohms``, open by default) and poll until
        the output is suspended; None if it was not seen to be (within 5 s). With the
        pulse period (``period_s``), each poll is a record of one period, so the pause's
        start is dated to about that (a quarter-second record dates it ~0.1 s late)."""
        window = period_s or ACTIVITY_WINDOW_S
        self.lifted_off(suspended_after_lift_off(bench, lifted_ohms, window_s=window))
        return self.suspended

    def lifted_off(self, suspended: WaitResult | None) -> None:
        """The test lifted the spheres itself and timed the suspension (on the bench
        clock: ``suspension_since``), or did not see it (None)."""
        self.lifted, self.suspended = True, suspended

    def suspension_since(
        self,
        bench: Bench,
        lifted_at: float,
        lifted_ohms: float | None = None,
        *,
        period_s: float | None = None,
    ) -> WaitResult | None:
        """After a lift-off to ``lifted_ohms`` the test made at ``lifted_at`` (bench
        time) and recorded its own way: poll until the output is suspended. If the first
        record already sees it suspended, the suspension lies between the lift-off and
        that record's end, so the bracket starts at the lift-off."""
        window = period_s or ACTIVITY_WINDOW_S
        seen = suspended_after_lift_off(bench, lifted_ohms, window_s=window)
        if seen is None or seen.polls > 1:
            return seen
        return WaitResult(lifted_at, seen.at, seen.polls, seen.seen_from)

    def contact_again_at(self, back: float) -> None:
        """Contact was made again at ``back`` (bench time) after a lift-off. On a shared
        session the pause goes on record for TIM-SESSION; a lift-off whose suspension was
        not seen closes the window instead: the session timer may or may not have
        paused, and by how much nobody knows."""
        lifted, suspended = self.lifted, self.suspended
        self.lifted, self.suspended = False, None
        w = self.window
        if lifted and self.joined and w.open:
            if suspended is None:
                w.close(f"{self.name} lifted off and no suspension was seen")
            else:
                w.pauses.append(SessionPause(self.name, suspended, back))

    def put_back(
        self, bench: Bench, conditions: Conditions, settle_s: float = SOFT_START_SETTLE_S
    ) -> float:
        """Contact again after a lift-off (the load of ``conditions``), then settle past
        the soft restart (``contact_again_at``); the bench time of contact."""
        bench.select_load(conditions.load_ohms)
        back = bench.clock.now()
        self.contact_again_at(back)
        if settle_s > 0:
            bench.clock.sleep(settle_s)
        return back

    def check_still_treating(self, bench: Bench) -> None:
        """Before a guest's measurement is recorded: the shared session still runs (the
        guest's own lift-off suspends it, which pauses the session timer: no end)."""
        if self.guest_s is None or not self.joined:  # joined only ever in a window
            return
        state = _state(bench)
        if state != "treating" and not (self.lifted and state == "suspended"):
            self.window.close(f"the session stopped treating during {self.name} ({state})")
            raise SharedSessionEnded(
                f"{self.name}: the shared session stopped treating ({state}) before the "
                "measurement was recorded"
            )

    def leave(self, bench: Bench) -> None:
        """After a guest's body: the unit as the next guest expects it, or the window
        closes. A guest may press BOOST or move the battery (OUT-BOOST, OUT-LINE); a unit
        still boosted, or a battery not back at the shared treatment's voltage, would
        change every later guest's output, so those then start treatments of their own."""
        w = self.window
        if self.guest_s is None or not self.joined or not w.open or w.battery_v is None:
            return
        try:
            boosted = bench.dut.status().boost
        except DeviceCommError as error:
            w.close(f"the unit did not answer after {self.name}: {error}")
            return
        volts = bench.supply.measure_voltage(BATTERY_CHANNEL)
        if boosted:
            w.close(f"the unit is still boosted after {self.name}")
        elif abs(volts - w.battery_v) > BATTERY_TOLERANCE_V:
            w.close(f"the battery reads {volts:.3f} V after {self.name}, not {w.battery_v:g} V")

    def record(self) -> dict[str, str]:
        """``power_on`` for the measurement's conditions, as known when it is taken: the
        test that opened a shared power-on names the timers it was opened for; a guest
        names the timers whose power-on it used; a later timer names the timers and how
        many guests used it before; else ``own`` (``test_plan.json`` has every span)."""
        w = self.window
        if not self.joined or self.name not in w.joined:  # joined only ever in a window
            return {"power_on": OWN}
        before = w.joined[: w.joined.index(self.name)]
        # the timers of this power-on: those that used it, and those yet to start (a
        # power-on a guest opened again is not the one the timers before it used)
        timers_on = [r for r in w.members if r in w.joined or r not in w.started]
        if not before:
            after = [r for r in timers_on if r not in self.requirements]
            return {"power_on": "opened for " + ", ".join(after) if after else OWN}
        if self.guest_s is not None:
            return {"power_on": "guest on the power-on of " + ", ".join(timers_on)}
        timers = [r for r in before if r in w.members]
        guests = len(before) - len(timers)
        plural = "" if guests == 1 else "s"
        with_guests = f"{guests} guest test{plural}" if guests else ""
        said = " and ".join(part for part in (", ".join(timers), with_guests) if part)
        return {"power_on": "shared with " + said}

    def _why_not_join(
        self, bench: Bench, conditions: Conditions, within_s: float | None
    ) -> str | None:
        w = self.window
        if not w.shared:
            return "not in a window"
        if w.contact is None:
            return "the first of the window"
        if w.broken is not None:
            return w.broken
        # a test starting again within its own body (once per level, say) on the
        # treatment it joined: its fit was judged at its first start
        again = self.joined and self.name in w.joined[-1:]
        if self.guest_s is not None and not bench.has_port:
            return "a guest sets its level over the test port"
        if w.battery_v != conditions.battery_v:
            return "its battery differs from the shared treatment's"
        if conditions.load_ohms is None:
            return "it needs the load open (the session would pause)"
        since = w.treatment_s(bench.clock.now())
        if within_s is not None and since > within_s:
            return f"it must begin within {within_s:g} s of contact"
        if self.guest_s is not None and not again and since + self.guest_s > w.guest_until_s:
            return f"it would not be done {w.guest_until_s:g} s of treatment after contact"
        state = _state(bench)
        if state == "off":
            return "the unit is off"
        needs_treatment = self.guest_s is not None or within_s is not None
        if needs_treatment and state not in ("treating", None):
            return f"the unit is not treating ({state})"
        return None


def _state(bench: Bench) -> str | None:
    """The unit's state: its port's (None for "on" without a port), or "off"."""
    if bench.has_port:
        try:
            return bench.dut.status().state
        except DeviceCommError as error:  # a restart (DeviceResetError) or a dead port
            log.info("the unit did not stay on: %s", error)
            return "off"
    return None if unit_is_on(bench) else "off"
