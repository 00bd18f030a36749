"""A comma between digits is refused: it is a decimal sign to half the world (``0,5 mA``)
and a thousands separator to the other half (``1,000 uA``).

pint reads it its own way, so ``0,5 mA`` was 0 µA, ``4,08 Hz`` was 408 Hz and
``12,0 V`` 120 V: a limit typed with a decimal comma silently became another limit.
The truth is written out by hand.
"""

from __future__ import annotations

import pytest

from harness.judging.spec import Requirement
from harness.judging.units import UnitParseError, parse_quantity


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


def test_a_limit_with_a_decimal_comma_is_an_error_not_ten_times_it() -> None:
    with pytest.raises(ValueError, match="3,92 Hz"):
        Requirement(
            id="WAV-FREQ-F1", title="f1", group="waveform", source="design",
            quantity="frequency", unit="Hz", lower="3,92 Hz", upper="4,08 Hz",
        )  # fmt: skip


def test_a_point_is_still_the_decimal_sign() -> None:
    assert parse_quantity("4.08 Hz", "Hz") == 4.08
    assert parse_quantity("0.5 mA", "uA") == 500.0
