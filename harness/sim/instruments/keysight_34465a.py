"""Simulated Keysight 34465A 6½-digit multimeter, used as the bench ammeter.

The DMM sits in series with the load. A DC current reading is an *integrating*
measurement: the A/D converter averages the input over an aperture of NPLC power-line
cycles (10 by default, 0.2 s at 50 Hz), which rejects mains hum and, for us, averages the
device's pulsed output. So a reading asks the model for the exact mean current over
[now, now + aperture], adds noise sized from the data sheet's accuracy for the range,
and advances the virtual clock by the aperture plus a little overhead.

The selected range chooses the current shunt, and the shunt's resistance is in series
with the device's output: the instrument tells the model (`set_ammeter_burden`) whenever
the range changes, so a low range really loads a high-impedance circuit.
Readings beyond 120 % of range are overloads and read +9.90000000E+37, as the manual says.

Commands follow the 34465A programming reference: CONFigure, MEASure?, READ?, INITiate,
FETCh?, R?, DATA:POINts?, [SENSe:]CURRent[:DC]:RANGe / :RANGe:AUTO / :NPLC, SAMPle:COUNt,
TRIGger:SOURce / :COUNt, SYSTem:LFRequency?.
"""

from __future__ import annotations

import math

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.scpi import Call, Command, ScpiError, ieee_block, parse_number, scpi_float

# range (A) -> (shunt ohms, accuracy % of reading, accuracy % of range); 1-year figures.
# Shunts are approximate [E]: 100 µA ~1 kΩ down to 0.1 Ω on the 1 A and 3 A ranges.
RANGES: dict[float, tuple[float, float, float]] = {
    100e-6: (1000.0, 0.050, 0.025),
    1e-3: (100.0, 0.050, 0.005),
    10e-3: (10.0, 0.050, 0.020),
    100e-3: (1.0, 0.050, 0.005),
    1.0: (0.1, 0.080, 0.010),
    3.0: (0.1, 0.200, 0.020),
}
NPLC_STEPS = (0.02, 0.06, 0.2, 1.0, 10.0, 100.0)
OVERLOAD = 9.9e37
OVERHEAD_S = 1e-3
"""Per-reading time on top of the aperture (trigger latency, A/D housekeeping) [E]."""


class Keysight34465A(SimInstrument):
    """A DC ammeter that integrates the model's current over its aperture."""

    model = "34465A"
    firmware = "A.03.02-02.40-03.02-00.52-03-01"

    def __init__(
        self, sim: BenchModel, serial: str = "MY59001234", line_frequency: float = 50.0
    ) -> None:
        self.line_frequency = line_frequency
        self.range = 100e-3
        self.auto = True
        self.nplc = 10.0
        self.sample_count = 1
        self.trigger_count = 1
        self.trigger_source = "IMMEDIATE"
        self.memory: list[float] = []
        self._noise = sim.rng("dmm")
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        return [
            Command("CONFigure:CURRent[:DC]", self._configure),
            Command(
                "CONFigure?",
                lambda c: f'"CURR {scpi_float(self.range)},{scpi_float(self._resolution())}"',
            ),
            Command("MEASure:CURRent[:DC]?", self._measure),
            Command("[SENSe:]FUNCtion[:ON]", self._function),
            Command("[SENSe:]FUNCtion[:ON]?", lambda c: '"CURR"'),
            Command("[SENSe:]CURRent[:DC]:RANGe", lambda c: self._set_range(c, 0)),
            Command("[SENSe:]CURRent[:DC]:RANGe?", lambda c: scpi_float(self.range)),
            Command("[SENSe:]CURRent[:DC]:RANGe:AUTO", self._set_auto),
            Command("[SENSe:]CURRent[:DC]:RANGe:AUTO?", lambda c: str(int(self.auto))),
            Command("[SENSe:]CURRent[:DC]:NPLCycles", self._set_nplc),
            Command("[SENSe:]CURRent[:DC]:NPLCycles?", lambda c: scpi_float(self.nplc)),
            Command("SAMPle:COUNt", self._set_samples),
            Command("SAMPle:COUNt?", lambda c: f"{self.sample_count:+d}"),
            Command("TRIGger:SOURce", self._set_trigger_source),
            Command("TRIGger:SOURce?", lambda c: self.trigger_source[:3]),
            Command("TRIGger:COUNt", self._set_trigger_count),
            Command("TRIGger:COUNt?", lambda c: f"{self.trigger_count:+d}"),
            Command("SYSTem:LFRequency?", lambda c: f"{self.line_frequency:g}"),
            Command("INITiate[:IMMediate]", lambda c: self._initiate()),
            Command("READ?", lambda c: self._read()),
            Command("FETCh?", lambda c: self._format(self.memory)),
            Command("R?", self._remove_block),
            Command("DATA:POINts?", lambda c: f"{len(self.memory):+d}"),
        ]

    def reset(self) -> None:
        self.auto, self.nplc = True, 10.0
        self.sample_count = self.trigger_count = 1
        self.trigger_source = "IMMEDIATE"
        self.memory = []
        self._select_range(100e-3)

    @property
    def aperture(self) -> float:
        """Integration time: NPLC power-line cycles."""
        return self.nplc / self.line_frequency

    def _select_range(self, value: float) -> None:
        self.range = value
        self.sim.set_ammeter_burden(RANGES[value][0])

    def _range_for(self, text: str) -> float | None:
        """Smallest range that holds the requested value; None means autorange."""
        if text.upper() == "AUTO":
            return None
        wanted = abs(parse_number(text, 100e-6, 3.0, 100e-3, unit="A"))
        return next(r for r in RANGES if wanted <= r * 1.2 or r == 3.0)

    def _configure(self, call: Call) -> None:
        text = call.arg(0, required=False)
        chosen = None if text is None else self._range_for(text)
        self.auto = chosen is None
        if chosen is not None:
            self._select_range(chosen)
        self.sample_count = self.trigger_count = 1
        self.trigger_source = "IMMEDIATE"

    def _measure(self, call: Call) -> str:
        self._configure(call)
        return self._read()

    def _function(self, call: Call) -> None:
        if str(call.arg(0)).strip("\"'").upper() not in ("CURR", "CURR:DC", "CURRENT"):
            raise ScpiError(-224, "only DC current is simulated")

    def _set_range(self, call: Call, index: int) -> None:
        chosen = self._range_for(str(call.arg(index)))
        self.auto = chosen is None
        if chosen is not None:
            self._select_range(chosen)

    def _set_auto(self, call: Call) -> None:
        text = str(call.arg(0)).upper()
        self.auto = text != "ONCE" and call.boolean(0)

    def _set_nplc(self, call: Call) -> None:
        wanted = call.number(0, low=0.02, high=100.0, default=10.0)
        self.nplc = next(n for n in NPLC_STEPS if n >= wanted * (1 - 1e-9))

    def _set_samples(self, call: Call) -> None:
        self.sample_count = int(call.number(0, low=1, high=1_000_000, default=1))

    def _set_trigger_count(self, call: Call) -> None:
        self.trigger_count = int(call.number(0, low=1, high=1_000_000, default=1))

    def _set_trigger_source(self, call: Call) -> None:
        self.trigger_source = call.choice(0, ("IMMediate", "BUS", "EXTernal", "INTernal"))
        if self.trigger_source != "IMMEDIATE":
            raise ScpiError(-221, "only TRIG:SOUR IMM is simulated")

    def _resolution(self) -> float:
        return self.range * 1e-6 * max(1.0, math.sqrt(10.0 / self.nplc))

    def _one_reading(self) -> float:
        """Integrate the model over one aperture on the present range."""
        clock = self.sim.clock
        t0 = clock.now()
        current = self.sim.mean_current(t0, t0 + self.aperture)
        clock.advance(self.aperture + OVERHEAD_S)
        _, of_reading, of_range = RANGES[self.range]
        noise_floor = of_range * max(1.0, math.sqrt(1.0 / self.nplc))
        sigma = (of_reading * abs(current) + noise_floor * self.range) / 100.0 / 3.0
        value = current + float(self._noise.normal(0.0, sigma))
        return math.copysign(OVERLOAD, value) if abs(value) > 1.2 * self.range else value

    def _reading(self) -> float:
        """One reading, re-ranging first (each try costs an aperture) in autorange."""
        value = self._one_reading()
        ranges = list(RANGES)
        for _ in range(len(ranges)):
            if not self.auto:
                break
            index = ranges.index(self.range)
            if abs(value) > self.range and index + 1 < len(ranges):
                self._select_range(ranges[index + 1])
            elif abs(value) < 0.1 * self.range and index > 0:
                self._select_range(ranges[index - 1])
            else:
                break
            value = self._one_reading()
        return value

    def _initiate(self) -> None:
        self.memory = [self._reading() for _ in range(self.sample_count * self.trigger_count)]

    def _read(self) -> str:
        self._initiate()
        return self._format(self.memory)

    @staticmethod
    def _format(values: list[float]) -> str:
        return ",".join(scpi_float(v) for v in values)

    def _remove_block(self, call: Call) -> bytes:
        count = int(call.number(0, low=1, high=2e9, default=len(self.memory), required=False))
        taken, self.memory = self.memory[:count], self.memory[count:]
        return ieee_block(self._format(taken).encode())
