"""Keysight DAQ970A data acquisition system as the bench's :class:`EnvironmentSensor`.

Why this model: a lab that logs its room usually already has a DAQ970A (or its
predecessor, the 34970A/34972A, which speaks the same commands used here) with a
multiplexer card. The air temperature is a thermistor probe on one channel, the humidity
a transmitter's voltage output (0–1 V for 0–100 %RH, a common option) on another; both
probes are calibrated together with the DAQ as one chain, and the bench file states the
chain's accuracy.

The transmitter's transfer function is applied here, from the bench file
(``humidity_pct_per_volt``), not by the DAQ's Mx+B scaling: ``CONFigure`` resets a
channel's scaling (gain 1, offset 0; programming guide p. 76), so a scaling set once
would silently vanish the next time anyone configured the channel, and the humidity
would read as volts. Each reading configures its channel and reads it, so a front-panel
change between two runs cannot alter what is measured.

Commands used (Keysight DAQ970A/DAQ973A Programming Guide; 34970A/34972A User's Guide,
chapter 4 "Features and Functions", for the same commands on the older models):

=========================================  ============================================
``CONFigure:TEMPerature THER,5000,(@101)``  thermistor (2252, 5000 or 10000 Ω type) on
                                            a channel; also makes it the scan list and
                                            turns off units, time, channel and alarm
                                            fields of readings (34970A UG "Reading
                                            format"; DAQ970A PG p. 139, FORMat)
``UNIT:TEMPerature C,(@101)``               report °C whatever the front panel was set to
``CONFigure:VOLTage:DC 1,(@102)``           DC volts, 1 V range (the transmitter's span)
``READ?``                                   scan the list once, return the reading
``SYSTem:ERRor?``, ``*IDN?``                error queue; identity (DAQ970A PG p. 149:
                                            ``Keysight Technologies,DAQ970A,MY...,A.02...``)
=========================================  ============================================

An open or shorted thermistor reads as overload, ``+9.9E+37`` (34980A/DAQ family:
"±9.9E+37 from the remote interface"), and raises ``InstrumentError`` rather than
becoming a temperature. A humidity outside 0–100 %RH is a transmitter unpowered or
miswired, not a room, and raises too.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.events.steps import bench_step
from harness.instruments.scpi_reply import parse_measurement
from harness.instruments.visa import ScpiInstrument, ScpiLink

#: Thermistor types the DAQ970A linearises (nominal ohms at 25 °C).
THERMISTOR_TYPES = (2252, 5000, 10000)
#: The DC voltage range for the transmitter's 0–1 V output.
HUMIDITY_RANGE_V = 1.0
DEFAULT_OPTIONS: Mapping[str, int | float] = {
    "temperature_channel": 101,
    "humidity_channel": 102,
    "thermistor": 5000,
    "humidity_pct_per_volt": 100.0,
}
"""Bench-file ``options:`` of a DAQ970A sensor and their defaults: the channels the
probes are wired to, the thermistor type and the transmitter's %RH per volt."""


def channel_problem(channel: object) -> str | None:
    """Why ``channel`` is not a DAQ970A multiplexer channel (slot 1–3 × 100 + 1–40)."""
    if isinstance(channel, bool) or not isinstance(channel, int):
        return "a channel number such as 101 (slot 1-3, channel 01-40)"
    slot, number = divmod(channel, 100)
    if not (1 <= slot <= 3 and 1 <= number <= 40):
        return "a channel number such as 101 (slot 1-3, channel 01-40)"
    return None


def option_problems(options: Mapping[str, object]) -> list[tuple[str, str, object]]:
    """The sensor options that are wrong: (key, what was expected, what was given).

    Checked before anything is opened (``harness.bench.station.check_options``), so a
    miswritten channel is an input error of the bench file, not a bench that reads the
    wrong probe.
    """
    problems: list[tuple[str, str, object]] = []
    for key in ("temperature_channel", "humidity_channel"):
        if key in options and (why := channel_problem(options[key])) is not None:
            problems.append((key, why, options[key]))
    if "thermistor" in options and options["thermistor"] not in THERMISTOR_TYPES:
        problems.append(
            ("thermistor", f"one of {', '.join(map(str, THERMISTOR_TYPES))}", options["thermistor"])
        )
    gain = options.get("humidity_pct_per_volt")
    if "humidity_pct_per_volt" in options and (
        isinstance(gain, bool) or not isinstance(gain, int | float) or not 0 < gain <= 1000
    ):
        problems.append(("humidity_pct_per_volt", "a number above 0 (100 for 0-1 V)", gain))
    t_ch = options.get("temperature_channel", DEFAULT_OPTIONS["temperature_channel"])
    h_ch = options.get("humidity_channel", DEFAULT_OPTIONS["humidity_channel"])
    if t_ch == h_ch:
        problems.append(("humidity_channel", "a channel other than the temperature's", h_ch))
    return problems


class KeysightDAQ970A(ScpiInstrument):
    """A DAQ970A reading a thermistor and a humidity transmitter's voltage."""

    def __init__(
        self,
        link: ScpiLink,
        *,
        temperature_channel: int = 101,
        humidity_channel: int = 102,
        thermistor: int = 5000,
        humidity_pct_per_volt: float = 100.0,
    ) -> None:
        super().__init__(link)
        options: dict[str, object] = {
            "temperature_channel": temperature_channel,
            "humidity_channel": humidity_channel,
            "thermistor": thermistor,
            "humidity_pct_per_volt": humidity_pct_per_volt,
        }
        problems = option_problems(options)
        if problems:
            key, expected, got = problems[0]
            raise self._reject(f"{key}: expected {expected}, got {got!r}")
        self.temperature_channel = temperature_channel
        self.humidity_channel = humidity_channel
        self.thermistor = thermistor
        self.humidity_pct_per_volt = humidity_pct_per_volt

    @bench_step
    def read_temperature(self) -> float:
        channel = f"(@{self.temperature_channel})"
        self.link.write(f"CONF:TEMP THER,{self.thermistor},{channel}")
        self.link.write(f"UNIT:TEMP C,{channel}")
        return parse_measurement(
            self.link.query("READ?"), instrument=self.name, quantity="thermistor temperature"
        )

    @bench_step
    def read_humidity(self) -> float:
        channel = f"(@{self.humidity_channel})"
        self.link.write(f"CONF:VOLT:DC {HUMIDITY_RANGE_V:g},{channel}")
        volts = parse_measurement(
            self.link.query("READ?"), instrument=self.name, quantity="humidity transmitter"
        )
        humidity = volts * self.humidity_pct_per_volt
        if not 0.0 <= humidity <= 100.0:
            raise self._reject(
                f"humidity transmitter on {channel} reads {volts:.6g} V = {humidity:.4g} %RH, "
                "outside 0-100 %RH: is it powered and wired to that channel?"
            )
        return humidity

    @bench_step
    def safe_state(self) -> None:
        """Nothing to switch off: the DAQ only measures the room."""
