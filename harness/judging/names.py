"""Names a user types that end up in paths and records: run ids, serials, people, stations.

A run id becomes the folder ``reports/<run-id>/``; a serial becomes part of a run id in
a batch and a parameter of every Allure result; an operator and a station are printed on
a signed compliance report. Each of them comes from a command line, a file or the unit
itself, so each is checked once, here, before anything is opened or written:

- **identifiers** (run ids, batch prefixes, unit serials): letters, digits and ``. _ -``,
  starting with a letter or digit, at most 64 characters. Such a name is one path
  component that can never be ``..``, absolute, hidden or contain a separator, so
  ``reports/<run-id>`` always stays inside ``reports/``;
- **people and places** (operator, station): printable text without control characters
  or path separators, at most 64 characters: "Ana López" is fine, a newline that would
  forge a second line in a report is not.

A refused name is an ``InputError`` naming where it came from and what was expected.
"""

from __future__ import annotations

import re
import unicodedata

from harness.errors import InputError

MAX_LENGTH = 64
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*|")


def _shown(value: str) -> str:
    """The value as it may be echoed in one line: cut short, controls made visible."""
    return value if len(value) <= 40 else value[:40] + "…"


def check_identifier(value: str, *, source: str, field: str) -> str:
    """``value`` if it is a safe identifier (run id, serial); ``InputError`` otherwise."""
    if len(value) > MAX_LENGTH or not _IDENTIFIER.fullmatch(value):
        raise InputError(
            source,
            field,
            f"1 to {MAX_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit",
            got=_shown(value),
        )
    return value


def check_prefix(value: str, *, source: str, field: str, room: int = 8) -> str:
    """A prefix other identifiers are built from (``<prefix>0001``): may be empty.

    ``room`` is what will be appended, so prefix plus suffix still fits ``MAX_LENGTH``.
    """
    if len(value) > MAX_LENGTH - room or not _PREFIX.fullmatch(value):
        raise InputError(
            source,
            field,
            f"at most {MAX_LENGTH - room} letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
            got=_shown(value),
        )
    return value


def check_person_or_place(value: str, *, source: str, field: str) -> str:
    """``value`` if it is printable text fit for a report line (operator, station)."""
    stripped = value.strip()
    bad = [
        c for c in stripped if unicodedata.category(c).startswith("C") or c in "/\\"
    ]  # control, format, surrogate, private use, unassigned; path separators
    if not stripped or len(stripped) > MAX_LENGTH or bad:
        raise InputError(
            source,
            field,
            f"1 to {MAX_LENGTH} printable characters without control characters, '/' or '\\'",
            got=_shown(value),
        )
    return stripped
