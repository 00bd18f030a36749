"""Simulated Keysight 34465A 6½-digit multimeter: the bench ammeter, and a whole DMM.

On the bench the DMM sits in series with the load and measures DC current, but a third-
party driver may ask it anything a 34465A answers, so every d.c./a.c. voltage and current
function and 2-/4-wire resistance is here, each observing the model as
`dmm_functions` describes (current through the shunt, voltage across the load, the
resistance the switch connects). A DC reading *integrates*: the A/D converter averages
the input over an aperture of NPLC power-line cycles (10 by default, 0.2 s at 50 Hz),
which rejects mains hum and averages the device's pulsed output, so a reading asks the
model for the exact mean over [now, now + aperture], adds noise sized from the data
sheet's accuracy for the range, and advances the virtual clock by the aperture plus a
little overhead (an AC reading by its filter's settling window instead).

The selected current range chooses the shunt, and the shunt is in series with the
device's output: whenever a current range is selected the instrument tells the model
(`set_ammeter_burden`), so a low range really loads a high-impedance circuit. The shunt
stays in the circuit while another function is selected, as the wiring does not change.

Commands follow the 34465A programming reference: MEASure?/CONFigure for VOLTage[:DC],
VOLTage:AC, CURRent[:DC], CURRent:AC, RESistance, FRESistance; CONFigure?; [SENSe:]
FUNCtion; per function [SENSe:]<f>:RANGe, :RANGe:AUTO (OFF|ON|ONCE), and for the DC
ones :NPLCycles, :RESolution, :APERture, :ZERO:AUTO, for the AC ones :BANDwidth;
CURRent:TERMinals; VOLTage:IMPedance:AUTO; SYSTem:LFRequency?, SYSTem:BEEPer,
LOCal/REMote/RWLock; the trigger and reading memory commands (SAMPle:COUNt, TRIGger,
INITiate, *TRG, ABORt, READ?, FETCh?, R?, DATA) are `dmm_trigger`'s. FREQuency and
PERiod count the load voltage as `dmm_counter` describes (commands in `dmm_frequency`):
no signal reads 0, as the manual says, never a made-up frequency. DC current has the
34465A's 1 µA and 10 µA ranges (autorange reaches them; AC current starts at 100 µA).
CAPacitance (1 nF-100 µF, :RANGe[:AUTO]), CONTinuity and DIODe (fixed ranges,
CONFigure/MEASure? only) and TEMPerature (RTDs and thermistors on the V/Ω input,
thermocouples as its d.c. volts against a reference junction at the room's temperature;
commands in `dmm_temperature`) read the bench as `dmm_functions` describes: the load
resistor, its voltage or an open input, never a made-up value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.instruments.dmm_frequency import COUNTERS, FrequencyCounter
from harness.sim.instruments.dmm_functions import (
    AC_WINDOW_S,
    BY_NAME,
    CAP_SECONDS,
    CONTINUITY,
    CONTINUITY_THRESHOLD_OHMS,
    CURRENT_RANGES,
    FIXED,
    FUNCTIONS,
    NPLC_STEPS,
    OVERLOAD,
    TEMPERATURE,
    Function,
    Probe,
    nplc_for_resolution,
    range_for,
    resolution,
    true_value,
)
from harness.sim.instruments.dmm_temperature import TemperatureProbes
from harness.sim.instruments.dmm_trigger import BURST_READINGS as BURST_READINGS  # re-exported
from harness.sim.instruments.dmm_trigger import OVERHEAD_S, TriggerSystem
from harness.sim.scpi import (
    Call,
    Command,
    ScpiError,
    header_matches,
    parse_number,
    scpi_float,
)

RANGES = CURRENT_RANGES
"""Current range (A) -> (shunt ohms, % of reading, % of range); kept for older imports."""


@dataclass
class Settings:
    """One function's settings; each function remembers its own, as the meter does."""

    range: float
    auto: bool = True
    nplc: float = 10.0
    bandwidth: float = 20.0
    zero_auto: bool = True


class Keysight34465A(SimInstrument):
    """A DMM that observes the model through whichever function is selected."""

    model = "34465A"
    firmware = "A.03.02-02.40-03.02-00.52-03-01"

    def __init__(
        self, sim: BenchModel, serial: str = "MY59001234", line_frequency: float = 50.0
    ) -> None:
        self.line_frequency = line_frequency
        self.function = BY_NAME["VOLT"]
        self.settings: dict[str, Settings] = {}
        self.high_impedance = False
        self.terminals = 3
        self.probe = Probe()
        self.beeps = 0
        """Continuity beeps sounded (a front-panel effect; the simulation counts them)."""
        self._noise = sim.rng("dmm")
        self.temperature = TemperatureProbes(self, sim)
        self.counter = FrequencyCounter(self, sim)
        self.trigger = TriggerSystem(self, sim)
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        table = [
            Command("*TST?", lambda c: "+0"),
            Command("CONFigure?", lambda c: self._configuration()),
            Command("[SENSe:]FUNCtion[:ON]", self._set_function),
            Command("[SENSe:]FUNCtion[:ON]?", lambda c: f'"{self.function.name}"'),
            Command("[SENSe:]CURRent[:DC]:TERMinals", self._set_terminals),
            Command("[SENSe:]CURRent[:DC]:TERMinals?", lambda c: f"{self.terminals:+d}"),
            Command("[SENSe:]CURRent:AC:TERMinals", self._set_terminals),
            Command("[SENSe:]CURRent:AC:TERMinals?", lambda c: f"{self.terminals:+d}"),
            Command("[SENSe:]VOLTage[:DC]:IMPedance:AUTO", self._set_impedance),
            Command(
                "[SENSe:]VOLTage[:DC]:IMPedance:AUTO?", lambda c: str(int(self.high_impedance))
            ),
            Command("SYSTem:LFRequency?", lambda c: f"{self.line_frequency:g}"),
            *self.trigger.commands(),
            *self.front_panel_commands(),
        ]
        for function in FUNCTIONS:
            table += self._function_commands(function)
        table += self.counter.commands()
        for fixed in FIXED:
            table += self._fixed_commands(fixed)
        return [*table, *self.temperature.commands(), *self.integration_commands(TEMPERATURE)]

    def _fixed_commands(self, f: Function) -> list[Command]:
        """CONTinuity and DIODe: range, resolution and integration are fixed (manual)."""
        return [
            Command(f"CONFigure:{f.header}", lambda c: self.select(f)),
            Command(f"MEASure:{f.header}?", lambda c: self._measure_fixed(f)),
        ]

    def _function_commands(self, f: Function) -> list[Command]:
        """MEASure?, CONFigure and the [SENSe:] settings of one function."""
        h = f.header

        def s() -> Settings:
            return self.settings[f.name]

        table = [
            Command(f"CONFigure:{h}", lambda c: self._configure(c, f)),
            Command(f"MEASure:{h}?", lambda c: self._measure(c, f)),
            Command(f"[SENSe:]{h}:RANGe", lambda c: self._set_range(c, f)),
            Command(f"[SENSe:]{h}:RANGe?", lambda c: scpi_float(s().range)),
            Command(f"[SENSe:]{h}:RANGe:AUTO", lambda c: self._set_auto(c, f)),
            Command(f"[SENSe:]{h}:RANGe:AUTO?", lambda c: str(int(s().auto))),
        ]
        if not f.ac and not f.integrating:  # capacitance: range only, 4½ digits fixed
            return table
        if f.ac:
            return [
                *table,
                Command(f"[SENSe:]{h}:BANDwidth", lambda c: self._set_bandwidth(c, f)),
                Command(f"[SENSe:]{h}:BANDwidth?", lambda c: scpi_float(s().bandwidth)),
            ]
        return [
            *table,
            *self.integration_commands(f),
            Command(f"[SENSe:]{h}:RESolution", lambda c: self._set_resolution(c, f)),
            Command(f"[SENSe:]{h}:RESolution?", lambda c: scpi_float(self._resolution(f))),
        ]

    def integration_commands(self, f: Function) -> list[Command]:
        """[SENSe:]<f>:NPLCycles, :APERture and :ZERO:AUTO, of every DC function the
        meter integrates, TEMPerature too (each keeps its own, in `settings`)."""
        h = f.header

        def s() -> Settings:
            return self.settings[f.name]

        return [
            Command(f"[SENSe:]{h}:NPLCycles", lambda c: self._set_nplc(c, f)),
            Command(f"[SENSe:]{h}:NPLCycles?", lambda c: scpi_float(s().nplc)),
            Command(f"[SENSe:]{h}:APERture", lambda c: self._set_aperture(c, f)),
            Command(f"[SENSe:]{h}:APERture?", lambda c: scpi_float(self.aperture(f))),
            Command(f"[SENSe:]{h}:ZERO:AUTO", lambda c: self._set_zero(c, f)),
            Command(f"[SENSe:]{h}:ZERO:AUTO?", lambda c: str(int(s().zero_auto))),
        ]

    def reset(self) -> None:
        self.settings = {f.name: Settings(f.default_range) for f in FUNCTIONS}
        for fixed in (*FIXED, TEMPERATURE):  # no range to autorange
            self.settings[fixed.name] = Settings(fixed.default_range, auto=False)
        for fixed in FIXED:  # continuity and diode integrate over a fixed 1 NPLC [E]
            self.settings[fixed.name].nplc = 1.0
        self.probe = Probe()
        self.beeps = 0
        self.function = BY_NAME["VOLT"]
        self.high_impedance, self.terminals = False, 3
        self.trigger.reset()
        self.counter.reset()
        self.sim.set_ammeter_burden(CURRENT_RANGES[self.settings["CURR"].range][0])

    # --- settings -----------------------------------------------------------------
    def _select_range(self, f: Function, value: float) -> None:
        self.settings[f.name].range = value
        if f.is_current:
            self.sim.set_ammeter_burden(CURRENT_RANGES[value][0])

    def _range_text(self, f: Function, text: str) -> None:
        """A range parameter: AUTO, MIN/MAX/DEF or a value (the range that holds it)."""
        if text.upper() == "AUTO":
            self.settings[f.name].auto = True
            return
        wanted = parse_number(text, f.ranges[0], f.ranges[-1], f.default_range, f.unit)
        self.settings[f.name].auto = False
        self._select_range(f, range_for(f, wanted))

    def _configure(self, call: Call, f: Function) -> None:
        """CONFigure: the function, range and resolution, and a one-reading trigger."""
        self.function = f
        self.settings[f.name].auto = True
        text = call.arg(0, required=False)
        if text is not None and text.upper() != "DEF":
            self._range_text(f, text)
        res = call.arg(1, required=False)
        if res is not None and f.integrating and not f.ac:  # AC and capacitance: fixed
            self._resolution_text(f, res)
        self.trigger.single()

    def _measure(self, call: Call, f: Function) -> str:
        self._configure(call, f)
        return self.read()

    def select(self, f: Function) -> None:
        """The function `f` and a one-reading immediate trigger: all that CONFigure sets
        for CONTinuity, DIODe (no parameters) and TEMPerature (after its probe's)."""
        self.function = f
        self.trigger.single()

    def read(self) -> str:
        """READ?: trigger, and the readings as text (MEASure? is CONFigure and READ?)."""
        return self.trigger.read()

    def _measure_fixed(self, f: Function) -> str:
        self.select(f)
        return self.read()

    def _configuration(self) -> str:
        f = self.function
        if f in FIXED:
            return f'"{f.name}"'
        if f is TEMPERATURE:  # probe, type, the range placeholder, resolution [E]
            t_res = scpi_float(self._resolution(f) * 1e3)  # ppm-of-range table on ±1000 °C [E]
            return f'"{self.temperature.configuration()},{t_res}"'
        if f in COUNTERS:
            return f'"{self.counter.configuration(f)}"'
        rng = self.settings[f.name].range
        return f'"{f.name} {scpi_float(rng)},{scpi_float(self._resolution(f))}"'

    def _set_function(self, call: Call) -> None:
        text = str(call.arg(0))
        every = (*FUNCTIONS, *COUNTERS, *FIXED, TEMPERATURE)
        found = next((f for f in every if header_matches(f.header, text)), None)
        if found is None:
            raise ScpiError(-224, text)
        self.function = found

    def _set_range(self, call: Call, f: Function) -> None:
        self._range_text(f, str(call.arg(0)))

    def _set_auto(self, call: Call, f: Function) -> None:
        if str(call.arg(0)).upper() == "ONCE":  # range once on the present input, then hold
            self.settings[f.name].auto = True
            self.reading(f)
            self.settings[f.name].auto = False
            return
        self.settings[f.name].auto = call.boolean(0)

    def _set_nplc(self, call: Call, f: Function) -> None:
        wanted = call.number(0, low=0.02, high=100.0, default=10.0)
        self.settings[f.name].nplc = next(n for n in NPLC_STEPS if n >= wanted * (1 - 1e-9))

    def _resolution_text(self, f: Function, text: str) -> None:
        rng = self.settings[f.name].range
        # Finer than 100 NPLC gives cannot be met (-222); coarser than 0.02 NPLC gives is
        # met by 0.02 NPLC, so it is accepted up to the range itself.
        finest = resolution(f, rng, 100.0)
        wanted = parse_number(text, finest, rng, resolution(f, rng, 10.0), f.unit)
        self.settings[f.name].nplc = nplc_for_resolution(f, rng, wanted)

    def _set_resolution(self, call: Call, f: Function) -> None:
        self._resolution_text(f, str(call.arg(0)))

    def _resolution(self, f: Function) -> float:
        s = self.settings[f.name]
        return resolution(f, s.range, s.nplc)

    def _set_aperture(self, call: Call, f: Function) -> None:
        """APERture in seconds, held as the NPLC step that is at least that long."""
        seconds = call.number(0, low=20e-6, high=2.0, default=self.aperture(f), unit="S")
        wanted = seconds * self.line_frequency
        self.settings[f.name].nplc = next((n for n in NPLC_STEPS if n >= wanted), 100.0)

    def aperture(self, f: Function) -> float:
        """The time one reading of `f` observes the model: NPLC power-line cycles, the
        AC filter's settling window, or capacitance's fixed time per range."""
        if f.ac:
            return AC_WINDOW_S[self.settings[f.name].bandwidth]
        if not f.integrating:
            return CAP_SECONDS[self.settings[f.name].range]
        return self.settings[f.name].nplc / self.line_frequency

    def _set_bandwidth(self, call: Call, f: Function) -> None:
        wanted = call.number(0, low=3.0, high=200.0, default=20.0, unit="HZ")
        self.settings[f.name].bandwidth = max(b for b in AC_WINDOW_S if b <= wanted)

    def _set_zero(self, call: Call, f: Function) -> None:
        self.settings[f.name].zero_auto = str(call.arg(0)).upper() == "ONCE" or call.boolean(0)

    def _set_terminals(self, call: Call) -> None:
        terminals = int(call.number(0, low=3, high=10, default=3))
        if terminals not in (3, 10):
            raise ScpiError(-224, str(terminals))
        self.terminals = terminals

    def _set_impedance(self, call: Call) -> None:
        self.high_impedance = call.boolean(0)

    # --- readings (taken when `dmm_trigger` says) -----------------------------------
    def autoranging(self, f: Function) -> bool:
        """Whether `f` re-ranges before it reads (a burst is read on a fixed range)."""
        return self.settings[f.name].auto

    def one_reading(self, f: Function, truth: float | None = None) -> float:
        """Observe the model over one aperture on the present range; `truth`: what the
        model gives over this aperture, when a burst has integrated it already."""
        s, clock = self.settings[f.name], self.sim.clock
        t0 = clock.now()
        window = self.aperture(f)
        if truth is not None:
            value = truth
        else:
            reference = self.temperature.reference_c() if f is TEMPERATURE else 0.0
            value = true_value(self.sim, f, t0, t0 + window, self.probe, reference)
        clock.advance(window + OVERHEAD_S)
        if value >= OVERLOAD:
            self.engine.questionable.latch(f.overload_bit)
            return OVERLOAD
        if f.is_current and not f.ac:
            _, of_reading, of_range = CURRENT_RANGES[s.range]
        else:
            of_reading, of_range = f.accuracy
        noise_floor = of_range * max(1.0, math.sqrt(1.0 / s.nplc))
        sigma = (of_reading * abs(value) + noise_floor * s.range) / 100.0 / 3.0
        value += float(self._noise.normal(0.0, sigma))
        if f.ac:
            value = abs(value)
        limit = 1.2 * s.range if f.overload_above is None else f.overload_above
        if abs(value) > limit:
            self.engine.questionable.latch(f.overload_bit)
            return math.copysign(OVERLOAD, value)
        if f is CONTINUITY and value <= CONTINUITY_THRESHOLD_OHMS and self.beeper:
            self.beeps += 1
        return value

    def reading(self, f: Function) -> float:
        """One reading, re-ranging first (each try costs an aperture) in autorange."""
        if f in COUNTERS:
            return self.counter.reading(f)
        value = self.one_reading(f)
        s, ranges = self.settings[f.name], f.ranges
        for _ in range(len(ranges)):
            if not s.auto:
                break
            index = ranges.index(s.range)
            if abs(value) > s.range and index + 1 < len(ranges):
                self._select_range(f, ranges[index + 1])
            elif abs(value) < 0.1 * s.range and index > 0:
                self._select_range(f, ranges[index - 1])
            else:
                break
            value = self.one_reading(f)
        return value
