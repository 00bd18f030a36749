"""The RMD-2 firmware: a buttons-only unit, driven by relay closures or an operator's hands.

The second reference device exists to prove the harness is not shaped like the RMD-1
(docs/domain.md, section "The second reference device RMD-2"). It has no test port: all
the bench can do to it is press its two buttons and watch its output and supplies.

- **Buttons.** POWER switches the unit on or off when held at least 0.8 s (a shorter
  press is ignored, so it does not switch on in a bag). LEVEL, pressed shorter than 2 s
  while on, steps the level 1 -> 2 -> 3 -> 1. A press acts when the button is released:
  the firmware sees a contact closure and its length, whoever made it (a relay channel
  across the contacts, or a finger).
- **Output.** Charge-balanced biphasic pairs at 25 Hz: a positive phase, a 4 ms
  interphase gap at zero, a negative phase of equal width and amplitude (8 ms each), then
  rest. 150 / 250 / 350 uA at levels 1-3, 10 V compliance, a 1.0 s soft start on contact.
- **Timers** (device seconds, on its own crystal): session 180 s of treatment; every
  15 s of it a relocate cue, which pauses the output for 0.2 s (and beeps), so the cue is
  visible in the output itself; auto-off 600 s after power-on; idle-off 60 s when never
  touched; contact loss after 0.3 s above 50 kOhm (contact made below 30 kOhm).
- **Supply.** The RMD-1's power monitor (charger above 4.5 V inhibits the output; cut-off
  at 3.30 V, restart at 3.50 V), polled every 100 ms.

`Rmd2Firmware` has the interface `harness.sim.bench.SimBench` drives a firmware through:
timers (`next_deadline`, `fire`), sensors (`sense`), the drive it asks of the output stage
(`drive`), its state, buzzer and power, and `fork` for projecting ahead.
"""

from __future__ import annotations

import copy
import math

from harness.sim.buzzer import Buzzer
from harness.sim.event_log import EventLog
from harness.sim.faults import FaultProfile
from harness.sim.faults_rmd2 import Rmd2Faults
from harness.sim.physics import IDLE, Drive, regulated_amplitude
from harness.sim.power_monitor import POLL_S, Notice, PowerMonitor

PAIR_RATE_HZ = 25.0
SOFT_START_S = 1.0 / 0.8
"""Envelope 0 -> 100 %; 10 % -> 90 % takes 1.0 s."""
COMPLIANCE_V = 10.0
POWER_HOLD_S, LEVEL_MAX_PRESS_S, DEBOUNCE_S = 0.8, 2.0, 0.03
CONTACT_MADE_OHMS, CONTACT_LOST_OHMS = 30e3, 50e3
IDLE_OFF_S, CUE_EVERY_S, CUE_PAUSE_S = 60.0, 15.0, 0.2
BUTTONS = ("power", "level")
_TIMER_ORDER = ("poll", "contact_loss", "cue_end", "cue", "session_end", "idle_off", "auto_off")


class Rmd2Firmware:
    """The state machine; every method takes the virtual time it acts at."""

    def __init__(self, faults: Rmd2Faults) -> None:
        self.faults = faults
        self.k = 1.0 + faults.clock_error
        self.buzzer = Buzzer(self.k)
        self.log = EventLog()
        monitor_faults = FaultProfile(
            charger_interlock=faults.charger_interlock, lowbatt_cutoff=faults.lowbatt_cutoff
        )
        self.power = PowerMonitor(monitor_faults)
        self.sense_ohms: float | None = None
        self.on = False
        self.down: dict[str, float] = {}  # button -> when its contacts closed
        self._reset(0.0)

    def _reset(self, t: float) -> None:
        self.t_on, self.level = t, 1
        self.contact = self.contact_ever = self.complete = False
        self.loss_at: float | None = None
        self.poll_at: float | None = None
        self.session_acc, self.cues_done = 0.0, 0
        self.since: float | None = None  # treatment (the session timer) running since
        self.origin, self.ramp_start = t, t
        self.cue_until: float | None = None  # output paused for a relocate cue until
        self.power.clear()

    def fork(self) -> Rmd2Firmware:
        """An independent copy for projecting ahead; it logs into a scratch log."""
        twin = copy.copy(self)
        twin.buzzer = self.buzzer.copy()
        twin.log = self.log.scratch()
        twin.power = copy.copy(self.power)
        twin.down = dict(self.down)
        return twin

    # --- what the outside sees -------------------------------------------------------

    @property
    def has_power(self) -> bool:
        return self.power.has_power

    def state(self) -> str:
        if not self.on:
            return "off"
        if self.power.charger_seen:
            return "charging"
        if self.power.cutoff:
            return "lowbatt"
        if self.complete:
            return "complete"
        if self.contact:
            return "treating"
        return "suspended" if self.contact_ever else "standby"

    def amplitude(self) -> float:
        ua = self.faults.level_table_ua[self.level - 1]
        return regulated_amplitude(ua * 1e-6, self.power.battery_v, self.faults.gain)

    def drive(self) -> Drive:
        if self.since is None or self.cue_until is not None:
            return IDLE
        return Drive(
            "pulses",
            self.amplitude(),
            origin=self.origin,
            period=1.0 / (PAIR_RATE_HZ * self.k),
            half_cycle=1.0 / self.k,
            ramp_start=self.ramp_start,
            ramp_length=SOFT_START_S / self.k,
        )

    # --- timers ----------------------------------------------------------------------

    def next_deadline(self) -> tuple[float, str] | None:
        if not self.on:
            return None
        k, due = self.k, [(self.t_on + self.faults.autooff_s / self.k, "auto_off")]
        if not self.contact_ever:
            due.append((self.t_on + IDLE_OFF_S / k, "idle_off"))
        if self.since is not None:
            end = self.faults.session_s
            due.append((self.since + (end - self.session_acc) / k, "session_end"))
            cue = (self.cues_done + 1) * CUE_EVERY_S
            if self.faults.cue and self.cue_until is None and cue < end:
                due.append((self.since + (cue - self.session_acc) / k, "cue"))
        for name, when in (
            ("cue_end", self.cue_until),
            ("contact_loss", self.loss_at),
            ("poll", self.poll_at),
        ):
            if when is not None:
                due.append((when, name))
        return min(due, key=lambda item: (item[0], _TIMER_ORDER.index(item[1])))

    def fire(self, t: float, name: str) -> None:
        if name in ("auto_off", "idle_off"):
            self.power_off(t, name.replace("_", "-"))
        elif name == "contact_loss":
            self.loss_at, self.contact = None, False
            self.log.append(self._uptime(t), "suspend", "contact lost")
        elif name == "session_end":
            self.session_acc, self.since, self.complete = self.faults.session_s, None, True
            self.cue_until = None
            self._beep(t, "session-end")
        elif name == "cue":
            self.cues_done += 1
            self.cue_until = t + CUE_PAUSE_S / self.k
            self._beep(t, "relocate")
        elif name == "cue_end":
            self.cue_until, self.origin = None, t
        elif name == "poll":
            self.poll_at = None
            self._notify(t, self.power.poll())
        self._update(t)

    # --- sensors and buttons ---------------------------------------------------------

    def sense(self, t: float, battery_v: float, charger_v: float, sense_ohms: float | None) -> None:
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

    def button(self, t: float, name: str, down: bool) -> None:
        """The contacts of button `name` closed (down) or opened at t."""
        if name not in BUTTONS:
            raise ValueError(f"RMD-2 buttons are {BUTTONS}, got {name!r}")
        if down:
            self.down.setdefault(name, t)
            return
        start = self.down.pop(name, None)
        if start is None or not self.has_power:
            return
        held = (t - start) * self.k
        if name == "power" and held >= POWER_HOLD_S:
            self.power_off(t) if self.on else self.power_on(t)
        elif name == "level" and self.on and DEBOUNCE_S <= held < LEVEL_MAX_PRESS_S:
            self._level_up(t)

    def _level_up(self, t: float) -> None:
        if not self.faults.level_button:  # a dead contact: the press never reaches the MCU
            return
        self.level = self.level % len(self.faults.level_table_ua) + 1
        self.log.append(self._uptime(t), "level", str(self.level))

    def power_on(self, t: float) -> None:
        self._reset(t)
        self.on = True
        self.log.append(self._uptime(t), "power", "on")
        self._notify(t, self.power.poll())
        self._sense_contact(t)
        self._update(t)

    def power_off(self, t: float, reason: str = "off", *, beep: bool = True) -> None:
        if not self.on:
            return
        self.on = False
        self._update(t)
        self.loss_at = self.poll_at = self.cue_until = None
        self.log.append(self._uptime(t), "power", reason)
        if beep:
            self._beep(t, "power-off")

    # --- internals -------------------------------------------------------------------

    def _sense_contact(self, t: float) -> None:
        ohms = math.inf if self.sense_ohms is None else self.sense_ohms
        if not self.contact and ohms < CONTACT_MADE_OHMS:
            self.contact = self.contact_ever = True
        elif self.contact and ohms > CONTACT_LOST_OHMS:
            if self.loss_at is None:
                self.loss_at = t + self.faults.contact_loss_s / self.k
        else:
            self.loss_at = None

    def _notify(self, t: float, notices: list[Notice]) -> None:
        for notice in notices:
            self.log.append(self._uptime(t), notice.kind, notice.detail)
            if notice.beep is not None:
                self._beep(t, notice.beep)

    def _update(self, t: float) -> None:
        treat = (
            self.on
            and not self.power.charger_seen
            and not self.power.cutoff
            and not self.complete
            and self.contact
        )
        if treat and self.since is None:
            self.since = self.origin = self.ramp_start = t
            self.log.append(self._uptime(t), "start", "soft start")
        elif not treat and self.since is not None:
            self.session_acc += (t - self.since) * self.k
            self.since, self.cue_until = None, None

    def _beep(self, t: float, pattern: str) -> None:
        self.buzzer.play(t, pattern)
        self.log.append(self._uptime(t), "beep", pattern)

    def _uptime(self, t: float) -> float:
        return t * self.k
