"""``hil bench check``: is the bench the bench file describes, and fit to measure?

Before a station tests units, an engineer wants to know that every instrument answers,
that it is the model and the serial number the bench file (and so every report) will
name, that it is within calibration, and that its error queue is empty. The check
touches nothing that matters: it opens each instrument, asks ``*IDN?`` and drains
``SYST:ERR?``, then puts the bench in its safe state.

An instrument past its calibration due date is refused unless the operator overrides;
an override is never silent: ``hil run --allow-expired-calibration`` records it in the
run record and every report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from harness.bench import open_bench
from harness.benchfile import BenchFile, InstrumentEntry
from harness.errors import HilError

Status = Literal["ok", "override", "fail"]


@dataclass(frozen=True)
class CheckLine:
    """The outcome for one instrument."""

    name: str
    status: Status
    detail: str


def _normalise(model: str) -> str:
    return re.sub(r"[^0-9a-z]", "", model.lower())


def model_matches(declared: str, reported_model: str) -> bool:
    """``Keysight DSOX1204G`` (bench file) matches ``DSO-X 1204G`` (``*IDN?``)."""
    reported = _normalise(reported_model)
    return bool(reported) and _normalise(declared).endswith(reported)


def _calibration(entry: InstrumentEntry, today: dt.date, allow_expired: bool) -> CheckLine | None:
    if entry.calibration_due >= today:
        return None
    text = f"calibration due {entry.calibration_due} has passed"
    if allow_expired:
        return CheckLine(entry.name, "override", f"{text} (override given)")
    return CheckLine(entry.name, "fail", f"{text}; refused without --allow-expired-calibration")


def check_bench(
    file: BenchFile, *, today: dt.date | None = None, allow_expired: bool = False
) -> list[CheckLine]:
    """Identify every instrument and compare it with the bench file; one line each."""
    today = today or dt.date.today()
    lines: dict[str, CheckLine] = {}
    for entry in file.document.instruments:
        refused = _calibration(entry, today, allow_expired)
        if refused is not None and refused.status == "fail":
            lines[entry.name] = refused
    bench = open_bench(file)
    try:
        for entry in file.document.instruments:
            if entry.name in lines:
                continue
            inst = bench.instruments[entry.name]
            try:
                idn = inst.identify()
                errors = inst.check_errors()
            except HilError as error:
                lines[entry.name] = CheckLine(entry.name, "fail", str(error))
                continue
            problems = []
            if not model_matches(entry.model, idn.model):
                problems.append(
                    f"model {idn.manufacturer} {idn.model!r}, file says {entry.model!r}"
                )
            if idn.serial != entry.serial:
                problems.append(f"serial {idn.serial!r}, file says {entry.serial!r}")
            if errors:
                problems.append(f"error queue not empty: {errors}")
            override = _calibration(entry, today, allow_expired)
            if problems:
                lines[entry.name] = CheckLine(entry.name, "fail", "; ".join(problems))
            elif override is not None:
                lines[entry.name] = override
            else:
                lines[entry.name] = CheckLine(
                    entry.name,
                    "ok",
                    f"{idn.manufacturer} {idn.model} {idn.serial} fw {idn.firmware}, "
                    f"calibration due {entry.calibration_due}",
                )
    finally:
        bench.safe_state()
        bench.close()
    return [lines[e.name] for e in file.document.instruments]
