"""A minus sign as typeset (U+2212, as standards and word processors write it) is a minus
sign, and a dash that could be a minus or a range is refused, never dropped.

pint's reader drops characters it has no token for, so ``−2 uA`` was read as +2 µA and
``5 – 3 uA`` as 15 µA: a lower limit of −2 µA became +2 µA without a word. The truth
here is the sign the text shows, written out by hand.
"""

from __future__ import annotations

import pytest

from harness.judging.spec import Requirement
from harness.judging.units import UnitParseError, parse_quantity
from harness.judging.verdict import Verdict, decide_verdict

MINUS = "\u2212"


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
    dc = Requirement(
        id="WAV-DC", title="dc", group="waveform", source="design", quantity="dc_current",
        unit="uA", lower=f"{MINUS}2 uA", upper="2 uA",
    )  # fmt: skip
    assert (dc.lower_limit, dc.upper_limit) == (-2.0, 2.0)
    assert decide_verdict(0.0, 0.3, dc.lower_limit, dc.upper_limit, "guarded") is Verdict.PASS


def test_an_upper_limit_written_with_a_typeset_minus_fails_a_value_above_it() -> None:
    """An upper limit of −300 µA (a negative plateau must reach at least 300 µA): a
    plateau of −100 µA is far above it, FAIL. With the minus dropped the limit was
    +300 µA and the value passed."""
    plateau = Requirement(
        id="OUT-NEG", title="negative plateau", group="output", source="design",
        quantity="peak_current", unit="uA", upper=f"{MINUS}300 uA",
    )  # fmt: skip
    assert plateau.upper_limit == -300.0
    assert decide_verdict(-100.0, 5.0, None, plateau.upper_limit, "guarded") is Verdict.FAIL
