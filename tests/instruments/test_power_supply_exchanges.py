"""Keysight E36312A and Rigol DP832 exchanges, from their programming guides."""

from __future__ import annotations

import pytest

from harness.errors import InstrumentError
from harness.instruments.keysight_e36312a import KeysightE36312A
from harness.instruments.protocols import PowerSupply
from harness.instruments.rigol_dp832 import RigolDP832
from harness.instruments.testing import expected_exchanges


def test_e36312a_battery_channel_session() -> None:
    exchanges = [
        ("VOLT 3.8,(@1)", None),
        ("CURR 0.5,(@1)", None),
        ("*OPC?", "1"),
        ("OUTP ON,(@1)", None),
        ("*OPC?", "1"),
        ("MEAS:VOLT? (@1)", "+3.80012000E+00"),
        ("MEAS:CURR? (@1)", "+1.20000000E-02"),
        ("OUTP OFF,(@1:3)", None),
        ("*OPC?", "1"),
    ]
    with expected_exchanges(exchanges, name="psu") as link:
        psu: PowerSupply = KeysightE36312A(link)
        psu.set_output(1, 3.8, 0.5)
        psu.enable(1, True)
        assert psu.measure_voltage(1) == pytest.approx(3.80012)
        assert psu.measure_current(1) == pytest.approx(0.012)
        psu.all_off()


@pytest.mark.parametrize(
    ("channel", "volts", "amps"),
    [
        (1, 6.5, 0.1),
        (1, 4.0, 5.5),
        (2, 26.0, 0.1),
        (2, 5.0, 1.5),
        (4, 1.0, 0.1),
        (1, -1.0, 0.1),
        (1, 3.0, 0.0),
    ],
)
def test_e36312a_refuses_settings_beyond_ratings(channel: int, volts: float, amps: float) -> None:
    with expected_exchanges([], name="psu") as link, pytest.raises(InstrumentError, match="psu"):
        KeysightE36312A(link).set_output(channel, volts, amps)


def test_e36312a_errors_overload_and_garbage() -> None:
    exchanges = [
        ("MEAS:CURR? (@2)", "+9.9E+37"),
        ("MEAS:VOLT? (@2)", ""),
        ("SYST:ERR?", '-222,"Data out of range"'),
        ("SYST:ERR?", '+0,"No error"'),
    ]
    with expected_exchanges(exchanges, name="psu") as link:
        psu = KeysightE36312A(link)
        with pytest.raises(InstrumentError, match="overload: CH2 current"):
            psu.measure_current(2)
        with pytest.raises(InstrumentError, match="expected a number, got reply ''"):
            psu.measure_voltage(2)
        assert psu.check_errors() == ['-222,"Data out of range"']


def test_dp832_session_in_rigol_syntax() -> None:
    exchanges = [
        (":SOUR2:VOLT 5", None),
        (":SOUR2:CURR 0.5", None),
        ("*OPC?", "1"),
        (":OUTP CH2,ON", None),
        ("*OPC?", "1"),
        (":MEAS:VOLT? CH2", "5.0010"),
        (":MEAS:CURR? CH2", "0.0020"),
        (":OUTP CH1,OFF", None),
        (":OUTP CH2,OFF", None),
        (":OUTP CH3,OFF", None),
        ("*OPC?", "1"),
        (":SYST:ERR?", '-113,"Undefined header"'),
        (":SYST:ERR?", '0,"No error"'),
    ]
    with expected_exchanges(exchanges, name="psu") as link:
        psu: PowerSupply = RigolDP832(link)
        psu.set_output(2, 5.0, 0.5)
        psu.enable(2, True)
        assert psu.measure_voltage(2) == pytest.approx(5.001)
        assert psu.measure_current(2) == pytest.approx(0.002)
        psu.all_off()
        assert psu.check_errors() == ['-113,"Undefined header"']


def test_dp832_refuses_over_rating_and_reports_bad_replies() -> None:
    with expected_exchanges(
        [(":MEAS:VOLT? CH1", "9.9E+37"), (":MEAS:CURR? CH1", "x")], name="psu"
    ) as link:
        psu = RigolDP832(link)
        with pytest.raises(InstrumentError, match=r"CH3: 6\.0 V outside 0\.\.5\.0 V"):
            psu.set_output(3, 6.0, 0.1)
        with pytest.raises(InstrumentError, match="overload"):
            psu.measure_voltage(1)
        with pytest.raises(InstrumentError, match="'x'"):
            psu.measure_current(1)
