"""The simulated RMD-1's buzzer: beep patterns, played one at a time.

The user hears the device more than they watch it: a short beep every 5 s of treatment
says "move on" (relocate), three beeps end the session, a long one says the unit
switched itself off, two short ones warn of a low battery. The bench hears the same
thing on the buzzer-enable test point (`SimBench.buzzer_voltage`, scope channel 2),
which is how TIM-BEEP and the session timers are measured, so each pattern is kept as
intervals of virtual time during which the buzzer sounds.

The buzzer driver plays one pattern at a time: a pattern that falls due while another
sounds waits for it, plus a short gap, instead of the two merging into noise. Pattern
durations are device seconds, on the unit's own crystal.
"""

from __future__ import annotations

import copy
import math

from harness.sim.timeline import IntervalSet

BEEPS: dict[str, tuple[tuple[float, float], ...]] = {
    "relocate": ((0.0, 0.1),),
    "session-end": ((0.0, 0.1), (0.2, 0.3), (0.4, 0.5)),
    "power-off": ((0.0, 0.3),),
    "lowbatt": ((0.0, 0.05), (0.1, 0.15)),
}
"""Buzzer patterns: (on, off) offsets in device seconds."""
BEEP_GAP_S = 0.1
"""Silence between two queued patterns, device seconds."""


class Buzzer:
    """What the buzzer sounds (`sounding`, virtual time) and when it is free again."""

    def __init__(self, k: float) -> None:
        """`k`: device seconds per virtual second (1 + the crystal's error)."""
        self.sounding = IntervalSet()
        self._k = k
        self._free_at = -math.inf

    def play(self, t: float, pattern: str) -> None:
        """Sound `pattern` from t, or as soon as the one sounding now has finished."""
        start = max(t, self._free_at + BEEP_GAP_S / self._k)
        for on, off in BEEPS[pattern]:
            self.sounding.add(start + on / self._k, start + off / self._k)
        self._free_at = start + BEEPS[pattern][-1][1] / self._k

    def silence(self, t: float) -> None:
        """Stop at t, as a reset of the microcontroller does: nothing sounds after it."""
        self.sounding.cut(t)
        self._free_at = -math.inf

    def copy(self) -> Buzzer:
        """An independent copy (for projecting the firmware ahead)."""
        twin = copy.copy(self)
        twin.sounding = self.sounding.copy()
        return twin
