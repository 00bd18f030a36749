"""``±`` is read only where it means a half-width: at the start (``±0.1 %``).

``400 ± 80 uA`` is a nominal with a tolerance, not a quantity; with the ``±`` dropped,
pint read the two numbers side by side as their product, 32,000 µA, so such an upper
limit let every current pass. The truth is written out by hand.
"""

from __future__ import annotations

import pytest

from harness.judging.spec import Requirement
from harness.judging.units import UnitParseError, parse_quantity

PM = "\u00b1"


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
        Requirement(
            id="OUT-AMP-L5", title="peak", group="output", source="design",
            quantity="peak_current", unit="uA", upper=f"400 {PM} 80 uA",
        )  # fmt: skip
