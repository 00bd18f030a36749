"""``measure`` hands one typed row to the store: what the test gave, judged by the spec.

The store here is a list, so the rows are seen exactly as the recorder hands them on;
the spec is the packaged RMD-1 spec (OUT-AMP-L1: 64-96 µA, guarded; COM-ID a check).
"""

from __future__ import annotations

import pytest

from harness.data import RMD1_SPEC
from harness.judging.spec import Spec, load_spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.judging.verdict import CHECK, DecisionRule, Verdict
from harness.recording.measure import Measure, MeasurementUsageError, Recorder, Taken
from harness.recording.record import Measurement


class ListLog:
    def __init__(self) -> None:
        self.rows: list[Measurement] = []

    def append(self, m: Measurement) -> None:
        self.rows.append(m)

    def next_seq(self, run_id: str) -> int:
        return 5  # a resumed run: the recorder carries on from the store's count


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(RMD1_SPEC)


@pytest.fixture
def log() -> ListLog:
    return ListLog()


@pytest.fixture
def measure(spec: Spec, log: ListLog) -> Measure:
    return Measure(Recorder("R1", spec, log), "t::test", ["OUT-AMP-L1", "COM-ID", "OUT-MONO"])


def test_a_limit_row_is_converted_judged_and_typed(measure: Measure, log: ListLog) -> None:
    budget = UncertaintyBudget().add_normal("meter", 1e-6)  # 1 µA standard -> U = 2 µA
    verdict = measure("OUT-AMP-L1", 95e-6, "A", uncertainty=budget, instruments=["dmm"],
                      attachments=["captures/x.npz"], note="n")  # fmt: skip
    # guarded: 95 µA is inside 64-96 µA but within U = 2 µA of the upper limit
    assert verdict is Verdict.FAIL
    (row,) = log.rows
    assert (row.run_id, row.seq, row.schema_version) == ("R1", 5, 1)
    assert row.value == pytest.approx(95.0) and row.unit == "uA"
    assert row.expanded_uncertainty == pytest.approx(2.0) and row.coverage_factor == 2.0
    assert (row.nominal, row.lower_limit, row.upper_limit) == (80.0, 64.0, 96.0)
    assert row.decision_rule is DecisionRule.GUARDED and row.verdict is Verdict.FAIL
    assert row.conditions["load"] == "500 ohm" and row.conditions["level"] == "1"
    assert (row.instruments, row.attachments, row.note) == (["dmm"], ["captures/x.npz"], "n")
    assert measure.recorded == log.rows and measure.failures == log.rows


def test_a_check_row(measure: Measure, log: ListLog) -> None:
    assert measure.check("COM-ID", True, detail="ok", conditions={"when": 1}) is Verdict.PASS
    (row,) = log.rows
    assert (row.value, row.unit, row.decision_rule, row.verdict) == (1.0, "", CHECK, Verdict.PASS)
    assert row.conditions == {"when": "1"} and row.note == "ok"
    assert (row.lower_limit, row.upper_limit, row.expanded_uncertainty) == (None, None, 0.0)


def test_what_was_not_shown_is_recorded_as_a_fail(measure: Measure, log: ListLog) -> None:
    measure("OUT-AMP-L1", 80.0)  # PASS, but the test then broke
    measure.not_shown("the unit restarted")
    failed = {(m.requirement_id, m.decision_rule, m.verdict) for m in log.rows[1:]}
    assert failed == {
        ("COM-ID", CHECK, Verdict.FAIL),
        ("OUT-AMP-L1", DecisionRule.GUARDED, Verdict.FAIL),
        ("OUT-MONO", CHECK, Verdict.FAIL),
    }
    assert [m.seq for m in log.rows] == [5, 6, 7, 8]


def test_wrong_use_is_refused_before_anything_is_written(measure: Measure, log: ListLog) -> None:
    with pytest.raises(MeasurementUsageError, match="declares only"):
        measure("OUT-AMP-L2", 1.0)
    with pytest.raises(MeasurementUsageError, match=r"use measure\.check"):
        measure("COM-ID", 1.0)
    with pytest.raises(MeasurementUsageError, match="OUT-AMP-L1"):
        measure("OUT-AMP-L1", 1.0, "furlong")
    assert log.rows == []


def test_a_taken_number_becomes_the_row_of_its_run() -> None:
    taken = Taken(
        requirement_id="R", test_id="t", quantity="q", value=None, unit="A",
        expanded_uncertainty=0.0, coverage_factor=2.0, nominal=None, lower_limit=0.0,
        upper_limit=1.0, decision_rule=DecisionRule.SIMPLE, verdict=Verdict.FAIL,
        conditions={}, instruments=("dmm",), attachments=(), note="",
    )  # fmt: skip
    row = taken.row("RUN", 3)
    assert (row.run_id, row.seq, row.instruments, row.taken_at) == (
        "RUN",
        3,
        ["dmm"],
        taken.taken_at,
    )
    assert row.model_dump(mode="json")["verdict"] == "FAIL"
