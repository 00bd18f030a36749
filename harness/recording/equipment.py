"""The bench's equipment as the run record keeps it: calibration and reference standards.

A test report must let its reader follow every number to calibrated equipment (ISO/IEC
17025 6.4, 6.5, 7.8.2.1): each instrument *and* each reference standard the result
depends on, with its model, serial, calibration date, certificate, calibrating
laboratory, due date and traceability. The bench file states them; this module copies
them into the run record when the run begins, so the report (built now or rebuilt from
the record years later) shows the equipment as it was on the test date, not as a later
edit of the bench file says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from harness.definitions.bench_file import BenchFile, CalibrationEntry
from harness.recording.record import CalibrationRecord, InstrumentIdentity, ReferenceStandard

LOAD_RESISTOR = "load resistor"


def calibration_record(entry: CalibrationEntry | None) -> CalibrationRecord | None:
    """The bench file's calibration block as the record stores it (dates as ISO text)."""
    if entry is None:
        return None
    return CalibrationRecord(
        date=entry.date.isoformat(),
        certificate=entry.certificate,
        laboratory=entry.laboratory,
        traceability=entry.traceability,
    )


def with_calibration(
    instruments: Iterable[InstrumentIdentity], bench: BenchFile
) -> list[InstrumentIdentity]:
    """Each identity (from ``*IDN?``) with its bench file calibration block added.

    An identity that already carries one keeps it; one whose name the bench file does
    not list (it cannot happen for an opened bench) is kept as it is.
    """
    entries = {i.name: i for i in bench.document.instruments}
    out = []
    for identity in instruments:
        entry = entries.get(identity.name)
        if identity.calibration is None and entry is not None and entry.calibration is not None:
            identity = identity.model_copy(
                update={"calibration": calibration_record(entry.calibration)}
            )
        out.append(identity)
    return out


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def reference_standards(bench: BenchFile) -> list[ReferenceStandard]:
    """The bench's load resistors as reference standards, in bench file order."""
    return [
        ReferenceStandard(
            name=load.name,
            kind=LOAD_RESISTOR,
            nominal=str(load.nominal),
            tolerance=str(load.tolerance),
            model=load.model,
            serial=load.serial,
            calibration_due=_iso(load.calibration_due),
            calibration=calibration_record(load.calibration),
        )
        for load in bench.document.loads
    ]
