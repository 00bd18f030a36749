"""Quantity text pint would misread is read as written, or refused naming what is wrong.

pint's reader drops characters it has no token for and multiplies what stands side by
side, so text a standard or a spreadsheet writes every day became another number without
a word: a typeset minus (``−2 uA``) was +2 µA; ``400 ± 80 uA`` was 32,000 µA;
``1 188 s`` (SI digit groups) was 188 s; a decimal comma made ``4,08 Hz`` 408 Hz;
``400 uA 2`` was 800 µA. Each became a limit that passed a faulty unit or failed a good
one. A minus sign as typeset is now a minus; a ``±`` only at the start is a half-width
(``±0.1 %``); any other dash or maths sign that may mean a minus or a range, a ``±``
elsewhere, digits in groups, a comma between digits and a number after the unit are
refused. The truth is the number the text shows, written out by hand.
"""

from __future__ import annotations

import pytest

from harness.judging.spec import Requirement
from harness.judging.units import UnitParseError, parse_quantity
from harness.judging.verdict import Verdict, decide_verdict

MINUS = "\u2212"
PM = "\u00b1"


def _requirement(requirement_id: str, quantity: str, unit: str, **limits: str) -> Requirement:
    """A requirement as a spec file gives it, with ``limits`` (``lower``/``upper``) as text."""
    return Requirement(
        id=requirement_id, title=requirement_id, group="output", source="design",
        quantity=quantity, unit=unit, **limits,
    )  # fmt: skip


# -- minus signs and dashes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        (f"{MINUS}2 uA", "uA", -2.0),
        (f"{MINUS}5 %", "%", -5.0),
        (f"{MINUS}0.5 V", "mV", -500.0),
        (f"{MINUS}2", "", -2.0),
        (f"1e{MINUS}3 A", "mA", 1.0),
        ("\uff0d2 uA", "uA", -2.0),  # fullwidth hyphen-minus
        ("\ufe632 uA", "uA", -2.0),  # small hyphen-minus
    ],
)
def test_a_typeset_minus_is_a_minus(text: str, unit: str, expected: float) -> None:
    assert parse_quantity(text, unit) == expected


@pytest.mark.parametrize(
    "text",
    [
        "\u20132 uA",  # en dash: a minus to some, a range (3.4–4.2 V) to others
        "\u20142 uA",  # em dash
        "\u20102 uA",  # hyphen
        "5 \u2013 3 uA",
        "3.4\u20134.2 uA",
        "4 uA \u00f7 2",  # division sign
        "4 uA \u2215 2",  # division slash
    ],
)
def test_a_dash_or_symbol_pint_would_drop_is_refused(text: str) -> None:
    with pytest.raises(UnitParseError):
        parse_quantity(text, "uA")


def test_a_lower_limit_written_with_a_typeset_minus_is_negative() -> None:
    """WAV-DC as the domain reference writes it (±2 µA): a d.c. leak of 0 µA, U = 0.3 µA,
    conforms; with the minus dropped the band was [2, 2] µA and it was FAIL."""
    dc = _requirement("WAV-DC", "dc_current", "uA", lower=f"{MINUS}2 uA", upper="2 uA")
    assert (dc.lower_limit, dc.upper_limit) == (-2.0, 2.0)
    assert decide_verdict(0.0, 0.3, dc.lower_limit, dc.upper_limit, "guarded") is Verdict.PASS


def test_an_upper_limit_written_with_a_typeset_minus_fails_a_value_above_it() -> None:
    """An upper limit of −300 µA (a negative plateau must reach at least 300 µA): a
    plateau of −100 µA is far above it, FAIL. With the minus dropped the limit was
    +300 µA and the value passed."""
    plateau = _requirement("OUT-NEG", "peak_current", "uA", upper=f"{MINUS}300 uA")
    assert plateau.upper_limit == -300.0
    assert decide_verdict(-100.0, 5.0, None, plateau.upper_limit, "guarded") is Verdict.FAIL


# -- plus-minus --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [(f"{PM}0.1 %", "%", 0.1), (f"{PM}2 uA", "uA", 2.0), (f" {PM} 5 %", "%", 5.0)],
)
def test_a_leading_plus_minus_is_a_half_width(text: str, unit: str, expected: float) -> None:
    assert parse_quantity(text, unit) == expected


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        (f"400 {PM} 80 uA", "uA"),  # was 32000 uA
        (f"2 {PM} 0.1 uA", "uA"),  # was 0.2 uA
        (f"3.8 V {PM} 5 %", "V"),
        (f"{PM}{PM}2 uA", "uA"),
    ],
)
def test_a_plus_minus_inside_a_quantity_is_refused(text: str, unit: str) -> None:
    with pytest.raises(UnitParseError):
        parse_quantity(text, unit)


def test_a_limit_written_with_its_tolerance_is_an_error_not_32000() -> None:
    with pytest.raises(ValueError, match="upper"):
        _requirement("OUT-AMP-L5", "peak_current", "uA", upper=f"400 {PM} 80 uA")


# -- digit groups and decimal commas -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1 000 uA",  # was 0 uA
        "1 188 s",  # was 188 s
        "1\u2009188 s",  # thin space, as the SI brochure sets it
        "1\u00a0000 uA",  # no-break space
        "1'000 uA",  # was 0 uA
        "400 80 uA",  # was 32,000 uA
        "1 .5 uA",
    ],
)
def test_digits_in_groups_are_refused(text: str) -> None:
    unit = "s" if text.endswith(" s") else "uA"
    with pytest.raises(UnitParseError):
        parse_quantity(text, unit)


@pytest.mark.parametrize(
    ("text", "unit"),
    [("400 uA 2", "uA"), ("400uA 2", "uA"), ("3 V 5", "V"), ("5 % 2", "%"), ("2 s .5", "s")],
)
def test_a_number_after_the_unit_is_refused(text: str, unit: str) -> None:
    """``400 uA 2`` was 800 µA (pint multiplies what stands side by side); a product
    written as one, ``400 uA*2``, is still read."""
    with pytest.raises(UnitParseError):
        parse_quantity(text, unit)
    assert parse_quantity("400 uA*2", "uA") == 800.0


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("0,5 mA", "uA"),  # was 0 uA
        ("1,5 s", "s"),  # was 15 s
        ("4,08 Hz", "Hz"),  # was 408 Hz
        ("12,0 V", "V"),  # was 120 V
        ("1,000 uA", "uA"),  # 1000 or 1: not for the harness to guess
        ("2,5", "%"),
    ],
)
def test_a_comma_between_digits_is_refused(text: str, unit: str) -> None:
    with pytest.raises(UnitParseError):
        parse_quantity(text, unit)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("1000 uA", "uA", 1000.0),
        ("1188 s", "s", 1188.0),
        ("2 mA/cm^2", "mA/cm^2", 2.0),
        ("1e-3 A", "mA", 1.0),
        ("3*4 uA", "uA", 12.0),
        ("12 V", "V", 12.0),
        ("4.08 Hz", "Hz", 4.08),  # a point is still the decimal sign
        ("0.5 mA", "uA", 500.0),
    ],
)
def test_one_number_with_its_unit_is_read(text: str, unit: str, expected: float) -> None:
    assert parse_quantity(text, unit) == expected


@pytest.mark.parametrize(
    ("requirement_id", "unit", "lower", "upper"),
    [
        ("TIM-AUTOOFF", "s", "1 188 s", "1 212 s"),  # was 188 s: 3 minutes passed
        ("WAV-FREQ-F1", "Hz", "3,92 Hz", "4,08 Hz"),  # was 392-408 Hz
    ],
)
def test_a_limit_in_digit_groups_or_with_a_decimal_comma_is_an_error(
    requirement_id: str, unit: str, lower: str, upper: str
) -> None:
    with pytest.raises(ValueError, match=lower):
        _requirement(requirement_id, "time" if unit == "s" else "frequency", unit,
                     lower=lower, upper=upper)  # fmt: skip
