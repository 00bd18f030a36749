"""Waiting on the bench clock: conditions with a timeout, and progress for long waits.

A compliance test often waits: for the soft start to finish, for a 20-minute auto-off,
for a battery ramp to reach a threshold. Sleeping with ``time.sleep`` would make the
simulated bench as slow as a real one and would hide *what* the test is waiting for.
Every wait here goes through the bench's ``Clock`` (virtual on the simulated bench, so a
20-minute wait costs milliseconds) and, when it is long, reports what is awaited, the
time elapsed and the time remaining, so an operator at a real bench knows the station is
working, not hung.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.events.steps import summary_step
from harness.instruments.protocols import Clock

log = logging.getLogger("harness.progress")

PROGRESS_EVERY_S = 30.0
PROGRESS_MIN_WALL_S = 5.0


@dataclass(frozen=True)
class WaitResult:
    """When the condition changed, bracketed by two observations on the bench clock.

    ``before`` is when the last observation that found the condition false began (the
    wait's start if the first one found it true), ``at`` when the first observation that
    found it true *ended*. The change happened in between: ``estimate`` is the midpoint
    and ``half_width`` the rectangular bound of the uncertainty budget.

    Why the end: an observation may take bench time (a scope record of a quarter second,
    which starts only once the scope has triggered), and what it saw lies anywhere inside
    it. Bracketing between the two *starts* misplaced a change that fell inside the first
    true observation's record: the RMD-2's output stops 0.3 s after lift-off, inside the
    record that saw it stopped, and the session length read 0.7 s short with the truth
    outside its bracket. ``seen_from`` (that observation's start) is kept for the record;
    for an instantaneous observation it equals ``at``.
    """

    before: float
    at: float
    polls: int
    seen_from: float | None = None

    @property
    def estimate(self) -> float:
        return (self.before + self.at) / 2.0

    @property
    def half_width(self) -> float:
        return (self.at - self.before) / 2.0


class WaitTimeout(AssertionError):
    """The awaited condition never held within the time the requirement allows."""


@dataclass(frozen=True)
class Pace:
    """How often to look: every ``step_s``, or every ``coarse_s`` until ``fine_from_s``.

    A requirement about *when* something happens needs fine resolution only near its
    limits: an auto-off due at 1200 ± 12 s is decided between 1188 and 1212 s. Before
    ``fine_from_s`` (bench time from the start of the wait) the polls are ``coarse_s``
    apart, never stepping past ``fine_from_s``; an event seen there is bracketed as
    coarsely as it was watched, which the result's ``half_width`` says. The caller puts
    ``fine_from_s`` at least two coarse steps before the lower limit, so an event seen
    coarsely lies below it whatever the bracket: a 20-minute wait costs ~100
    observations instead of 600, on a real bus as on the simulated one.
    """

    step_s: float
    coarse_s: float | None = None
    fine_from_s: float = 0.0
    on_grid: bool = False
    """Look at multiples of the step from the reference instant (not a step after the
    last look): a wait that begins late, on a power-on another procedure started, then
    looks when the wait begun at that instant would have, and brackets the same."""

    def next_step(self, elapsed: float) -> float:
        coarse = self.coarse_s is not None and elapsed < self.fine_from_s
        if not self.on_grid:
            if coarse:
                return max(self.step_s, min(self.coarse_s or 0.0, self.fine_from_s - elapsed))
            return self.step_s
        if coarse:
            step = self.coarse_s or 0.0
            to_grid = _to_next_multiple(elapsed, step)
            return min(to_grid, self.fine_from_s - elapsed)
        return _to_next_multiple(elapsed - self.fine_from_s, self.step_s)

    def describe(self) -> str:
        if self.coarse_s is None or self.fine_from_s <= 0.0:
            return f"every {self.step_s:g} s"
        return f"every {self.coarse_s:g} s, every {self.step_s:g} s from {self.fine_from_s:.4g} s"


def _to_next_multiple(elapsed: float, step: float) -> float:
    """Time to the next multiple of ``step`` after ``elapsed`` (never a sliver: a look
    a hair before a grid point is taken as on it)."""
    to_grid = step - elapsed % step
    return to_grid + step if to_grid < step * 1e-6 else to_grid


def fine_from_lower_limit(lower_s: float | None, elapsed_s: float, coarse_s: float) -> float:
    """Where the fine polls start for an event whose lower limit is ``lower_s`` after a
    reference instant that lies ``elapsed_s`` before the wait: two coarse steps early."""
    if lower_s is None:
        return 0.0
    return max(0.0, lower_s - elapsed_s - 2.0 * coarse_s)


def wait_until(
    clock: Clock,
    condition: Callable[[], bool],
    *,
    what: str,
    timeout_s: float,
    step_s: float,
    pace: Pace | None = None,
    progress: Callable[[str], None] | None = None,
    wall: Callable[[], float] = time.monotonic,
    since: float | None = None,
) -> WaitResult:
    """Poll ``condition`` every ``step_s`` of bench time (or at ``pace``) until it holds
    or time runs out.

    An observation may itself take bench time (a scope record); the result brackets the
    change from the start of the last false observation to the end of the first true
    one, so whatever instant inside its record an observation looked at, the change lies
    in the bracket. Progress is reported
    every ``PROGRESS_EVERY_S`` of bench time, but only while a person would be waiting
    (``PROGRESS_MIN_WALL_S`` of real time since the last report): a real bench reports,
    the simulated bench, whose virtual minutes pass in milliseconds, stays quiet.
    ``since``: the bench time the pace and the timeout count from (default: now; the
    first look is always now).
    """
    pace = pace or Pace(step_s)
    title = f"wait until {what} ({pace.describe()}, at most {timeout_s:g} s)"
    with summary_step(title) as outcome:
        return _poll(
            clock, condition, what, timeout_s, pace, progress or log.info, wall, outcome, since
        )


def _poll(
    clock: Clock,
    condition: Callable[[], bool],
    what: str,
    timeout_s: float,
    pace: Pace,
    report: Callable[[str], None],
    wall: Callable[[], float],
    outcome: Callable[[str], None],
    since: float | None = None,
) -> WaitResult:
    before = clock.now()
    start = before if since is None else since
    next_report = start + PROGRESS_EVERY_S
    last_wall = wall()
    polls = 0
    while True:
        polls += 1
        observed_at = clock.now()
        if condition():
            seen_until = clock.now()
            outcome(f"seen after {observed_at - start:.4g} s ({polls} observations)")
            return WaitResult(before=before, at=seen_until, polls=polls, seen_from=observed_at)
        before = observed_at
        now = clock.now()
        if now - start >= timeout_s:
            outcome(f"not seen within {timeout_s:g} s ({polls} observations)")
            raise WaitTimeout(f"{what}: not seen within {timeout_s:g} s")
        if now >= next_report:
            next_report = now + PROGRESS_EVERY_S
            if wall() - last_wall >= PROGRESS_MIN_WALL_S:
                last_wall = wall()
                report(
                    f"waiting for {what}: {now - start:.0f} s elapsed, "
                    f"at most {timeout_s - (now - start):.0f} s remaining"
                )
        clock.sleep(pace.next_step(now - start))


def poll_until(
    clock: Clock,
    condition: Callable[[], bool],
    *,
    what: str,
    timeout_s: float,
    step_s: float,
    pace: Pace | None = None,
    progress: Callable[[str], None] | None = None,
    wall: Callable[[], float] = time.monotonic,
    since: float | None = None,
) -> WaitResult | None:
    """As ``wait_until``, but None when the condition never held.

    For requirements about *when* something happens, "it never happened" is a result
    to record (a FAIL with its note), not an error that loses the measurement.
    """
    try:
        return wait_until(
            clock,
            condition,
            what=what,
            timeout_s=timeout_s,
            step_s=step_s,
            pace=pace,
            progress=progress,
            wall=wall,
            since=since,
        )
    except WaitTimeout:
        return None
