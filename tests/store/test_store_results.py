"""The tidy pandas table and its Parquet/CSV exports."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from harness.recording.record import Measurement, RunRecord, UnitIdentity
from harness.recording.results import MEASUREMENT_COLUMNS, RUN_COLUMNS, export, load
from harness.recording.store.results_store import ResultsStore, StoreError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
UNIT = UnitIdentity(model="RMD-1", serial="SN42", firmware="1.4.0", hardware="C")


def make_run(
    run_id: str, started_at: datetime, spec_id: str = "RMD1", bench: str = "b1"
) -> RunRecord:
    return RunRecord(
        run_id=run_id, unit=UNIT, bench_id=bench, station="st", operator="qa",
        spec_id=spec_id, spec_version="1.0", spec_sha256="ab" * 32, harness_version="0.1.0",
        python_version="3.11", started_at=started_at, host="h", pid=os.getpid(),
    )  # fmt: skip


def make_measurement(run_id: str, seq: int, **changes: object) -> Measurement:
    fields: dict[str, object] = {
        "run_id": run_id, "seq": seq, "requirement_id": "REQ-OUT-1", "test_id": "t",
        "quantity": "output_current", "value": seq * 1e-6, "unit": "A",
        "decision_rule": "simple", "verdict": "pass", "conditions": {"load": "2k"},
        "instruments": ["dmm", "scope"], "taken_at": T0 + timedelta(seconds=seq),
    }  # fmt: skip
    fields.update(changes)
    return Measurement.model_validate(fields)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "results.db"
    with ResultsStore.open(path) as store:
        store.begin_run(make_run("a", T0))
        store.begin_run(make_run("b", T0 + timedelta(days=1), spec_id="OTHER", bench="b2"))
        store.append(make_measurement("a", 1))
        store.append(make_measurement("a", 2, value=None, conditions={"battery": "3.0 V"}))
        store.append(make_measurement("b", 1, lower_limit=0.0, upper_limit=1.0))
        store.finish_run("a", "failed", T0 + timedelta(hours=1))
    return path


def test_load_is_tidy_with_stable_dtypes(db: Path) -> None:
    frame = load(db)
    expected = {
        **MEASUREMENT_COLUMNS,
        **RUN_COLUMNS,
        "cond_battery": "string",
        "cond_load": "string",
    }
    assert list(frame.columns) == list(expected)
    assert {c: str(t) for c, t in frame.dtypes.items()} == expected
    assert list(zip(frame.run_id, frame.seq, strict=True)) == [("a", 1), ("a", 2), ("b", 1)]
    first = frame.iloc[0]
    assert (first.unit_serial, first.unit_model, first.unit_firmware) == ("SN42", "RMD-1", "1.4.0")
    assert (first.run_status, first.spec_sha256, first.bench_id) == ("failed", "ab" * 32, "b1")
    assert first.taken_at == pd.Timestamp(T0 + timedelta(seconds=1))
    assert first.instruments == ["dmm", "scope"]
    assert pd.isna(frame.value[1]) and pd.isna(frame.cond_load[1])
    assert frame.cond_battery.tolist()[1] == "3.0 V"
    assert pd.isna(frame.run_ended_at[2]) and frame.run_status[2] == "running"


def test_load_filters_by_run(db: Path) -> None:
    assert load(db, "b").run_id.tolist() == ["b"]
    assert load(db, spec_id="RMD1").run_id.tolist() == ["a", "a"]
    assert load(db, bench_id="b2").run_id.tolist() == ["b"]
    assert load(db, since=T0 + timedelta(hours=1)).run_id.tolist() == ["b"]
    assert load(db, until=T0 + timedelta(hours=1)).run_id.tolist() == ["a", "a"]
    with pytest.raises(StoreError, match="naive"):
        load(db, since=datetime(2026, 1, 1))


def test_empty_result_keeps_columns_and_dtypes(db: Path) -> None:
    empty = load(db, spec_id="nothing")
    assert len(empty) == 0
    assert {c: str(t) for c, t in empty.dtypes.items()} == {**MEASUREMENT_COLUMNS, **RUN_COLUMNS}


def test_load_accepts_an_open_store_and_refuses_a_missing_file(db: Path, tmp_path: Path) -> None:
    with ResultsStore.open(db) as store:
        assert len(load(store)) == 3
        assert len(store.runs()) == 2  # still open after load
    with pytest.raises(StoreError, match="no results store"):
        load(tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()


def test_export_parquet_round_trips(db: Path, tmp_path: Path) -> None:
    out = export(db, "a", "parquet", tmp_path / "out" / "a.parquet")
    assert out == tmp_path / "out" / "a.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(out), load(db, "a"))
    assert [p.name for p in out.parent.iterdir()] == ["a.parquet"]  # no partial file left


def test_export_csv_has_the_same_rows(db: Path, tmp_path: Path) -> None:
    out = export(db, "a", "csv", tmp_path / "a.csv")
    back = pd.read_csv(out)
    frame = load(db, "a")
    assert list(back.columns) == list(frame.columns)
    assert back.seq.tolist() == frame.seq.tolist()
    assert back.value.tolist()[0] == frame.value.tolist()[0]
    assert pd.isna(back.value[1])
    assert pd.to_datetime(back.taken_at, utc=True).tolist() == frame.taken_at.tolist()
    assert [json.loads(v) for v in back.instruments] == frame.instruments.tolist()


def test_export_refuses_an_unknown_run(db: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no run 'zzz'"):
        export(db, "zzz", "csv", tmp_path / "z.csv")
    assert not (tmp_path / "z.csv").exists()
