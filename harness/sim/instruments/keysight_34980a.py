"""Simulated Keysight 34980A switch mainframe choosing the device's load resistor.

Slot 1 holds a 34921A armature multiplexer. The bench wires channels 1001–1004 to the
500 Ω, 2 kΩ, 10 kΩ and 100 kΩ loads (the model's `load_bank`); closing several puts them
in parallel, closing none leaves the spheres open-circuit. After every CLOSe/OPEN the
instrument tells the model the resulting resistance with `set_load` — once the relays
have operated: each command that moves a relay first advances the virtual clock by the
relay operate time, so the device sees the load change when a real relay would make.

Commands from the 34980A programmer's reference: ROUTe:CLOSe, ROUTe:OPEN,
ROUTe:CLOSe? / ROUTe:OPEN? (one 1/0 per listed channel), ROUTe:OPEN:ALL,
SYSTem:CTYPe? <slot>, SYSTem:BEEPer, LOCal/REMote/RWLock; the engine adds the 488.2
common commands, SYSTem:VERSion? and the STATus registers.
"""

from __future__ import annotations

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.scpi import Call, Command, ScpiError

OPERATE_TIME_S = 4e-3
"""Armature relay operate/release time of a 34921A channel, about 4 ms [E]."""
SLOT = 1
CHANNELS = range(1001, 1041)
"""A 34921A has 40 multiplexer channels (slot 1: 1001–1040)."""


class Keysight34980A(SimInstrument):
    """A relay mainframe whose closed channels form the model's load."""

    model = "34980A"
    firmware = "2.51-2.43-1.05-1.00"

    def __init__(self, sim: BenchModel, serial: str = "MY51003456") -> None:
        self.closed: set[int] = set()
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        return [
            Command("ROUTe:CLOSe", lambda c: self._switch(c, close=True)),
            Command("ROUTe:OPEN", lambda c: self._switch(c, close=False)),
            Command("ROUTe:CLOSe?", lambda c: self._state(c, closed=True)),
            Command("ROUTe:OPEN?", lambda c: self._state(c, closed=False)),
            Command("ROUTe:OPEN:ALL", self._open_all),
            Command("SYSTem:CTYPe?", self._card_type),
            *self.front_panel_commands(),
        ]

    def reset(self) -> None:
        self.closed = set()
        self.sim.set_load(None)

    def load_ohms(self) -> float | None:
        """The parallel combination of the closed loads; None when nothing is closed."""
        ohms = [self.sim.load_bank[ch] for ch in sorted(self.closed) if ch in self.sim.load_bank]
        if not ohms:
            return None
        return 1.0 / sum(1.0 / r for r in ohms)

    def _channel_list(self, call: Call) -> list[int]:
        channels = call.channels(0) or []
        if any(ch not in CHANNELS for ch in channels):
            raise ScpiError(-224, "channel not in slot 1")
        return channels

    def _switch(self, call: Call, *, close: bool) -> None:
        channels = set(self._channel_list(call))
        after = self.closed | channels if close else self.closed - channels
        self._apply(after)

    def _apply(self, after: set[int]) -> None:
        if after != self.closed:
            self.sim.clock.advance(OPERATE_TIME_S)
            self.closed = after
            self.sim.set_load(self.load_ohms())
            pressed = getattr(self.sim, "relays_changed", None)
            if pressed is not None:  # channels wired across a unit's button contacts
                pressed(after)

    def _state(self, call: Call, *, closed: bool) -> str:
        return ",".join(str(int((ch in self.closed) == closed)) for ch in self._channel_list(call))

    def _open_all(self, call: Call) -> None:
        target = call.arg(0, required=False)
        if target is not None and target.upper() not in ("ALL", str(SLOT)):
            raise ScpiError(-224, target)
        self._apply(set())

    def _card_type(self, call: Call) -> str:
        slot = int(call.number(0, low=1, high=8, default=1))
        if slot != SLOT:
            return "0"
        return "Keysight Technologies,34921A,0,1.10"
