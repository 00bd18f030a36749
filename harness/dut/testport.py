"""The device's factory test port, as a role: what a test may ask of the unit itself.

The instruments measure what the unit *does*; the test port tells what its firmware
*believes* and lets a test press its buttons without a robot finger. Tests ask for a
`TestPort`, never for a concrete driver, so the same test runs against the RMD-1's UART
(`harness.dut.rmd1_port.Rmd1TestPort`), a simulated unit, or another product's port.

Values cross this interface in SI units (seconds, volts), whatever the wire carries.
The three records are frozen dataclasses: a status read at one instant is a fact about
that instant and must not be edited afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from harness.errors import DeviceCommError

DeviceState = Literal[
    "off", "standby", "treating", "suspended", "complete", "charging", "lowbatt", "fault"
]
"""The firmware's operating states. `treating` is the only one with stimulation on."""

DEVICE_STATES: frozenset[str] = frozenset(get_args(DeviceState))


@dataclass(frozen=True)
class DeviceIdentity:
    """Who the unit says it is; every result records it (requirement COM-ID)."""

    model: str
    serial: str
    firmware: str
    hardware: str


@dataclass(frozen=True)
class DeviceStatus:
    """One snapshot of the firmware's own view of the unit (requirement COM-STATE).

    `session_s` is treatment time (it pauses while contact is lost); `on_time_s` is the
    cumulative on-time that drives the 20-minute auto-off. `battery_v` is the cell
    voltage as the firmware's ADC reads it, not as the supply sets it. `boot_count`,
    `reset_cause` and `uptime_s` (time since that boot, device clock) tell a restart
    apart from a unit that merely switched off; they are None from a firmware that does
    not report them.
    """

    state: DeviceState
    level: int
    frequency: int
    boost: bool
    contact: bool
    charging: bool
    battery_v: float
    session_s: float
    on_time_s: float
    fault: str | None
    lowbatt_warning: bool
    boot_count: int | None = None
    reset_cause: str | None = None
    uptime_s: float | None = None


@dataclass(frozen=True)
class DeviceEvent:
    """One entry of the firmware's event log, stamped by the *device's* clock.

    Device timestamps let a test check timers (beep interval, session length) against
    the bench clock: a drifting device crystal shows up as a ratio between the two.
    """

    index: int
    t_device_s: float
    kind: str
    detail: str


class CommandRejected(DeviceCommError):
    """The unit understood the command and refused it (an `ERR` reply).

    It is a `DeviceCommError` because a test that did not expect a refusal cannot go on;
    a test that checks a refusal (a level out of range, a button while charging) catches
    this class and looks at `code`.
    """

    def __init__(self, port: str, command: str, code: int, text: str) -> None:
        self.command = command
        self.code = code
        self.text = text
        super().__init__(port, f"{command!r} rejected: ERR {code} {text}")


class DeviceResetError(DeviceCommError):
    """The unit restarted (watchdog, brown-out) since the port last heard from it.

    A restart loses everything the test set up: the unit is back off, at its default
    level, with its session timer cleared. Measuring on would judge a unit that
    silently switched itself off and report a misleading limit failure, so the test
    stops here, as a device-communication error. `evidence` says what showed the
    restart (the boot banner, a boot count that changed, an uptime that went back).
    """

    def __init__(self, port: str, evidence: str) -> None:
        self.evidence = evidence
        super().__init__(port, f"the unit restarted: {evidence}")


class TestPort(Protocol):
    """The buttons and the self-report of a unit under test.

    Each method is one transaction: it returns once the unit has acknowledged, and
    raises `harness.errors.DeviceCommError` when it cannot get an answer.
    """

    @property
    def name(self) -> str:
        """The bench role name (e.g. "dut"), used in logs and error messages."""
        ...

    def identify(self) -> DeviceIdentity: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def set_level(self, level: int) -> None: ...

    def level_up(self) -> int:
        """Press the level button once and return the level the unit reports after it."""
        ...

    def set_frequency(self, index: int) -> None: ...

    def boost(self) -> None: ...

    def status(self) -> DeviceStatus:
        """The firmware's view of itself; raises `DeviceResetError` if, since the last
        status, the unit restarted (its boot count changed or its uptime went back)."""
        ...

    def start_ocp_selftest(self) -> None: ...

    def events(self, since: int = 0) -> list[DeviceEvent]:
        """All logged events whose index is at least `since`, oldest first."""
        ...

    def safe_state(self) -> None:
        """Stop stimulation as best it can; never raises (used in teardown)."""
        ...

    def close(self) -> None: ...
