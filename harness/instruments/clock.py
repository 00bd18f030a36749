"""The bench's clock: real time on hardware, virtual time on the simulated bench.

Every wait in a test ("hold contact for 5 s", "poll until the scope has triggered,
give up after 2 s") goes through a :class:`~harness.instruments.protocols.Clock` so the
same test runs on both benches:

* :class:`WallClock` is ``time.monotonic`` and ``time.sleep``: what a real bench uses.
* :class:`SimClockInstrument` talks to the **simulated** bench's clock instrument over
  VISA. It exists only in the simulator (there is no such box on a real bench): time
  there moves only when an instrument makes it move, so "sleeping" means asking the
  simulator to advance its virtual clock, and a 20-minute auto-off test takes
  milliseconds of wall time.

Clock instrument commands (defined by this project's simulator, SCPI-shaped):

===========================  ==============================================
``SYST:CLOC?``                virtual seconds since the bench started
``SYST:CLOC:ADV <s>``         advance the virtual clock by ``s`` seconds
``*OPC?``                     answers once the advance (and everything the
                              bench simulates during it) is done; the driver
                              sends both as one message, ``ADV <s>;*OPC?``
``SYST:ERR?``, ``*IDN?``      error queue, identity
===========================  ==============================================
"""

from __future__ import annotations

import math
import time

from harness.errors import InstrumentError
from harness.events.steps import bench_step
from harness.instruments.scpi_reply import parse_float
from harness.instruments.visa import ScpiInstrument


class WallClock:
    """Monotonic wall time; immune to NTP steps and daylight-saving changes."""

    @bench_step
    def now(self) -> float:
        return time.monotonic()

    @bench_step
    def sleep(self, seconds: float) -> None:
        if not (math.isfinite(seconds) and seconds >= 0.0):
            raise ValueError(f"cannot sleep {seconds} s")
        time.sleep(seconds)


class SimClockInstrument(ScpiInstrument):
    """The simulated bench's clock, reached like any other instrument (sim only)."""

    @bench_step
    def now(self) -> float:
        return parse_float(self.link.query("SYST:CLOC?"), instrument=self.name)

    @bench_step
    def sleep(self, seconds: float) -> None:
        """Advance virtual time by ``seconds`` and wait until the simulator has."""
        if not (math.isfinite(seconds) and seconds >= 0.0):
            raise InstrumentError(self.name, f"cannot advance the clock by {seconds} s")
        self.link.send_and_sync(f"SYST:CLOC:ADV {seconds:.12g}")

    @bench_step
    def safe_state(self) -> None:
        """Nothing to make safe: a clock drives nothing."""
