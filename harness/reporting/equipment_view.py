"""The report's equipment table, laboratory header and environmental conditions.

ISO/IEC 17025 asks a report to identify the laboratory (7.8.2.1 b), the equipment a
result depends on with its calibration (6.4, 6.5: metrological traceability) and the
conditions of testing (7.8.3.1 a). The run record holds them as the run began; this
module turns them into rows of text where every cell says something: a value, or why
there is none ("not stated in the bench file", "not required: switching only"). A blank
cell in an equipment table reads as an omission, so there are none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from harness.recording.record import (
    CalibrationRecord,
    InstrumentIdentity,
    LaboratoryRecord,
    ReferenceStandard,
)
from harness.reporting.conditions_view import ConditionRow as ConditionRow  # its own view
from harness.reporting.conditions_view import condition_rows as condition_rows
from harness.reporting.wording import plain_text, pretty_unit

NOT_STATED = "not stated in the bench file"
SWITCHING_ONLY = "not required: switching only, measures nothing"
SWITCHING_ROLES = frozenset({"load_switch"})


@dataclass(frozen=True)
class EquipmentRow:
    """One instrument or reference standard as printed: every cell filled."""

    item: str
    model: str
    serial: str
    calibrated: str
    certificate: str
    laboratory: str
    due: str
    traceability: str
    overdue: bool

    def cells(self) -> tuple[str, ...]:
        return (self.item, self.model, self.serial, self.calibrated, self.certificate,
                self.laboratory, self.due, self.traceability)  # fmt: skip


@dataclass(frozen=True)
class LaboratoryView:
    """Who issues the report: name, address, accreditation, and who may approve it."""

    name: str
    address: str
    accreditation: str
    approvers: list[tuple[str, str]]


def _calibration_cells(
    calibration: CalibrationRecord | None, exempt: bool
) -> tuple[str, str, str, str]:
    if calibration is None and exempt:
        return "not required", "not applicable", "not applicable", SWITCHING_ONLY
    if calibration is None:
        return NOT_STATED, "not stated", "not stated", "not stated"
    return (calibration.date, calibration.certificate, plain_text(calibration.laboratory),
            plain_text(calibration.traceability))  # fmt: skip


def _due(text: str | None, on: date) -> bool:
    try:
        return text is not None and date.fromisoformat(text) < on
    except ValueError:
        return False


def instrument_rows(instruments: list[InstrumentIdentity], on: date) -> list[EquipmentRow]:
    """The bench's instruments, each with its calibration (``on``: the test date)."""
    rows = []
    for inst in instruments:
        exempt = inst.role in SWITCHING_ROLES
        calibrated, certificate, lab, trace = _calibration_cells(inst.calibration, exempt)
        firmware = f", firmware {inst.firmware}" if inst.firmware else ""
        overdue = _due(inst.calibration_due, on)
        due = inst.calibration_due or NOT_STATED
        rows.append(EquipmentRow(
            item=f"{inst.role.replace('_', ' ')} ({inst.name})", model=f"{inst.model}{firmware}",
            serial=inst.serial, calibrated=calibrated, certificate=certificate, laboratory=lab,
            due=f"{due} (OVERDUE)" if overdue else due, traceability=trace, overdue=overdue,
        ))  # fmt: skip
    return rows


def standard_rows(standards: list[ReferenceStandard], on: date) -> list[EquipmentRow]:
    """The bench's reference standards (load resistors), each with its calibration."""
    rows = []
    for std in standards:
        calibrated, certificate, lab, trace = _calibration_cells(std.calibration, False)
        overdue = _due(std.calibration_due, on)
        due = std.calibration_due or NOT_STATED
        rows.append(EquipmentRow(
            item=f"{std.kind} {std.name}: {pretty_unit(std.nominal)} ±{std.tolerance}",
            model=std.model or NOT_STATED, serial=std.serial or NOT_STATED,
            calibrated=calibrated, certificate=certificate, laboratory=lab,
            due=f"{due} (OVERDUE)" if overdue else due, traceability=trace, overdue=overdue,
        ))  # fmt: skip
    return rows


def laboratory_view(
    record_lab: LaboratoryRecord | None,
    name: str | None,
    address: str | None,
    fallback: str,
    fallback_address: str,
) -> LaboratoryView:
    """The run's laboratory (from its lab file), else the names given, else the station."""
    if record_lab is not None:
        acc = record_lab.accreditation
        accreditation = (
            "not stated in the laboratory file"
            if acc is None
            else f"{acc.body}, accreditation {acc.number}; scope: {acc.scope}"
        )
        return LaboratoryView(
            name=name or record_lab.name,
            address=address or record_lab.address or "not stated in the laboratory file",
            accreditation=accreditation,
            approvers=[(a.name, a.role) for a in record_lab.approvers],
        )
    return LaboratoryView(
        name=name or fallback,
        address=address or fallback_address,
        accreditation="none stated: the run named no laboratory file",
        approvers=[],
    )
