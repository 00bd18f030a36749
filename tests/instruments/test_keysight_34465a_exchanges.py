"""Keysight 34465A exchanges, from the Truevolt SCPI reference."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import InstrumentError
from harness.instruments.keysight_34465a import Keysight34465A
from harness.instruments.protocols import Ammeter, Identity
from harness.instruments.testing import expected_exchanges

CONFIGURE_1MA = [("CONF:CURR:DC 0.001", None), ("CURR:DC:NPLC 10", None), ("*OPC?", "1")]


def test_configure_then_read_one_current() -> None:
    with expected_exchanges([*CONFIGURE_1MA, ("READ?", "+4.00123456E-04")], name="dmm") as link:
        dmm: Ammeter = Keysight34465A(link, line_frequency_hz=50.0)
        dmm.configure_dc_current(1e-3, 10)
        assert dmm.read_current() == pytest.approx(400.123456e-6)
        assert dmm.aperture_s == pytest.approx(0.2)
        assert dmm.burden_ohms == pytest.approx(110.0)


def test_read_several_currents_restores_single_sample() -> None:
    exchanges = [
        ("SAMP:COUN 3", None),
        ("READ?", "+1.0E-04,+2.0E-04,+3.0E-04"),
        ("SAMP:COUN 1", None),
    ]
    with expected_exchanges(exchanges, name="dmm") as link:
        values = Keysight34465A(link).read_currents(3)
    np.testing.assert_allclose(values, [1e-4, 2e-4, 3e-4])


def test_overload_raises_instead_of_returning_a_number() -> None:
    with (
        pytest.raises(InstrumentError, match=r"dmm: overload: current reply '\+9.90000000E\+37'"),
        expected_exchanges([("READ?", "+9.90000000E+37")], name="dmm") as link,
    ):
        Keysight34465A(link).read_current()


def test_malformed_reading_names_instrument_and_reply() -> None:
    with (
        pytest.raises(InstrumentError, match=r"dmm: expected a number, got reply '\+4.0E-'"),
        expected_exchanges([("READ?", "+4.0E-")], name="dmm") as link,
    ):
        Keysight34465A(link).read_current()


def test_error_drain_returns_queued_errors() -> None:
    exchanges = [
        ("SYST:ERR?", '-222,"Data out of range"'),
        ("SYST:ERR?", '+0,"No error"'),
    ]
    with expected_exchanges(exchanges, name="dmm") as link:
        assert Keysight34465A(link).check_errors() == ['-222,"Data out of range"']


def test_identify() -> None:
    reply = "Keysight Technologies,34465A,MY59000001,A.03.02-03.15-03.01-00.52-03-01"
    with expected_exchanges([("*IDN?", reply)], name="dmm") as link:
        identity = Keysight34465A(link).identify()
    assert identity == Identity(
        "Keysight Technologies", "34465A", "MY59000001", "A.03.02-03.15-03.01-00.52-03-01"
    )


@pytest.mark.parametrize(("range_a", "nplc"), [(2e-3, 10), (1e-3, 5), (10.0, 10)])
def test_invalid_settings_are_refused_before_sending(range_a: float, nplc: float) -> None:
    with pytest.raises(InstrumentError, match="dmm: "), expected_exchanges([], name="dmm") as link:
        Keysight34465A(link).configure_dc_current(range_a, nplc)


def test_low_ranges_only_when_the_unit_has_them() -> None:
    with (
        expected_exchanges([], name="dmm") as link,
        pytest.raises(InstrumentError, match="1e-06"),
    ):
        Keysight34465A(link, low_current_ranges=False).configure_dc_current(1e-6, 10)


def test_burden_needs_a_range() -> None:
    with expected_exchanges([], name="dmm") as link, pytest.raises(InstrumentError):
        _ = Keysight34465A(link).burden_ohms


def test_read_count_mismatch_is_an_error() -> None:
    exchanges = [("SAMP:COUN 2", None), ("READ?", "+1.0E-04"), ("SAMP:COUN 1", None)]
    with (
        pytest.raises(InstrumentError, match="asked for 2 readings"),
        expected_exchanges(exchanges, name="dmm") as link,
    ):
        Keysight34465A(link).read_currents(2)
