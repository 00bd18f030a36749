"""One power-on shared by the timer requirements that can be timed on it together.

Why: the auto-off (TIM-AUTOOFF, 20 minutes on RMD-1) counts from power-on whatever the
unit does, and timed on its own it leaves the bench waiting for 20 minutes. Its own
procedure already starts a treatment at power-on, and that treatment is a whole session:
the session timer (TIM-SESSION, with its lift-off) and the relocate beeps of the
session's first seconds (TIM-BEEP) are measured on that same power-on, by their own
procedures, in the same state they would start from alone (a unit just switched on, a
session just begun). Nothing is added to what each procedure does; what is saved is the
two extra power-ons and the time they would have waited on their own.

A member *joins* the shared power-on only if it still holds, which is checked, not
assumed:

- the unit has not restarted or been switched off since (its test port's status, which
  raises on a restart; or, without a port, the battery supply's on-current),
- no test outside the window ran in between (the plan marks the window broken),
- the member's conditions are those the treatment was started with (load, battery, and
  the level and frequency if its requirement names them),
- and the member needs the session no further along than it is: a member that must see
  the session's start (``since_contact_s``) joins only while that is still true.

Otherwise the member starts its own treatment exactly as it would alone, and the record
says so (``power_on`` in each measurement's conditions). So a broken window costs time,
never a verdict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from harness.bench.station import Bench
from harness.errors import DeviceCommError
from harness.procedures.activity import unit_is_on
from harness.procedures.conditions import Conditions
from harness.procedures.treatment import start_treatment

log = logging.getLogger(__name__)

OWN = "own"
"""``power_on`` of a measurement made on a power-on of its own (the sequential order)."""


@dataclass
class SharedPowerOn:
    """The power-on a window's members share, and who has used it.

    ``members`` are the requirement ids timed on it, in plan order; an empty tuple is a
    window of one (``--sequential``, or only one member selected): every ``start`` then
    powers the unit on afresh, as the sequential order does.
    """

    name: str
    members: tuple[str, ...] = ()
    contact: float | None = None
    """Bench time the shared treatment started (the load connected), or None."""
    conditions: Conditions | None = None
    joined: list[str] = field(default_factory=list)
    broken: str | None = None
    """Why the power-on can no longer be shared, once it cannot."""

    @property
    def shared(self) -> bool:
        return len(self.members) > 1

    def start(
        self,
        bench: Bench,
        requirement: str,
        conditions: Conditions,
        *,
        settle_s: float = 0.0,
        names_level: bool = True,
        within_s: float | None = None,
    ) -> float:
        """The bench time of contact of the treatment ``requirement`` is measured on.

        Joins the shared treatment when it still holds for this member (see the module
        docstring); otherwise starts one (``start_treatment``) and, in a window, makes
        it the shared one. ``within_s``: the member must begin no later than this many
        seconds after contact (None: any time). ``names_level``: whether the member's
        requirement fixes the level and frequency (an auto-off does not).
        """
        why_not = self._why_not_join(bench, conditions, names_level, within_s)
        if why_not is None:
            assert self.contact is not None
            self.joined.append(requirement)
            log.info("%s joins the shared power-on %r", requirement, self.name)
            return self.contact
        if self.shared and self.contact is not None:
            log.info("%s starts its own treatment: %s", requirement, why_not)
        contact = start_treatment(bench, conditions, settle_s=settle_s)
        if self.shared:
            self.contact, self.conditions, self.broken = contact, conditions, None
            self.joined = [requirement]
        return contact

    def record(self, requirement: str) -> dict[str, str]:
        """``power_on`` for the measurement's conditions, as known when it is taken: the
        window's first member names those planned to share its power-on after it; a
        member that joined names those that used it before; else ``own``."""
        if not self.shared or requirement not in self.joined:
            return {"power_on": OWN}
        before = self.joined[: self.joined.index(requirement)]
        if before:
            return {"power_on": "shared with " + ", ".join(before)}
        after = [r for r in self.members if r != requirement]
        return {"power_on": "first of one shared with " + ", ".join(after)}

    def close(self, why: str) -> None:
        """No later member may join (a test outside the window ran, or a member failed)."""
        if self.broken is None:
            self.broken = why

    def _why_not_join(
        self, bench: Bench, conditions: Conditions, names_level: bool, within_s: float | None
    ) -> str | None:
        if not self.shared:
            return "not in a window"
        if self.contact is None or self.conditions is None:
            return "the first of the window"
        if self.broken is not None:
            return self.broken
        had = self.conditions
        if (had.load_ohms, had.battery_v) != (conditions.load_ohms, conditions.battery_v):
            return "its load or battery differs from the shared treatment's"
        if names_level and (had.level, had.frequency) != (conditions.level, conditions.frequency):
            return "its level or frequency differs from the shared treatment's"
        if within_s is not None and bench.clock.now() - self.contact > within_s:
            return f"it must begin within {within_s:g} s of contact"
        return _unit_still_on(bench)


def _unit_still_on(bench: Bench) -> str | None:
    """None if the unit is on, on the same boot; else why not."""
    if bench.has_port:
        try:
            status = bench.dut.status()
        except DeviceCommError as error:  # a restart (DeviceResetError) or a dead port
            return f"the unit did not stay on: {error}"
        return None if status.state != "off" else "the unit is off"
    return None if unit_is_on(bench) else "the unit is off"
