"""What an ammeter setting must be before a driver sends it, whatever the model.

An :class:`~harness.instruments.protocols.Ammeter` runs on a fixed current range: a
range change mid-test would change the burden the device sees. The range is chosen
from the model's own table (its data sheet's ranges, kept in the model's module), and a
value that is a table entry up to float rounding (``1e-3 * (1 + 1e-12)``) selects that
entry, so the command carries the table's value, never the caller's arithmetic. The
other checks that follow from the role: the mains frequency that turns NPLC into
seconds is 50 or 60 Hz, and a block of readings holds between one and what the model's
reading memory holds. Each check raises :class:`~harness.errors.InstrumentError` for
``instrument`` (the bench's name) before anything is sent.
"""

from __future__ import annotations

import math

from harness.errors import InstrumentError

#: Mains frequencies an aperture in power-line cycles can refer to.
LINE_FREQUENCIES_HZ = (50.0, 60.0)


def check_line_frequency(line_frequency_hz: float, *, instrument: str) -> None:
    if line_frequency_hz not in LINE_FREQUENCIES_HZ:
        raise InstrumentError(
            instrument, f"line frequency must be 50 or 60 Hz, got {line_frequency_hz}"
        )


def table_entry(value: float, table: tuple[float, ...]) -> float | None:
    """The entry of ``table`` equal to ``value`` up to float rounding, else ``None``."""
    return next((entry for entry in table if math.isclose(value, entry, rel_tol=1e-9)), None)


def choose_current_range(range_a: float, ranges_a: tuple[float, ...], *, instrument: str) -> float:
    """The entry of the model's ``ranges_a`` that ``range_a`` names."""
    matched = table_entry(range_a, ranges_a)
    if matched is None:
        raise InstrumentError(instrument, f"current range {range_a} A not one of {ranges_a}")
    return matched


def check_reading_count(count: int, max_readings: int, *, instrument: str) -> None:
    """A block of readings: at least one, at most what the reading memory holds."""
    if not 1 <= count <= max_readings:
        raise InstrumentError(instrument, f"reading count {count} outside 1..{max_readings}")
