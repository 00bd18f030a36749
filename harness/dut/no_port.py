"""The test port of a unit that has none: every question is refused, by name.

A unit without a factory test port (the RMD-2) is worked by its buttons and read by the
instruments (``harness.procedures.unit_control``). A test that still asks the port for
something (its firmware's view of its level, a status, an event log) has no answer to
get, and a made-up answer would be a verdict on trust. So :class:`NoTestPort` takes the
port's place on the bench and refuses each such request with a ``DeviceCommError`` that
says what was asked and why it cannot be; ``safe_state`` and ``close`` do nothing (the
bench's supplies off is what stops such a unit).
"""

from __future__ import annotations

from typing import NoReturn

from harness.dut.testport import DeviceEvent, DeviceIdentity, DeviceStatus
from harness.errors import DeviceCommError


class NoTestPort:
    """Implements ``TestPort`` for a unit without one: every transaction refused."""

    def __init__(self, model: str, name: str = "dut") -> None:
        self._model, self._name = model, name

    @property
    def name(self) -> str:
        return self._name

    def _refuse(self, action: str) -> NoReturn:
        raise DeviceCommError(
            self._name,
            f"{action}: the {self._model} has no test port; its buttons are pressed "
            "through the bench's button actuator and its state is measured",
        )

    def identify(self) -> DeviceIdentity:
        self._refuse("identify")

    def power_on(self) -> None:
        self._refuse("power_on")

    def power_off(self) -> None:
        self._refuse("power_off")

    def set_level(self, level: int) -> None:
        self._refuse("set_level")

    def level_up(self) -> int:
        self._refuse("level_up")

    def set_frequency(self, index: int) -> None:
        self._refuse("set_frequency")

    def boost(self) -> None:
        self._refuse("boost")

    def status(self) -> DeviceStatus:
        self._refuse("status")

    def start_ocp_selftest(self) -> None:
        self._refuse("start_ocp_selftest")

    def events(self, since: int = 0) -> list[DeviceEvent]:
        self._refuse("events")

    def safe_state(self) -> None:
        """Nothing to send; the bench's supplies off stops the unit."""

    def close(self) -> None:
        """Nothing to close."""
