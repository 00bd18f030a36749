"""Physical quantities as people write them: ``400 uA``, ``5 s``, ``2 mA/cm^2``.

Spec and bench files carry units so that a limit cannot silently change meaning when
someone writes milliamps where microamps were meant. A value is converted once, at load
time, into the unit its requirement declares, and from there on the harness works with
plain floats in that unit.

Two readers, one meaning. The units the specs, benches and suites write (an SI prefix
and one of a few units, multiplied, divided and raised to small powers: ``uA``,
``mA/cm^2``, ``kohm``, ``min``, ``%``) are read by the small table of ``_TABLE``, with
exact conversion factors (``Fraction``): building a pint registry and importing pint
costs ~0.2 s of every process's start-up, before its first test. Anything else
(``degC``, ``furlong``, ``3*4 uA``, every error) goes to pint, imported on first need,
so what pint accepts or refuses, and how it says why, is unchanged, except text pint
would misread, refused before either reader sees it: a dash or maths sign pint drops
(``_dropped_sign``), a ``±`` after the start, digits in groups (``_GROUPED``), a number
after its unit (``_NUMBER_AFTER_UNIT``).
``tests/foundation/test_units.py`` holds every entry of the table against pint. One
pint registry serves the whole process because pint quantities from different
registries cannot be compared.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint

# `9**9**9` or `2**99999999` would keep pint computing an integer for minutes
_EXPLOSIVE = re.compile(r"(\*\*|\^)[^A-Za-z]*(\*\*|\^)|(\*\*|\^)\s*[(+-]*\s*\d{4,}")
_ALIASES = {
    "\u00b5": "u", "\u03bc": "u", "\u03a9": "ohm", "\u2126": "ohm",
    "\u2212": "-", "\ufe63": "-", "\uff0d": "-",  # minus sign, small and fullwidth hyphen-minus
}  # fmt: skip
_KEPT_SYMBOLS = frozenset("\u00d7")
"""× is read by pint as the product it means (it drops it and multiplies ``2 × 3``)."""

# Dimensions as exponents of (current, time, length, mass).
Dims = tuple[int, int, int, int]
_NONE: Dims = (0, 0, 0, 0)
_UNITS: dict[str, tuple[Fraction, Dims, str]] = {
    # name: (factor to SI base units, dimension, the SI prefixes it is written with)
    "A": (Fraction(1), (1, 0, 0, 0), "pnumk"),
    "s": (Fraction(1), (0, 1, 0, 0), "pnum"),
    "m": (Fraction(1), (0, 0, 1, 0), "numck"),
    "g": (Fraction(1, 1000), (0, 0, 0, 1), "umk"),
    "V": (Fraction(1), (-1, -3, 2, 1), "numk"),
    "ohm": (Fraction(1), (-2, -3, 2, 1), "mkMG"),
    "W": (Fraction(1), (0, -3, 2, 1), "numk"),
    "J": (Fraction(1), (0, -2, 2, 1), "umk"),
    "C": (Fraction(1), (1, 1, 0, 0), "pnum"),
    "F": (Fraction(1), (2, 4, -2, -1), "pnum"),
    "Hz": (Fraction(1), (0, -1, 0, 0), "mkM"),
    "min": (Fraction(60), (0, 1, 0, 0), ""),
    "h": (Fraction(3600), (0, 1, 0, 0), ""),
    "%": (Fraction(1, 100), _NONE, ""),
    "percent": (Fraction(1, 100), _NONE, ""),
    "ppm": (Fraction(1, 10**6), _NONE, ""),
}
_PREFIX = {
    "p": Fraction(1, 10**12),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "c": Fraction(1, 100),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
}
_TABLE: dict[str, tuple[Fraction, Dims]] = {
    **{name: (factor, dims) for name, (factor, dims, _) in _UNITS.items()},
    **{
        prefix + name: (_PREFIX[prefix] * factor, dims)
        for name, (factor, dims, prefixes) in _UNITS.items()
        for prefix in prefixes
    },
}
"""Every unit name the fast reader knows, with its exact factor and dimension."""

_TERM = re.compile(r"\s*([A-Za-z%]+)(?:(?:\^|\*\*)(-?\d{1,2}))?\s*(?:([*/])|$)")
_GROUPED = re.compile(r"\d[\s'\u2019]+[\d.]|\d\s*,\s*[\d.]")
"""Digits after digits across a space, an apostrophe or a comma: ``1 000``, ``1'000``,
``0,5``. pint multiplies what stands side by side, so ``1 000 uA`` was 0 µA and
``1 188 s`` 188 s; and it takes a comma for a thousands separator, so a decimal comma
made ``4,08 Hz`` 408 Hz and ``0,5 mA`` 0 µA (``1,000`` is 1 or 1000 by country: refused)."""
_NUMBER_AFTER_UNIT = re.compile(r"[A-Za-z%]\s+[\d.]")
"""A number standing after a unit with only space between: ``400 uA 2``, which pint
multiplies (800 µA) as it multiplies digit groups; a product is written ``400 uA*2``."""
_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\d.eE])\s*")


@dataclass(frozen=True)
class Unit:
    """A unit as read: its text, and its exact factor and dimension when the fast reader
    knows it (``simple``); None means only pint reads it (pint has checked it)."""

    text: str
    simple: tuple[Fraction, Dims] | None


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


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry[Any]:
    """The process's one pint registry, built on first need (~0.2 s with the import)."""
    import pint

    # Parsing pint's definition files costs ~0.1 s per process; its own disk cache
    # (platform cache folder) makes that ~0.02 s after the first run.
    try:
        ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(cache_folder=":auto:")
    except OSError:
        ureg = pint.UnitRegistry()
    ureg.formatter.default_format = "~"
    return ureg


def _normalise(text: str) -> str:
    """``text`` with the aliases replaced, stripped, and a leading ``±`` (the half-width
    of a symmetric bound, ``±0.1 %``) removed.

    Only a leading one: ``400 ± 80 uA`` with its ``±`` dropped was read by pint as the
    product of the numbers side by side, 32,000 µA (``3.8 V ± 5 %`` as 0.19 V), so a
    limit written with its tolerance let every value pass. Any other ``±`` is left for
    ``_dropped_sign`` to refuse.
    """
    for old, new in _ALIASES.items():
        text = text.replace(old, new)
    text = text.strip()
    return text[1:].strip() if text.startswith("\u00b1") else text


def _dropped_sign(cleaned: str) -> str | None:
    """A dash or maths symbol in ``cleaned`` that pint would silently skip, else None.

    pint's reader has no token for a non-ASCII dash or operator and drops it: ``−2 uA``
    (a typeset minus, as standards and word processors write it) was +2 µA, so a lower
    limit of −2 µA became +2 µA, and ``5 – 3 uA`` was 15 µA. The minus signs are read as
    ``-`` (``_ALIASES``); a dash that may be a minus or a range (``3.4–4.2 V``), or a
    division sign, is refused rather than guessed.
    """
    for char in cleaned:
        if char.isascii() or char in _KEPT_SYMBOLS:
            continue
        if unicodedata.category(char) in ("Pd", "Sm"):
            return char
    return None


def _simple(cleaned: str) -> tuple[Fraction, Dims] | None:
    """``cleaned`` read by the table (``mA/cm^2``: names, ``*``, ``/``, integer powers,
    left to right as pint reads them), or None for pint to read."""
    factor, dims, sign, at = Fraction(1), [0, 0, 0, 0], 1, 0
    while at < len(cleaned):
        term = _TERM.match(cleaned, at)
        if term is None or (known := _TABLE.get(term.group(1))) is None:
            return None
        power = sign * int(term.group(2) or 1)
        factor *= known[0] ** power
        dims = [d + power * e for d, e in zip(dims, known[1], strict=True)]
        at, sign = term.end(), -1 if term.group(3) == "/" else 1
        if term.group(3) and at == len(cleaned):
            return None  # `mA/`: pint's to refuse
    if at == 0:
        return None
    return factor, (dims[0], dims[1], dims[2], dims[3])


@lru_cache(maxsize=512)
def parse_unit(text: str) -> Unit:
    """Read a unit such as ``uA`` or ``mA/cm^2``; an empty string is dimensionless."""
    cleaned = _normalise(text)
    if cleaned in ("", "1", "-"):
        return Unit(text, (Fraction(1), _NONE))
    if (sign := _dropped_sign(cleaned)) is not None:
        raise UnitParseError(f"a unit without {sign!r} (pint would skip it)", text)
    simple = _simple(cleaned)
    if simple is None:
        _pint_unit(text)  # pint refuses what it cannot read
    return Unit(text, simple)


@lru_cache(maxsize=512)
def _pint_unit(text: str) -> pint.Unit:
    cleaned = _normalise(text)
    ureg = registry()
    if cleaned in ("", "1", "-"):
        return ureg.dimensionless
    try:
        return ureg.Unit(cleaned)
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
    same few hundred condition and limit strings thousands of times."""
    cleaned = _normalise(value)
    if _EXPLOSIVE.search(cleaned):
        raise UnitParseError("a quantity without chained or huge exponents", value)
    if (sign := _dropped_sign(cleaned)) is not None:
        raise UnitParseError(
            f"a quantity without {sign!r}: '-' for a minus sign, 'to' for a range", value
        )
    if _GROUPED.search(cleaned):
        raise UnitParseError("a quantity with one number, its digits not grouped", value)
    if _NUMBER_AFTER_UNIT.search(cleaned):
        raise UnitParseError("a quantity with its number before its unit", value)
    target = parse_unit(unit).simple
    number = _NUMBER.match(cleaned)
    if target is not None and number is not None:
        rest = cleaned[number.end() :]
        given = (Fraction(1), _NONE) if not rest else _simple(rest)
        if given is not None and given[1] == target[1]:
            magnitude = float(number.group(1))
            if math.isfinite(magnitude):
                return _finite(_scaled(magnitude, given[0] / target[0]), value)
    return _pint_text(value, unit, cleaned)


def _pint_text(value: str, unit: str, cleaned: str) -> float:
    """What the table does not read, and every error, as pint reads it."""
    import pint

    target = _pint_unit(unit)
    try:
        quantity: Any = registry().Quantity(cleaned)
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


@lru_cache(maxsize=512)
def _ratio(from_unit: str, to_unit: str) -> Fraction | None:
    """The exact factor from one table unit to another of its dimension, else None."""
    given, target = parse_unit(from_unit).simple, parse_unit(to_unit).simple
    if given is None or target is None or given[1] != target[1]:
        return None
    return given[0] / target[0]


_EXACT_INT = 2**53
"""Every integer up to here is a double exactly."""


def _scaled(value: float, ratio: Fraction) -> float:
    """``value`` × ``ratio`` rounded once: the double nearest to the exact product.

    ``value * float(ratio)`` rounds twice, since a factor below 1 (1/1000 from ms to s)
    is no double: 700 ms became 0.7000000000000001 s and 350 nA 0.35000000000000003 µA,
    one ulp off the 0.7 s or 0.35 µA a spec writes, so a reading exactly on a limit
    written in the other prefix was judged outside it (FAIL under simple acceptance).
    Multiplying by a whole factor or dividing by a whole divisor, both exact doubles, is
    the exact result rounded once (IEEE 754); any other factor goes through ``Fraction``.
    """
    top, bottom = ratio.numerator, ratio.denominator
    if bottom == 1 and top <= _EXACT_INT:
        return value * top
    if top == 1 and bottom <= _EXACT_INT:
        return value / bottom
    if not math.isfinite(value):
        return value * float(ratio)
    try:
        return float(Fraction(value) * ratio)
    except OverflowError:  # beyond the largest double, as value * factor would be
        return math.copysign(math.inf, value)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a plain float between two compatible units."""
    if from_unit == to_unit:
        return value
    ratio = _ratio(from_unit, to_unit)
    if ratio is not None:
        return _scaled(value, ratio)
    import pint

    ureg = registry()
    try:
        quantity = ureg.Quantity(value, _pint_unit(from_unit))
        return float(quantity.to(_pint_unit(to_unit)).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitParseError(f"a unit convertible to {to_unit!r}", from_unit) from exc
