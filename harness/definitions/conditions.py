"""The room a test is done in: its quantities, how their values are written, the range allowed.

Two ambient quantities matter to this bench: air **temperature** (°C) and **relative
humidity** (%RH). Instrument accuracies are stated for a temperature band (the 34465A's
"1 year, 23 ± 5 °C") and up to a humidity; a room outside them makes every uncertainty
budget of the run a claim the datasheet does not back. A bench file states the range its
laboratory allows (``bench: allowed_conditions:``) and why; a run whose conditions,
measured or entered, fall outside it says so in its report as a deviation.

Values are written with their unit, as people write them (``23.0 degC``, ``45 %RH``).
pint treats °C as an offset unit and refuses ``23 degC`` outright, and relative humidity
is not a pint unit at all, so the two are read here, with the units they may carry.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AmbientQuantity = Literal["temperature", "humidity"]

UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "temperature": ("degC", ("degC", "°C", "C", "celsius")),
    "humidity": ("%RH", ("%RH", "% RH", "%", "percent")),
}
"""quantity → (the unit written in records, the spellings accepted on input)."""

_VALUE = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


class ConditionParseError(ValueError):
    """A condition value that is not a number with an accepted unit."""


def expected_text(quantity: str) -> str:
    """What a value of ``quantity`` must look like, for an error message."""
    if quantity == "temperature":
        return "a temperature with its unit, such as '23.0 degC'"
    return "a relative humidity from 0 to 100 with its unit, such as '45 %RH'"


def parse_condition(quantity: str, text: object) -> float:
    """``"23.0 degC"`` → 23.0 for temperature, ``"45 %RH"`` → 45.0 for humidity.

    A bare number is refused: a temperature without its unit could be °F.
    """
    if quantity not in UNITS:
        raise ConditionParseError(f"one of the quantities {', '.join(UNITS)}")
    found = _VALUE.match(str(text)) if isinstance(text, str | int | float) else None
    unit = found.group(2) if found else ""
    accepted = UNITS[quantity][1]
    if found is None or unit.casefold() not in {u.casefold() for u in accepted}:
        raise ConditionParseError(expected_text(quantity))
    value = float(found.group(1))
    if not math.isfinite(value) or (quantity == "humidity" and not 0 <= value <= 100):
        raise ConditionParseError(expected_text(quantity))
    return value


def format_condition(quantity: str, value: float, decimals: int = 1) -> str:
    """``23.04`` → ``"23.0 degC"``: the text a record stores (unit in ASCII)."""
    return f"{value:.{decimals}f} {UNITS[quantity][0]}"


class ConditionRange(BaseModel):
    """The range of one ambient quantity the laboratory allows for a test, and why.

    ``lower`` and ``upper`` are values with their unit (``18 degC``); either may be left
    out. ``basis`` says where the range comes from (an instrument's stated accuracy
    band, the standard's test conditions), because a reader of a deviation needs to know
    what it puts in doubt.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    lower: str | float | None = None
    upper: str | float | None = None
    """A value with its unit; a bare number is refused (°C or °F?) with that reason."""
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _a_bound(self) -> ConditionRange:
        if self.lower is None and self.upper is None:
            raise ValueError("a lower or an upper bound (or both)")
        return self

    def bounds(self, quantity: str) -> tuple[float, float]:
        """(lower, upper) as numbers; an absent bound is infinite."""
        low = -math.inf if self.lower is None else parse_condition(quantity, self.lower)
        high = math.inf if self.upper is None else parse_condition(quantity, self.upper)
        return low, high

    def contains(self, quantity: str, value: float) -> bool:
        low, high = self.bounds(quantity)
        return low <= value <= high

    def describe(self, quantity: str) -> str:
        """``18.0 degC to 28.0 degC``, ``at most 80.0 %RH``: the range in words."""
        low, high = self.bounds(quantity)
        if math.isinf(low):
            return f"at most {format_condition(quantity, high)}"
        if math.isinf(high):
            return f"at least {format_condition(quantity, low)}"
        return f"{format_condition(quantity, low)} to {format_condition(quantity, high)}"


def range_problems(
    allowed: dict[str, ConditionRange], entered: dict[str, str]
) -> list[tuple[str, str, object]]:
    """Wrong entries of a bench header's allowed ranges and entered values, as
    (field, expected, got): bounds that do not parse or are reversed, and an entered
    temperature or humidity that does not parse where a range is stated for it."""
    problems: list[tuple[str, str, object]] = []
    for quantity, limits in allowed.items():
        if quantity not in UNITS:
            problems.append((f"allowed_conditions.{quantity}", f"one of {', '.join(UNITS)}",
                             quantity))  # fmt: skip
            continue
        for side in ("lower", "upper"):
            text = getattr(limits, side)
            if text is None:
                continue
            try:
                parse_condition(quantity, text)
            except ConditionParseError as error:
                problems.append((f"allowed_conditions.{quantity}.{side}", str(error), text))
        if problems:
            continue
        low, high = limits.bounds(quantity)
        if low > high:
            expected = f"an upper bound above the lower ({limits.lower})"
            problems.append((f"allowed_conditions.{quantity}.upper", expected, limits.upper))
        if quantity in entered:
            try:
                parse_condition(quantity, entered[quantity])
            except ConditionParseError as error:
                problems.append((f"environment.{quantity}", str(error), entered[quantity]))
    return problems
