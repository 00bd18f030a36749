"""Simulated Keithley 2450 SourceMeter used as a zero-burden ammeter.

An SMU sourcing 0 V while measuring current is a near-ideal ammeter: it holds its
terminals at zero volts, so unlike a DMM shunt it adds (almost) no burden to the
device's output. It integrates the model's current over NPLC power-line cycles (default
1) like a DMM, reading noise sized from the data sheet's accuracy for the range, and
advances the virtual clock by the aperture.

The command set is the 2450's native SCPI, as much of it as PyMeasure 0.16's
`Keithley2450` driver sends to source volts and measure amps: `:SOUR:FUNC VOLT`,
`:SOUR:VOLT:LEV`, `:SOUR:VOLT:RANG[:AUTO]`, `:SOUR:VOLT:ILIM`, `:SENS:FUNC "CURR"`,
`:SENS:CURR:RANG[:AUTO]`, `:SENS:CURR:NPLC`, `OUTPut ON|OFF`, `OUTPut?`, `:READ?`,
`:STATus:PRESet`, `*RST`, `:SYSTem:ERRor[:NEXT]?`.
"""

from __future__ import annotations

import math

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.scpi import Call, Command, ScpiError, parse_number, scpi_float

# current range (A) -> (% of reading, % of range), 1-year [E, rounded from the data sheet]
RANGES: dict[float, tuple[float, float]] = {
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
BURDEN_OHMS = 0.05
"""Residual series resistance while forcing 0 V (leads and contacts) [E]."""
VOLT_RANGES = (0.02, 0.2, 2.0, 20.0, 200.0)


class Keithley2450(SimInstrument):
    """An SMU at 0 V reading the model's current."""

    manufacturer = "KEITHLEY INSTRUMENTS"
    model = "MODEL 2450"
    firmware = "1.7.12b"

    def __init__(
        self, sim: BenchModel, serial: str = "04512345", line_frequency: float = 50.0
    ) -> None:
        self.line_frequency = line_frequency
        self.source_function = "VOLT"
        self.source_level = 0.0
        self.source_range = 0.02
        self.limit = 1.05e-4
        self.current_range = 100e-6
        self.auto = True
        self.nplc = 1.0
        self.output = False
        self._noise = sim.rng("smu")
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        return [
            Command("[:SOURce]:FUNCtion[:MODE]", self._set_source_function),
            Command("[:SOURce]:FUNCtion[:MODE]?", lambda c: self.source_function),
            Command("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", self._set_level),
            Command(
                "[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?",
                lambda c: scpi_float(self.source_level, 7),
            ),
            Command("[:SOURce]:VOLTage:RANGe", self._set_source_range),
            Command("[:SOURce]:VOLTage:RANGe?", lambda c: scpi_float(self.source_range, 7)),
            Command("[:SOURce]:VOLTage:RANGe:AUTO", lambda c: None),
            Command("[:SOURce]:VOLTage:ILIMit[:LEVel]", self._set_limit),
            Command("[:SOURce]:VOLTage:ILIMit[:LEVel]?", lambda c: scpi_float(self.limit, 7)),
            Command("[:SENSe]:FUNCtion[:ON]", self._set_sense_function),
            Command("[:SENSe]:FUNCtion[:ON]?", lambda c: '"CURR:DC"'),
            Command("[:SENSe]:CURRent[:DC]:RANGe[:UPPer]", self._set_range),
            Command(
                "[:SENSe]:CURRent[:DC]:RANGe[:UPPer]?", lambda c: scpi_float(self.current_range, 7)
            ),
            Command("[:SENSe]:CURRent[:DC]:RANGe:AUTO", self._set_auto),
            Command("[:SENSe]:CURRent[:DC]:RANGe:AUTO?", lambda c: str(int(self.auto))),
            Command("[:SENSe]:CURRent[:DC]:NPLCycles", self._set_nplc),
            Command("[:SENSe]:CURRent[:DC]:NPLCycles?", lambda c: scpi_float(self.nplc, 7)),
            Command("OUTPut[:STATe]", self._set_output),
            Command("OUTPut[:STATe]?", lambda c: str(int(self.output))),
            Command("READ?", lambda c: scpi_float(self._reading(), 7)),
            Command("MEASure[:CURRent]?", lambda c: scpi_float(self._reading(), 7)),
        ]

    def reset(self) -> None:
        self.source_function, self.source_level, self.source_range = "VOLT", 0.0, 0.02
        self.limit, self.current_range, self.auto = 1.05e-4, 100e-6, True
        self.nplc, self.output = 1.0, False
        self.sim.set_ammeter_burden(BURDEN_OHMS)

    def _set_source_function(self, call: Call) -> None:
        if call.choice(0, ("VOLTage", "CURRent")) != "VOLTAGE":
            raise ScpiError(-221, "only the 0 V voltage source is simulated")
        self.source_function = "VOLT"

    def _set_level(self, call: Call) -> None:
        level = call.number(0, low=-210.0, high=210.0, default=0.0, unit="V")
        if level != 0.0:
            raise ScpiError(-221, "only a 0 V source is simulated (ammeter use)")
        self.source_level = level

    def _set_source_range(self, call: Call) -> None:
        wanted = abs(call.number(0, low=-210.0, high=210.0, default=0.02, unit="V"))
        self.source_range = next(r for r in VOLT_RANGES if wanted <= r * 1.05 or r == 200.0)

    def _set_limit(self, call: Call) -> None:
        self.limit = call.number(0, low=1e-9, high=1.05, default=1.05e-4, unit="A")

    def _set_sense_function(self, call: Call) -> None:
        if str(call.arg(0)).strip("\"'").upper() not in ("CURR", "CURR:DC", "CURRENT"):
            raise ScpiError(-224, "only current is simulated")

    def _set_range(self, call: Call) -> None:
        wanted = abs(parse_number(str(call.arg(0)), -1.05, 1.05, 1e-6, "A"))
        self.current_range = next(r for r in RANGES if wanted <= r * 1.05 or r == 1.0)
        self.auto = False

    def _set_auto(self, call: Call) -> None:
        self.auto = call.boolean(0)

    def _set_nplc(self, call: Call) -> None:
        self.nplc = call.number(0, low=0.01, high=10.0, default=1.0)

    def _set_output(self, call: Call) -> None:
        self.output = call.boolean(0)

    def _reading(self) -> float:
        """Integrate over one aperture; autorange picks the range holding the result."""
        clock = self.sim.clock
        t0, aperture = clock.now(), self.nplc / self.line_frequency
        current = self.sim.mean_current(t0, t0 + aperture)
        clock.advance(aperture)
        if self.auto:
            self.current_range = next((r for r in RANGES if abs(current) <= r * 1.05), 1.0)
        of_reading, of_range = RANGES[self.current_range]
        sigma = (
            (
                of_reading * abs(current)
                + of_range * self.current_range * max(1.0, math.sqrt(1.0 / self.nplc))
            )
            / 100.0
            / 3.0
        )
        value = current + float(self._noise.normal(0.0, sigma))
        value = max(-self.limit, min(self.limit, value))
        return math.copysign(9.9e37, value) if abs(value) > 1.05 * self.current_range else value
