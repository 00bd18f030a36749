"""``measure`` keeps the budget behind U in the row, in the requirement's unit.

The store is a list; the spec is the packaged RMD-1 spec (OUT-AMP-L1: 64-96 µA, guarded).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.data import RMD1_SPEC
from harness.judging.spec import Spec, load_spec
from harness.judging.uncertainty import UncertaintyBudget, coverage_factor
from harness.recording.measure import Measure, Recorder
from harness.recording.record import Measurement


class ListLog:
    def __init__(self) -> None:
        self.rows: list[Measurement] = []

    def append(self, m: Measurement) -> None:
        self.rows.append(m)

    def next_seq(self, run_id: str) -> int:
        return 1


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(RMD1_SPEC)


@pytest.fixture
def log() -> ListLog:
    return ListLog()


@pytest.fixture
def measure(spec: Spec, log: ListLog) -> Measure:
    return Measure(Recorder("R1", spec, log), "t::test", ["OUT-AMP-L1", "COM-ID"])


def test_type_b_budget_is_kept_converted_and_k_stays_2(measure: Measure, log: ListLog) -> None:
    budget = UncertaintyBudget().add_accuracy("ammeter accuracy", 80e-6, 0.1, 0.0, 0.0)
    budget.add_relative("load tolerance", 80e-6, 0.001)
    measure("OUT-AMP-L1", 80e-6, "A", uncertainty=budget)
    (row,) = log.rows
    kept = row.uncertainty_budget
    assert kept is not None and row.unit == "uA"
    assert [line.name for line in kept.lines] == ["ammeter accuracy", "load tolerance"]
    first = kept.lines[0]
    assert first.value == pytest.approx(0.08) and first.divisor == pytest.approx(math.sqrt(3))
    assert first.standard_uncertainty == pytest.approx(0.08 / math.sqrt(3))  # µA, not A
    assert (first.distribution, first.evaluation, first.degrees_of_freedom) == (
        "rectangular", "B", None)  # fmt: skip
    assert kept.effective_degrees_of_freedom is None  # ∞
    assert kept.coverage_factor == row.coverage_factor == 2.0
    assert row.expanded_uncertainty == pytest.approx(2 * kept.combined_standard_uncertainty)
    assert row.expanded_uncertainty == pytest.approx(budget.expanded() * 1e6)


def test_type_a_budget_takes_k_from_its_degrees_of_freedom(measure: Measure, log: ListLog) -> None:
    readings = [79e-6, 80e-6, 81e-6, 80e-6]  # s/√4 = 0.408 µA, ν = 3
    budget = UncertaintyBudget().add_repeatability("repeatability", readings)
    measure("OUT-AMP-L1", 80e-6, "A", uncertainty=budget)
    (row,) = log.rows
    kept = row.uncertainty_budget
    assert kept is not None and kept.lines[0].degrees_of_freedom == 3
    assert kept.effective_degrees_of_freedom == pytest.approx(3)
    assert row.coverage_factor == pytest.approx(coverage_factor(3)) == kept.coverage_factor
    assert row.expanded_uncertainty == pytest.approx(3.307 * 0.40825, rel=1e-3)


def test_explicit_k_is_used_and_recorded(measure: Measure, log: ListLog) -> None:
    budget = UncertaintyBudget().add_repeatability("repeatability", [79.0, 80.0, 81.0])
    measure("OUT-AMP-L1", 80.0, uncertainty=budget, k=3.0)
    (row,) = log.rows
    assert row.coverage_factor == 3.0 and row.uncertainty_budget is not None
    assert row.uncertainty_budget.coverage_factor == 3.0
    assert row.expanded_uncertainty == pytest.approx(3.0 * budget.combined())


def test_a_number_or_a_check_keeps_no_budget(measure: Measure, log: ListLog) -> None:
    measure("OUT-AMP-L1", 80.0, uncertainty=1.5)
    measure.check("COM-ID", True)
    assert [r.uncertainty_budget for r in log.rows] == [None, None]
    assert log.rows[0].coverage_factor == 2.0


TEMPERATURE_SPEC = """
schema: 1
spec:
  id: T-SPEC
  version: "1.0.0"
  title: a temperature requirement in kelvin
  device: T-1
  default_decision_rule: guarded
requirements:
  - id: TEMP-RISE
    title: "Applied part temperature"
    group: safety
    source: "IEC 60601-1 11.1"
    quantity: temperature
    unit: K
    upper: 314.15 K
"""


def test_u_and_budget_given_in_an_offset_unit_are_differences(tmp_path: Path) -> None:
    """A reading in degC judged against a requirement in K: the value gains 273.15, its
    U and its budget do not (they are differences). U used to be converted as a reading,
    so 0.5 degC of uncertainty became 273.65 K and every such value was FAIL."""
    path = tmp_path / "t.yaml"
    path.write_text(TEMPERATURE_SPEC)
    log = ListLog()
    measure = Measure(Recorder("R1", load_spec(path), log), "t::test", ["TEMP-RISE"])
    measure("TEMP-RISE", 37.0, "degC", uncertainty=0.5)
    budget = UncertaintyBudget().add_normal("thermocouple", 0.25)
    verdict = measure("TEMP-RISE", 37.0, "degC", uncertainty=budget)
    plain, budgeted = log.rows
    assert plain.value == pytest.approx(310.15) and plain.unit == "K"
    assert plain.expanded_uncertainty == pytest.approx(0.5)
    kept = budgeted.uncertainty_budget
    assert kept is not None and kept.lines[0].standard_uncertainty == pytest.approx(0.25)
    assert budgeted.expanded_uncertainty == pytest.approx(0.5)
    assert verdict.value == "PASS"  # 310.15 + 0.5 K is below 314.15 K
