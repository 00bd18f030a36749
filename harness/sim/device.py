"""The simulated RMD-1 as the test port reaches it: its buttons and its self-report.

`SimDevice` is the unit's command surface. The simulated test port
(`harness.sim.testport_firmware`) drives it, one request at a time, at the bench clock's
present: before acting it lets the bench catch up (fire every firmware timer that fell
due), and after acting it has the bench record the new output, so a button press shows
in the waveform at the very instant it was made. The state machine behind it is
`harness.sim.firmware.Firmware`; the bench owns both (`SimBench.device`).

A unit without power answers nothing and refuses every button (`CommandRejected`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple, Protocol

from harness.sim.clock import VirtualClock
from harness.sim.event_log import DeviceEvent
from harness.sim.firmware import CommandRejected, DeviceStatus, Firmware

MODEL, FIRMWARE_VERSION, HARDWARE_REVISION = "RMD-1", "1.4.2", "C"


class DeviceIdentity(NamedTuple):
    model: str
    serial: str
    firmware: str
    hardware: str


class DeviceHost(Protocol):
    """What `SimDevice` needs from the bench: its lock and a way to bring it up to date."""

    @property
    def lock(self) -> threading.RLock: ...

    def catch_up(self) -> None: ...

    def commit(self) -> None: ...


class SimDevice:
    """The simulated unit's buttons and its firmware's answers, at the bench's present."""

    def __init__(
        self, host: DeviceHost, firmware: Firmware, clock: VirtualClock, serial: str
    ) -> None:
        self._host, self.firmware, self._clock = host, firmware, clock
        self._identity = DeviceIdentity(MODEL, serial, FIRMWARE_VERSION, HARDWARE_REVISION)

    @property
    def identity(self) -> DeviceIdentity:
        return self._identity

    @property
    def has_power(self) -> bool:
        """False when the battery is absent or flat: the unit answers nothing then."""
        with self._host.lock:
            return self.firmware.has_power

    def _act(self, action: Callable[[float], None]) -> None:
        with self._host.lock:
            self._host.catch_up()
            if not self.firmware.has_power:
                raise CommandRejected("no power")
            action(self._clock.now())
            self._host.commit()

    def power_on(self) -> None:
        self._act(self.firmware.power_on)

    def power_off(self) -> None:
        self._act(self.firmware.power_off)

    def set_level(self, level: int) -> None:
        self._act(lambda t: self.firmware.set_level(t, level))

    def level_up(self) -> None:
        self._act(self.firmware.level_up)

    def set_frequency(self, index: int) -> None:
        self._act(lambda t: self.firmware.set_frequency(t, index))

    def press_boost(self) -> None:
        self._act(self.firmware.press_boost)

    def start_ocp_selftest(self) -> None:
        self._act(self.firmware.start_ocp_selftest)

    def reset(self, cause: str = "watchdog") -> None:
        """Restart the microcontroller now, as a watchdog or brown-out would (tests)."""
        self._act(lambda t: self.firmware.restart(t, cause))

    def status(self) -> DeviceStatus:
        with self._host.lock:
            self._host.catch_up()
            return self.firmware.status(self._clock.now())

    def events(self, since: int = 0) -> list[DeviceEvent]:
        with self._host.lock:
            self._host.catch_up()
            return self.firmware.events(since)
