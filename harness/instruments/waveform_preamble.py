"""The ten-number ``:WAVeform:PREamble?`` reply, as both bench scopes send it.

The InfiniiVision 1000 X and the DS1000Z answer the same ten fields, in this order::

    format, type, points, count, xincrement, xorigin, xreference,
    yincrement, yorigin, yreference

Sample ``i`` of the record is at ``t = (i − xreference)·xincrement + xorigin`` seconds
from the trigger on both. How a code becomes volts differs (the DS1000Z gives YORigin
in ADC counts, the InfiniiVision in volts), so each driver scales the codes itself.

:func:`parse_preamble` refuses a reply that cannot describe a BYTE record: not ten
numbers, a sentinel among them, another format than BYTE (0), or a sample interval that
is not positive. Whether the point count matches the block is the driver's check: one
model reads the record in one block, the other in slices.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InstrumentError
from harness.instruments.scpi_reply import parse_measurements

#: The ``format`` field of a record of unsigned bytes (``:WAV:FORM BYTE``).
BYTE_FORMAT = 0


@dataclass(frozen=True)
class Preamble:
    """The reply as the scope sent it (stripped), and its ten fields by the manuals' names."""

    text: str
    format: float
    type: float
    points: float
    count: float
    xincrement: float
    xorigin: float
    xreference: float
    yincrement: float
    yorigin: float
    yreference: float

    @property
    def t0(self) -> float:
        """Time of sample 0 relative to the trigger, in seconds."""
        return self.xorigin - self.xreference * self.xincrement


def parse_preamble(reply: str, *, instrument: str) -> Preamble:
    """The preamble of a BYTE record with a positive sample interval, or an error."""
    fields = parse_measurements(reply, instrument=instrument, quantity="preamble field")
    if len(fields) != 10:
        raise InstrumentError(
            instrument, f"preamble has {len(fields)} fields, expected 10: {reply!r}"
        )
    preamble = Preamble(reply.strip(), *fields)
    if preamble.format != BYTE_FORMAT:
        raise InstrumentError(
            instrument, f"waveform format {preamble.format:g} is not BYTE (0): {reply!r}"
        )
    if not preamble.xincrement > 0:
        raise InstrumentError(
            instrument,
            f"preamble x increment {preamble.xincrement:g} s is not positive: {reply!r}",
        )
    return preamble
