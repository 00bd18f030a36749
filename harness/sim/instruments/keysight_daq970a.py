"""Simulated Keysight DAQ970A logging the simulated bench's room.

Slot 1 holds a DAQM901A 20-channel multiplexer. Channel 101 is wired to a 5 kΩ
thermistor probe in the room's air, channel 102 to a humidity transmitter whose output is
0–1 V for 0–100 %RH; every other channel is open. The instrument reads the shared room
(``harness.sim.room``, ``SimBench.room``) and adds what the real chain adds: the probe's
and the transmitter's calibration error (drawn once from the bench seed, inside the
accuracy the sim bench files state), reading noise, the DAQ's resolution, and the time a
reading takes (one power-line cycle plus the channel delay, on the virtual clock).

The thermistor is modelled by its resistance (β = 3891 K, the 44007-type 5 kΩ curve):
configuring the channel for another thermistor type linearises that resistance with
the wrong curve and reads a wrong temperature, as a real DAQ would. An open channel
configured for temperature reads overload (``+9.9E+37``).

Commands (Keysight DAQ970A/DAQ973A Programming Guide): CONFigure:TEMPerature THERmistor
(2252, 5000, 10000; other probe types are refused with -224: no such probe is wired),
CONFigure:VOLTage[:DC], UNIT:TEMPerature[?] (C, F, K), ROUTe:SCAN[?], ROUTe:SCAN:SIZE?,
READ?, FORMat:READing:UNIT[?] and :CHANnel[?] (:TIME and :ALARm only OFF: time stamps
are not simulated), SYSTem:CTYPe?, SYSTem:BEEPer, LOCal/REMote/RWLock; the engine adds
the 488.2 common commands, SYSTem:ERRor? and the STATus registers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.room import Room
from harness.sim.scpi import Call, Command, ScpiError, ieee_block, scpi_float

THERMISTOR_CHANNEL, HUMIDITY_CHANNEL = 101, 102
CHANNELS = range(101, 121)
"""A DAQM901A in slot 1: channels 101–120."""
PROBE_OHMS_25C = 5000.0
BETA_K = 3891.0
"""β of the 44007-type 5 kΩ thermistor between 0 and 50 °C (its R-T table)."""
THERMISTOR_TYPES = (2252, 5000, 10000)
VOLT_RANGES = (0.1, 1.0, 10.0, 100.0, 300.0)
READING_TIME_S = 0.025
"""One reading: 1 PLC at 50 Hz plus the channel's default delay, about 25 ms."""
OVERLOAD = 9.9e37
PROBE_ERROR_C = 0.08
"""The simulated probe's calibration error is drawn within ± this (°C)."""
TRANSMITTER_ERROR_PCT = 0.8
"""The simulated transmitter's offset error is drawn within ± this (%RH)."""
TEMPERATURE_NOISE_C = 0.005
HUMIDITY_NOISE_PCT = 0.05
TEMPERATURE_STEP_C = 0.001
VOLT_STEP_V = 1e-6


@dataclass
class ChannelSetup:
    """One channel's configuration: ``TEMP`` (thermistor type) or ``VOLT`` (range)."""

    function: str
    thermistor: int = 5000
    volt_range: float = 10.0
    unit: str = "C"


class KeysightDAQ970A(SimInstrument):
    """A DAQ970A with a thermistor and a humidity transmitter in the room."""

    model = "DAQ970A"
    firmware = "A.02.04-00.16-11.29-00.02-02-01"

    def __init__(self, sim: BenchModel, serial: str = "MY58012345") -> None:
        self.setups: dict[int, ChannelSetup] = {}
        self.scan: list[int] = []
        self.format_unit = False
        self.format_channel = False
        room = getattr(sim, "room", None)
        self.room: Room = room if isinstance(room, Room) else Room(0, sim.clock)
        self._noise = sim.rng("env")
        self.probe_error_c = float(self._noise.uniform(-PROBE_ERROR_C, PROBE_ERROR_C))
        self.transmitter_error_pct = float(
            self._noise.uniform(-TRANSMITTER_ERROR_PCT, TRANSMITTER_ERROR_PCT)
        )
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        return [
            Command("CONFigure:TEMPerature", self._configure_temperature),
            Command("CONFigure:VOLTage[:DC]", self._configure_volts),
            Command("UNIT:TEMPerature", self._set_unit),
            Command("UNIT:TEMPerature?", self._unit_query),
            Command("ROUTe:SCAN", lambda c: setattr(self, "scan", self._channels(c))),
            Command("ROUTe:SCAN?", self._scan_query),
            Command("ROUTe:SCAN:SIZE?", lambda c: f"{len(self.scan):+d}"),
            Command("READ?", lambda c: self._read()),
            Command("FORMat:READing:UNIT", lambda c: setattr(self, "format_unit", c.boolean(0))),
            Command("FORMat:READing:UNIT?", lambda c: str(int(self.format_unit))),
            Command(
                "FORMat:READing:CHANnel",
                lambda c: setattr(self, "format_channel", c.boolean(0)),
            ),
            Command("FORMat:READing:CHANnel?", lambda c: str(int(self.format_channel))),
            Command("FORMat:READing:TIME", self._only_off),
            Command("FORMat:READing:TIME?", lambda c: "0"),
            Command("FORMat:READing:ALARm", self._only_off),
            Command("FORMat:READing:ALARm?", lambda c: "0"),
            Command("SYSTem:CTYPe?", self._card_type),
            *self.front_panel_commands(),
        ]

    def reset(self) -> None:
        self.setups = {}
        self.scan = []
        self.format_unit = self.format_channel = False

    # --- configuration ---------------------------------------------------------------

    def _channels(self, call: Call) -> list[int]:
        text = next((a for a in reversed(call.args) if a.strip().startswith("(@")), None)
        if text is None:
            raise ScpiError(-109, "channel list")
        channels = call.channels(call.args.index(text)) or []
        if not channels or any(ch not in CHANNELS for ch in channels):
            raise ScpiError(-224, "channel not in slot 1 (101-120)")
        return channels

    def _configure(self, channels: list[int], setup: ChannelSetup) -> None:
        """CONFigure: the channels' setup, the scan list, readings without extra fields."""
        for ch in channels:
            self.setups[ch] = ChannelSetup(**setup.__dict__)
        self.scan = channels
        self.format_unit = self.format_channel = False

    def _configure_temperature(self, call: Call) -> None:
        channels = self._channels(call)
        probe = call.choice(0, ["THERmistor", "TCouple", "RTD", "FRTD", "DEFault"])
        if probe != "THERMISTOR":
            raise ScpiError(-224, f"no {probe.lower()} probe is wired")
        kind = str(call.arg(1)).upper()
        thermistor = 5000 if kind in ("DEF", "DEFAULT") else _int(kind)
        if thermistor not in THERMISTOR_TYPES:
            raise ScpiError(-224, kind)
        self._configure(channels, ChannelSetup("TEMP", thermistor=thermistor))

    def _configure_volts(self, call: Call) -> None:
        channels = self._channels(call)
        given = [a for a in call.args if not a.strip().startswith("(@")]
        first = given[0].strip().upper() if given else "DEF"
        if first in ("AUTO", "DEF", "DEFAULT"):
            volt_range = 10.0
        else:
            asked = call.number(0, low=0.0, high=300.0, default=10.0, unit="V")
            volt_range = next(r for r in VOLT_RANGES if asked <= r * (1 + 1e-9))
        self._configure(channels, ChannelSetup("VOLT", volt_range=volt_range))

    def _set_unit(self, call: Call) -> None:
        unit = call.choice(0, ["C", "F", "K"])
        targets = self._channels(call) if len(call.args) > 1 else list(self.setups)
        for ch in targets:
            setup = self.setups.get(ch)
            if setup is None or setup.function != "TEMP":
                raise ScpiError(-221, f"channel {ch} is not configured for temperature")
            setup.unit = unit

    def _unit_query(self, call: Call) -> str:
        targets = self._channels(call) if call.args else self.scan
        return ",".join(self.setups[ch].unit if ch in self.setups else "C" for ch in targets)

    def _scan_query(self, call: Call) -> bytes:
        text = "(@" + ",".join(str(ch) for ch in self.scan) + ")"
        return ieee_block(text.encode())

    def _only_off(self, call: Call) -> None:
        if call.boolean(0):
            raise ScpiError(-221, "time stamps and alarms are not simulated")

    def _card_type(self, call: Call) -> str:
        slot = call.number(0, low=1, high=3, default=1)
        return "Keysight Technologies,DAQM901A,0,1.0" if slot == 1 else "0,0,0,0"

    # --- readings --------------------------------------------------------------------

    def _read(self) -> str:
        if not self.scan:
            raise ScpiError(-221, "the scan list is empty")
        out = []
        for ch in self.scan:
            setup = self.setups[ch]
            value, unit = self._reading(ch, setup)
            text = scpi_float(value) + (f" {unit}" if self.format_unit else "")
            out.append(text + (f",{ch}" if self.format_channel else ""))
        return ",".join(out)

    def _reading(self, channel: int, setup: ChannelSetup) -> tuple[float, str]:
        clock = self.sim.clock
        clock.advance(READING_TIME_S)
        room = self.room.state(clock.now())
        if setup.function == "VOLT":
            volts = 0.0
            if channel == HUMIDITY_CHANNEL:
                humidity = room.humidity_pct + self.transmitter_error_pct
                humidity += float(self._noise.normal(0.0, HUMIDITY_NOISE_PCT))
                volts = min(max(humidity, 0.0), 100.0) / 100.0
            volts += float(self._noise.normal(0.0, 2e-6))
            if abs(volts) > 1.2 * setup.volt_range:
                return math.copysign(OVERLOAD, volts), "VDC"
            return round(volts / VOLT_STEP_V) * VOLT_STEP_V, "VDC"
        if channel != THERMISTOR_CHANNEL:
            return OVERLOAD, setup.unit  # an open channel: no thermistor to read
        true_c = room.temperature_c + self.probe_error_c
        ohms = PROBE_OHMS_25C * math.exp(BETA_K * (1 / (true_c + 273.15) - 1 / 298.15))
        kelvin = 1 / (1 / 298.15 + math.log(ohms / setup.thermistor) / BETA_K)
        celsius = kelvin - 273.15 + float(self._noise.normal(0.0, TEMPERATURE_NOISE_C))
        celsius = round(celsius / TEMPERATURE_STEP_C) * TEMPERATURE_STEP_C
        value = {"C": celsius, "F": celsius * 9 / 5 + 32, "K": celsius + 273.15}[setup.unit]
        return value, setup.unit


def _int(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        raise ScpiError(-104, text) from None
