"""The 34465A's trigger system: when readings are taken, how many, and where they go.

What one reading is belongs to the meter (`keysight_34465a`: the selected function
observed over its aperture, with the data sheet's noise, autoranged if set). When
readings are taken is the same for every function, so it is kept here, as the 34465A
programming reference describes it: INITiate arms the meter; each trigger (IMMediate: at
once; BUS: a *TRG) waits TRIGger:DELay and then takes SAMPle:COUNt readings, for
TRIGger:COUNt triggers, into the reading memory, which FETCh? reads, R? and
DATA:REMove? empty and DATA:POINts? counts. READ? is INITiate and FETCh? in one; ABORt
disarms. Every CONFigure and MEASure? leaves one reading on an immediate trigger
(`TriggerSystem.single`). External and internal (level) triggers are refused with -221:
nothing on the simulated bench is wired to the trigger input.

A trigger's DC current readings on a fixed range are integrated a burst at a time
(`TriggerSystem._burst_currents`) because one integration of the model for many
apertures (`mean_currents`) costs about what one costs, and a bench run takes thousands.
Nothing changes the bench while the meter reads, and the shunt stays, so each aperture's
mean current is known before the first is read; each reading still draws its own noise
and moves the clock by its own aperture, so a burst reads, bit for bit, what the same
readings taken one at a time read.

The meter is known here only as `Meter`, what the trigger system asks of it, so this
module does not import the meter's, which imports it.
"""

from __future__ import annotations

from typing import Protocol

from harness.sim.instruments.base import BenchModel
from harness.sim.instruments.dmm_functions import Function
from harness.sim.scpi import Call, Command, ScpiEngine, ScpiError, ieee_block, scpi_float

OVERHEAD_S = 1e-3
"""Per-reading time on top of the aperture (trigger latency, A/D housekeeping) [E]."""
BURST_READINGS = 256
"""Most readings of a burst integrated together (`TriggerSystem._burst_currents`):
SAMPle:COUNt may ask a million, and a block this size keeps the Gauss nodes and the
firmware's projection of one integration small."""
WAITING_FOR_TRIGGER = 32
"""OPERation status bit 5: armed, waiting for a trigger (34465A status system)."""


class Meter(Protocol):
    """What the trigger system asks of the meter it triggers."""

    @property
    def engine(self) -> ScpiEngine:
        """Its SCPI engine, whose OPERation condition says when it waits for a trigger."""
        ...

    @property
    def function(self) -> Function:
        """The selected function, which every reading of a trigger reads."""
        ...

    def autoranging(self, f: Function) -> bool:
        """Whether `f` is on autorange (a burst reads on a fixed range only)."""
        ...

    def aperture(self, f: Function) -> float:
        """The time one reading of `f` observes the model, in seconds."""
        ...

    def reading(self, f: Function) -> float:
        """One reading of `f`, autoranged if set."""
        ...

    def one_reading(self, f: Function, truth: float | None = None) -> float:
        """One reading of `f` on its present range; `truth`: the model's value over its
        aperture, when a burst has integrated it already."""
        ...


class TriggerSystem:
    """The trigger settings and reading memory of one simulated 34465A (see the module
    docstring)."""

    def __init__(self, meter: Meter, sim: BenchModel) -> None:
        self.meter = meter
        self.sim = sim
        self.sample_count = self.trigger_count = 1
        self.trigger_source, self.trigger_delay, self.auto_delay = "IMMEDIATE", 0.0, True
        self.armed = 0
        """Triggers still to come before the meter returns to idle (BUS source)."""
        self.memory: list[float] = []

    def commands(self) -> list[Command]:
        return [
            Command("*TRG", lambda c: self._bus_trigger()),
            Command("SAMPle:COUNt", lambda c: setattr(self, "sample_count", _count(c))),
            Command("SAMPle:COUNt?", lambda c: f"{self.sample_count:+d}"),
            Command("TRIGger:SOURce", self._set_trigger_source),
            Command("TRIGger:SOURce?", lambda c: self.trigger_source[:3]),
            Command("TRIGger:COUNt", lambda c: setattr(self, "trigger_count", _count(c))),
            Command("TRIGger:COUNt?", lambda c: f"{self.trigger_count:+d}"),
            Command("TRIGger:DELay", self._set_delay),
            Command("TRIGger:DELay?", lambda c: scpi_float(self._delay())),
            Command("TRIGger:DELay:AUTO", lambda c: setattr(self, "auto_delay", c.boolean(0))),
            Command("TRIGger:DELay:AUTO?", lambda c: str(int(self.auto_delay))),
            Command("INITiate[:IMMediate]", lambda c: self._initiate()),
            Command("ABORt", lambda c: self._abort()),
            Command("READ?", lambda c: self.read()),
            Command("FETCh?", lambda c: _format(self.memory)),
            Command("R?", lambda c: ieee_block(_format(self._remove(c)).encode())),
            Command("DATA:REMove?", lambda c: _format(self._remove(c))),
            Command("DATA:POINts?", lambda c: f"{len(self.memory):+d}"),
        ]

    def reset(self) -> None:
        """*RST: one reading on an immediate trigger, automatic delay, idle, memory empty."""
        self.sample_count = self.trigger_count = 1
        self.trigger_source, self.trigger_delay, self.auto_delay = "IMMEDIATE", 0.0, True
        self.armed = 0
        self.memory = []
        self.meter.engine.operation.set_condition(0)

    def single(self) -> None:
        """One reading on an immediate trigger: what every CONFigure sets (manual)."""
        self.sample_count = self.trigger_count = 1
        self.trigger_source = "IMMEDIATE"

    def read(self) -> str:
        """READ?: INITiate, then the readings as FETCh? gives them."""
        if self.trigger_source == "BUS":
            raise ScpiError(-221, "READ? would wait for a *TRG that cannot arrive")
        self._initiate()
        return _format(self.memory)

    def _set_trigger_source(self, call: Call) -> None:
        source = call.choice(0, ("IMMediate", "BUS", "EXTernal", "INTernal"))
        if source not in ("IMMEDIATE", "BUS"):
            raise ScpiError(-221, "nothing is wired to the trigger input")
        self.trigger_source = source

    def _set_delay(self, call: Call) -> None:
        self.trigger_delay = call.number(0, low=0.0, high=3600.0, default=0.0, unit="S")
        self.auto_delay = False

    def _delay(self) -> float:
        """Trigger delay; automatic delay is the settling time, which the model lacks: 0."""
        return 0.0 if self.auto_delay else self.trigger_delay

    def _take(self) -> list[float]:
        """One trigger's worth of readings (SAMPle:COUNt), after the trigger delay.

        DC current on a fixed range is integrated a burst at a time (`_burst_currents`);
        each reading still draws its own noise and moves the clock by its own aperture.
        """
        self.sim.clock.advance(self._delay())
        meter = self.meter
        f, count = meter.function, self.sample_count
        readings: list[float] = []
        burst = f.name == "CURR" and not meter.autoranging(f) and count > 1
        while burst and len(readings) < count:
            ahead = self._burst_currents(f, count - len(readings))
            taken = len(readings)
            for start, mean in ahead:
                if self.sim.clock.now() != start:
                    break
                readings.append(meter.one_reading(f, mean))
            burst = len(readings) - taken == len(ahead)  # else the rest one at a time
        readings += [meter.reading(f) for _ in range(count - len(readings))]
        return readings

    def _burst_currents(self, f: Function, count: int) -> list[tuple[float, float]]:
        """(start, mean current) of each of the next `count` apertures, at most
        `BURST_READINGS`, from one integration (`mean_currents`).

        DC current on a fixed range: nothing changes the bench between a burst's
        readings (the meter holds it while it reads) and the shunt stays, so each
        aperture's current is known before the first is read. The starts are the
        clock's own sums, now + aperture + overhead reading after reading; `_take`
        checks each against the clock before it uses the mean.
        """
        window = self.meter.aperture(f)
        starts = [self.sim.clock.now()]
        for _ in range(min(count, BURST_READINGS) - 1):
            starts.append(starts[-1] + float(window + OVERHEAD_S))
        means = self.sim.mean_currents([(t0, t0 + window) for t0 in starts])
        return list(zip(starts, means, strict=True))

    def _initiate(self) -> None:
        self.memory = []
        if self.trigger_source == "BUS":
            self.armed = self.trigger_count
            self.meter.engine.operation.set_condition(WAITING_FOR_TRIGGER)
            return
        for _ in range(self.trigger_count):
            self.memory += self._take()

    def _bus_trigger(self) -> None:
        """*TRG: a software trigger; counts only while armed with TRIGger:SOURce BUS."""
        if not self.armed:
            raise ScpiError(-211, "not waiting for a BUS trigger")
        self.memory += self._take()
        self.armed -= 1
        if not self.armed:
            self.meter.engine.operation.set_condition(0)

    def _abort(self) -> None:
        self.armed = 0
        self.meter.engine.operation.set_condition(0)

    def _remove(self, call: Call) -> list[float]:
        count = int(call.number(0, low=1, high=2e9, default=len(self.memory), required=False))
        taken, self.memory = self.memory[:count], self.memory[count:]
        return taken


def _format(values: list[float]) -> str:
    return ",".join(scpi_float(v) for v in values)


def _count(call: Call) -> int:
    """SAMPle:COUNt and TRIGger:COUNt: 1 to 1,000,000 (the 34465A's reading memory is 2M)."""
    return int(call.number(0, low=1, high=1_000_000, default=1))


__all__ = ["BURST_READINGS", "OVERHEAD_S", "WAITING_FOR_TRIGGER", "Meter", "TriggerSystem"]
