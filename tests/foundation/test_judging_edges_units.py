"""A unit conversion is the exact product, rounded once: a reading exactly at a limit
written in another prefix stays exactly at it.

The truth here is worked out with exact rationals (``Fraction``) and the SI prefixes'
powers of ten written out below, never by the conversion under test: converting x from
one unit to another must give the double nearest to x·(exact factor), as the division
``350 / 1000`` does, not ``350 × 0.001`` (the double 0.001 is not a thousandth, and its
product with 350 rounds to 0.35000000000000003).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.judging.spec import Requirement
from harness.judging.units import convert, parse_quantity
from harness.judging.verdict import Verdict, decide_verdict

EXPONENT = {"p": -12, "n": -9, "u": -6, "m": -3, "": 0, "k": 3}
"""Each prefix's power of ten (SI): the independent truth for every factor below."""


def exact(value: float, from_prefix: str, to_prefix: str) -> float:
    """value (a double, taken exactly) × 10^(from − to), rounded once to a double."""
    return float(Fraction(value) * Fraction(10) ** (EXPONENT[from_prefix] - EXPONENT[to_prefix]))


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (350.0, "nA", "uA", 0.35),
        (700.0, "ms", "s", 0.7),
        (4100.0, "us", "ms", 4.1),
        (410.0, "mV", "V", 0.41),
        (15.0, "s", "min", 0.25),
    ],
)
def test_a_whole_reading_in_a_smaller_unit_converts_to_the_nearest_double(
    value: float, from_unit: str, to_unit: str, expected: float
) -> None:
    assert convert(value, from_unit, to_unit) == expected


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [("350 nA", "uA", 0.35), ("700 ms", "s", 0.7), ("4100 us", "ms", 4.1), ("410 mV", "V", 0.41)],
)
def test_a_limit_written_in_a_smaller_unit_is_the_nearest_double(
    text: str, unit: str, expected: float
) -> None:
    assert parse_quantity(text, unit) == expected


def test_a_reading_exactly_at_a_limit_written_in_another_prefix_passes() -> None:
    """WAV-RAMP-like: unit s, limits written 700 ms and 1300 ms, simple acceptance. A ramp
    of exactly 0.7 s is on the lower limit, within it (boundaries are inclusive)."""
    ramp = Requirement(
        id="WAV-RAMP", title="ramp", group="waveform", source="design", quantity="ramp",
        unit="s", lower="700 ms", upper="1300 ms", decision_rule="simple",
    )  # fmt: skip
    assert ramp.lower_limit == 0.7
    assert decide_verdict(0.7, 0.0, ramp.lower_limit, ramp.upper_limit, "simple") is Verdict.PASS
    # the same reading given in ms, against a limit in s written as such
    lower = parse_quantity("0.7 s", "s")
    value = convert(700.0, "ms", "s")
    assert decide_verdict(value, 0.0, lower, None, "non-binary") is Verdict.PASS


PREFIXES = sorted(EXPONENT)


@given(
    value=st.floats(min_value=1e-15, max_value=1e6, allow_nan=False, allow_infinity=False),
    pair=st.tuples(st.sampled_from(PREFIXES), st.sampled_from(PREFIXES)),
    negative=st.booleans(),
)
def test_convert_between_prefixes_is_correctly_rounded(
    value: float, pair: tuple[str, str], negative: bool
) -> None:
    value = -value if negative else value
    (a, b) = pair
    assert convert(value, a + "A", b + "A") == exact(value, a, b)


@given(
    whole=st.integers(min_value=1, max_value=10**9),
    pair=st.sampled_from([("n", "u"), ("u", "m"), ("m", ""), ("u", ""), ("p", "n")]),
)
def test_a_whole_number_written_with_a_prefix_is_read_exactly(
    whole: int, pair: tuple[str, str]
) -> None:
    (a, b) = pair
    truth = float(Fraction(whole) * Fraction(10) ** (EXPONENT[a] - EXPONENT[b]))
    assert parse_quantity(f"{whole} {a}A", b + "A") == truth
