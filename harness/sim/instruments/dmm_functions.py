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
* **Continuity and diode** use the same V/Ω input and the same 2-wire path (leads
  included). Continuity is 2-wire ohms on a fixed 1 kΩ range with a 1 mA source:
  the load reads its resistance, anything above 1.2 kΩ (and so an open input) reads
  +9.9E+37, and the beeper sounds at or below the 10 Ω threshold (the manual's). Diode
  drives 1 mA and reads the voltage on a fixed 10 V range: the load resistor gives
  1 mA × R; above 5.05 V (a 10 kΩ load, an open input: the source rises to its
  compliance) the manual's answer is "OPEN", +9.9E+37 remotely.
* **Capacitance** charges the input with a known current and times the voltage ramp.
  With nothing switched in, the input sees only the test leads and relay path, so the
  reading is their stray capacitance (`STRAY_FARADS`, an estimate). With a load
  switched in, the resistor takes the charge current and the voltage settles at I·R
  instead of ramping: no capacitance can be timed, and the manual says a short or a
  d.c. level on the input reads overload. With autorange off, capacitance reports no
  overload for a reading above 120 % of its range (the manual): only a timeout is one.
* **Temperature** (RTD and thermistor, 2- and 4-wire) is a resistance measurement
  converted by the probe's curve, so it reads whatever resistance is on the V/Ω input:
  no probe is wired on this bench, so with nothing switched in the probe is open and
  the reading is overload; with a load switched in the meter reports the temperature a
  probe of that resistance would be at, or overload outside the probe's span. A 34465A
  cannot tell a resistor from a probe, and neither does the simulation.
* **Thermocouple temperature** is a d.c. voltage measurement (the V/Ω input, as DC
  volts reads it) taken as a thermocouple's EMF (`thermocouple`): the meter adds the
  EMF of its reference junction's temperature, measured at its terminals (INTernal) or
  entered (FIXed), and converts the sum with the type's ITS-90 function. The terminals
  are at the room's temperature (`harness.sim.room`), so with nothing driving the input
  the meter reads the room, as a thermocouple whose junction is in the room's air
  would: its EMF would be zero too. A driven load's volts are far beyond any type's
  EMF and read overload. With TCouple:CHECk ON the meter first checks the couple's
  resistance: above 5 kΩ (an open input, the 10 kΩ and 100 kΩ loads) it reports
  overload, as the manual says.

Every reading beyond 120 % of its range is an overload (±9.9E+37) and latches the
function's bit in the QUEStionable status register. Figures marked [E] are estimates
from the 34465A data sheet, rounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.sim.instruments.base import BenchModel
from harness.sim.instruments.thermocouple import DEFAULT_TYPE, reading_celsius

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
    """QUEStionable bit value: 1 voltage, 2 current, 16 temperature [E], 512 ohms,
    1024 capacitance [E] overload."""
    integrating: bool = True
    """Has NPLC/RESolution/APERture/ZERO:AUTO (the d.c. functions); capacitance has not."""
    overload_above: float | None = None
    """Where a reading turns into +9.9E+37 when it is not 120 % of the range: the diode
    test's 5.05 V, or `math.inf` where the manual reports no range overload."""

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
    Function("CAP", "CAPacitance", "F", (1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4), 1e-6,
             (0.5, 0.5), False, 1024, integrating=False, overload_above=math.inf),
)  # fmt: skip
CONTINUITY = Function("CONT", "CONTinuity", "OHM", (1e3,), 1e3, (0.0075, 0.0008), False, 512)
"""Fixed 1 kΩ, 2-wire, 1 mA; readings above 1.2 kΩ (120 % of the range) are OPEN."""
DIODE = Function("DIOD", "DIODe", "V", (10.0,), 10.0, (0.0035, 0.0005), False, 1,
                 overload_above=5.05)  # fmt: skip
"""Fixed 10 V range, 1 mA source; above 5.05 V the manual's reading is OPEN, 9.9E+37."""
TEMPERATURE = Function("TEMP", "TEMPerature", "C", (1.0,), 1.0, (0.0, 0.3), False, 16,
                       overload_above=math.inf)  # fmt: skip
"""No range (the `1` of CONFigure:TEMPerature is a placeholder); the probe's span
bounds a reading instead. Noise ±0.003 degrees (3 sigma) on top of the curve [E]."""
FIXED = (CONTINUITY, DIODE)
"""Functions with one range and no [SENSe:] settings: only CONFigure and MEASure?."""
CONTINUITY_THRESHOLD_OHMS = 10.0
"""The continuity beeper sounds at or below this reading (manual)."""
DIODE_TEST_AMPS = 1e-3
STRAY_FARADS = 60e-12
"""Test leads plus the relay path across an open V/Ω input [E: typical of a 1 m lead
pair and a reed-relay channel; the real figure is measured with CAPacitance:NULL]."""
CAP_SECONDS = {1e-9: 0.1, 1e-8: 0.1, 1e-7: 0.1, 1e-6: 0.1, 1e-5: 0.2, 1e-4: 0.5}
"""Capacitance range -> seconds one reading takes (charge, ramp, discharge) [E]."""

BY_NAME = {f.name: f for f in (*FUNCTIONS, *FIXED, TEMPERATURE)}

PROBES = ("FRTD", "RTD", "FTHERMISTOR", "THERMISTOR", "TCOUPLE")
"""TEMPerature:TRANsducer:TYPE, long forms; F = 4-wire. Default FRTD."""
PROBE_SHORT = {
    "FRTD": "FRTD",
    "RTD": "RTD",
    "FTHERMISTOR": "FTH",
    "THERMISTOR": "THER",
    "TCOUPLE": "TC",
}
TC_CHECK_OHMS = 5e3
"""TCouple:CHECk ON: a couple whose resistance is above 5 kΩ (on the 10 kΩ range) is
open and reads overload (manual)."""
RJUNCTION_SPAN_C = (-20.0, 80.0)
"""TCouple:RJUNction: the fixed reference junction, -20 to +80 °C, default 0 °C (manual)."""
RTD_R0_SPAN = (49.0, 2.1e3)
"""{FRTD|RTD}:RESistance[:REFerence]: R0 between 49 Ω and 2.1 kΩ, default 100 Ω."""
RTD_SPAN_C = (-200.0, 600.0)
"""Temperatures an RTD reading is given for; outside, overload [E]."""
CVD_A, CVD_B, CVD_C = 3.9083e-3, -5.775e-7, -4.183e-12
"""Callendar-Van Dusen coefficients of the alpha = 0.00385 RTD (IEC 60751), the only
RTD curve the 34465A has."""
THERMISTOR_SH: dict[int, tuple[float, float, float]] = {
    2252: (1.4733e-3, 2.372e-4, 1.074e-7),
    5000: (1.2874e-3, 2.3573e-4, 9.5052e-8),
    10000: (1.0295e-3, 2.391e-4, 1.568e-7),
}
"""{FTHermistor|THERmistor}:TYPE (2252, 5000 default, 10000 Ω at 25 °C) -> Steinhart-Hart
A, B, C of the YSI 44004/44007/44006 curves the types are named after [E: published
fits, not Keysight's own table]."""
THERMISTOR_SPAN_C = (-80.0, 150.0)
"""Temperatures a thermistor reading is given for; outside, overload [E]."""
ZERO_C_IN_K = 273.15


@dataclass
class Probe:
    """The temperature settings: probe type, RTD R0, thermistor type, display unit."""

    kind: str = "FRTD"
    r0: float = 100.0
    thermistor: int = 5000
    unit: str = "C"
    couple: str = DEFAULT_TYPE
    """TCouple:TYPE, a letter of `thermocouple.TYPES`."""
    internal_reference: bool = True
    """TCouple:RJUNction:TYPE INTernal (the terminals' sensor) or FIXed."""
    fixed_reference_c: float = 0.0
    """TCouple:RJUNction, always in °C."""
    check: bool = False
    """TCouple:CHECk."""

    @property
    def four_wire(self) -> bool:
        return self.kind.startswith("F")


def rtd_celsius(ohms: float, r0: float) -> float | None:
    """Temperature of an alpha = 0.00385 RTD of ``r0`` reading ``ohms``; None outside
    its span. Above 0 °C the quadratic inverts exactly; below, Newton on the full
    Callendar-Van Dusen curve (a few steps from the quadratic's estimate)."""
    ratio = ohms / r0
    t = (-CVD_A + math.sqrt(max(CVD_A**2 - 4 * CVD_B * (1 - ratio), 0.0))) / (2 * CVD_B)
    if ratio < 1.0:
        for _ in range(20):
            f = 1 + CVD_A * t + CVD_B * t**2 + CVD_C * (t - 100) * t**3 - ratio
            df = CVD_A + 2 * CVD_B * t + CVD_C * (4 * t**3 - 300 * t**2)
            t -= f / df
    return t if RTD_SPAN_C[0] <= t <= RTD_SPAN_C[1] else None


def thermistor_celsius(ohms: float, kind: int) -> float | None:
    """Steinhart-Hart temperature of a thermistor of type ``kind``; None outside its span."""
    if ohms <= 0.0:
        return None
    a, b, c = THERMISTOR_SH[kind]
    ln = math.log(ohms)
    t = 1.0 / (a + b * ln + c * ln**3) - ZERO_C_IN_K
    return t if THERMISTOR_SPAN_C[0] <= t <= THERMISTOR_SPAN_C[1] else None


def in_unit(celsius: float, unit: str) -> float:
    """UNIT:TEMPerature C|F|K."""
    return {"C": celsius, "F": celsius * 9 / 5 + 32, "K": celsius + ZERO_C_IN_K}[unit]


def range_for(function: Function, wanted: float) -> float:
    """The smallest range that holds `wanted` (a range holds up to 120 % of itself)."""
    return next((r for r in function.ranges if abs(wanted) <= r * 1.2), function.ranges[-1])


def resolution(function: Function, rng: float, nplc: float) -> float:
    """The resolution a DC function has on `rng` at `nplc`; AC is fixed at 6½ digits,
    capacitance at 4½ (manual; one count of 10,000 on the range [E])."""
    if function.ac:
        return rng * 1e-6
    if not function.integrating:
        return rng * 1e-4
    return rng * RESOLUTION_PPM[nplc] * 1e-6


def nplc_for_resolution(function: Function, rng: float, wanted: float) -> float:
    """The fastest NPLC whose resolution is at least as fine as `wanted`."""
    for nplc in NPLC_STEPS:
        if resolution(function, rng, nplc) <= wanted * (1 + 1e-9):
            return nplc
    return NPLC_STEPS[-1]


def _input_ohms(sim: BenchModel, four_wire: bool) -> float | None:
    """The resistance on the V/Ω input: the switched-in load (plus the leads when
    2-wire), or None for an open input."""
    load = sim.load_ohms
    if load is None:
        return None
    return load + (0.0 if four_wire else LEAD_OHMS)


def true_value(
    sim: BenchModel,
    function: Function,
    t0: float,
    t1: float,
    probe: Probe | None = None,
    reference_c: float = 0.0,
) -> float:
    """What an ideal meter of `function` reads over [t0, t1] (module docstring);
    temperature needs the `probe` settings, a thermocouple the temperature the meter
    takes its reference junction to be at (`reference_c`)."""
    if function.name == "CURR":
        return sim.mean_current(t0, t1)
    if function.name in ("RES", "FRES", "CONT"):
        ohms = _input_ohms(sim, four_wire=function.name == "FRES")
        return OVERLOAD if ohms is None else ohms
    if function.name == "DIOD":
        ohms = _input_ohms(sim, four_wire=False)
        return OVERLOAD if ohms is None else DIODE_TEST_AMPS * ohms
    if function.name == "CAP":
        return STRAY_FARADS if sim.load_ohms is None else OVERLOAD
    if function.name == "TEMP":
        probe = probe or Probe()
        if probe.kind == "TCOUPLE":
            return _thermocouple(sim, probe, t0, t1, reference_c)
        ohms = _input_ohms(sim, probe.four_wire)
        if ohms is None:
            return OVERLOAD
        if "RTD" in probe.kind:
            celsius = rtd_celsius(ohms, probe.r0)
        else:
            celsius = thermistor_celsius(ohms, probe.thermistor)
        return OVERLOAD if celsius is None else in_unit(celsius, probe.unit)
    if function.name == "VOLT":
        load = sim.load_ohms
        if load is not None:
            return sim.mean_current(t0, t1) * load
        return float(np.mean(sim.load_voltage(np.linspace(t0, t1, AC_SAMPLES))))
    times = np.linspace(t0, t1, AC_SAMPLES)
    wave = sim.load_current(times) if function.is_current else sim.load_voltage(times)
    return float(np.std(wave))  # RMS of the a.c. part: the input is a.c. coupled


def _thermocouple(sim: BenchModel, probe: Probe, t0: float, t1: float, reference_c: float) -> float:
    """The input's d.c. volts as the couple's EMF, converted against `reference_c`
    (module docstring); overload for an open couple (when checked) or outside the span."""
    if probe.check:
        ohms = _input_ohms(sim, four_wire=False)
        if ohms is None or ohms > TC_CHECK_OHMS:
            return OVERLOAD
    volts = true_value(sim, BY_NAME["VOLT"], t0, t1)
    celsius = reading_celsius(volts, probe.couple, reference_c)
    return OVERLOAD if celsius is None else in_unit(celsius, probe.unit)
