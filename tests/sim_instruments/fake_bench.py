"""A tiny stand-in for SimBench: a square-wave current source into a resistor.

It implements only the `BenchModel` interface the simulated instruments use, with
closed-form physics so tests can compute the expected reading exactly: the device
drives `amplitude` amperes with a 50 % duty square wave of `frequency` hertz (positive
half first) whenever the battery supply is on; the voltage across the load is i·R.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        assert dt >= 0
        self.t += dt


class FakeBench:
    def __init__(
        self, seed: int = 0, amplitude: float = 400e-6, frequency: float = 10.0, offset: float = 0.0
    ) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        self.clock = FakeClock()
        self.load_bank = {1001: 500.0, 1002: 2000.0, 1003: 10000.0, 1004: 100000.0}
        self.amplitude, self.frequency, self.offset = amplitude, frequency, offset
        self.load: float | None = None
        self.burden = 0.0
        self.supplies: dict[int, tuple[float, float, bool]] = {}
        self.calls: list[tuple[Any, ...]] = []

    def set_load(self, ohms: float | None) -> None:
        self.calls.append(("load", self.clock.now(), ohms))
        self.load = ohms

    def set_supply(self, channel: int, volts: float, current_limit: float, on: bool) -> None:
        self.calls.append(("supply", channel, volts, current_limit, on))
        self.supplies[channel] = (volts, current_limit, on)

    @property
    def load_ohms(self) -> float | None:
        return self.load

    def set_ammeter_burden(self, ohms: float) -> None:
        self.burden = ohms

    def _running(self) -> bool:
        return self.load is not None and self.supplies.get(1, (0.0, 0.0, False))[2]

    def load_current(self, t: np.ndarray) -> np.ndarray:
        if not self._running():
            return np.zeros_like(t, dtype=float)
        phase = np.mod(np.asarray(t, dtype=float) * self.frequency, 1.0)
        return np.where(phase < 0.5, self.amplitude, 0.0) + self.offset

    def load_voltage(self, t: np.ndarray) -> np.ndarray:
        return self.load_current(t) * (self.load or 0.0)

    def buzzer_voltage(self, t: np.ndarray) -> np.ndarray:
        return np.where(np.mod(np.asarray(t, dtype=float), 5.0) < 0.1, 3.3, 0.0)

    def supply_voltage(self, channel: int, t: np.ndarray) -> np.ndarray:
        volts, _, on = self.supplies.get(channel, (0.0, 0.0, False))
        return np.full(np.shape(t), volts if on else 0.0)

    def mean_current(self, t0: float, t1: float) -> float:
        t = np.linspace(t0, t1, 200001)
        return float(np.mean(self.load_current(t)))

    def mean_currents(self, windows: list[tuple[float, float]]) -> list[float]:
        return [self.mean_current(t0, t1) for t0, t1 in windows]

    def supply_current(self, channel: int) -> float:
        return 0.012 if self.supplies.get(channel, (0.0, 0.0, False))[2] else 0.0

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, sum(name.encode())])
