"""Reply parsing: numbers, the SCPI sentinels, lists, error entries and identities."""

from __future__ import annotations

import pytest

from harness.errors import InstrumentError
from harness.instruments.protocols import Identity
from harness.instruments.scpi_reply import (
    ReadingStatus,
    classify,
    parse_error_entry,
    parse_flags,
    parse_float,
    parse_floats,
    parse_identity,
    parse_int,
    parse_measurement,
    parse_measurements,
)


@pytest.mark.parametrize(
    ("reply", "value"),
    [("+1.23456789E-04", 1.23456789e-4), ("-5", -5.0), (" 0.5\n", 0.5), (".25", 0.25)],
)
def test_parse_float_reads_instrument_number_formats(reply: str, value: float) -> None:
    assert parse_float(reply, instrument="dmm") == pytest.approx(value)


@pytest.mark.parametrize("reply", ["", "nan", "inf", "1_000", "1.2.3", "OK", "1e"])
def test_parse_float_rejects_garbage_naming_instrument_and_reply(reply: str) -> None:
    with pytest.raises(InstrumentError) as info:
        parse_float(reply, instrument="dmm")
    assert info.value.instrument == "dmm"
    assert repr(reply) in info.value.detail


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (9.9e37, ReadingStatus.OVERLOAD),
        (9.90000000e37, ReadingStatus.OVERLOAD),
        (-9.9e37, ReadingStatus.NEGATIVE_OVERLOAD),
        (9.91e37, ReadingStatus.NOT_A_NUMBER),
        (float("nan"), ReadingStatus.NOT_A_NUMBER),
        (1e37, ReadingStatus.VALID),
        (0.0, ReadingStatus.VALID),
    ],
)
def test_classify_tells_sentinels_from_readings(value: float, status: ReadingStatus) -> None:
    assert classify(value) is status


def test_parse_measurement_turns_overload_into_instrument_error() -> None:
    with pytest.raises(InstrumentError, match=r"dmm: overload: current reply '\+9.9E\+37'"):
        parse_measurement("+9.9E+37\n", instrument="dmm", quantity="current")


def test_parse_measurements_fails_whole_list_on_one_overload() -> None:
    assert parse_measurements("1E-4,2E-4", instrument="dmm") == [1e-4, 2e-4]
    with pytest.raises(InstrumentError, match="overload: reading #2 of 3"):
        parse_measurements("1E-4,9.9E+37,2E-4", instrument="dmm")


def test_parse_floats_rejects_empty_and_bad_items() -> None:
    with pytest.raises(InstrumentError, match="empty reply"):
        parse_floats("  ", instrument="scope")
    with pytest.raises(InstrumentError, match="'x'"):
        parse_floats("1,x", instrument="scope")


def test_parse_int_and_flags() -> None:
    assert parse_int("+8", instrument="scope") == 8
    assert parse_flags("1,0", instrument="switch", expected=2) == [True, False]
    with pytest.raises(InstrumentError, match="2 comma-separated"):
        parse_flags("1", instrument="switch", expected=2)
    with pytest.raises(InstrumentError):
        parse_flags("1,2", instrument="switch", expected=2)


def test_parse_error_entry() -> None:
    assert parse_error_entry('+0,"No error"', instrument="dmm") == (0, "No error")
    assert parse_error_entry('-113,"Undefined header"\n', instrument="dmm") == (
        -113,
        "Undefined header",
    )
    with pytest.raises(InstrumentError, match="malformed error-queue entry"):
        parse_error_entry("No error", instrument="dmm")


def test_parse_identity() -> None:
    reply = "Keysight Technologies,34465A,MY54500123,A.03.01-03.15-03.01-00.52-02-01\n"
    assert parse_identity(reply, instrument="dmm") == Identity(
        "Keysight Technologies", "34465A", "MY54500123", "A.03.01-03.15-03.01-00.52-02-01"
    )
    with pytest.raises(InstrumentError, match="manufacturer,model,serial,firmware"):
        parse_identity("Keysight,34465A", instrument="dmm")
