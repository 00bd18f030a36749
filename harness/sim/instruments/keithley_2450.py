"""Simulated Keithley 2450 SourceMeter: a whole SMU, wired in series with the load.

**Wiring.** The bench puts the 2450 where the DMM would be: between sphere A and the
load, so the loop is device (a current source with a compliance voltage) -> SMU -> load.
Whatever it sources, the SMU only observes the model and tells it its residual series
resistance (`BURDEN_OHMS`, leads and contacts). What each mode then reads:

* **Sourcing voltage** (the harness's use: 0 V, an ammeter with no burden). The loop
  current is the device's, so the current reading is the model's mean current over the
  aperture; the voltage reading is the level the SMU holds. A current beyond `ILIMit`
  cannot flow through a limiting SMU: the reading is clamped to the limit [the model's
  current is not: it cannot express the device being pushed into its own compliance].
  A non-zero level would also shift the device's compliance headroom, which the model
  does not express; within that headroom (tens of volts) the current is unaffected.
* **Sourcing current**, in series with a current source: two ideal current sources in
  one loop. The loop carries the device's current; when it differs from the sourced
  one the SMU drives its terminals to its voltage limit (`VLIMit`, signed toward the
  current it wants) and that is what it reads as voltage. With the device off and 0 A
  sourced they agree and the SMU reads 0 V.
* **Output off** is the 2450's NORMal output-off state: the output stays connected at
  0 V, so readings are as for a 0 V source (the harness reads only with it on).

Every reading integrates the model over NPLC power-line cycles and advances the virtual
clock by that aperture, with noise sized from the data sheet's accuracy for the range
(`smu_ranges`). Readings go into `defbuffer1` as on the instrument. Commands follow the
2450 Reference Manual's SCPI: `:SOUR:FUNC VOLT|CURR`; `:SOUR:VOLT|CURR[:LEV]`,
`:RANG`, `:RANG:AUTO`, `:DEL`, `:DEL:AUTO`, `:SOUR:VOLT:ILIM`, `:SOUR:CURR:VLIM`;
`:SENS:FUNC "CURR"|"VOLT"`; `:SENS:CURR|VOLT:RANG[:UPP]`, `:RANG:AUTO`, `:NPLC`;
`:SENS:COUN`; `:OUTP[:STAT]`; `:READ? [buffer]`, `:MEAS[:CURR|:VOLT]?`; `:TRAC:CLE`,
`:TRAC:TRIG`, `:TRAC:DATA? start,end[,buffer[,READ|SOUR]...]`, `:TRAC:ACT?`,
`:TRAC:POIN`. Only `defbuffer1` and `defbuffer2` exist; another name is -224.
"""

from __future__ import annotations

import math

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.instruments.smu_ranges import (
    CURRENT_RANGES,
    VOLTAGE_RANGES,
    Measure,
    Source,
    noisy,
)
from harness.sim.scpi import Call, Command, ScpiError, scpi_float

RANGES = CURRENT_RANGES
"""Current range (A) -> (% of reading, % of range); kept for older imports."""
BURDEN_OHMS = 0.05
"""Residual series resistance of the SMU in the loop (leads and contacts) [E]."""
VOLT_RANGES = tuple(VOLTAGE_RANGES)
BUFFERS = ("DEFBUFFER1", "DEFBUFFER2")
OVERFLOW = 9.9e37


class Keithley2450(SimInstrument):
    """An SMU in series with the load (module text)."""

    manufacturer = "KEITHLEY INSTRUMENTS"
    model = "MODEL 2450"
    firmware = "1.7.12b"

    def __init__(
        self, sim: BenchModel, serial: str = "04512345", line_frequency: float = 50.0
    ) -> None:
        self.line_frequency = line_frequency
        self.source: dict[str, Source] = {}
        self.measure: dict[str, Measure] = {}
        self.source_function, self.sense_function = "VOLT", "CURR"
        self.output, self.count = False, 1
        self.buffer: list[tuple[float, float]] = []
        self._noise = sim.rng("smu")
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        table = [
            Command("[:SOURce]:FUNCtion[:MODE]", self._set_source_function),
            Command("[:SOURce]:FUNCtion[:MODE]?", lambda c: self.source_function),
            Command("[:SENSe]:FUNCtion[:ON]", self._set_sense_function),
            Command("[:SENSe]:FUNCtion[:ON]?", lambda c: f'"{self.sense_function}:DC"'),
            Command("[:SENSe]:COUNt", self._set_count),
            Command("[:SENSe]:COUNt?", lambda c: str(self.count)),
            Command("OUTPut[:STATe]", lambda c: setattr(self, "output", c.boolean(0))),
            Command("OUTPut[:STATe]?", lambda c: str(int(self.output))),
            Command("READ?", self._read),
            Command("MEASure?", lambda c: self._measure_as(self.sense_function)),
            Command("MEASure:CURRent[:DC]?", lambda c: self._measure_as("CURR")),
            Command("MEASure:VOLTage[:DC]?", lambda c: self._measure_as("VOLT")),
            Command(":TRACe:CLEar", self._trace_clear),
            Command(":TRACe:TRIGger", self._trace_trigger),
            Command(":TRACe:DATA?", self._trace_data),
            Command(":TRACe:ACTual?", lambda c: self._buffer_name(c, 0) and str(len(self.buffer))),
            Command(":TRACe:POINts", self._set_points),
            Command(":TRACe:POINts?", lambda c: "100000"),
        ]
        for name, node in (("VOLT", "VOLTage"), ("CURR", "CURRent")):
            table += self._source_commands(name, node) + self._sense_commands(name, node)
        return table

    def _source_commands(self, name: str, node: str) -> list[Command]:
        limit = "ILIMit" if name == "VOLT" else "VLIMit"

        def src(_: Call) -> Source:
            return self.source[name]

        return [
            Command(
                f"[:SOURce]:{node}[:LEVel][:IMMediate][:AMPLitude]", lambda c: src(c).set_level(c)
            ),
            Command(
                f"[:SOURce]:{node}[:LEVel][:IMMediate][:AMPLitude]?",
                lambda c: scpi_float(src(c).level, 7),
            ),
            Command(f"[:SOURce]:{node}:RANGe", lambda c: src(c).set_range(c)),
            Command(f"[:SOURce]:{node}:RANGe?", lambda c: scpi_float(src(c).range, 7)),
            Command(f"[:SOURce]:{node}:RANGe:AUTO", lambda c: src(c).set_auto(c.boolean(0))),
            Command(f"[:SOURce]:{node}:RANGe:AUTO?", lambda c: str(int(src(c).auto))),
            Command(f"[:SOURce]:{node}:{limit}[:LEVel]", lambda c: src(c).set_limit(c)),
            Command(f"[:SOURce]:{node}:{limit}[:LEVel]?", lambda c: scpi_float(src(c).limit, 7)),
            Command(f"[:SOURce]:{node}:DELay", lambda c: src(c).set_delay(c)),
            Command(f"[:SOURce]:{node}:DELay?", lambda c: scpi_float(src(c).delay, 7)),
            Command(f"[:SOURce]:{node}:DELay:AUTO", lambda c: src(c).set_delay_auto(c)),
            Command(f"[:SOURce]:{node}:DELay:AUTO?", lambda c: str(int(src(c).delay_auto))),
        ]

    def _sense_commands(self, name: str, node: str) -> list[Command]:
        def sense(_: Call) -> Measure:
            return self.measure[name]

        return [
            Command(f"[:SENSe]:{node}[:DC]:RANGe[:UPPer]", lambda c: sense(c).set_range(c)),
            Command(
                f"[:SENSe]:{node}[:DC]:RANGe[:UPPer]?", lambda c: scpi_float(sense(c).range, 7)
            ),
            Command(f"[:SENSe]:{node}[:DC]:RANGe:AUTO", lambda c: sense(c).set_auto(c.boolean(0))),
            Command(f"[:SENSe]:{node}[:DC]:RANGe:AUTO?", lambda c: str(int(sense(c).auto))),
            Command(f"[:SENSe]:{node}[:DC]:NPLCycles", lambda c: sense(c).set_nplc(c)),
            Command(f"[:SENSe]:{node}[:DC]:NPLCycles?", lambda c: scpi_float(sense(c).nplc, 7)),
        ]

    def reset(self) -> None:
        self.source = {"VOLT": Source.voltage(), "CURR": Source.current()}
        self.measure = {"VOLT": Measure.voltage(), "CURR": Measure.current()}
        self.source_function, self.sense_function = "VOLT", "CURR"
        self.output, self.count = False, 1
        self.buffer = []
        self.sim.set_ammeter_burden(BURDEN_OHMS)

    # --- settings -------------------------------------------------------------------
    def _set_source_function(self, call: Call) -> None:
        self.source_function = call.choice(0, ("VOLTage", "CURRent"))[:4]

    def _set_sense_function(self, call: Call) -> None:
        text = str(call.arg(0)).strip("\"'").upper()
        found = {
            f"{w}{dc}": w[:4] for w in ("CURR", "CURRENT", "VOLT", "VOLTAGE") for dc in ("", ":DC")
        }
        if text not in found:
            raise ScpiError(-224, f"{text}: only current and voltage are simulated")
        self.sense_function = found[text]

    def _set_count(self, call: Call) -> None:
        self.count = int(call.number(0, low=1, high=300_000, default=1))

    def _set_points(self, call: Call) -> None:
        call.number(0, low=10, high=100_000, default=100_000)
        if len(call.args) > 1:
            self._buffer_name(call, 1)

    def _buffer_name(self, call: Call, index: int) -> str:
        """The buffer parameter: defbuffer1 or defbuffer2 (-224 for any other)."""
        text = str(call.arg(index, required=False) or "defbuffer1").strip("\"'").upper()
        if text not in BUFFERS:
            raise ScpiError(-224, f"no reading buffer {text!r}")
        return text

    # --- readings -------------------------------------------------------------------
    def _observe(self) -> tuple[float, float]:
        """(current, voltage) at the SMU's terminals over one aperture (module text)."""
        nplc = self.measure[self.sense_function].nplc
        clock = self.sim.clock
        t0, aperture = clock.now(), nplc / self.line_frequency
        device = self.sim.mean_current(t0, t0 + aperture)
        clock.advance(aperture)
        source = self.source[self.source_function]
        if not self.output:
            return device, 0.0
        if self.source_function == "VOLT":
            return max(-source.limit, min(source.limit, device)), source.level
        wanted = source.level - device
        tolerance = 1e-3 * source.range  # agree within the source's setting accuracy [E]
        return device, 0.0 if abs(wanted) <= tolerance else math.copysign(source.limit, wanted)

    def _reading(self, function: str) -> float:
        current, voltage = self._observe()
        measure = self.measure[function]
        true = current if function == "CURR" else voltage
        value = noisy(measure, true, self._noise)
        if abs(value) > 1.05 * measure.range:
            return math.copysign(OVERFLOW, value)
        self.buffer.append((value, self.source[self.source_function].level))
        return value

    def _readings(self) -> list[float]:
        return [self._reading(self.sense_function) for _ in range(self.count)]

    def _read(self, call: Call) -> str:
        self._buffer_name(call, 0)
        return scpi_float(self._readings()[-1], 7)

    def _measure_as(self, function: str) -> str:
        self.sense_function = function
        return scpi_float(self._readings()[-1], 7)

    def _trace_clear(self, call: Call) -> None:
        self._buffer_name(call, 0)
        self.buffer.clear()

    def _trace_trigger(self, call: Call) -> None:
        self._buffer_name(call, 0)
        self._readings()

    def _trace_data(self, call: Call) -> str:
        """`start,end[,buffer[,READ|SOUR]...]`: the readings (or sources) start..end."""
        size = len(self.buffer)
        if not size:
            raise ScpiError(-222, "the buffer is empty")
        start = int(call.number(0, low=1, high=size, default=1))
        end = int(call.number(1, low=start, high=size, default=size))
        self._buffer_name(call, 2)
        elements = [e.strip().upper() for e in call.args[3:]] or ["READ"]
        for element in elements:
            if element not in ("READ", "READING", "SOUR", "SOURCE"):
                raise ScpiError(-224, element)
        values = []
        for value, level in self.buffer[start - 1 : end]:
            values += [value if e.startswith("READ") else level for e in elements]
        return ",".join(scpi_float(v, 7) for v in values)
