"""Virtual time for the simulated bench.

On a real bench time passes by itself; in the simulation it passes only when something
that takes time happens: a DMM integrating over its aperture, a scope filling its record,
a relay settling, bytes crossing the test port at 115200 baud, or an explicit
`SYST:CLOC:ADV`. That is what lets a 20-minute auto-off test finish in well under a
second of wall time, and what makes every run repeatable: the same commands give the
same virtual times, hence the same waveforms and the same verdicts.

The clock is the bench's, not the device's. The simulated RMD-1 keeps its own time from
a crystal with a small error (`harness.sim.firmware`), so a device timestamp is virtual
time multiplied by (1 + clock error); a requirement such as TIM-SESSION compares the two.
"""

from __future__ import annotations

import math
import threading


class VirtualClock:
    """Seconds of virtual bench time, starting at `start` and only moving forward."""

    def __init__(self, start: float = 0.0) -> None:
        if not math.isfinite(start):
            raise ValueError(f"clock start must be finite, got {start!r}")
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        """The present virtual time in seconds."""
        return self._now

    def advance(self, dt: float) -> float:
        """Move time forward by `dt` seconds and return the new time.

        Negative or non-finite steps are refused: virtual time that ran backwards would let
        an instrument observe an effect before its cause.
        """
        if not math.isfinite(dt) or dt < 0.0:
            raise ValueError(f"clock can only advance by a finite dt >= 0, got {dt!r}")
        with self._lock:
            self._now += float(dt)
            return self._now

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now:.9f})"
