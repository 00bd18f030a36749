"""The session timer, timed from the output alone: treatment, lift-off, return, the end.

TIM-SESSION is the treatment time a unit gives before it stops by itself, and the timer
must pause while the spheres are off the skin (otherwise a unit lifted off and put back
ends early, and the user repeats the session: a double dose). The bench cannot ask the
unit, so it times it on the output: contact (the load connected), a lift-off of
``LIFT_OFF_S`` after ``BEFORE_LIFT_S`` (the load opened), the output seen suspended
(polled with back-to-back scope records), contact again, then the output seen to stop
for good (polled, finely only near the lower limit: ``waiting.Pace``).

The treatment length is then ``end - contact - pause``, where the pause runs from the
suspension (not the lift-off: the unit keeps treating through its contact-loss delay)
to the return. On a session shared with guests (``shared_power_on``), the guests that
lifted the spheres (the scope's zero, contact loss and return, the open-circuit
voltage) paused the timer too; each such pause, timed the same way, is subtracted as
well, and its suspension bracket joins the budget. Each of the two polled instants
carries its bracket
(``waiting.WaitResult``: from the start of the last observation that did not see the
change to the end of the first that did) into the budget as a rectangular term.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.bench.station import Bench
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.activity import ACTIVITY_WINDOW_S, output_active
from harness.procedures.treatment import Conditions, start_treatment
from harness.procedures.waiting import Pace, WaitResult, fine_from_lower_limit, poll_until

BEFORE_LIFT_S, LIFT_OFF_S = 100.0, 20.0
RESTART_S = 2.0
"""After contact again: past the soft restart, so a low envelope is not taken as "off"."""
SUSPEND_TIMEOUT_S = 5.0
OPEN_THRESHOLD_V, OPEN_FULL_SCALE_V = 1.0, 13.0
"""With the load open the spheres swing to the compliance voltage (RMD-1 ~12 V,
RMD-2 10 V) while pulsing: a volt is far above noise and far below either."""
END_STEP_S, END_COARSE_S, END_TIMEOUT_S = 1.0, 10.0, 600.0
PEAK_GUESS_A = 0.5e-3
"""The scale for "pulses or not" at the load: microcurrent ends at 1 mA, level 1 is
well above a quarter of half of that."""


def poll_budget(*brackets: WaitResult) -> UncertaintyBudget:
    """Each polled event is known to lie within its bracket (rectangular)."""
    budget = UncertaintyBudget()
    for i, bracket in enumerate(brackets):
        budget.add_rectangular(f"polling bracket {i + 1}", bracket.half_width)
    return budget


@dataclass(frozen=True)
class SessionPause:
    """A pause of a session's timer made by lifting the spheres, timed as the session's
    own lift-off is: from the output seen suspended (a polled bracket) to contact again
    (the relay's instant). ``by``: the test that made it (a guest of a shared session,
    ``shared_power_on``)."""

    by: str
    suspended: WaitResult
    back: float

    @property
    def seconds(self) -> float:
        return self.back - self.suspended.estimate


def paused_s(pauses: Iterable[SessionPause]) -> float:
    """How long these pauses held the session timer, in all."""
    return sum(p.seconds for p in pauses)


@dataclass(frozen=True)
class SessionTiming:
    """The instants of one session timing on the bench clock; None where not seen.

    ``earlier``: pauses other tests made in this session before its own lift-off.
    ``resumed``: whether the output came back after the return (if not, the session had
    ended by the lift-off, and there is no length to give)."""

    contact: float
    lift_off: float
    back: float
    suspended: WaitResult | None
    end: WaitResult | None
    earlier: tuple[SessionPause, ...] = ()
    resumed: bool = True

    @property
    def pause_s(self) -> float | None:
        """Every pause: the earlier ones and this timing's own (None if its own was not
        seen)."""
        if self.suspended is None:
            return None
        return self.back - self.suspended.estimate + paused_s(self.earlier)

    @property
    def seconds(self) -> float | None:
        """Treatment length: end - contact - pauses (None unless both were seen)."""
        if self.end is None or self.pause_s is None:
            return None
        return self.end.estimate - self.contact - self.pause_s

    @property
    def budget(self) -> UncertaintyBudget:
        seen = [b for b in (self.suspended, self.end) if b is not None]
        budget = poll_budget(*seen)
        if self.earlier:
            # the guests' suspensions are polled alike, so their errors share a sign (a
            # record that holds the stop still shows a pulse: each is dated late): their
            # brackets add up, as one term, rather than in quadrature
            budget.add_rectangular(
                "suspension brackets of the guests' lift-offs, added: "
                + ", ".join(p.by for p in self.earlier),
                sum(p.suspended.half_width for p in self.earlier),
            )
        return budget


def suspended_after_lift_off(
    bench: Bench, lifted_ohms: float | None = None, *, window_s: float = ACTIVITY_WINDOW_S
) -> WaitResult | None:
    """Lift off now (the load open, or ``lifted_ohms``: more than the unit takes for skin)
    and poll (back-to-back records of ``window_s``) until the output has stopped. Lifted,
    the pulses swing to the compliance voltage (or I x the lifted load, volts either
    way). The bracket is as wide as a record and its overhead: a caller that knows the
    pulse period passes a window of one period, so a pause it dates is off by less."""
    bench.select_load(lifted_ohms)
    return poll_until(
        bench.clock,
        lambda: (
            not output_active(
                bench,
                threshold_v=OPEN_THRESHOLD_V,
                full_scale_v=OPEN_FULL_SCALE_V,
                window_s=window_s,
            )
        ),
        what="output suspended after lift-off",
        timeout_s=SUSPEND_TIMEOUT_S,
        step_s=0.0,
    )


def time_session(
    bench: Bench,
    conditions: Conditions,
    lower_s: float | None,
    *,
    contact: float | None = None,
    earlier: Sequence[SessionPause] = (),
) -> SessionTiming:
    """Start treatment, lift off and return once, and wait for the session's end.

    ``contact``: the bench time a treatment already running started (a power-on shared
    with other timers, ``shared_power_on``); the lift-off then comes ``BEFORE_LIFT_S``
    of treatment after that contact, as it would after one started here. ``earlier``:
    the pauses other tests made in that session since (each subtracted, its bracket in
    the budget).
    """
    load = conditions.load_ohms or 500.0
    if contact is None:
        contact = start_treatment(bench, conditions, settle_s=0.0)
    paused = paused_s(earlier)
    bench.clock.sleep(max(0.0, contact + paused + BEFORE_LIFT_S - bench.clock.now()))
    lift_off = bench.clock.now()
    suspended = suspended_after_lift_off(bench)
    bench.clock.sleep(LIFT_OFF_S)
    bench.select_load(conditions.load_ohms)
    back = bench.clock.now()
    peak_v = PEAK_GUESS_A * load
    # the output must come back: a session that ended at (or just before) the lift-off
    # stops the output just as a suspension does, and timing its "end" after the return
    # would give the session's length plus the restart, with the bracket of one record
    resumed = poll_until(
        bench.clock,
        lambda: output_active(bench, threshold_v=peak_v / 4, full_scale_v=peak_v * 1.5),
        what="output back after the return",
        timeout_s=RESTART_S + 1.0,
        step_s=0.0,
    )
    if resumed is None:
        return SessionTiming(contact, lift_off, back, suspended, None, tuple(earlier), False)
    bench.clock.sleep(max(0.0, back + RESTART_S - bench.clock.now()))
    # the session ends `lower_s` of treatment after contact, plus the pause: fine polls
    # (a scope record each) only from two coarse steps before that
    paused_so_far = paused + (0.0 if suspended is None else back - suspended.estimate)
    since_contact = bench.clock.now() - contact - paused_so_far
    fine_from = fine_from_lower_limit(lower_s, since_contact, END_COARSE_S)
    end = poll_until(
        bench.clock,
        lambda: not output_active(bench, threshold_v=peak_v / 4, full_scale_v=peak_v * 1.5),
        what="session end",
        timeout_s=END_TIMEOUT_S,
        step_s=END_STEP_S,
        pace=Pace(END_STEP_S, END_COARSE_S, fine_from),
    )
    return SessionTiming(contact, lift_off, back, suspended, end, tuple(earlier))
