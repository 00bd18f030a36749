"""``hil bench check``: is the bench the bench file describes, and fit to measure?

Before a station tests units, an engineer wants to know that every instrument answers,
that it is the model and the serial number the bench file (and so every report) will
name, that it is within calibration, and that its error queue is empty. The check
touches nothing that matters: it opens each instrument, asks ``*IDN?`` and drains
``SYST:ERR?``, then puts the bench in its safe state.

Unlike a run, which stops at the first part of the bench it cannot open, the check tries
every one and gives each its line: an instrument switched off, a wrong address, a VISA
library that is not installed or a unit port that does not exist is named with its
resource and the reason, so one check shows everything to fix on a new station. The
unit's test port gets the last line (``dut``).

An instrument past its calibration due date is refused unless the operator overrides;
an override is never silent: ``hil run --allow-expired-calibration`` records it in the
run record and every report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from harness.bench.model_names import model_matches
from harness.bench.station import open_parts
from harness.definitions.bench_file import BenchFile, InstrumentEntry
from harness.errors import HilError
from harness.instruments.protocols import Instrument

Status = Literal["ok", "override", "fail"]


@dataclass(frozen=True)
class CheckLine:
    """The outcome for one instrument."""

    name: str
    status: Status
    detail: str


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
    """Identify every instrument and compare it with the bench file; one line each, and
    one for the unit's port."""
    today = today or dt.date.today()
    lines: dict[str, CheckLine] = {}
    for entry in file.document.instruments:
        refused = _calibration(entry, today, allow_expired)
        if refused is not None and refused.status == "fail":
            lines[entry.name] = refused
    parts = open_parts(file, keep_going=True)
    try:
        for entry in file.document.instruments:
            if entry.name in lines:
                continue
            if entry.name in parts.failures:
                lines[entry.name] = CheckLine(entry.name, "fail", parts.failures[entry.name].detail)
                continue
            lines[entry.name] = _identify(
                entry, parts.instruments[entry.name], today, allow_expired
            )
    finally:
        parts.make_safe()
        parts.close()
    port = parts.failures.get("dut")
    control = file.document.device.how_controlled
    device = (
        CheckLine("dut", "fail", port.detail)
        if port is not None
        else CheckLine("dut", "ok", f"device port {parts.port} opened")
        if control == "port"
        else CheckLine("dut", "ok", f"no test port: buttons pressed by the {control}")
    )
    return [*(lines[e.name] for e in file.document.instruments), device]


def _identify(
    entry: InstrumentEntry, inst: Instrument, today: dt.date, allow_expired: bool
) -> CheckLine:
    try:
        idn = inst.identify()
        errors = inst.check_errors()
    except HilError as error:
        return CheckLine(entry.name, "fail", str(error))
    problems = []
    if not model_matches(entry.model, idn.model):
        problems.append(f"model {idn.manufacturer} {idn.model!r}, file says {entry.model!r}")
    if idn.serial != entry.serial:
        problems.append(f"serial {idn.serial!r}, file says {entry.serial!r}")
    if errors:
        problems.append(f"error queue not empty: {errors}")
    override = _calibration(entry, today, allow_expired)
    if problems:
        return CheckLine(entry.name, "fail", "; ".join(problems))
    if override is not None:
        return override
    return CheckLine(
        entry.name,
        "ok",
        f"{idn.manufacturer} {idn.model} {idn.serial} fw {idn.firmware}, "
        f"calibration due {entry.calibration_due}",
    )
