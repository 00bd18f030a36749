"""Runs and measurements come back from the store exactly as they went in."""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text, update

from harness.judging.verdict import CHECK, DecisionRule, Verdict
from harness.recording.record import (
    InstrumentIdentity,
    Measurement,
    RunRecord,
    UnitIdentity,
    utc_now,
)
from harness.recording.store.results_store import ResultsStore, StoreError
from harness.recording.store.schema import StoreSchemaError, measurements_table, runs_table

T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def make_run(run_id: str = "run-1", **changes: object) -> RunRecord:
    fields: dict[str, object] = {
        "run_id": run_id, "bench_id": "bench-2", "station": "st-1", "operator": "qa",
        "spec_id": "RMD1", "spec_version": "1.0", "spec_sha256": "ab" * 32,
        "harness_version": "0.1.0", "python_version": "3.11.7", "started_at": T0,
        "host": socket.gethostname(), "pid": os.getpid(), "packages": {"numpy": "1.26"},
    }  # fmt: skip
    fields.update(changes)
    return RunRecord.model_validate(fields)


def make_measurement(seq: int, run_id: str = "run-1", **changes: object) -> Measurement:
    fields: dict[str, object] = {
        "run_id": run_id, "seq": seq, "requirement_id": "REQ-OUT-1", "test_id": "t::a[2k]",
        "quantity": "output_current", "value": 1.0e-4 + seq * 1e-9, "unit": "A",
        "expanded_uncertainty": 2e-7, "nominal": 1e-4, "lower_limit": 9e-5,
        "upper_limit": 1.1e-4, "decision_rule": "guarded", "verdict": "PASS",
        "conditions": {"load": "2 kΩ", "battery": "3.7 V"}, "instruments": ["dmm"],
        "attachments": ["captures/a.npz"], "note": "ok", "taken_at": T0 + timedelta(seconds=seq),
    }  # fmt: skip
    fields.update(changes)
    return Measurement.model_validate(fields)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResultsStore]:
    opened = ResultsStore.open(tmp_path / "deep" / "dir" / "results.db")
    yield opened
    opened.close()


def test_plain_path_creates_parent_dirs_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "results.db"
    with ResultsStore.open(path) as first:
        first.begin_run(make_run())
        first.append(make_measurement(1))
    with ResultsStore.open(str(path)) as again:
        assert again.get_run("run-1") == make_run()
        assert again.measurements() == [make_measurement(1)]


def test_sqlalchemy_url_opens_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    with ResultsStore.open(path) as by_path:
        by_path.begin_run(make_run())
    with ResultsStore.open(f"sqlite:///{path}") as by_url:
        assert [r.run_id for r in by_url.runs()] == ["run-1"]


def test_run_round_trip_update_and_finish(store: ResultsStore) -> None:
    store.begin_run(make_run())
    unit = UnitIdentity(model="RMD-1", serial="SN42", firmware="1.4.0", hardware="C")
    dmm = InstrumentIdentity(name="dmm", role="ammeter", model="34465A", serial="MY1",
                             resource="TCPIP0::dmm::5025::SOCKET")  # fmt: skip
    updated = make_run(unit=unit, instruments=[dmm])
    store.update_run(updated)
    assert store.get_run("run-1") == updated
    end = T0 + timedelta(minutes=5)
    store.finish_run("run-1", "passed", end)
    finished = store.get_run("run-1")
    assert (finished.status, finished.ended_at, finished.unit) == ("passed", end, unit)
    assert store.runs() == [finished]


def test_measurement_round_trip_keeps_every_field(store: ResultsStore) -> None:
    store.begin_run(make_run())
    written = [
        make_measurement(1),
        make_measurement(2, value=None, nominal=None, lower_limit=None, conditions={}),
        make_measurement(3, upper_limit=math.inf, lower_limit=-math.inf, value=-0.0),
        make_measurement(4, taken_at=datetime(2026, 3, 1, 14, 0, tzinfo=PLUS_TWO)),
    ]
    for m in written:
        store.append(m)
    read = store.measurements("run-1")
    assert read == written
    assert all(m.taken_at.tzinfo is UTC for m in read)
    assert read[3].taken_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_measurements_filter_by_run_and_order_by_seq(store: ResultsStore) -> None:
    store.begin_run(make_run("run-1"))
    store.begin_run(make_run("run-2", started_at=T0 + timedelta(hours=1)))
    for seq in (3, 1, 2):
        store.append(make_measurement(seq, "run-2"))
    store.append(make_measurement(1, "run-1"))
    assert [m.seq for m in store.measurements("run-2")] == [1, 2, 3]
    assert [(m.run_id, m.seq) for m in store.measurements()] == [
        ("run-1", 1),
        ("run-2", 1),
        ("run-2", 2),
        ("run-2", 3),
    ]


def test_next_seq(store: ResultsStore) -> None:
    store.begin_run(make_run())
    assert store.next_seq("run-1") == 1
    store.append(make_measurement(1))
    store.append(make_measurement(7))
    assert store.next_seq("run-1") == 8
    with pytest.raises(StoreError, match="no run 'nope'"):
        store.next_seq("nope")


def test_duplicate_run_is_refused_and_original_kept(store: ResultsStore) -> None:
    store.begin_run(make_run())
    with pytest.raises(StoreError, match="already exists"):
        store.begin_run(make_run(operator="someone-else"))
    assert store.get_run("run-1").operator == "qa"


def test_append_is_append_only(store: ResultsStore) -> None:
    store.begin_run(make_run())
    store.append(make_measurement(1))
    with pytest.raises(StoreError, match="already has seq 1"):
        store.append(make_measurement(1, value=5.0))
    assert store.measurements() == [make_measurement(1)]
    store.append(make_measurement(2))  # the store is still usable after a refusal


def test_append_to_unknown_run_is_refused(store: ResultsStore) -> None:
    with pytest.raises(StoreError, match="begin_run"):
        store.append(make_measurement(1, run_id="ghost"))
    assert store.measurements() == []


def test_identity_of_a_run_cannot_change(store: ResultsStore) -> None:
    store.begin_run(make_run())
    with pytest.raises(StoreError, match="spec_sha256"):
        store.update_run(make_run(spec_sha256="cd" * 32))
    with pytest.raises(StoreError, match="no run"):
        store.update_run(make_run("other"))
    assert store.get_run("run-1") == make_run()


def test_naive_datetimes_are_refused(store: ResultsStore) -> None:
    with pytest.raises(StoreError, match="naive"):
        store.begin_run(make_run(started_at=datetime(2026, 1, 1)))
    store.begin_run(make_run())
    with pytest.raises(StoreError, match="naive"):
        store.append(make_measurement(1, taken_at=datetime(2026, 1, 1)))
    with pytest.raises(StoreError, match="naive"):
        store.finish_run("run-1", "passed", datetime(2026, 1, 1))
    with pytest.raises(StoreError, match="running"):
        store.finish_run("run-1", "running", utc_now())


def test_append_rate(store: ResultsStore) -> None:
    """Loose guard against a slow path creeping in (the target is well under 0.2 ms)."""
    import time

    store.begin_run(make_run())
    rows = [make_measurement(seq) for seq in range(1, 2001)]
    start = time.perf_counter()
    for m in rows:
        store.append(m)
    per_row = (time.perf_counter() - start) / len(rows)
    assert per_row < 1e-3, f"{per_row * 1e6:.0f} µs per row"
    assert len(store.measurements()) == 2000


# -- typed rows: verdict and decision rule are enums, stored as their text ---------------


@pytest.mark.parametrize(
    ("rule", "verdict"),
    [
        (DecisionRule.NON_BINARY, Verdict.CONDITIONAL_PASS),
        (DecisionRule.SIMPLE, Verdict.CONDITIONAL_FAIL),
        (CHECK, Verdict.FAIL),
    ],
)
def test_verdict_and_rule_are_stored_as_their_text(
    store: ResultsStore, rule: DecisionRule | str, verdict: Verdict
) -> None:
    store.begin_run(make_run())
    store.append(make_measurement(1, decision_rule=rule, verdict=verdict))
    with store.reading() as conn:
        stored = conn.execute(
            text("SELECT decision_rule, verdict FROM measurements WHERE seq = 1")
        ).one()
    assert tuple(stored) == (str(rule), verdict.value)  # e.g. "CONDITIONAL PASS", not a name
    (read,) = store.measurements("run-1")
    assert read.verdict is verdict and read.decision_rule == rule
    assert isinstance(read.decision_rule, DecisionRule) == (rule != CHECK)


def test_rows_written_as_plain_text_read_back_as_enums(store: ResultsStore) -> None:
    """Rows of schema version 1 written before the enums (plain strings) still parse."""
    store.begin_run(make_run())
    store.append(make_measurement(1))
    with store.reading() as conn:
        conn.execute(
            update(measurements_table).values(
                decision_rule="non-binary", verdict="CONDITIONAL FAIL"
            )
        )
    (read,) = store.measurements("run-1")
    assert (read.decision_rule, read.verdict) == (DecisionRule.NON_BINARY, Verdict.CONDITIONAL_FAIL)
    assert read.schema_version == 1


def test_a_verdict_in_another_case_is_that_verdict_and_others_are_refused() -> None:
    assert make_measurement(1, verdict="conditional pass").verdict is Verdict.CONDITIONAL_PASS
    with pytest.raises(ValidationError, match="verdict"):
        make_measurement(1, verdict="MAYBE")
    with pytest.raises(ValidationError, match="decision_rule"):
        make_measurement(1, decision_rule="strict")


def test_schema_version_other_than_1_is_refused(store: ResultsStore) -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        make_measurement(1, schema_version=2)
    with pytest.raises(ValidationError, match="schema_version"):
        make_run(schema_version=2)
    store.begin_run(make_run())
    store.append(make_measurement(1))
    with store.reading() as conn:
        conn.execute(update(measurements_table).values(schema_version=2))
        record = make_run().model_dump_json().replace('"schema_version":1', '"schema_version":2')
        conn.execute(update(runs_table).values(record_json=record))
    with pytest.raises(StoreSchemaError, match="measurement schema version 2"):
        store.measurements("run-1")
    with pytest.raises(StoreSchemaError, match="run record schema version 2"):
        store.get_run("run-1")
