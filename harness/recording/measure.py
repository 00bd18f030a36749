"""The measurement API a compliance test uses: ``measure(requirement_id, value, unit)``.

A test *measures*; the spec *judges*. The test hands over a value with its unit, its
uncertainty (a number or an ``UncertaintyBudget``), the instruments it came from, the
conditions and any raw captures. ``Measure`` looks the requirement up in the spec,
converts the value into the requirement's unit, applies the requirement's decision rule,
writes the measurement to the results store at once (so a crash cannot lose it) and
returns the verdict.

A non-conforming verdict does not raise: a QA engineer wants every number from a unit,
not just the first failure. The pytest plugin fails the test after its body has run,
listing every failing measurement. A test may only record against the requirement ids
its ``@pytest.mark.requirement(...)`` marker declares, and must record at least one
measurement for each id it declares: a test that claims coverage it did not measure is
a defect.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from harness.judging.spec import Spec
from harness.judging.uncertainty import (
    COVERAGE_PROBABILITY,
    DEFAULT_K,
    UncertaintyBudget,
    coverage_factor,
)
from harness.judging.units import UnitParseError, convert
from harness.judging.verdict import CHECK, RecordedRule, Verdict, decide_check, decide_verdict
from harness.recording.record import BudgetLine, Measurement, RecordedBudget, utc_now


class MeasurementUsageError(Exception):
    """A test used the measurement API wrongly (undeclared id, wrong unit…)."""


class MeasurementLog(Protocol):
    """Where a run's measurements go: the embedded store, or a server behind a journal.

    ``append`` must have made the row durable when it returns; the recorder asks for
    nothing else, so a test never waits for a network.
    """

    def append(self, m: Measurement) -> None: ...

    def next_seq(self, run_id: str) -> int: ...


@dataclass(frozen=True)
class Taken:
    """One judged number as a test took it: a ``Measurement`` before the run places it.

    ``Measure`` fills it, typed field by field; the run's ``Recorder`` gives it its run
    id and sequence number (``row``), and that ``Measurement`` is what the store commits
    and the report reads. Everything else about the row is settled here.
    """

    requirement_id: str
    test_id: str
    quantity: str
    value: float | None
    unit: str
    expanded_uncertainty: float
    coverage_factor: float
    nominal: float | None
    lower_limit: float | None
    upper_limit: float | None
    decision_rule: RecordedRule
    verdict: Verdict
    conditions: Mapping[str, str]
    instruments: tuple[str, ...]
    attachments: tuple[str, ...]
    note: str
    taken_at: datetime = field(default_factory=utc_now)
    uncertainty_budget: RecordedBudget | None = None

    def row(self, run_id: str, seq: int) -> Measurement:
        """The measurement row: this number, placed in its run."""
        return Measurement(
            run_id=run_id,
            seq=seq,
            requirement_id=self.requirement_id,
            test_id=self.test_id,
            quantity=self.quantity,
            value=self.value,
            unit=self.unit,
            expanded_uncertainty=self.expanded_uncertainty,
            coverage_factor=self.coverage_factor,
            nominal=self.nominal,
            lower_limit=self.lower_limit,
            upper_limit=self.upper_limit,
            decision_rule=self.decision_rule,
            verdict=self.verdict,
            conditions=dict(self.conditions),
            instruments=list(self.instruments),
            attachments=list(self.attachments),
            note=self.note,
            taken_at=self.taken_at,
            uncertainty_budget=self.uncertainty_budget,
        )


@dataclass(frozen=True, slots=True)
class Judging:
    """What the spec says about one requirement, in the form every row of it needs.

    The spec is fixed for the run, so the recorder reads it once per requirement
    (``Recorder.judging``): looking the requirement up, reading its limits (pydantic
    private attributes, a slow attribute path), its decision rule and its conditions as
    text for every number was about a tenth of a measurement's cost.
    """

    kind: str
    quantity: str
    unit: str
    nominal: float | None
    lower: float | None
    upper: float | None
    rule: RecordedRule
    conditions: Mapping[str, str]
    """The requirement's conditions as text: a row's default (``_stringify``)."""


class Recorder:
    """Writes the measurements of one run; shared by every test of the session."""

    def __init__(self, run_id: str, spec: Spec, store: MeasurementLog) -> None:
        self.run_id = run_id
        self.spec = spec
        self.store = store
        self._seq = itertools.count(store.next_seq(run_id))
        self._lock = threading.Lock()
        self._judging: dict[str, Judging] = {}
        self.measurements: list[Measurement] = []

    def judging(self, requirement_id: str) -> Judging:
        """The spec's word on ``requirement_id``, read on its first row and kept."""
        found = self._judging.get(requirement_id)
        if found is None:
            requirement = self.spec.requirement(requirement_id)  # KeyError: not in the spec
            found = self._judging[requirement_id] = Judging(
                kind=requirement.kind,
                quantity=requirement.quantity,
                unit=requirement.unit,
                nominal=requirement.nominal_value,
                lower=requirement.lower_limit,
                upper=requirement.upper_limit,
                rule=CHECK if requirement.kind == "check" else self.spec.decision_rule(requirement),
                conditions=MappingProxyType(_stringify(None, requirement.conditions)),
            )
        return found

    def write(self, taken: Taken) -> Measurement:
        """Place ``taken`` in the run (next seq) and commit it before returning."""
        with self._lock:
            m = taken.row(self.run_id, next(self._seq))
            self.store.append(m)
            self.measurements.append(m)
        return m


def recorded_budget(
    budget: UncertaintyBudget,
    k: float,
    scale: float,
    *,
    combined: float | None = None,
    nu: float | None = None,
) -> RecordedBudget:
    """The budget as the row keeps it, its values multiplied by ``scale`` (the factor from
    the unit the test gave to the requirement's), so its lines add up to the row's U.

    ``combined`` and ``nu`` are the budget's u_c and ν_eff when the caller has them
    already (``Measure`` computes both to find U): each is a pass over the lines."""
    if combined is None or nu is None:
        combined, nu = budget.combined_and_dof()
    lines = [
        BudgetLine(
            name=c.name,
            value=c.value * scale,
            distribution=c.distribution,
            divisor=c.divisor,
            sensitivity=c.sensitivity,
            standard_uncertainty=c.standard_uncertainty * scale,
            degrees_of_freedom=c.degrees_of_freedom,
            evaluation=c.evaluation,
            note=c.note,
        )
        for c in budget.components
    ]
    return RecordedBudget(
        lines=lines,
        combined_standard_uncertainty=combined * scale,
        effective_degrees_of_freedom=None if math.isinf(nu) else nu,
        coverage_factor=k,
        coverage_probability=COVERAGE_PROBABILITY,
    )


def _stringify(given: Mapping[str, object] | None, default: Mapping[str, object]) -> dict[str, str]:
    """The test's conditions, else the requirement's; every name and value as text."""
    conditions = given if given is not None else default
    return {str(k): str(v) for k, v in conditions.items()}


def _conditions(given: Mapping[str, object] | None, requirement: Judging) -> Mapping[str, str]:
    """The test's conditions as text, else the requirement's (made text once per run)."""
    return requirement.conditions if given is None else _stringify(given, requirement.conditions)


class Measure:
    """The ``measure`` fixture's object: one per test."""

    def __init__(self, recorder: Recorder, test_id: str, declared: Iterable[str]) -> None:
        self._recorder = recorder
        self.test_id = test_id
        self.declared = frozenset(declared)
        self.recorded: list[Measurement] = []

    @property
    def failures(self) -> list[Measurement]:
        return [m for m in self.recorded if not m.verdict.conforms]

    def _requirement(self, requirement_id: str, kind: str) -> Judging:
        if requirement_id not in self.declared:
            raise MeasurementUsageError(
                f"{self.test_id} records {requirement_id!r} but its requirement marker "
                f"declares only {sorted(self.declared)}"
            )
        requirement = self._recorder.judging(requirement_id)
        if requirement.kind != kind:
            verb = "measure.check()" if requirement.kind == "check" else "measure()"
            raise MeasurementUsageError(
                f"{requirement_id} is a {requirement.kind!r} requirement: use {verb}"
            )
        return requirement

    def __call__(
        self,
        requirement_id: str,
        value: float | None,
        unit: str | None = None,
        *,
        uncertainty: UncertaintyBudget | float = 0.0,
        k: float | None = None,
        instruments: Iterable[str] = (),
        conditions: Mapping[str, object] | None = None,
        attachments: Iterable[str | Path] = (),
        note: str = "",
    ) -> Verdict:
        """Record ``value`` (in ``unit``, default the requirement's) and return its verdict.

        ``k`` defaults to the budget's own coverage factor (Student's t at its effective
        degrees of freedom; 2 for a budget of Type B bounds) or 2 for a plain number; a
        budget is kept in the row, converted to the requirement's unit.
        """
        requirement = self._requirement(requirement_id, "limit")
        target = requirement.unit
        given = target if unit is None else unit
        if isinstance(uncertainty, UncertaintyBudget):
            budget: UncertaintyBudget | None = uncertainty
            u_c, nu = uncertainty.combined_and_dof()  # one pass for U and the row's budget
            k = coverage_factor(nu) if k is None else k
            expanded = k * u_c
        else:
            budget, k = None, DEFAULT_K if k is None else k
            expanded = float(uncertainty)
        try:
            converted = (
                None if value is None or not math.isfinite(value) else convert(value, given, target)
            )
            # U and the budget are differences: an offset unit's zero (degC to K: 273.15)
            # is not theirs to add, only its scale
            offset = convert(0.0, given, target) if given != target else 0.0
            expanded = convert(expanded, given, target) - offset if expanded else 0.0
            scale = (
                convert(1.0, given, target) - offset
                if budget is not None and given != target
                else 1.0
            )
        except UnitParseError as exc:
            raise MeasurementUsageError(f"{requirement_id}: {exc}") from None
        rule = requirement.rule
        verdict = decide_verdict(
            converted, abs(expanded), requirement.lower, requirement.upper, rule
        )
        return self._record(
            Taken(
                requirement_id=requirement_id,
                test_id=self.test_id,
                quantity=requirement.quantity,
                value=converted,
                unit=target,
                expanded_uncertainty=abs(expanded),
                coverage_factor=k,
                nominal=requirement.nominal,
                lower_limit=requirement.lower,
                upper_limit=requirement.upper,
                decision_rule=rule,
                verdict=verdict,
                conditions=_conditions(conditions, requirement),
                instruments=tuple(instruments),
                attachments=tuple(str(a) for a in attachments),
                note=note,
                uncertainty_budget=None
                if budget is None
                else recorded_budget(budget, k, scale, combined=u_c, nu=nu),
            )
        )

    def check(
        self,
        requirement_id: str,
        conforms: bool,
        *,
        detail: str = "",
        instruments: Iterable[str] = (),
        conditions: Mapping[str, object] | None = None,
        attachments: Iterable[str | Path] = (),
    ) -> Verdict:
        """Record the outcome of a pass/fail check requirement (value 1 or 0)."""
        requirement = self._requirement(requirement_id, "check")
        return self._record(
            Taken(
                requirement_id=requirement_id,
                test_id=self.test_id,
                quantity=requirement.quantity,
                value=1.0 if conforms else 0.0,
                unit="",
                expanded_uncertainty=0.0,
                coverage_factor=DEFAULT_K,
                nominal=None,
                lower_limit=None,
                upper_limit=None,
                decision_rule=CHECK,
                verdict=decide_check(conforms),
                conditions=_conditions(conditions, requirement),
                instruments=tuple(instruments),
                attachments=tuple(str(a) for a in attachments),
                note=detail,
            )
        )

    def _record(self, taken: Taken) -> Verdict:
        """Commit the row now (a crash cannot lose it) and keep it for the test's end."""
        m = self._recorder.write(taken)
        self.recorded.append(m)
        return m.verdict

    def not_shown(self, reason: str) -> None:
        """The test ended before showing its requirements conform: record that as a FAIL.

        A test that raises (the unit restarted, an instrument errored, an assumption of
        the test broke) may have recorded only conforming values, or none, for what it
        declares; a report built from the rows alone would then state conformity that
        was never shown. Each declared requirement without a non-conforming row here
        gets one row with no value (a FAIL by every decision rule) whose note says why.
        """
        failed = {m.requirement_id for m in self.failures}
        for requirement_id in sorted(self.declared - failed):
            if self._recorder.judging(requirement_id).kind == "check":
                self.check(requirement_id, False, detail=reason)
            else:
                self(requirement_id, None, note=reason)

    def missing(self) -> list[str]:
        """Declared requirement ids this test recorded nothing for."""
        done = {m.requirement_id for m in self.recorded}
        return sorted(self.declared - done)
