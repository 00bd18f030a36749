"""What ``measure`` and ``ResultsStore.append`` keep between rows changes no row.

The recorder reads each requirement from the spec once (``Recorder.judging``) and the
store keeps the JSON text of conditions and instrument lists by value; both are only
shortcuts: every row is what it would be if each were worked out afresh.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from harness.data import RMD1_SPEC
from harness.judging.spec import Spec, load_spec
from harness.judging.uncertainty import UncertaintyBudget
from harness.judging.verdict import CHECK, DecisionRule, Verdict
from harness.recording.measure import Measure, Recorder
from harness.recording.record import Measurement, RunRecord
from harness.recording.store.results_store import ResultsStore
from harness.recording.store.schema import json_text, measurements_table

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(RMD1_SPEC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResultsStore]:
    opened = ResultsStore.open(tmp_path / "results.db")
    record = RunRecord(
        run_id="R", bench_id="b", station="s", operator="o", spec_id="RMD1",
        spec_version="1", spec_sha256="ab" * 32, harness_version="0",
        python_version="3.11", started_at=T0, host=socket.gethostname(), pid=os.getpid(),
    )  # fmt: skip
    opened.begin_run(record)
    yield opened
    opened.close()


def stored_rows(store: ResultsStore) -> list[dict[str, Any]]:
    with store.reading() as conn:
        query = select(measurements_table).order_by(measurements_table.c.seq)
        return [row._asdict() for row in conn.execute(query)]


def test_each_row_has_its_requirement_as_the_spec_says(spec: Spec, store: ResultsStore) -> None:
    measure = Measure(Recorder("R", spec, store), "t::a", ["OUT-AMP-L1", "COM-ID"])
    for value in (80.0, 95e-6):
        measure("OUT-AMP-L1", value, None if value > 1 else "A", uncertainty=1.0)
    measure.check("COM-ID", True)
    requirement = spec.requirement("OUT-AMP-L1")
    first, second, check = measure.recorded
    for row in (first, second):
        assert (row.quantity, row.unit) == (requirement.quantity, requirement.unit)
        assert (row.nominal, row.lower_limit, row.upper_limit) == (
            requirement.nominal_value, requirement.lower_limit, requirement.upper_limit,
        )  # fmt: skip
        assert row.decision_rule is spec.decision_rule(requirement) is DecisionRule.GUARDED
        assert row.conditions == {str(k): str(v) for k, v in requirement.conditions.items()}
    assert (first.verdict, second.verdict) == (Verdict.PASS, Verdict.FAIL)
    assert (check.decision_rule, check.unit, check.conditions) == (CHECK, "", {})
    assert store.measurements("R") == measure.recorded
    # the conditions kept for the requirement are the row's own copy, not shared
    first.conditions["load"] = "changed"
    measure("OUT-AMP-L1", 80.0)
    assert measure.recorded[-1].conditions["load"] == "500 ohm"


def test_stored_text_is_the_json_of_each_row(spec: Spec, store: ResultsStore) -> None:
    measure = Measure(Recorder("R", spec, store), "t::a", ["OUT-AMP-L1"])
    budget = UncertaintyBudget().add_accuracy("dmm", 80.0, 0.05, 0.025, 1000.0)
    given: list[dict[str, Any]] = [
        {},
        {"instruments": ["dmm"], "conditions": {"load": "2 kΩ", "battery": 3.7}},
        {"instruments": ["dmm"], "conditions": {"battery": 3.7, "load": "2 kΩ"}},  # order
        {"instruments": ["dmm", "scope"], "attachments": [Path("captures/a.npz")]},
        {"instruments": ["dmm"], "conditions": {"load": "2 kΩ", "battery": 3.7}},
    ]
    for kwargs in given:
        measure("OUT-AMP-L1", 80.0, uncertainty=budget, **kwargs)
    for row, m in zip(stored_rows(store), measure.recorded, strict=True):
        for column, name in (("conditions_json", "conditions"), ("instruments_json",
                             "instruments"), ("attachments_json", "attachments"),
                             ("uncertainty_budget_json", "uncertainty_budget")):  # fmt: skip
            assert row[column] == json_text(getattr(m, name))
    texts = [row["conditions_json"] for row in stored_rows(store)]
    assert texts[1] == '{"load":"2 k\\u03a9","battery":"3.7"}' == texts[4]
    assert texts[2] == '{"battery":"3.7","load":"2 k\\u03a9"}'


def test_values_equal_in_python_but_not_in_json_are_not_confused(store: ResultsStore) -> None:
    """1 == 1.0 == True, but their JSON differs: rows built without validation
    (``model_construct``) may hold such values, and each keeps its own text."""
    fields: dict[str, Any] = {
        "run_id": "R", "requirement_id": "X", "test_id": "t", "quantity": "q", "value": 1.0,
        "unit": "A", "decision_rule": DecisionRule.SIMPLE, "verdict": Verdict.PASS,
        "attachments": [], "note": "", "taken_at": T0,
    }  # fmt: skip
    odd: list[tuple[list[Any], dict[Any, Any]]] = [
        (["1"], {"a": "1"}),
        ([1], {"a": 1}),
        ([True], {"a": True}),
        ([1.0], {"a": 1.0}),
        (["1"], {"1": "a"}),
        (["1"], {1: "a"}),
        (["1"], {True: "a"}),
    ]
    for seq, (instruments, conditions) in enumerate(odd, start=1):
        m = Measurement.model_construct(
            seq=seq, instruments=instruments, conditions=conditions, **fields
        )
        store.append(m)
    rows = stored_rows(store)
    assert [json.loads(r["instruments_json"]) for r in rows] == [i for i, _ in odd]
    assert [r["conditions_json"] for r in rows] == [
        '{"a":"1"}', '{"a":1}', '{"a":true}', '{"a":1.0}', '{"1":"a"}', '{"1":"a"}',
        '{"true":"a"}',
    ]  # fmt: skip
