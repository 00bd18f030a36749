"""The 34465A's TEMPerature function: its probes' commands, and the reference junction.

A 34465A reads temperature with four resistive probes (2- and 4-wire RTDs and
thermistors) and with thermocouples (`dmm_functions` says what each one observes). This
module is the function's command set as the Truevolt programming reference gives it:
CONFigure/MEASure:TEMPerature [{FRTD|RTD|FTHermistor|THERmistor|TCouple|DEF} [,{type|
DEF} [,1 [,resolution]]]], [SENSe:]TEMPerature:TRANsducer:TYPE, {FRTD|RTD}:RESistance,
{FTHermistor|THERmistor}:TYPE, TCouple:TYPE E|J|K|N|R|T, TCouple:RJUNction:TYPE
INTernal|FIXed, TCouple:RJUNction (-20 to +80 °C), TCouple:CHECk, TEMPerature:RJUNction?
(the internal reference, always in °C) and UNIT:TEMPerature; TEMPerature:NPLCycles,
:APERture and :ZERO:AUTO are the meter's, as for every function it integrates.

A thermocouple's reference junction is where its wires meet the meter's copper: the
front terminals, which stand in the room's air (`harness.sim.room`) and so are at its
temperature. The meter's own sensor of them has an error, one value per meter drawn from
the bench seed within ±`REFERENCE_ERROR_C`, which every INTernal-reference reading
carries, as on a real meter. FIXed uses the entered value whatever the terminals are at.

The module is part of the meter (`keysight_34465a`), split off for size; it knows the
meter only as `Meter`, the three things its commands ask of it, so the meter's module
imports this one and not the other way round.
"""

from __future__ import annotations

from typing import Protocol

from harness.sim.instruments.base import BenchModel
from harness.sim.instruments.dmm_functions import (
    PROBE_SHORT,
    PROBES,
    RJUNCTION_SPAN_C,
    RTD_R0_SPAN,
    TEMPERATURE,
    THERMISTOR_SH,
    Function,
    Probe,
)
from harness.sim.instruments.thermocouple import DEFAULT_TYPE, TYPES
from harness.sim.room import Room
from harness.sim.scpi import Call, Command, ScpiError, parse_number, scpi_float

REFERENCE_ERROR_C = 0.5
"""Bound of the internal reference junction sensor's error [E: the data sheet adds the
internal reference's uncertainty to every thermocouple reading; its figure is of this
order]."""
TRANSDUCER = "[SENSe:]TEMPerature:TRANsducer"


class Meter(Protocol):
    """What the TEMPerature commands ask of the meter they belong to."""

    @property
    def probe(self) -> Probe:
        """The probe settings, which *RST replaces (so looked up each time)."""
        ...

    def select(self, f: Function) -> None:
        """Make `f` the function, with a one-reading immediate trigger (CONFigure)."""
        ...

    def read(self) -> str:
        """READ?: trigger, and the readings as text."""
        ...


class TemperatureProbes:
    """The TEMPerature commands of one simulated 34465A (see the module docstring)."""

    def __init__(self, meter: Meter, sim: BenchModel) -> None:
        self.meter = meter
        self._clock = sim.clock
        room = getattr(sim, "room", None)
        self.room: Room = room if isinstance(room, Room) else Room(0, sim.clock)
        error = sim.rng("dmm-reference-junction").uniform(-REFERENCE_ERROR_C, REFERENCE_ERROR_C)
        self.reference_error_c = float(error)
        """The meter's terminal sensor minus the terminals' true temperature, °C."""

    @property
    def probe(self) -> Probe:
        """The meter's probe settings (*RST replaces them: looked up each time)."""
        return self.meter.probe

    def commands(self) -> list[Command]:
        tran = TRANSDUCER

        def p() -> Probe:
            return self.probe

        table = [
            Command("CONFigure:TEMPerature", self.configure),
            Command("MEASure:TEMPerature?", self.measure),
            Command(f"{tran}:TYPE", lambda c: setattr(p(), "kind", probe_kind(c.arg(0)))),
            Command(f"{tran}:TYPE?", lambda c: PROBE_SHORT[p().kind]),
            Command(
                "UNIT:TEMPerature", lambda c: setattr(p(), "unit", c.choice(0, ("C", "F", "K")))
            ),
            Command("UNIT:TEMPerature?", lambda c: p().unit),
            Command(f"{tran}:TCouple:TYPE", lambda c: setattr(p(), "couple", couple(c.arg(0)))),
            Command(f"{tran}:TCouple:TYPE?", lambda c: p().couple),
            Command(f"{tran}:TCouple:RJUNction:TYPE", self._set_reference_kind),
            Command(
                f"{tran}:TCouple:RJUNction:TYPE?",
                lambda c: "INT" if p().internal_reference else "FIX",
            ),
            Command(f"{tran}:TCouple:RJUNction", self._set_fixed_reference),
            Command(f"{tran}:TCouple:RJUNction?", lambda c: scpi_float(p().fixed_reference_c)),
            Command(f"{tran}:TCouple:CHECk", lambda c: setattr(p(), "check", c.boolean(0))),
            Command(f"{tran}:TCouple:CHECk?", lambda c: str(int(p().check))),
            Command("[SENSe:]TEMPerature:RJUNction?", lambda c: scpi_float(self.sensed_c())),
        ]
        for rtd in ("FRTD", "RTD"):  # one R0 for both, as the manual pairs them [E]
            table += [
                Command(f"{tran}:{rtd}:RESistance[:REFerence]", self._set_r0),
                Command(f"{tran}:{rtd}:RESistance[:REFerence]?", lambda c: scpi_float(p().r0)),
            ]
        for thermistor in ("FTHermistor", "THERmistor"):
            table += [
                Command(f"{tran}:{thermistor}:TYPE", self._set_thermistor),
                Command(f"{tran}:{thermistor}:TYPE?", lambda c: f"{p().thermistor:+d}"),
            ]
        return table

    def configure(self, call: Call) -> None:
        """CONFigure:TEMPerature [{probe|DEF} [, {type|DEF} [, 1 [, {resolution}]]]]:
        the type is 85 for an RTD (its only curve), 2252/5000/10000 for a thermistor,
        E|J|K|N|R|T for a thermocouple; the `1` stands where a range would be; the
        resolution sets the NPLC [E]."""
        kind = probe_kind(call.arg(0, required=False) or "DEF")
        kind_type = (call.arg(1, required=False) or "DEF").strip().upper()
        if "RTD" in kind:
            if kind_type not in ("DEF", "DEFAULT", "85"):
                raise ScpiError(-224, kind_type)
        elif kind == "TCOUPLE":
            self.probe.couple = couple(kind_type)
        else:
            self.probe.thermistor = thermistor_type(kind_type)
        placeholder = call.arg(2, required=False)
        if placeholder is not None:
            parse_number(placeholder, 1.0, 1.0, 1.0)
        self.probe.kind = kind
        self.meter.select(TEMPERATURE)

    def measure(self, call: Call) -> str:
        self.configure(call)
        return self.meter.read()

    def sensed_c(self) -> float:
        """The terminals' temperature as the meter's own sensor reads it (°C)."""
        return self.room.state(self._clock.now()).temperature_c + self.reference_error_c

    def reference_c(self) -> float:
        """The reference junction temperature a thermocouple reading is converted with."""
        p = self.probe
        return self.sensed_c() if p.internal_reference else p.fixed_reference_c

    def configuration(self) -> str:
        """CONFigure?: probe, type, the range placeholder (the resolution is the meter's)."""
        p = self.probe
        kind_type: str | int = 85 if "RTD" in p.kind else p.thermistor
        if p.kind == "TCOUPLE":
            kind_type = p.couple
        return f"TEMP {PROBE_SHORT[p.kind]},{kind_type},{scpi_float(1.0)}"

    def _set_reference_kind(self, call: Call) -> None:
        """TCouple:RJUNction:TYPE INTernal|FIXed (the 34465A has no EXTernal one)."""
        self.probe.internal_reference = call.choice(0, ("INTernal", "FIXed")) == "INTERNAL"

    def _set_fixed_reference(self, call: Call) -> None:
        """TCouple:RJUNction: -20 to +80 °C whatever UNIT:TEMPerature says (manual)."""
        low, high = RJUNCTION_SPAN_C
        self.probe.fixed_reference_c = call.number(0, low=low, high=high, default=0.0)

    def _set_thermistor(self, call: Call) -> None:
        self.probe.thermistor = thermistor_type(str(call.arg(0)).strip().upper())

    def _set_r0(self, call: Call) -> None:
        """R0 of the RTD: 49 Ω to 2.1 kΩ, default 100 Ω (manual)."""
        self.probe.r0 = call.number(0, low=RTD_R0_SPAN[0], high=RTD_R0_SPAN[1], default=100.0)


def probe_kind(text: str | None) -> str:
    """FRTD|RTD|FTHermistor|THERmistor|TCouple (DEF: FRTD)."""
    word = str(text).strip().upper()
    if word in ("DEF", "DEFAULT"):
        return "FRTD"
    found = next((p for p in PROBES if word in (p, PROBE_SHORT[p])), None)
    if found is None:
        raise ScpiError(-224, word)
    return found


def thermistor_type(text: str) -> int:
    """2252|5000|10000 (DEF: 5000); another is -224."""
    if text in ("DEF", "DEFAULT"):
        return 5000
    value = parse_number(text, 2252, 10000, 5000)
    if int(value) not in THERMISTOR_SH or value != int(value):
        raise ScpiError(-224, text)
    return int(value)


def couple(text: str | None) -> str:
    """A thermocouple type letter, E|J|K|N|R|T (DEF: J); another is -224."""
    word = str(text).strip().upper()
    if word in ("DEF", "DEFAULT"):
        return DEFAULT_TYPE
    if word not in TYPES:
        raise ScpiError(-224, word)
    return word


__all__ = ["REFERENCE_ERROR_C", "TemperatureProbes", "couple", "probe_kind", "thermistor_type"]
