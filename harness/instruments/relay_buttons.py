"""A relay channel across each button's contacts: the bench presses the unit's buttons.

A unit without a test port can still be run unattended: a relay of the bench's switch
mainframe (Keysight 34980A) or serial relay board is wired across each button, and
closing it for the button's press length is a press, exactly as a finger's. The relay is
the existing load-switch driver; this adapter only knows which channel is which button
and how long each press lasts (the bench file's ``device.buttons``), and waits on the
bench clock (virtual on the simulated bench).

The channel is opened again whatever happens during the hold: a button left pressed
would keep a unit's long-press action going.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.events.steps import bench_step
from harness.instruments.protocols import Clock, LoadSwitch


class RelayButtons:
    """Presses buttons through relay channels; implements ``ButtonActuator``."""

    def __init__(
        self,
        relay: LoadSwitch,
        clock: Clock,
        channels: Mapping[str, int],
        press_s: Mapping[str, float],
        name: str = "buttons",
    ) -> None:
        self._relay, self._clock, self._name = relay, clock, name
        self._channels, self._press_s = dict(channels), dict(press_s)

    @property
    def name(self) -> str:
        return self._name

    def has(self, button: str) -> bool:
        return button in self._channels

    @bench_step
    def press(self, button: str) -> None:
        channel = self._channels[button]
        self._relay.close_channel(channel)
        try:
            self._clock.sleep(self._press_s[button])
        finally:
            self._relay.open_channel(channel)

    def safe_state(self) -> None:
        """Release every button (its channel open)."""
        for channel in self._channels.values():
            self._relay.open_channel(channel)
