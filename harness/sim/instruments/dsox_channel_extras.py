"""InfiniiVision channel and acquisition settings that do not change what is sampled.

PyMeasure's DSOX1102G driver reads and sets every channel setting the programmer's
guide lists; the simulated scope keeps the ones that shape a record (scale, offset,
coupling, probe) in `keysight_dsox1204g`. These are the rest, kept here so that module
stays about acquisitions:

* `:CHANnel<n>:BWLimit` — the 25 MHz low-pass filter. Every bench signal is below a
  few kHz, so the filter changes nothing a record could show; it is stored and read back.
* `:CHANnel<n>:LABel` — display text (10 characters, upper case, as the guide says).
* `:CHANnel<n>:RANGe` — full-scale vertical range, 8 divisions: setting it sets the scale.
* `:ACQuire:MODE` — RTIMe only. SEGMented memory is an option this simulated scope does
  not model, so it is refused with -221 "Settings conflict" rather than accepted silently.

`:CHANnel<n>:INVert` is *not* here: an inverted channel must invert the record, which the
acquisition does not model, so the command stays undefined (-113) instead of lying.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from harness.sim.scpi import Call, Command, ScpiError, scpi_float

LABEL_CHARS = 10
DIVISIONS = 8


class ChannelState(Protocol):
    scale: float


class Extras:
    """Per-channel BWLimit and label, and the acquire mode, of one scope."""

    def __init__(self, channels: tuple[int, ...], state: Callable[[Call], ChannelState]):
        self._channels = channels
        self._state = state
        self.bwlimit: dict[int, bool] = {}
        self.label: dict[int, str] = {}
        self.reset()

    def reset(self) -> None:
        self.bwlimit = {i: False for i in self._channels}
        self.label = {i: f"{i}" for i in self._channels}

    def commands(self) -> list[Command]:
        return [
            Command(":CHANnel#:BWLimit", lambda c: self._put(self.bwlimit, c, c.boolean(0))),
            Command(":CHANnel#:BWLimit?", lambda c: str(int(self.bwlimit[self._ch(c)]))),
            Command(":CHANnel#:LABel", self._set_label),
            Command(":CHANnel#:LABel?", lambda c: f'"{self.label[self._ch(c)]}"'),
            Command(":CHANnel#:RANGe", self._set_range),
            Command(":CHANnel#:RANGe?", lambda c: scpi_float(DIVISIONS * self._state(c).scale, 6)),
            Command(":ACQuire:MODE", self._set_mode),
            Command(":ACQuire:MODE?", lambda c: "RTIM"),
        ]

    def _ch(self, call: Call) -> int:
        self._state(call)  # -113 for a channel the model does not have
        return call.suffix()

    def _put(self, table: dict[int, bool], call: Call, value: bool) -> None:
        table[self._ch(call)] = value

    def _set_label(self, call: Call) -> None:
        text = str(call.arg(0)).strip("\"'")
        self.label[self._ch(call)] = text[:LABEL_CHARS].upper()

    def _set_range(self, call: Call) -> None:
        # 500 uV/div .. 50 V/div (through a probe), as :CHANnel:SCALe accepts
        volts = call.number(0, low=8 * 500e-6, high=8 * 50.0, default=8.0, unit="V")
        self._state(call).scale = volts / DIVISIONS

    def _set_mode(self, call: Call) -> None:
        if call.choice(0, ("RTIMe", "SEGMented")) != "RTIME":
            raise ScpiError(-221, "segmented memory is not simulated")
