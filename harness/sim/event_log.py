"""The simulated RMD-1's event log: what the firmware did, stamped by its own clock.

The factory test port hands this log out (`EVT? <since>`, docs/testport.md): power on
and off and why, contact made and lost, beeps, level and BOOST changes, the charger
interlock, low battery, faults, restarts. It is the firmware's account of itself, which
the harness compares with what the instruments measured, never evidence on its own.

- **Indices** count from 0 over the unit's life and never restart, so a host asking
  from an index the buffer has already overwritten sees the gap.
- **Ring buffer.** The last 4096 events are kept, as in a microcontroller's RAM.
- **Timestamps** are the device's uptime on its own crystal; the firmware supplies them
  (it knows when it booted and how fast its crystal runs).
- The log sits in no-init RAM: it survives a watchdog or brown-out reset.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

EVENT_BUFFER = 4096


@dataclass(frozen=True)
class DeviceEvent:
    """One line of the firmware's event log, stamped with the device's own clock."""

    index: int
    t_device_s: float
    kind: str
    detail: str


class EventLog:
    """The last `EVENT_BUFFER` events, numbered on from `first_index`."""

    def __init__(self, first_index: int = 0) -> None:
        self._events: deque[DeviceEvent] = deque(maxlen=EVENT_BUFFER)
        self._next_index = first_index

    def append(self, t_device_s: float, kind: str, detail: str) -> None:
        self._events.append(DeviceEvent(self._next_index, t_device_s, kind, detail))
        self._next_index += 1

    def since(self, index: int) -> list[DeviceEvent]:
        """The events still held whose index is at least `index`, oldest first."""
        return [event for event in self._events if event.index >= index]

    def scratch(self) -> EventLog:
        """An empty log numbering on from this one: where a projection of the firmware
        writes, so that looking ahead never adds to the real log."""
        return EventLog(self._next_index)
