"""The RMD-1 firmware: a state machine driven by buttons, sensors and timers.

A QA engineer tests behaviour the user never sees directly: when does the output stop if
the device leaves the skin, how long is a session, when does it switch itself off, what
happens on the charger or with a flat battery. Here is that behaviour, as the simulated
unit implements it (docs/domain.md, section 3 "The reference device RMD-1"):

- **States.** `off` -> power on -> `standby` (no contact yet). A load under 30 kOhm is
  contact: `treating`, the output ramps up softly. Above 50 kOhm for 200 ms the output
  stops (`suspended`, session timer paused); touching again restarts with the ramp.
  `charging` (charger > 4.5 V present), `lowbatt` (cut off at 3.30 V, restart at 3.50 V),
  `complete` (300 s of treatment) and `fault` (over-current latch) all stop the output.
- **Timers.** Session 300 s of treatment time; relocate beep every 5 s of it; BOOST for
  10 s; auto-off after 1200 s on; idle-off after 120 s if never touched; contact loss
  after 200 ms; the charger and battery are polled every 100 ms.
- **Device clock.** Every duration above is measured on the unit's own crystal, which is
  `clock_error` fast (20 ppm nominal): a timer of D device seconds fires D / (1 + error)
  virtual seconds after it started, and event timestamps are the device's uptime, virtual
  time since its last boot x (1 + error).
- **Restarts.** The microcontroller boots once when the bench is built (boot 1, cause
  `power-on`). A watchdog or brown-out reset (`restart`, or the `reboot_at_s` fault)
  stops the output at that very instant and brings the firmware back switched off with
  its power-on defaults; the boot counter, the reset cause and the event log survive it,
  as they do in an MCU's backup registers and no-init RAM, and the uptime starts again
  from 0. Removing the battery is not modelled as a reset: the unit just goes silent.

`Firmware` is the state machine with explicit times: the bench calls it to fire timers
and to report sensor changes, and `harness.sim.device.SimDevice` presses its buttons at
the bench clock's present. Its peripherals live beside it: the supply it watches
(`power_monitor`), the buzzer (`buzzer`) and the event log (`event_log`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from harness.sim.buzzer import Buzzer
from harness.sim.event_log import DeviceEvent, EventLog
from harness.sim.faults import FaultProfile
from harness.sim.physics import (
    IDLE,
    OVERSHOOT_FRACTION,
    OVERSHOOT_TAU_S,
    SOFT_START_S,
    Drive,
    next_pulse_start,
    regulated_amplitude,
)
from harness.sim.power_monitor import POLL_S, Notice, PowerMonitor

FREQUENCIES_HZ = (4.0, 10.0, 40.0)
POLARITY_HALF_CYCLE_S = 1.0
BOOST_S, BOOST_STEP_UA, BOOST_CAP_UA = 10.0, 80.0, 400.0
# BOOST raises the output one level for 10 s, but never above level 5's 400 uA: at L5 it
# changes nothing, so no setting of a healthy unit comes near OUT-ABSMAX (500 uA).
CONTACT_MADE_OHMS, CONTACT_LOST_OHMS, CONTACT_LOSS_S = 30e3, 50e3, 0.2
IDLE_OFF_S, RELOCATE_BEEP_S = 120.0, 5.0
OCP_TEST_A, OCP_COMPARATOR_A, OCP_GIVE_UP_S = 800e-6, 600e-6, 0.2
POWER_ON = "power-on"
RESET_CAUSES = ("watchdog", "brown-out")
"""Why a running unit restarts; the first boot's cause is `POWER_ON`."""
_TIMER_ORDER = (
    "reboot",  # a reset pre-empts whatever else falls due at the same instant
    "poll",
    "contact_loss",
    "ocp_trip",
    "ocp_give_up",
    "boost_end",
    "relocate_beep",
    "session_end",
    "idle_off",
    "auto_off",
)


class CommandRejected(ValueError):
    """The firmware refuses a command (out of range, or not allowed in this state)."""


@dataclass(frozen=True)
class DeviceStatus:
    """Everything the firmware believes about itself at one moment."""

    state: str
    level: int
    frequency: int
    boost: bool
    contact: bool
    charging: bool
    battery_mv: int
    session_s: float
    on_time_s: float
    fault: str | None
    lowbatt_warning: bool
    boots: int
    reset_cause: str
    uptime_s: float


class Firmware:
    """The state machine; every method takes the virtual time it acts at."""

    def __init__(self, faults: FaultProfile) -> None:
        self.faults = faults
        self.k = 1.0 + faults.clock_error
        self.buzzer = Buzzer(self.k)
        self.log = EventLog()
        self.power = PowerMonitor(faults)
        self.sense_ohms: float | None = None
        self.on = False
        self.boots, self.reset_cause, self.t_boot = 1, POWER_ON, 0.0
        self.reboot_at = faults.reboot_at_s
        self._reset(0.0)

    def _reset(self, t: float) -> None:
        self.t_on, self.level, self.frequency = t, 1, 2
        self.boost_levels, self.boost_until = 0, None  # type: int, float | None
        self.contact = self.contact_ever = False
        self.loss_at: float | None = None
        self.session_acc, self.beeps_done, self.complete = 0.0, 0, False
        self.since: float | None = None
        self.poll_at: float | None = None
        self.power.clear()
        self.fault: str | None = None
        self.selftest_start: float | None = None
        self.trip_at: float | None = None
        self.give_up_at: float | None = None
        self.origin, self.ramp_start = t, None  # type: float, float | None
        self.overshoot_start: float | None = None
        self.overshoot_a, self.treatments = 0.0, 0

    def fork(self) -> Firmware:
        """An independent copy for projecting ahead; it logs into a scratch log."""
        twin = copy.copy(self)
        twin.buzzer = self.buzzer.copy()
        twin.log = self.log.scratch()
        twin.power = copy.copy(self.power)
        return twin

    # --- what the outside sees -------------------------------------------------------

    @property
    def has_power(self) -> bool:
        return self.power.has_power

    def state(self) -> str:
        if not self.on:
            return "off"
        if self.fault is not None:
            return "fault"
        if self.power.charger_seen:
            return "charging"
        if self.power.cutoff:
            return "lowbatt"
        if self.complete:
            return "complete"
        if self.contact:
            return "treating"
        return "suspended" if self.contact_ever else "standby"

    def session_s(self, t: float) -> float:
        running = 0.0 if self.since is None else (t - self.since) * self.k
        return self.session_acc + running

    def status(self, t: float) -> DeviceStatus:
        return DeviceStatus(
            state=self.state(),
            level=min(5, max(1, self.level + self.faults.report_level_offset)),
            frequency=self.frequency,
            boost=self.boost_levels > 0,
            contact=self.on and self.contact,
            charging=self.on and self.power.charger_seen,
            battery_mv=self.power.battery_mv,
            session_s=self.session_s(t),
            on_time_s=(t - self.t_on) * self.k if self.on else 0.0,
            fault=self.fault,
            lowbatt_warning=self.on and self.power.warning,
            boots=self.boots,
            reset_cause=self.reset_cause,
            uptime_s=(t - self.t_boot) * self.k,
        )

    def events(self, since: int = 0) -> list[DeviceEvent]:
        return self.log.since(since)

    def amplitude(self) -> float:
        """Delivered peak current (A) for the present level and BOOST."""
        table = self.faults.level_table_ua
        index = self.level - 1 + self.boost_levels
        ua = table[index] if index < 5 else table[4] + (index - 4) * BOOST_STEP_UA
        if self.boost_levels and not self.faults.boost_unlimited:
            ua = min(ua, BOOST_CAP_UA)
        return regulated_amplitude(ua * 1e-6, self.power.battery_v, self.faults.gain)

    def drive(self) -> Drive:
        """What the output stage is asked to deliver right now."""
        if self.selftest_start is not None:
            amplitude = regulated_amplitude(OCP_TEST_A, self.power.battery_v, self.faults.gain)
            return Drive("dc", amplitude, origin=self.selftest_start)
        if self.since is None:
            return IDLE
        return Drive(
            "pulses",
            self.amplitude(),
            origin=self.origin,
            period=1.0 / (FREQUENCIES_HZ[self.frequency - 1] * self.k),
            half_cycle=POLARITY_HALF_CYCLE_S / self.k,
            ramp_start=self.ramp_start,
            ramp_length=SOFT_START_S / self.k,
            overshoot_start=self.overshoot_start,
            overshoot_a=self.overshoot_a,
        )

    # --- timers ----------------------------------------------------------------------

    def next_deadline(self) -> tuple[float, str] | None:
        """The earliest pending timer as (virtual time, name), or None."""
        due = [] if self.reboot_at is None else [(self.reboot_at, "reboot")]
        if self.on:
            due += self._session_deadlines()
        return min(due, key=lambda item: (item[0], _TIMER_ORDER.index(item[1])), default=None)

    def _session_deadlines(self) -> list[tuple[float, str]]:
        """The timers of a unit that is on; they all die with a power-off or a reset."""
        k = self.k
        due: list[tuple[float, str]] = [(self.t_on + self.faults.autooff_s / k, "auto_off")]
        if not self.contact_ever:
            due.append((self.t_on + IDLE_OFF_S / k, "idle_off"))
        if self.since is not None:
            end = self.faults.session_s
            due.append((self.since + (end - self.session_acc) / k, "session_end"))
            beep = (self.beeps_done + 1) * RELOCATE_BEEP_S
            if beep < end:
                due.append((self.since + (beep - self.session_acc) / k, "relocate_beep"))
        named = (
            ("contact_loss", self.loss_at),
            ("boost_end", self.boost_until),
            ("poll", self.poll_at),
            ("ocp_trip", self.trip_at),
            ("ocp_give_up", self.give_up_at),
        )
        return due + [(when, name) for name, when in named if when is not None]

    def fire(self, t: float, name: str) -> None:
        """Run the timer `name`, due at virtual time t."""
        if name == "reboot":
            self.reboot_at = None
            if self.has_power:
                self.restart(t, "watchdog")
        elif name in ("auto_off", "idle_off"):
            self.power_off(t, name.replace("_", "-"))
        elif name == "contact_loss":
            self.loss_at, self.contact = None, False
            self._log_event(t, "suspend", "contact lost")
        elif name == "session_end":
            self.session_acc, self.since, self.complete = self.faults.session_s, None, True
            self._log_event(t, "complete", f"session {self.faults.session_s:g} s")
            self._beep(t, "session-end")
        elif name == "relocate_beep":
            self.beeps_done += 1
            self.session_acc, self.since = self.beeps_done * RELOCATE_BEEP_S, t
            self._beep(t, "relocate")
        elif name == "boost_end":
            before = self.amplitude()
            self.boost_levels, self.boost_until = 0, None
            self._log_event(t, "boost", "off")
            self._setpoint_step(t, before)
        elif name == "poll":
            self.poll_at = None
            self._notify(t, self.power.poll())
        elif name == "ocp_trip":
            self.selftest_start = self.trip_at = self.give_up_at = None
            self.fault = "ocp"
            self._log_event(t, "fault", "ocp")
        elif name == "ocp_give_up":
            self.selftest_start = self.trip_at = self.give_up_at = None
            self._log_event(t, "ocp", "self-test failed: no trip")
        self._update(t)

    # --- sensors ---------------------------------------------------------------------

    def sense(self, t: float, battery_v: float, charger_v: float, sense_ohms: float | None) -> None:
        """The bench changed the battery, the charger input or the external resistance."""
        changed = self.power.read(battery_v, charger_v)
        self.sense_ohms = sense_ohms
        if self.on and not self.has_power:
            self.power_off(t, "battery-dead", beep=False)
        if not self.on:
            return
        self._sense_contact(t)
        if changed and self.poll_at is None:
            ticks = math.floor((t - self.t_on) * self.k / POLL_S + 1e-9) + 1
            self.poll_at = self.t_on + ticks * POLL_S / self.k
        self._update(t)

    def _sense_contact(self, t: float) -> None:
        if not self.faults.contact_detect:
            return
        ohms = math.inf if self.sense_ohms is None else self.sense_ohms
        if not self.contact and ohms < CONTACT_MADE_OHMS:
            self.contact = self.contact_ever = True
            self._log_event(t, "contact", "made")
        elif self.contact and ohms > CONTACT_LOST_OHMS:
            if self.loss_at is None:
                self.loss_at = t + CONTACT_LOSS_S / self.k
        else:
            self.loss_at = None

    def _notify(self, t: float, notices: list[Notice]) -> None:
        """Log what the power monitor saw change, and sound the beeps it asks for."""
        for notice in notices:
            self._log_event(t, notice.kind, notice.detail)
            if notice.beep is not None:
                self._beep(t, notice.beep)

    # --- buttons ---------------------------------------------------------------------

    def power_on(self, t: float) -> None:
        if not self.has_power:
            raise CommandRejected("no power")
        if self.on:
            return
        self._reset(t)
        self.on = True
        self._log_event(t, "power", "on")
        if not self.faults.contact_detect:
            self.contact = self.contact_ever = True
        self._notify(t, self.power.poll())  # charger and cell, seen afresh
        self._sense_contact(t)
        self._update(t)

    def power_off(self, t: float, reason: str = "off", *, beep: bool = True) -> None:
        if not self.on:
            return
        self.on = False
        self._update(t)
        self.loss_at = self.poll_at = self.boost_until = None
        self.selftest_start = self.trip_at = self.give_up_at = None
        self._log_event(t, "power", reason)
        if beep:
            self._beep(t, "power-off")

    def restart(self, t: float, cause: str) -> None:
        """The microcontroller resets at t (watchdog, brown-out) and boots again.

        RAM is gone: the output loses its drive at t (the bench records the change at the
        same instant), a beep still sounding is cut short, and the firmware starts off
        with its power-on defaults and no timer pending. The boot counter, the reset
        cause and the event log survive; the log's timestamps restart from uptime 0.
        """
        if cause not in RESET_CAUSES:
            raise ValueError(f"reset cause must be one of {RESET_CAUSES}, got {cause!r}")
        if not self.has_power:
            raise CommandRejected("no power")
        self.on = False
        self._reset(t)
        self.buzzer.silence(t)
        self.boots, self.reset_cause, self.t_boot = self.boots + 1, cause, t
        self._log_event(t, "boot", f"{cause} reset, boot {self.boots}")

    def _require_on(self) -> None:
        if not self.on:
            raise CommandRejected("device is off")
        if self.fault is not None:
            raise CommandRejected(f"fault latched: {self.fault}")

    def set_level(self, t: float, level: int) -> None:
        if not 1 <= level <= 5:
            raise CommandRejected("level must be 1-5")
        self._require_on()
        before = self.amplitude()
        self.level = level
        self._log_event(t, "level", str(level))
        self._setpoint_step(t, before)

    def level_up(self, t: float) -> None:
        self._require_on()
        self.set_level(t, self.level % 5 + 1)

    def set_frequency(self, t: float, index: int) -> None:
        if not 1 <= index <= 3:
            raise CommandRejected("freq must be 1-3")
        self._require_on()
        self.frequency = index
        self._log_event(t, "freq", str(index))

    def press_boost(self, t: float) -> None:
        self._require_on()
        before = self.amplitude()
        if self.faults.boost_unlimited:
            self.boost_levels += 1
        else:
            self.boost_levels, self.boost_until = 1, t + BOOST_S / self.k
        self._log_event(t, "boost", "on")
        self._setpoint_step(t, before)

    def start_ocp_selftest(self, t: float) -> None:
        self._require_on()
        if self.selftest_start is not None:
            raise CommandRejected("self-test already running")
        self.selftest_start = t
        self._log_event(t, "ocp", "self-test started")
        forced = regulated_amplitude(OCP_TEST_A, self.power.battery_v, self.faults.gain)
        if self.sense_ohms is None:
            forced = 0.0
        else:
            forced = min(forced, self.faults.compliance_v / self.sense_ohms)
        if self.faults.ocp and forced >= OCP_COMPARATOR_A:
            self.trip_at = t + self.faults.ocp_delay_ms * 1e-3 / self.k
        self.give_up_at = t + OCP_GIVE_UP_S / self.k
        self._update(t)

    # --- internals -------------------------------------------------------------------

    def _setpoint_step(self, t: float, before: float) -> None:
        """Without soft start a setpoint step overshoots at the next pulse (WAV-OVS)."""
        after = self.amplitude()
        if self.since is None or self.faults.soft_start or after == before:
            return
        start = next_pulse_start(self.drive(), t)
        left = 0.0  # an earlier overshoot still decaying adds to the new one
        if self.overshoot_start is not None and start >= self.overshoot_start:
            left = self.overshoot_a * math.exp(-(start - self.overshoot_start) / OVERSHOOT_TAU_S)
        self.overshoot_start = start
        self.overshoot_a = left + OVERSHOOT_FRACTION * (after - before)

    def _update(self, t: float) -> None:
        """Start or stop the treatment so the output matches the state."""
        treat = (
            self.on
            and self.fault is None
            and not self.power.charger_seen
            and not self.power.cutoff
            and not self.complete
            and self.contact
            and self.selftest_start is None
        )
        if treat and self.since is None:
            self.since, self.origin = t, t
            if self.faults.soft_start:
                self.ramp_start, self.overshoot_start = t, None
            else:
                self.ramp_start, self.overshoot_start = None, t
                self.overshoot_a = OVERSHOOT_FRACTION * self.amplitude()
            self._log_event(t, "resume" if self.treatments else "start", "soft start")
            self.treatments += 1
        elif not treat and self.since is not None:
            self.session_acc += (t - self.since) * self.k
            self.since = None

    def _beep(self, t: float, pattern: str) -> None:
        self.buzzer.play(t, pattern)
        self._log_event(t, "beep", pattern)

    def _log_event(self, t: float, kind: str, detail: str) -> None:
        """Log at the device's uptime: time since its last boot, on its own crystal."""
        self.log.append((t - self.t_boot) * self.k, kind, detail)
