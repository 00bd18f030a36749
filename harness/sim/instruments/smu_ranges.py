"""The 2450's source and measure settings, ranges and accuracy: data for the simulated SMU.

Each source function (voltage, current) keeps its own level, range, limit and delay;
each measure function its own range and NPLC, as the instrument does, so switching
functions and back finds the settings where they were. A level beyond its fixed range
(with autorange off) or any value beyond the instrument's reach is -222, as the
reference manual's "parameter out of range". Figures marked [E] are rounded from the
2450 data sheet's 1-year accuracy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.sim.scpi import Call, ScpiError

# current range (A) -> (% of reading, % of range) [E]
CURRENT_RANGES: dict[float, tuple[float, float]] = {
    10e-9: (0.10, 0.05),
    100e-9: (0.06, 0.025),
    1e-6: (0.025, 0.01),
    10e-6: (0.025, 0.006),
    100e-6: (0.025, 0.006),
    1e-3: (0.025, 0.006),
    10e-3: (0.025, 0.006),
    100e-3: (0.025, 0.006),
    1.0: (0.067, 0.03),
}
# voltage range (V) -> (% of reading, % of range) [E]
VOLTAGE_RANGES: dict[float, tuple[float, float]] = {
    0.02: (0.10, 0.15),
    0.2: (0.012, 0.02),
    2.0: (0.012, 0.004),
    20.0: (0.015, 0.004),
    200.0: (0.015, 0.004),
}
MAX_CURRENT, MAX_VOLTAGE = 1.05, 210.0
"""What the 2450 can source or measure at all (105 % of its largest ranges)."""


def _fit(ranges: tuple[float, ...], value: float, reach: float = 1.05) -> float:
    """The smallest range holding |value| (a range reaches 105 % of itself; autorange
    asks 100 %, so noise on a value at the edge cannot overflow the range it chose)."""
    return next((r for r in ranges if abs(value) <= r * reach), ranges[-1])


@dataclass
class Source:
    """One source function's settings (*RST values from the manual)."""

    unit: str
    ranges: tuple[float, ...]
    level: float
    range: float
    limit: float
    limit_bounds: tuple[float, float]
    auto: bool = True
    delay: float = 0.0
    delay_auto: bool = True

    @classmethod
    def voltage(cls) -> Source:
        return cls("V", tuple(VOLTAGE_RANGES), 0.0, 0.02, 105e-6, (1e-9, MAX_CURRENT))

    @classmethod
    def current(cls) -> Source:
        return cls("A", tuple(CURRENT_RANGES), 0.0, 1e-8, 21.0, (0.02, MAX_VOLTAGE))

    @property
    def most(self) -> float:
        return MAX_VOLTAGE if self.unit == "V" else MAX_CURRENT

    def set_level(self, call: Call) -> None:
        level = call.number(0, low=-self.most, high=self.most, default=0.0, unit=self.unit)
        if self.auto:
            self.range = _fit(self.ranges, level)
        elif abs(level) > self.range * 1.05:
            raise ScpiError(-222, f"{level:g} {self.unit} is beyond the {self.range:g} range")
        self.level = level

    def set_range(self, call: Call) -> None:
        wanted = call.number(0, low=-self.most, high=self.most, default=self.range, unit=self.unit)
        self.range, self.auto = _fit(self.ranges, wanted), False

    def set_auto(self, on: bool) -> None:
        self.auto = on
        if on:
            self.range = _fit(self.ranges, self.level)

    def set_limit(self, call: Call) -> None:
        low, high = self.limit_bounds
        unit = "A" if self.unit == "V" else "V"
        self.limit = call.number(0, low=low, high=high, default=self.limit, unit=unit)

    def set_delay(self, call: Call) -> None:
        self.delay = call.number(0, low=0.0, high=10_000.0, default=0.0, unit="S")
        self.delay_auto = False

    def set_delay_auto(self, call: Call) -> None:
        self.delay_auto = call.boolean(0)


@dataclass
class Measure:
    """One measure function's settings."""

    unit: str
    accuracy: dict[float, tuple[float, float]]
    range: float
    auto: bool = True
    nplc: float = 1.0

    @classmethod
    def voltage(cls) -> Measure:
        return cls("V", VOLTAGE_RANGES, 0.02)

    @classmethod
    def current(cls) -> Measure:
        return cls("A", CURRENT_RANGES, 100e-6)

    def set_range(self, call: Call) -> None:
        most = MAX_VOLTAGE if self.unit == "V" else MAX_CURRENT
        wanted = call.number(0, low=-most, high=most, default=self.range, unit=self.unit)
        self.range, self.auto = _fit(tuple(self.accuracy), wanted), False

    def set_auto(self, on: bool) -> None:
        self.auto = on

    def set_nplc(self, call: Call) -> None:
        self.nplc = call.number(0, low=0.01, high=10.0, default=1.0)


def noisy(measure: Measure, true: float, noise: np.random.Generator) -> float:
    """A reading of `true`: autoranged first if enabled, then data-sheet noise (3 σ)."""
    if measure.auto:
        measure.range = _fit(tuple(measure.accuracy), true, reach=1.0)
    of_reading, of_range = measure.accuracy[measure.range]
    floor = of_range * measure.range * max(1.0, math.sqrt(1.0 / measure.nplc))
    sigma = (of_reading * abs(true) + floor) / 100.0 / 3.0
    return true + float(noise.normal(0.0, sigma))
