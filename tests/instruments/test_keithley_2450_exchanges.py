"""Keithley 2450 as an ammeter at 0 V, from the Model 2450 Reference Manual."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import InstrumentError
from harness.instruments.keithley_2450 import Keithley2450
from harness.instruments.protocols import Ammeter
from harness.instruments.testing import expected_exchanges

CONFIGURE_1MA = [
    (":SOUR:FUNC VOLT", None),
    (":SOUR:VOLT 0", None),
    (":SOUR:VOLT:ILIM 0.001", None),
    (':SENS:FUNC "CURR"', None),
    (":SENS:CURR:RANG 0.001", None),
    (":SENS:CURR:NPLC 1", None),
    (":OUTP ON", None),
    ("*OPC?", "1"),
]


def test_configure_sources_zero_volts_and_reads_current() -> None:
    with expected_exchanges([*CONFIGURE_1MA, (":READ?", "3.998712E-04")], name="smu") as link:
        smu: Ammeter = Keithley2450(link, line_frequency_hz=60.0)
        smu.configure_dc_current(1e-3, 1.0)
        assert smu.read_current() == pytest.approx(399.8712e-6)
        assert smu.aperture_s == pytest.approx(1 / 60)
        assert smu.burden_ohms == 0.0


def test_read_currents_through_the_reading_buffer() -> None:
    exchanges = [
        (':TRAC:CLE "defbuffer1"', None),
        (":SENS:COUN 2", None),
        (':TRAC:TRIG "defbuffer1"', None),
        ("*OPC?", "1"),
        (':TRAC:DATA? 1, 2, "defbuffer1", READ', "1.5E-04,1.6E-04"),
        (":SENS:COUN 1", None),
    ]
    with expected_exchanges(exchanges, name="smu") as link:
        np.testing.assert_allclose(Keithley2450(link).read_currents(2), [1.5e-4, 1.6e-4])


def test_overload_and_malformed_replies() -> None:
    with expected_exchanges([(":READ?", "9.9E+37"), (":READ?", "ERR")], name="smu") as link:
        smu = Keithley2450(link)
        with pytest.raises(InstrumentError, match="smu: overload"):
            smu.read_current()
        with pytest.raises(InstrumentError, match="smu: expected a number, got reply 'ERR'"):
            smu.read_current()


def test_error_drain_uses_colon_form() -> None:
    exchanges = [(":SYST:ERR?", '-221,"Settings conflict"'), (":SYST:ERR?", '0,"No error"')]
    with expected_exchanges(exchanges, name="smu") as link:
        assert Keithley2450(link).check_errors() == ['-221,"Settings conflict"']


def test_safe_state_opens_output() -> None:
    with expected_exchanges([(":OUTP OFF", None), ("*OPC?", "1")], name="smu") as link:
        Keithley2450(link).safe_state()


@pytest.mark.parametrize(("range_a", "nplc"), [(3.0, 1.0), (1e-3, 20.0), (1e-3, 0.001)])
def test_invalid_settings_are_refused_before_sending(range_a: float, nplc: float) -> None:
    with expected_exchanges([], name="smu") as link, pytest.raises(InstrumentError):
        Keithley2450(link).configure_dc_current(range_a, nplc)
