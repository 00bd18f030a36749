"""Keysight DAQ970A as the environment sensor: exchanges from its programming guide.

Each reading configures its channel and reads it (CONFigure resets a channel's scaling
and reading format, DAQ970A/DAQ973A Programming Guide p. 76 and p. 139), so the script
is the same for every reading. Replies are in the guide's format: ``+2.31234000E+01``,
overload ``+9.90000000E+37``.
"""

from __future__ import annotations

import pytest

from harness.errors import InstrumentError
from harness.instruments.keysight_daq970a import KeysightDAQ970A, option_problems
from harness.instruments.protocols import EnvironmentSensor, Identity, Instrument
from harness.instruments.testing import expected_exchanges

TEMPERATURE = [("CONF:TEMP THER,5000,(@101)", None), ("UNIT:TEMP C,(@101)", None)]
HUMIDITY = [("CONF:VOLT:DC 1,(@102)", None)]


def test_reads_the_thermistor_in_celsius_and_the_transmitter_as_percent() -> None:
    exchanges = [
        *TEMPERATURE,
        ("READ?", "+2.31234000E+01"),
        *HUMIDITY,
        ("READ?", "+4.51200000E-01"),
    ]
    with expected_exchanges(exchanges, name="env") as link:
        sensor: EnvironmentSensor = KeysightDAQ970A(link)
        assert sensor.read_temperature() == pytest.approx(23.1234)
        assert sensor.read_humidity() == pytest.approx(45.12)


def test_channels_thermistor_type_and_transmitter_span_come_from_the_bench_file() -> None:
    exchanges = [
        ("CONF:TEMP THER,10000,(@203)", None),
        ("UNIT:TEMP C,(@203)", None),
        ("READ?", "+2.10000000E+01"),
        ("CONF:VOLT:DC 1,(@204)", None),
        ("READ?", "+2.00000000E-01"),  # a 0-0.5 V transmitter: 200 %RH per volt
    ]
    with expected_exchanges(exchanges, name="env") as link:
        sensor = KeysightDAQ970A(
            link, temperature_channel=203, humidity_channel=204, thermistor=10000,
            humidity_pct_per_volt=200.0,
        )  # fmt: skip
        assert sensor.read_temperature() == pytest.approx(21.0)
        assert sensor.read_humidity() == pytest.approx(40.0)


def test_an_open_thermistor_reads_overload_and_is_refused() -> None:
    script = [*TEMPERATURE, ("READ?", "+9.90000000E+37")]
    refused = pytest.raises(InstrumentError, match=r"env: overload: thermistor temperature")
    with expected_exchanges(script, name="env") as link, refused:
        KeysightDAQ970A(link).read_temperature()


@pytest.mark.parametrize("volts", ["-5.00000000E-02", "+1.20000000E+00"])
def test_a_humidity_outside_0_to_100_is_a_wiring_fault_not_a_room(volts: str) -> None:
    refused = pytest.raises(InstrumentError, match=r"outside 0-100 %RH: is it powered")
    with expected_exchanges([*HUMIDITY, ("READ?", volts)], name="env") as link, refused:
        KeysightDAQ970A(link).read_humidity()


def test_garbage_reply_and_error_queue() -> None:
    exchanges = [
        *TEMPERATURE,
        ("READ?", "C"),
        ("SYST:ERR?", '-221,"Settings conflict"'),
        ("SYST:ERR?", '+0,"No error"'),
        ("*IDN?", "Keysight Technologies,DAQ970A,MY58012345,A.02.04-00.16-11.29-00.02-02-01"),
    ]
    with expected_exchanges(exchanges, name="env") as link:
        sensor = KeysightDAQ970A(link)
        with pytest.raises(InstrumentError, match="env"):
            sensor.read_temperature()
        assert sensor.check_errors() == ['-221,"Settings conflict"']
        assert sensor.identify() == Identity(
            "Keysight Technologies", "DAQ970A", "MY58012345", "A.02.04-00.16-11.29-00.02-02-01"
        )
        sensor.safe_state()  # sends nothing: the script would fail on any command


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"temperature_channel": 1001}, "temperature_channel"),
        ({"humidity_channel": 150}, "humidity_channel"),
        ({"thermistor": 3000}, "thermistor"),
        ({"humidity_pct_per_volt": 0}, "humidity_pct_per_volt"),
        ({"humidity_pct_per_volt": "lots"}, "humidity_pct_per_volt"),
        ({"temperature_channel": 102}, "humidity_channel"),  # both probes on one channel
    ],
)
def test_wrong_options_are_refused_before_anything_is_sent(
    options: dict[str, object], key: str
) -> None:
    assert [p[0] for p in option_problems(options)] == [key]
    with expected_exchanges([], name="env") as link, pytest.raises(InstrumentError, match=key):
        KeysightDAQ970A(link, **options)  # type: ignore[arg-type]
    assert option_problems({"temperature_channel": 101, "thermistor": 2252}) == []


def test_it_is_an_instrument() -> None:
    with expected_exchanges([]) as link:
        assert isinstance(KeysightDAQ970A(link), Instrument)
