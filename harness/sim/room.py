"""The room of the simulated bench: air temperature and humidity, drifting on the virtual clock.

A real lab's air is never constant: the air conditioning cycles (tens of minutes, a few
tenths of a degree), the building warms through the day, and relative humidity moves
against the temperature (the same water in warmer air is a lower *relative* humidity,
about −3 %RH per °C near 23 °C and 45 %RH). The simulated bench's environment sensor
reads this room, so a run records values that change between its start and its end the
way a real one does, and a test can tell a measured condition from a constant typed in.

The room is closed-form in time, a sum of slow sinusoids whose amplitudes and phases are
drawn once from the bench seed, so reading it at any virtual time needs no stepping, two
reads at the same time agree, and the same seed gives the same room on every run. It is
the room's *true* state; the instrument reading it adds its own probe error, noise and
resolution (``harness.sim.instruments.keysight_daq970a``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

#: Periods of the drifts, seconds: air-conditioning cycle, hour-scale, half a day.
DRIFT_PERIODS_S = (1_200.0, 3_600.0, 43_200.0)
#: Amplitudes of the temperature drifts at those periods, °C.
TEMPERATURE_AMPLITUDES_C = (0.25, 0.3, 0.8)
#: Relative humidity change per °C of temperature at constant moisture, %RH/°C.
HUMIDITY_PER_DEGREE = -3.0
#: Amplitude of the humidity's own slow drift (moisture coming and going), %RH.
MOISTURE_AMPLITUDE_PCT = 2.0


class Clock(Protocol):
    """The bench's virtual time; the room only reads it."""

    def now(self) -> float: ...


@dataclass(frozen=True)
class RoomState:
    """The room at one instant: temperature (°C) and relative humidity (%RH)."""

    temperature_c: float
    humidity_pct: float


class Room:
    """A lab room around 23 °C and 45 %RH, its drift fixed by ``seed`` (see the module).

    ``temperature_c``/``humidity_pct`` move the centre of the room (a test that wants a
    room outside the lab's allowed range sets them); the drift stays around it.
    """

    def __init__(
        self,
        seed: int,
        clock: Clock,
        *,
        temperature_c: float | None = None,
        humidity_pct: float | None = None,
    ) -> None:
        digest = int.from_bytes(hashlib.sha256(b"room").digest()[:8], "little")
        rng = np.random.default_rng(np.random.SeedSequence([seed, digest]))
        self.clock = clock
        drawn_t = 23.0 + float(rng.uniform(-0.8, 0.8))
        drawn_h = 45.0 + float(rng.uniform(-6.0, 6.0))
        self.centre_temperature_c = drawn_t if temperature_c is None else temperature_c
        self.centre_humidity_pct = drawn_h if humidity_pct is None else humidity_pct
        self._phases = tuple(float(p) for p in rng.uniform(0, 2 * math.pi, 4))

    def state(self, t: float | None = None) -> RoomState:
        """The room at virtual time ``t`` (default: now)."""
        t = self.clock.now() if t is None else t
        drift = sum(
            a * math.sin(2 * math.pi * t / period + phase)
            for a, period, phase in zip(
                TEMPERATURE_AMPLITUDES_C, DRIFT_PERIODS_S, self._phases, strict=False
            )
        )
        temperature = self.centre_temperature_c + drift
        moisture = MOISTURE_AMPLITUDE_PCT * math.sin(
            2 * math.pi * t / DRIFT_PERIODS_S[2] / 1.7 + self._phases[3]
        )
        humidity = self.centre_humidity_pct + HUMIDITY_PER_DEGREE * drift + moisture
        return RoomState(temperature, min(max(humidity, 0.0), 100.0))
