"""How numbers and remarks read in a report: rounded to their uncertainty, never as Python.

A report is read by a compliance engineer, not a programmer. Two habits of code leak
into free text: a value printed with ``str()`` (``2.5000000000000133``, ``2.170e-08``)
and a container printed with ``repr`` (``{'model': 'RMD-1'}``, ``[False, False]``,
``True``, ``None``). The remarks and conditions a test records are free text, written
by many hands; rather than trust each of them, every piece of free text the report
prints passes through ``plain_text``, which rewrites those forms into words and rounded
numbers. ``format_measured`` rounds a value to its uncertainty (GUM 7.2.6: U to two
significant digits, the value to the same decimal).
"""

from __future__ import annotations

import ast
import math
import re

SIGNIFICANT = 4
"""Digits kept of a number that arrives with no uncertainty (a remark's number)."""

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_CONTAINER = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|\([^()]*,[^()]*\)")
_E_NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)[eE]([-+]?\d+)(?![\w.])")
_LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d{6,}(?![\d])")
_WORDS = {"True": "yes", "False": "no", "None": "none"}
_WORD = re.compile(r"(?<![\w'\"])(True|False|None)(?![\w'\"])")


def format_measured(value: float | None, u: float) -> tuple[str, str]:
    """Value and U rounded together: U to two significant digits (GUM 7.2.6).

    ``(520.834, 19.03)`` gives ``("521", "19")``; ``(3.5, 0.0137)`` gives
    ``("3.500", "0.014")``. Without an uncertainty the value keeps 4 significant
    digits. A missing or non-finite value prints as "no valid reading".
    """
    if value is None or not math.isfinite(value):
        return "no valid reading", "—"
    if not u > 0 or not math.isfinite(u):
        return plain_number(value), "0"
    exponent = math.floor(math.log10(u)) - 1
    decimals = max(0, -exponent)
    step = 10.0**exponent
    return f"{round(value / step) * step:.{decimals}f}", f"{round(u / step) * step:.{decimals}f}"


def plain_number(value: float, significant: int = SIGNIFICANT) -> str:
    """A number as a person writes it: ``2.555``, ``0.001235``, ``1.2 × 10⁻⁸``.

    Positional notation from 10⁻³ to 10⁶, else a power of ten with a real superscript
    (never Python's ``e-08``); trailing zeros of a whole number are dropped.
    """
    if not math.isfinite(value):
        return "not a number" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if significant - 1 <= magnitude < 6:  # a whole number: round off the extra digits
        return f"{round(value, significant - 1 - magnitude):.0f}"
    if -3 <= magnitude < 6:
        decimals = max(0, significant - 1 - magnitude)
        return f"{value:.{decimals}f}"
    mantissa = value / 10.0**magnitude
    if round(abs(mantissa), significant - 1) >= 10:
        mantissa, magnitude = mantissa / 10, magnitude + 1
    return f"{mantissa:.{significant - 1}f} × 10{str(magnitude).translate(_SUPERSCRIPT)}"


def plain_value(value: object) -> str:
    """A Python value as words: containers listed, booleans yes/no, numbers rounded."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, float):
        return plain_number(value)
    if isinstance(value, dict):
        if not value:
            return "none"
        return ", ".join(f"{plain_value(k)} {plain_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return ", ".join(plain_value(v) for v in items) if items else "none"
    return str(value)


def plain_text(text: object) -> str:
    """Free text with every Python representation in it rewritten for a reader.

    ``{'model': 'RMD-1', 'serial': 'X'}`` → ``model RMD-1, serial X``; ``[False,
    False]`` → ``no, no``; ``[]`` → ``none``; ``True`` → ``yes``;
    ``2.5000000000000133`` → ``2.500``; ``2.170e-08`` → ``2.170 × 10⁻⁸``. Text that is
    not Python is left as it is (a bracket that does not parse stays a bracket).
    """
    if text is None:
        return ""
    if isinstance(text, float):
        return plain_number(text)
    shown = str(text)
    for _ in range(4):  # nested containers: innermost first, a few levels deep
        rewritten = _CONTAINER.sub(_container, shown)
        if rewritten == shown:
            break
        shown = rewritten
    shown = _E_NUMBER.sub(lambda m: plain_number(float(m[0])), shown)
    shown = _LONG_DECIMAL.sub(lambda m: plain_number(float(m[0])), shown)
    return _WORD.sub(lambda m: _WORDS[m[1]], shown)


def _container(match: re.Match[str]) -> str:
    literal = match[0]
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return literal
    if isinstance(value, (dict, list, tuple, set)):
        return plain_value(value)
    return literal


def pretty_unit(text: str) -> str:
    """``uA`` → ``µA``, ``ohm`` → ``Ω``, ``cm^2`` → ``cm²``, ``degC`` → ``°C``: display only."""
    text = re.sub(r"(?<![A-Za-z])u(?=(?:[AVCFW]|s)\b)", "µ", text)
    return text.replace("ohm", "Ω").replace("^2", "²").replace("degC", "°C")
