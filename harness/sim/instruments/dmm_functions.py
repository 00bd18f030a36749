"""The 34465A's measurement functions: ranges, accuracy, and what each one observes.

A real DMM has one A/D converter and several front ends; which front end is in use is
the *function* (`[SENSe:]FUNCtion "VOLT:AC"`). Each function has its own ranges,
settings and accuracy, and — in the simulation — its own way of observing the bench
model. How the simulated meter is wired, and so what each function reads:

* **Current (DC and AC)** flows through the meter's shunt, in series with the load, so
  DC current is the model's exact mean current over the aperture and AC current the
  true RMS of the current's a.c. part over the AC reading window.
* **Voltage (DC and AC)**: the V/Ω input is across the load resistor, the node pair the
  scope's CH1 watches, so DC volts is the mean load voltage (`mean current × load` while
  a load is switched in, which is exact because the load is linear; the sampled
  open-circuit voltage when none is) and AC volts the RMS of its a.c. part.
* **Resistance (2- and 4-wire)** reads the network the switch connects (the model's
  `load_ohms`); the device's output is treated as high impedance while it is measured.
  2-wire adds the test leads and relay contacts in series (`LEAD_OHMS`), which 4-wire
  sensing removes. With nothing switched in the input is open and the meter reads the
  overload value, +9.9E+37, exactly as the manual says an open input reads.

Every reading beyond 120 % of its range is an overload (±9.9E+37) and latches the
function's bit in the QUEStionable status register. Figures marked [E] are estimates
from the 34465A data sheet, rounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.sim.instruments.base import BenchModel

OVERLOAD = 9.9e37
LEAD_OHMS = 0.2
"""Test leads plus one 34921A relay path, in series with a 2-wire reading [E]."""
AC_SAMPLES = 20_000
"""Points of the waveform an AC reading's RMS is computed from (digitised true RMS)."""
AC_WINDOW_S = {3.0: 10 / 3.0, 20.0: 0.5, 200.0: 0.05}
"""AC filter bandwidth (Hz) -> seconds one AC reading takes (10 periods of the filter) [E]."""
NPLC_STEPS = (0.02, 0.06, 0.2, 1.0, 10.0, 100.0)
RESOLUTION_PPM = {0.02: 30.0, 0.06: 10.0, 0.2: 3.0, 1.0: 1.0, 10.0: 0.3, 100.0: 0.1}
"""NPLC -> resolution in ppm of range (34465A resolution table, rounded) [E]."""

# current range (A) -> (shunt ohms, % of reading, % of range); 1-year figures [E].
# Shunts are approximate: 100 µA ~1 kΩ down to 0.1 Ω on the 1 A and 3 A ranges.
# The 1 µA and 10 µA ranges exist on the 34465A/70A for DC only (not on the 34460A/61A,
# nor for AC current); their shunts keep the same ~10 mV full-scale burden as the harness
# driver's estimates (100 kΩ, 10 kΩ), and their offset term is larger [E].
LOW_CURRENT_RANGES: dict[float, tuple[float, float, float]] = {
    1e-6: (100e3, 0.055, 0.100),
    10e-6: (10e3, 0.055, 0.020),
}
CURRENT_RANGES: dict[float, tuple[float, float, float]] = {
    **LOW_CURRENT_RANGES,
    100e-6: (1000.0, 0.050, 0.025),
    1e-3: (100.0, 0.050, 0.005),
    10e-3: (10.0, 0.050, 0.020),
    100e-3: (1.0, 0.050, 0.005),
    1.0: (0.1, 0.080, 0.010),
    3.0: (0.1, 0.200, 0.020),
}


@dataclass(frozen=True)
class Function:
    """One measurement function as the manual describes it."""

    name: str
    """What `FUNCtion?` and `CONFigure?` print: VOLT, VOLT:AC, CURR, CURR:AC, RES, FRES."""
    header: str
    """The manual's node for it: `VOLTage[:DC]`, `CURRent:AC`, `FRESistance`..."""
    unit: str
    ranges: tuple[float, ...]
    default_range: float
    accuracy: tuple[float, float]
    """(% of reading, % of range), 1-year [E]; current uses CURRENT_RANGES per range."""
    ac: bool
    overload_bit: int
    """QUEStionable bit: 0 voltage overload, 1 current overload, 9 ohms overload."""

    @property
    def is_current(self) -> bool:
        return self.unit == "A"


FUNCTIONS: tuple[Function, ...] = (
    Function("VOLT", "VOLTage[:DC]", "V", (0.1, 1.0, 10.0, 100.0, 1000.0), 10.0,
             (0.0035, 0.0005), False, 1),
    Function("VOLT:AC", "VOLTage:AC", "V", (0.1, 1.0, 10.0, 100.0, 750.0), 10.0,
             (0.06, 0.03), True, 1),
    Function("CURR", "CURRent[:DC]", "A", tuple(CURRENT_RANGES), 100e-3,
             (0.0, 0.0), False, 2),
    Function("CURR:AC", "CURRent:AC", "A",
             tuple(r for r in CURRENT_RANGES if r not in LOW_CURRENT_RANGES), 100e-3,
             (0.10, 0.04), True, 2),
    Function("RES", "RESistance", "OHM", (1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9), 1e3,
             (0.0075, 0.0008), False, 512),
    Function("FRES", "FRESistance", "OHM", (1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9), 1e3,
             (0.0075, 0.0008), False, 512),
)  # fmt: skip
BY_NAME = {f.name: f for f in FUNCTIONS}


def range_for(function: Function, wanted: float) -> float:
    """The smallest range that holds `wanted` (a range holds up to 120 % of itself)."""
    return next((r for r in function.ranges if abs(wanted) <= r * 1.2), function.ranges[-1])


def resolution(function: Function, rng: float, nplc: float) -> float:
    """The resolution a DC function has on `rng` at `nplc`; AC is fixed at 6½ digits."""
    if function.ac:
        return rng * 1e-6
    return rng * RESOLUTION_PPM[nplc] * 1e-6


def nplc_for_resolution(function: Function, rng: float, wanted: float) -> float:
    """The fastest NPLC whose resolution is at least as fine as `wanted`."""
    for nplc in NPLC_STEPS:
        if resolution(function, rng, nplc) <= wanted * (1 + 1e-9):
            return nplc
    return NPLC_STEPS[-1]


def true_value(sim: BenchModel, function: Function, t0: float, t1: float) -> float:
    """What an ideal meter of `function` reads over [t0, t1] (module docstring)."""
    if function.name == "CURR":
        return sim.mean_current(t0, t1)
    if function.name in ("RES", "FRES"):
        load = sim.load_ohms
        if load is None:
            return OVERLOAD
        return load + (LEAD_OHMS if function.name == "RES" else 0.0)
    if function.name == "VOLT":
        load = sim.load_ohms
        if load is not None:
            return sim.mean_current(t0, t1) * load
        return float(np.mean(sim.load_voltage(np.linspace(t0, t1, AC_SAMPLES))))
    times = np.linspace(t0, t1, AC_SAMPLES)
    wave = sim.load_current(times) if function.is_current else sim.load_voltage(times)
    return float(np.std(wave))  # RMS of the a.c. part: the input is a.c. coupled
