"""The 34465A's FREQuency and PERiod functions: their commands and their readings.

How the meter's reciprocal counter counts the load voltage is `dmm_counter`'s; this
module is the two functions' command set as the 34465A programming reference gives it:
CONFigure/MEASure:{FREQuency|PERiod}? [<range> [, <resolution>]], and the [SENSe:]
settings the two share, :APERture (10 ms, 100 ms, 1 s; 1 ms on the 34465A),
:RANGe:LOWer (the AC filter), :VOLTage:RANGe[:AUTO] and :TIMeout:AUTO. The range only
sets the resolution, in ppm of the range, and the resolution the aperture; neither
function autoranges. No signal reads 0, as the manual says, never a made-up frequency.

The module is part of the meter (`keysight_34465a`), split off for size as
`dmm_temperature` is, because the two functions keep settings of their own apart from
every other function's; it knows the meter only as `Meter`, what these commands ask of
it, so the meter's module imports this one and not the other way round.
"""

from __future__ import annotations

from typing import Protocol

from harness.sim.instruments.base import BenchModel
from harness.sim.instruments.dmm_counter import (
    APERTURES_S,
    DEFAULT_FREQUENCY_RANGE,
    DEFAULT_PERIOD_RANGE,
    FREQUENCY_SPAN,
    LOW_FILTERS_HZ,
    PERIOD_SPAN,
    VOLTAGE_RANGES,
    CounterSettings,
    aperture_for_resolution,
    count,
    ppm_for_aperture,
)
from harness.sim.instruments.dmm_functions import OVERLOAD, Function
from harness.sim.instruments.dmm_trigger import OVERHEAD_S, TriggerSystem
from harness.sim.scpi import Call, Command, ScpiEngine, ScpiError, parse_number, scpi_float

FREQUENCY = Function("FREQ", "FREQuency", "HZ", FREQUENCY_SPAN, DEFAULT_FREQUENCY_RANGE,
                     (0.0, 0.0), True, 1)  # fmt: skip
PERIOD = Function("PER", "PERiod", "S", PERIOD_SPAN, DEFAULT_PERIOD_RANGE,
                  (0.0, 0.0), True, 1)  # fmt: skip
COUNTERS = (FREQUENCY, PERIOD)
"""The counter functions (`dmm_counter`): one shared set of settings, no autoranging."""


class Meter(Protocol):
    """What the FREQuency and PERiod commands ask of the meter they belong to."""

    function: Function
    """The selected function; CONFigure selects its own before it reads its parameters."""

    @property
    def trigger(self) -> TriggerSystem:
        """Its trigger system: CONFigure leaves one reading on an immediate trigger."""
        ...

    @property
    def engine(self) -> ScpiEngine:
        """Its SCPI engine, whose QUEStionable register latches an overload."""
        ...


class FrequencyCounter:
    """The FREQuency and PERiod commands of one simulated 34465A (see the module
    docstring)."""

    def __init__(self, meter: Meter, sim: BenchModel) -> None:
        self.meter = meter
        self.sim = sim
        self.settings = CounterSettings()
        self.range = {FREQUENCY.name: FREQUENCY.default_range, PERIOD.name: PERIOD.default_range}
        """Each function's CONFigure range, which only sets the resolution reported."""

    def reset(self) -> None:
        self.settings.reset()
        self.range = {FREQUENCY.name: FREQUENCY.default_range, PERIOD.name: PERIOD.default_range}

    def commands(self) -> list[Command]:
        table: list[Command] = []
        for f in COUNTERS:
            table += self._commands(f)
        return table

    def _commands(self, f: Function) -> list[Command]:
        """MEASure?/CONFigure and the [SENSe:] settings FREQuency and PERiod share."""
        h, c = f.header, self.settings
        return [
            Command(f"CONFigure:{h}", lambda k: self.configure(k, f)),
            Command(f"MEASure:{h}?", lambda k: self.measure(k, f)),
            Command(f"[SENSe:]{h}:APERture", self._set_aperture),
            Command(f"[SENSe:]{h}:APERture?", lambda k: scpi_float(c.aperture)),
            Command(f"[SENSe:]{h}:RANGe:LOWer", self._set_low_filter),
            Command(f"[SENSe:]{h}:RANGe:LOWer?", lambda k: scpi_float(c.low_filter)),
            Command(f"[SENSe:]{h}:VOLTage:RANGe", self._set_volts),
            Command(f"[SENSe:]{h}:VOLTage:RANGe?", lambda k: scpi_float(c.voltage_range)),
            Command(f"[SENSe:]{h}:VOLTage:RANGe:AUTO", self._set_volts_auto),
            Command(f"[SENSe:]{h}:VOLTage:RANGe:AUTO?", lambda k: str(int(c.voltage_auto))),
            Command(
                f"[SENSe:]{h}:TIMeout:AUTO", lambda k: setattr(c, "timeout_auto", k.boolean(0))
            ),
            Command(f"[SENSe:]{h}:TIMeout:AUTO?", lambda k: str(int(c.timeout_auto))),
        ]

    def configure(self, call: Call, f: Function) -> None:
        """CONFigure:{FREQuency|PERiod} [<range> [, <resolution>]]: the range only sets
        the resolution, and the resolution (ppm of range) the aperture (manual)."""
        self.meter.function = f
        low, high = f.ranges
        text = call.arg(0, required=False)
        rng = f.default_range
        if text is not None:
            rng = parse_number(text, low, high, f.default_range, f.unit)
        self.range[f.name] = rng
        res = call.arg(1, required=False)
        self.settings.aperture = 0.1  # CONFigure sets every parameter to its default
        if res is not None:
            wanted = parse_number(res, 1e-6 * rng, 100e-6 * rng, 10e-6 * rng, f.unit)
            self.settings.aperture = aperture_for_resolution(wanted / rng * 1e6)
        self.meter.trigger.single()

    def measure(self, call: Call, f: Function) -> str:
        self.configure(call, f)
        return self.meter.trigger.read()

    def configuration(self, f: Function) -> str:
        """CONFigure?: the function, its range and the resolution the aperture gives."""
        rng = self.range[f.name]
        res = ppm_for_aperture(self.settings.aperture) * 1e-6 * rng
        return f"{f.name} {scpi_float(rng)},{scpi_float(res)}"

    def reading(self, f: Function) -> float:
        """One frequency or period reading of the load voltage (`dmm_counter`)."""
        clock = self.sim.clock
        result = count(self.sim, self.settings, clock.now())
        clock.advance(result.duration_s + OVERHEAD_S)
        if self.settings.voltage_auto:
            self.settings.voltage_range = result.voltage_range
        if result.frequency >= OVERLOAD:
            self.meter.engine.questionable.latch(f.overload_bit)
            return OVERLOAD
        if result.frequency == 0.0:
            return 0.0  # no signal: the manual's 0, for period as for frequency
        value = result.frequency if f is FREQUENCY else 1.0 / result.frequency
        return value

    def _set_aperture(self, call: Call) -> None:
        """{10 ms|100 ms|1 s}, and 1 ms on the 34465A/70A; another value is -222."""
        low, high = APERTURES_S[0], APERTURES_S[-1]
        seconds = call.number(0, low=low, high=high, default=0.1, unit="S")
        found = next((a for a in APERTURES_S if abs(a - seconds) <= 1e-9 * high), None)
        if found is None:
            raise ScpiError(-222, str(call.arg(0)))
        self.settings.aperture = found

    def _set_low_filter(self, call: Call) -> None:
        """The AC filter 3, 20 or 200 Hz: the highest not above the value asked."""
        wanted = call.number(0, low=3.0, high=200.0, default=20.0, unit="HZ")
        self.settings.low_filter = max(b for b in LOW_FILTERS_HZ if b <= wanted * (1 + 1e-9))

    def _set_volts(self, call: Call) -> None:
        wanted = call.number(0, low=0.0, high=VOLTAGE_RANGES[-1], default=10.0, unit="V")
        self.settings.voltage_range = next(r for r in VOLTAGE_RANGES if wanted <= r * 1.2)
        self.settings.voltage_auto = False

    def _set_volts_auto(self, call: Call) -> None:
        self.settings.voltage_auto = str(call.arg(0)).upper() == "ONCE" or call.boolean(0)


__all__ = ["COUNTERS", "FREQUENCY", "PERIOD", "FrequencyCounter", "Meter"]
