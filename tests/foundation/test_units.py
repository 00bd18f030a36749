"""Quantities parse as people write them; wrong dimensions are errors."""

import pytest

from harness.judging.units import UnitParseError, convert, parse_quantity, parse_unit


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("400 uA", "uA", 400.0),
        ("0.4 mA", "uA", 400.0),
        ("400 µA", "uA", 400.0),
        ("5 s", "ms", 5000.0),
        ("2 mA/cm^2", "mA/cm^2", 2.0),
        ("0.95", "", 0.95),
        ("10 kΩ", "ohm", 10000.0),
        ("10 kohm", "ohm", 10000.0),
        ("-5 %", "%", -5.0),
        ("1.6e-3 W/cm^2", "W/cm^2", 0.0016),
        (12, "V", 12.0),
        ("40 Hz", "Hz", 40.0),
    ],
)
def test_parse(text, unit, expected):
    assert parse_quantity(text, unit) == pytest.approx(expected)


@pytest.mark.parametrize(("text", "unit"), [("5 V", "uA"), ("5 s", "Hz"), ("3 uA", "")])
def test_wrong_dimension(text, unit):
    with pytest.raises(UnitParseError, match="dimension"):
        parse_quantity(text, unit)


@pytest.mark.parametrize("text", ["5 flubs", "uA uA uA ((", "", True])
def test_unparseable(text):
    with pytest.raises(UnitParseError):
        parse_quantity(text, "uA")


def test_unknown_unit_and_convert():
    with pytest.raises(UnitParseError):
        parse_unit("furlongs per blorp")
    assert convert(400.0, "uA", "A") == pytest.approx(4e-4)
    with pytest.raises(UnitParseError):
        convert(1.0, "V", "A")
