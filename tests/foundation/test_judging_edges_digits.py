"""A number written with a thousands separator (``1 000 uA``, SI style; ``1'000 uA``)
is refused, not read as the product of its groups.

pint multiplies what stands side by side, so ``1 000 uA`` was 1 × 000 = 0 µA and
``1 188 s`` (TIM-AUTOOFF's lower limit written SI style) was 188 s: a unit that
switched off after 3 minutes instead of 20 passed. The truth is written out by hand.
"""

from __future__ import annotations

import pytest

from harness.judging.spec import Requirement
from harness.judging.units import UnitParseError, parse_quantity


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
    ("text", "unit", "expected"),
    [
        ("1000 uA", "uA", 1000.0),
        ("1188 s", "s", 1188.0),
        ("2 mA/cm^2", "mA/cm^2", 2.0),
        ("1e-3 A", "mA", 1.0),
        ("3*4 uA", "uA", 12.0),
        ("12 V", "V", 12.0),
    ],
)
def test_one_number_with_its_unit_is_read(text: str, unit: str, expected: float) -> None:
    assert parse_quantity(text, unit) == expected


def test_a_limit_in_si_groups_is_an_error_not_a_tenth_of_it() -> None:
    with pytest.raises(ValueError, match="1 188 s"):
        Requirement(
            id="TIM-AUTOOFF", title="auto-off", group="timers", source="design",
            quantity="time", unit="s", lower="1 188 s", upper="1 212 s",
        )  # fmt: skip
