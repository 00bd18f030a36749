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
from typing import Protocol

from harness.judging.spec import Spec
from harness.judging.uncertainty import COVERAGE_PROBABILITY, DEFAULT_K, UncertaintyBudget
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


class Recorder:
    """Writes the measurements of one run; shared by every test of the session."""

    def __init__(self, run_id: str, spec: Spec, store: MeasurementLog) -> None:
        self.run_id = run_id
        self.spec = spec
        self.store = store
        self._seq = itertools.count(store.next_seq(run_id))
        self._lock = threading.Lock()
        self.measurements: list[Measurement] = []

    def write(self, taken: Taken) -> Measurement:
        """Place ``taken`` in the run (next seq) and commit it before returning."""
        with self._lock:
            m = taken.row(self.run_id, next(self._seq))
            self.store.append(m)
            self.measurements.append(m)
        return m


def recorded_budget(budget: UncertaintyBudget, k: float, scale: float) -> RecordedBudget:
    """The budget as the row keeps it, its values multiplied by ``scale`` (the factor from
    the unit the test gave to the requirement's), so its lines add up to the row's U."""
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
    nu = budget.effective_dof()
    return RecordedBudget(
        lines=lines,
        combined_standard_uncertainty=budget.combined() * scale,
        effective_degrees_of_freedom=None if math.isinf(nu) else nu,
        coverage_factor=k,
        coverage_probability=COVERAGE_PROBABILITY,
    )


def _stringify(given: Mapping[str, object] | None, default: Mapping[str, object]) -> dict[str, str]:
    """The test's conditions, else the requirement's; every name and value as text."""
    conditions = given if given is not None else default
    return {str(k): str(v) for k, v in conditions.items()}


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

    def _requirement(self, requirement_id: str, kind: str) -> object:
        if requirement_id not in self.declared:
            raise MeasurementUsageError(
                f"{self.test_id} records {requirement_id!r} but its requirement marker "
                f"declares only {sorted(self.declared)}"
            )
        requirement = self._recorder.spec.requirement(requirement_id)
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
        self._requirement(requirement_id, "limit")
        requirement = self._recorder.spec.requirement(requirement_id)
        target = requirement.unit
        given = target if unit is None else unit
        if isinstance(uncertainty, UncertaintyBudget):
            budget: UncertaintyBudget | None = uncertainty
            k = uncertainty.coverage_factor() if k is None else k
            expanded = uncertainty.expanded(k)
        else:
            budget, k = None, DEFAULT_K if k is None else k
            expanded = float(uncertainty)
        try:
            converted = (
                None if value is None or not math.isfinite(value) else convert(value, given, target)
            )
            expanded = convert(expanded, given, target) if expanded else 0.0
            scale = convert(1.0, given, target) if budget is not None and given != target else 1.0
        except UnitParseError as exc:
            raise MeasurementUsageError(f"{requirement_id}: {exc}") from None
        rule = self._recorder.spec.decision_rule(requirement)
        verdict = decide_verdict(
            converted, abs(expanded), requirement.lower_limit, requirement.upper_limit, rule
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
                nominal=requirement.nominal_value,
                lower_limit=requirement.lower_limit,
                upper_limit=requirement.upper_limit,
                decision_rule=rule,
                verdict=verdict,
                conditions=_stringify(conditions, requirement.conditions),
                instruments=tuple(instruments),
                attachments=tuple(str(a) for a in attachments),
                note=note,
                uncertainty_budget=None if budget is None else recorded_budget(budget, k, scale),
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
        self._requirement(requirement_id, "check")
        requirement = self._recorder.spec.requirement(requirement_id)
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
                conditions=_stringify(conditions, requirement.conditions),
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
            if self._recorder.spec.requirement(requirement_id).kind == "check":
                self.check(requirement_id, False, detail=reason)
            else:
                self(requirement_id, None, note=reason)

    def missing(self) -> list[str]:
        """Declared requirement ids this test recorded nothing for."""
        done = {m.requirement_id for m in self.recorded}
        return sorted(self.declared - done)
