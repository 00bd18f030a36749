"""Turning an instrument's text reply into numbers, or into a clear error.

SCPI instruments answer in ASCII: a number such as ``+1.23456789E-04``, a comma list
``1.2E-4,1.3E-4``, an error-queue entry ``-113,"Undefined header"`` or an identity
string. Three things go wrong in practice, and each must stop the test with a message
naming the instrument and the exact reply rather than turning into a silent ``nan``:

* **Overload.** IEEE 488.2 / SCPI instruments report "out of range" as the value
  ``+9.9E+37`` (``-9.9E+37`` for a negative overload); a scope measurement that cannot be
  made (no edge on screen) reports the same 9.9E+37. SCPI's "not a number" is
  ``9.91E+37``. Taken as a number these would pass many a "≤ limit" check wrongly, so
  :func:`parse_measurement` raises :class:`InstrumentError` ``"overload"`` instead.
  :func:`classify` gives the typed status for code that must tell them apart.
* **Garbage.** A reply that is not a number (a half-read buffer, a reply meant for a
  previous query) raises :class:`InstrumentError` with the reply quoted.
* **Identity.** ``*IDN?`` (IEEE 488.2 §10.14) answers four comma-separated fields:
  manufacturer, model, serial number, firmware revision. :func:`parse_identity` checks
  there are four.
"""

from __future__ import annotations

import enum
import math
import re

from harness.errors import InstrumentError
from harness.instruments.protocols import Identity

#: The SCPI overload value (SCPI-99 vol. 1 §7.2.1.5: "9.9E37 ... positive infinity").
OVERLOAD = 9.9e37
#: SCPI "not a number" (SCPI-99 vol. 1 §7.2.1.5).
NOT_A_NUMBER = 9.91e37

_ERROR_ENTRY = re.compile(r'^\s*([+-]?\d{1,9})\s*,\s*"?(.*?)"?\s*$', re.DOTALL | re.ASCII)


class ReadingStatus(enum.Enum):
    """What a numeric reply means, before it is trusted as a measured value."""

    VALID = "valid"
    OVERLOAD = "overload"
    NEGATIVE_OVERLOAD = "negative overload"
    NOT_A_NUMBER = "not a number"


def classify(value: float) -> ReadingStatus:
    """Tell a real reading from the SCPI sentinels 9.9E+37, -9.9E+37 and 9.91E+37.

    Compared with a relative tolerance because instruments print them with varying
    digits (``9.9E+37``, ``+9.90000000E+37``).
    """
    if math.isnan(value) or math.isclose(value, NOT_A_NUMBER, rel_tol=1e-4):
        return ReadingStatus.NOT_A_NUMBER
    if math.isclose(value, OVERLOAD, rel_tol=1e-4) or value == math.inf:
        return ReadingStatus.OVERLOAD
    if math.isclose(value, -OVERLOAD, rel_tol=1e-4) or value == -math.inf:
        return ReadingStatus.NEGATIVE_OVERLOAD
    return ReadingStatus.VALID


def parse_float(reply: str, *, instrument: str) -> float:
    """Parse one number, sentinels included; raise on anything that is not a number.

    Python's ``float`` would also accept ``"nan"``, ``"inf"`` and ``"1_000"``, none of
    which an instrument sends on purpose, so those count as garbage too.
    """
    text = reply.strip()
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text, re.ASCII):
        raise InstrumentError(instrument, f"expected a number, got reply {reply!r}")
    return float(text)


def parse_measurement(reply: str, *, instrument: str, quantity: str = "reading") -> float:
    """Parse a measured value and refuse the overload and invalid sentinels.

    Why raise rather than return ``inf``: a limit check on an overloaded ammeter must
    not quietly pass or fail the unit; the bench is wrong (range too low), not the DUT.
    """
    value = parse_float(reply, instrument=instrument)
    status = classify(value)
    if status is not ReadingStatus.VALID:
        raise InstrumentError(instrument, f"{status.value}: {quantity} reply {reply.strip()!r}")
    return value


def parse_floats(reply: str, *, instrument: str) -> list[float]:
    """Parse a comma-separated list of numbers, sentinels included (see :func:`classify`)."""
    if not reply.strip():
        raise InstrumentError(instrument, "expected a list of numbers, got an empty reply")
    return [parse_float(item, instrument=instrument) for item in reply.split(",")]


def parse_measurements(reply: str, *, instrument: str, quantity: str = "reading") -> list[float]:
    """Parse a comma list of measured values; one overload in the list fails the lot."""
    values = parse_floats(reply, instrument=instrument)
    for index, value in enumerate(values):
        status = classify(value)
        if status is not ReadingStatus.VALID:
            raise InstrumentError(
                instrument, f"{status.value}: {quantity} #{index + 1} of {len(values)}"
            )
    return values


def parse_int(reply: str, *, instrument: str) -> int:
    """Parse an integer reply such as a status register (``+8``) or ``*OPC?``'s ``1``."""
    text = reply.strip()
    if not re.fullmatch(r"[+-]?\d{1,4000}", text, re.ASCII):  # int() refuses > 4300 digits
        raise InstrumentError(instrument, f"expected an integer, got reply {reply!r}")
    return int(text)


def parse_flags(reply: str, *, instrument: str, expected: int) -> list[bool]:
    """Parse a ``1,0,1`` state list, e.g. the answer to ``ROUT:CLOS? (@1001,1002,1003)``."""
    items = [item.strip() for item in reply.split(",")]
    if len(items) != expected or any(item not in ("0", "1") for item in items):
        raise InstrumentError(
            instrument, f"expected {expected} comma-separated 0/1 flags, got reply {reply!r}"
        )
    return [item == "1" for item in items]


def parse_error_entry(reply: str, *, instrument: str) -> tuple[int, str]:
    """Split a ``SYST:ERR?`` entry ``-113,"Undefined header"`` into code and message."""
    match = _ERROR_ENTRY.match(reply)
    if match is None:
        raise InstrumentError(instrument, f"malformed error-queue entry {reply!r}")
    return int(match.group(1)), match.group(2)


def parse_identity(reply: str, *, instrument: str) -> Identity:
    """Split a ``*IDN?`` reply into manufacturer, model, serial and firmware."""
    fields = [field.strip() for field in reply.strip().split(",")]
    if len(fields) != 4 or not fields[0] or not fields[1]:
        raise InstrumentError(
            instrument, f"*IDN? reply is not 'manufacturer,model,serial,firmware': {reply!r}"
        )
    return Identity(manufacturer=fields[0], model=fields[1], serial=fields[2], firmware=fields[3])
