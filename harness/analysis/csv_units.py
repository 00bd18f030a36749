"""The units a CSV capture's header rows name: checked against seconds and volts, or
read to scale the samples by (PicoScope).

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

An InfiniiVision export's units row must read ``second,Volt`` (``check_keysight_units``).

PicoScope 6 and 7 export a capture as (PicoScope 6 User's Guide, "File formats for
exported data")::

    Time,Channel A,Channel B
    (us),(V),(V)
    -500.004,5.511,1.215

Exports seen in the field also have an empty line after the units; both are read.
Times are in the unit the time axis was shown in and samples in the channel's range
unit, so the same pulse is ``(ms)`` / ``(mV)`` in one file and ``(s)`` / ``(V)`` in the
next: read as seconds and volts without the units row, a 200 mV pulse is 200 V and
every width 1,000 times too long. So the reader scales both by the units row
(``picoscope_scales``). A channel in any unit but a voltage (a current clamp set to A or
mA, a math channel, a probe's custom unit) is refused: the harness turns volts across
the load into current (i = v / R), so a current read as volts would be wrong by a
factor R. PicoScope writes an over-range sample as ``∞`` or ``-∞``, which the sample
checks refuse as not a finite number. The first channel is the capture, as in the
other layouts.
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


def check_keysight_units(path: Path, row: str, cells: list[str]) -> None:
    """The units row (line 2) must read ``second,Volt``: time in seconds, the channel in
    volts.

    The second cell is the channel's probe units. A current probe makes it ``Ampere``:
    that column is already the current, and reading it as volts across the load divided
    it by the load once more (every current, charge and mean 1/R of the truth).
    """
    units = [cell.lower() for cell in cells]
    if units[0] != "second" or len(units) < 2 or units[1] != "volt":
        raise InputError(path, "units row", "'second,Volt'", line=2, got=row.strip())


_TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}
_VOLT_SCALE = {"v": 1.0, "mv": 1e-3, "uv": 1e-6, "kv": 1e3}


def is_picoscope(names: list[str], units: list[str]) -> bool:
    """Whether a file's first two rows are PicoScope's: ``Time,...`` over ``(unit),...``."""
    return (
        len(names) >= 2
        and names[0].strip().lower() == "time"
        and len(units) >= 2
        and all(_bracketed(cell) is not None for cell in units[:2])
    )


def picoscope_scales(path: Path, units: list[str]) -> tuple[float, float]:
    """(seconds per time unit, volts per sample unit) from the units row (line 2)."""
    time_unit, volt_unit = (_bracketed(cell) or "" for cell in units[:2])
    time_scale = _TIME_SCALE.get(time_unit.translate(_MICRO).lower())
    if time_scale is None:
        raise InputError(path, "time unit", "(s), (ms), (us) or (ns)", line=2, got=units[0])
    volt_scale = _VOLT_SCALE.get(volt_unit.translate(_MICRO).lower())
    if volt_scale is None:
        expected = "a voltage: (V), (mV) or (uV) (a current channel is not volts across the load)"
        raise InputError(path, "channel unit", expected, line=2, got=units[1])
    return time_scale, volt_scale


def _bracketed(cell: str) -> str | None:
    text = cell.strip()
    if len(text) >= 2 and text[0] == "(" and text[-1] == ")":
        return text[1:-1].strip()
    return None
