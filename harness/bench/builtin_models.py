"""The instrument models and the device driver that ship with the harness, as registered.

Each object here is named by an entry point in the harness's own ``pyproject.toml``
(groups ``microcurrent_hil.instruments`` and ``microcurrent_hil.devices``), exactly as a
third party's would be: the bench finds the shipped models the way it finds anyone's,
so the way in is tested by every run. The entry point's name is what a bench file
writes as ``model:``; renaming one here without its entry point (or the reverse) makes
the bench file's model unknown, and ``tests/bench/test_installed_models.py`` says so.
"""

from __future__ import annotations

from harness.bench.drivers import Connection, DeviceModel, DevicePortRequest, InstrumentModel
from harness.dut.rmd1_port import Rmd1TestPort
from harness.instruments.clock import SimClockInstrument
from harness.instruments.keithley_2450 import Keithley2450
from harness.instruments.keysight_34465a import Keysight34465A
from harness.instruments.keysight_34980a import Keysight34980A
from harness.instruments.keysight_daq970a import DEFAULT_OPTIONS, KeysightDAQ970A
from harness.instruments.keysight_dsox1204g import KeysightDSOX1102G, KeysightDSOX1204G
from harness.instruments.keysight_e36312a import KeysightE36312A
from harness.instruments.rigol_dp832 import RigolDP832
from harness.instruments.rigol_ds1054z import RigolDS1054Z
from harness.instruments.serial_relay_board import SerialRelayBoard, open_serial_relay_board


def _line_hz(c: Connection) -> float:
    return c.option("line_frequency_hz", 50.0)


def _switch_channels(c: Connection) -> tuple[int, ...]:
    return tuple(
        int(ch) for ch in str(c.entry.options.get("channels", "1001,1002,1003,1004")).split(",")
    )


def _open_34465a(c: Connection) -> Keysight34465A:
    return Keysight34465A(c.scpi(), line_frequency_hz=_line_hz(c))


def _open_2450(c: Connection) -> Keithley2450:
    return Keithley2450(c.scpi(), line_frequency_hz=_line_hz(c))


def _open_relay_board(c: Connection) -> SerialRelayBoard:
    # its own serial protocol on a device path or pyserial URL: no VISA
    return open_serial_relay_board(c.resource, name=c.entry.name)


KEYSIGHT_34465A = InstrumentModel("ammeter", _open_34465a)
KEITHLEY_2450 = InstrumentModel("ammeter", _open_2450)
KEYSIGHT_DSOX1204G = InstrumentModel(
    "oscilloscope", lambda c: KeysightDSOX1204G(c.scpi(), clock=c.clock)
)
KEYSIGHT_DSOX1102G = InstrumentModel(
    "oscilloscope", lambda c: KeysightDSOX1102G(c.scpi(), clock=c.clock)
)
RIGOL_DS1054Z = InstrumentModel("oscilloscope", lambda c: RigolDS1054Z(c.scpi(), clock=c.clock))
KEYSIGHT_E36312A = InstrumentModel("power_supply", lambda c: KeysightE36312A(c.scpi()))
RIGOL_DP832 = InstrumentModel("power_supply", lambda c: RigolDP832(c.scpi()))
KEYSIGHT_34980A = InstrumentModel(
    "load_switch", lambda c: Keysight34980A(c.scpi(), channels=_switch_channels(c))
)
SERIAL_RELAY_BOARD = InstrumentModel("load_switch", _open_relay_board)
SIMCLOCK = InstrumentModel("clock", lambda c: SimClockInstrument(c.scpi()))


def _open_daq970a(c: Connection) -> KeysightDAQ970A:
    # options checked before opening (station.check_options: keysight_daq970a.option_problems)
    options = {**DEFAULT_OPTIONS, **c.entry.options}
    return KeysightDAQ970A(
        c.scpi(),
        temperature_channel=int(options["temperature_channel"]),
        humidity_channel=int(options["humidity_channel"]),
        thermistor=int(options["thermistor"]),
        humidity_pct_per_volt=float(options["humidity_pct_per_volt"]),
    )


KEYSIGHT_DAQ970A = InstrumentModel("environment_sensor", _open_daq970a)


def _open_rmd1(request: DevicePortRequest) -> Rmd1TestPort:
    return Rmd1TestPort(request.port, timeout_s=request.timeout_s, name=request.name)


RMD_1 = DeviceModel(_open_rmd1)
