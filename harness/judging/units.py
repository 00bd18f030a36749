"""Physical quantities as people write them: ``400 uA``, ``5 s``, ``2 mA/cm^2``.

Spec and bench files carry units so that a limit cannot silently change meaning when
someone writes milliamps where microamps were meant. Parsing goes through pint; a value
is converted once, at load time, into the unit its requirement declares, and from there
on the harness works with plain floats in that unit. One registry serves the whole
process because pint quantities from different registries cannot be compared.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import pint


def _registry() -> pint.UnitRegistry[Any]:
    # Parsing pint's definition files costs ~0.1 s per process; its own disk cache
    # (platform cache folder) makes that ~0.02 s after the first run.
    try:
        return pint.UnitRegistry(cache_folder=":auto:")
    except OSError:
        return pint.UnitRegistry()


UREG: pint.UnitRegistry[Any] = _registry()
UREG.formatter.default_format = "~"

# `9**9**9` or `2**99999999` would keep pint computing an integer for minutes
_EXPLOSIVE = re.compile(r"(\*\*|\^)[^A-Za-z]*(\*\*|\^)|(\*\*|\^)\s*[(+-]*\s*\d{4,}")
_ALIASES = {"\u00b5": "u", "\u03bc": "u", "\u03a9": "ohm", "\u2126": "ohm", "\u00b1": ""}


class UnitParseError(ValueError):
    """A quantity or unit string pint cannot read, or one of the wrong dimension.

    ``expected`` says what was wanted (``a finite quantity``) without the value, so an
    ``InputError``, which names the value itself, does not say it twice.
    """

    def __init__(self, expected: str, got: object) -> None:
        self.expected = expected
        self.got = got
        super().__init__(f"{expected}, got {brief(got)}")


def brief(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for one-line messages.

    A 400-digit limit must not make a 900-character error line, and the ``repr`` of an
    integer of more than 4300 digits raises (Python's guard against quadratic ``str``).
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits>"
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 12]}…{text[-8:]} ({len(text)} characters)"


def _normalise(text: str) -> str:
    for old, new in _ALIASES.items():
        text = text.replace(old, new)
    return text.strip()


@lru_cache(maxsize=512)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit such as ``uA`` or ``mA/cm^2``; an empty string is dimensionless."""
    cleaned = _normalise(text)
    if cleaned in ("", "1", "-"):
        return UREG.dimensionless
    try:
        return UREG.Unit(cleaned)
    except Exception as exc:  # pint raises many types (tokenizer, syntax, lookup)
        raise UnitParseError("a unit pint knows", text) from exc


def parse_quantity(value: str | float | int, unit: str) -> float:
    """Parse ``value`` and return its magnitude expressed in ``unit``.

    A bare number is taken to be in ``unit`` already. A quantity whose dimension
    differs from ``unit`` (``5 V`` where ``uA`` is expected) is an error, not a guess.
    """
    parse_unit(unit)  # a unit pint does not know is an error, even for a bare number
    if isinstance(value, bool):
        raise UnitParseError(f"a quantity in {unit or 'dimensionless'}", value)
    if isinstance(value, (int, float)):
        try:
            return _finite(float(value), value)
        except OverflowError:  # an integer beyond the largest float (YAML reads 400 digits)
            raise UnitParseError("a finite quantity", value) from None
    return _parse_text(value, unit)


@lru_cache(maxsize=4096)
def _parse_text(value: str, unit: str) -> float:
    """A quantity typed as text in ``unit``: kept per (text, unit), since a run parses the
    same few hundred condition and limit strings thousands of times (pint is slow)."""
    target = parse_unit(unit)
    cleaned = _normalise(value)
    if _EXPLOSIVE.search(cleaned):
        raise UnitParseError("a quantity without chained or huge exponents", value)
    try:
        quantity: Any = UREG.Quantity(cleaned)
    except Exception as exc:  # pint raises many types (tokenizer, syntax, lookup)
        raise UnitParseError("a quantity such as '400 uA'", value) from exc
    try:
        if not isinstance(quantity, pint.Quantity):
            return _finite(float(quantity), value)
        if quantity.dimensionality != target.dimensionality:
            raise UnitParseError(
                f"a quantity in {unit or 'dimensionless'} (dimension "
                f"{target.dimensionality}, not {quantity.dimensionality})",
                value,
            )
        return _finite(float(quantity.to(target).magnitude), value)
    except (OverflowError, TypeError) as exc:  # an integer beyond float, a complex result
        raise UnitParseError("a finite quantity", value) from exc


def _finite(magnitude: float, value: object) -> float:
    if not math.isfinite(magnitude):
        raise UnitParseError("a finite quantity", value)
    return magnitude


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a plain float between two compatible units."""
    if from_unit == to_unit:
        return value
    try:
        return float(UREG.Quantity(value, parse_unit(from_unit)).to(parse_unit(to_unit)).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitParseError(f"a unit convertible to {to_unit!r}", from_unit) from exc
