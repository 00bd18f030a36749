"""What the simulated RMD-1's firmware knows of its supply: the cell and the charger.

- **Power.** The microcontroller runs from the cell whenever it is at 3.0 V or more,
  with stimulation on or off; below that the unit is dead and answers nothing.
- **Polling.** The firmware reads the cell (ADC, whole millivolts) and the charger
  input every 100 ms of device time, so it reacts to a change within one poll period.
- **Charger interlock.** An input above 4.5 V is a charger; while one is present the
  output is inhibited (SAF-CHG-*). The `charger_interlock=off` fault blinds the detector.
- **Low battery.** A warning (two short beeps) at 3.50 V, cleared at 3.60 V; the output
  is cut off at 3.30 V and allowed again only at 3.50 V (SAF-LOWBAT-*). The hysteresis
  keeps a cell that sags under load from switching the output on and off. The
  `lowbatt_cutoff=off` fault removes the cut-off, not the warning.

`PowerMonitor.poll` returns what changed as `Notice`s; the firmware logs them, sounds
their beeps and stops or resumes the output.
"""

from __future__ import annotations

from typing import NamedTuple

from harness.sim.faults import FaultProfile
from harness.sim.physics import CHARGER_PRESENT_V

BATTERY_DEAD_V = 3.0
POLL_S = 0.1
LOWBATT_WARN_MV, LOWBATT_WARN_CLEAR_MV = 3500, 3600
LOWBATT_CUT_MV, LOWBATT_RESTART_MV = 3300, 3500


class Notice(NamedTuple):
    """A change the firmware logs (`kind`, `detail`) and maybe announces with a beep."""

    kind: str
    detail: str
    beep: str | None = None


class PowerMonitor:
    """The supply as the firmware sees it, and the flags it derives from it."""

    def __init__(self, faults: FaultProfile) -> None:
        self._faults = faults
        self.battery_v, self.charger_v = 0.0, 0.0
        self.clear()

    def clear(self) -> None:
        """Forget what was derived (at power-on): the next `poll` starts afresh."""
        self.charger_seen = self.warning = self.cutoff = False

    @property
    def has_power(self) -> bool:
        return self.battery_v >= BATTERY_DEAD_V

    @property
    def battery_mv(self) -> int:
        """The cell as the ADC reads it; 0 without power."""
        return round(self.battery_v * 1000.0) if self.has_power else 0

    def charger_present(self) -> bool:
        return self.charger_v > CHARGER_PRESENT_V and self._faults.charger_interlock

    def read(self, battery_v: float, charger_v: float) -> bool:
        """The bench changed the supplies; True if the firmware can see the difference
        (another millivolt reading, a charger come or gone), i.e. a poll is due."""
        before = (self.battery_mv, self.charger_present())
        self.battery_v, self.charger_v = battery_v, charger_v
        return (self.battery_mv, self.charger_present()) != before

    def poll(self) -> list[Notice]:
        """One poll of the charger input and the cell: what changed, in that order."""
        notices: list[Notice] = []
        present = self.charger_present()
        if present != self.charger_seen:
            self.charger_seen = present
            notices.append(Notice("interlock", f"charger {'connected' if present else 'removed'}"))
        mv = self.battery_mv
        if not self.warning and mv <= LOWBATT_WARN_MV:
            self.warning = True
            notices.append(Notice("lowbatt", f"warning {mv} mV", beep="lowbatt"))
        elif self.warning and mv >= LOWBATT_WARN_CLEAR_MV:
            self.warning = False
            notices.append(Notice("lowbatt", f"warning cleared {mv} mV"))
        if not self._faults.lowbatt_cutoff:
            return notices
        if not self.cutoff and mv <= LOWBATT_CUT_MV:
            self.cutoff = True
            notices.append(Notice("lowbatt", f"cutoff {mv} mV"))
        elif self.cutoff and mv >= LOWBATT_RESTART_MV:
            self.cutoff = False
            notices.append(Notice("lowbatt", f"recovered {mv} mV"))
        return notices
