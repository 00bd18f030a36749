"""The simulation's clock as an instrument: read and advance virtual time over SCPI.

A real bench needs no such thing: time passes by itself. In the simulation it passes
only when an instrument takes time (a DMM aperture, a scope record, a relay), so a test
that waits — a 5 s beep interval, a 20 min auto-off — asks this instrument to advance
the clock instead of sleeping. Drivers wait on conditions with a timeout measured on the
bench's clock (style guide), and on the simulated bench that clock is this one:

    SYSTem:CLOCk?            -> virtual seconds since the model started, e.g. 12.345000000
    SYSTem:CLOCk:ADVance <s> -> advance by s seconds (units allowed: 500 ms, 2 s)

It is reached through the same transports as the instruments, so a test sequence is
identical in-process and over loopback.
"""

from __future__ import annotations

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.scpi import Call, Command

MAX_ADVANCE_S = 86_400.0
"""One call may advance at most a day: a typo should not simulate a year."""


class SimClock(SimInstrument):
    """Reads and advances the model's virtual clock."""

    manufacturer = "microcurrent-hil"
    model = "SIMCLOCK"
    firmware = "1.0"

    def __init__(self, sim: BenchModel, serial: str = "0") -> None:
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        return [
            Command("SYSTem:CLOCk?", lambda c: f"{self.sim.clock.now():.9f}"),
            Command("SYSTem:CLOCk:ADVance", self._advance),
        ]

    def _advance(self, call: Call) -> None:
        self.sim.clock.advance(call.number(0, low=0.0, high=MAX_ADVANCE_S, default=0.0, unit="S"))
