"""The units a plain CSV capture's header names, checked against seconds and volts.

A plain CSV capture is read as ``time_s,volts`` whatever its header says, so a header
that names another unit would be misread by its scale without a trace: a 200 mV pulse
under ``Voltage (mV)`` was 200 V (a peak of 0.4 A at 500 ohm for 0.4 mA), a time column
in ``(ms)`` made every width and period a thousand times too long, and a current column
``(mA)`` or ``_A`` would be divided by the load once more. Such a header is refused with
the column it names; a header naming seconds and volts, or no unit at all (``TIME,CH1``,
``Time,Channel A``), is read as before.

A cell's unit is the text in its last brackets (``Voltage (mV)``, ``t [s]``), else what
follows its last ``/`` or ``_`` (``t/us``, ``volts_mV``); only units known to be wrong are
refused, so an unknown word stays a name.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import InputError

_BRACKETED = re.compile(r"[(\[]\s*([^()\[\]]*?)\s*[)\]]\s*$")
_MICRO = str.maketrans({"\u00b5": "u", "\u03bc": "u"})
_WRONG = {
    "time": frozenset({"ms", "us", "ns", "ps", "min", "h", "hr", "hour", "hours"}),
    "volts": frozenset(
        {"mv", "uv", "kv", "a", "ma", "ua", "na", "amp", "amps", "ampere", "amperes", "w"}
    ),
}
_EXPECTED = {"time": "seconds (s)", "volts": "volts (V)"}


def _unit(cell: str) -> str | None:
    found = _BRACKETED.search(cell)
    if found:
        return found.group(1)
    for mark in ("/", "_"):
        if mark in cell:
            return cell.rsplit(mark, 1)[1].strip()
    return None


def check_header_units(path: Path, cells: list[str]) -> None:
    """Raise an `InputError` at line 1 when a header cell names a unit other than s / V."""
    for name, cell in zip(("time", "volts"), cells, strict=False):
        unit = _unit(cell)
        if unit is not None and unit.translate(_MICRO).lower() in _WRONG[name]:
            expected = f"a header naming {_EXPECTED[name]} or no unit (rows are read in s and V)"
            raise InputError(path, name, expected, line=1, got=cell)
