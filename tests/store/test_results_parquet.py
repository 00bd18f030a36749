"""``results.parquet`` written by pyarrow alone reads back as the frame pandas wrote.

The reference is the pandas path the harness used before (``frame_of(...).to_parquet``,
``index=False``) on the same rows: nulls in every kind of column, the list columns,
the JSON budget text, conditions present on some rows only, UTC timestamps, a run
still running (no end) and a run with zero rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from harness.recording.record import Measurement, RunRecord, UnitIdentity
from harness.recording.results import export, frame_of, load
from harness.recording.results_parquet import write_run_parquet
from harness.recording.results_rows import COLUMN_TYPES, run_columns
from harness.recording.store.results_store import ResultsStore, StoreError

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
BUDGET = {
    "lines": [{"name": "dmm", "value": 1e-9, "distribution": "normal",
               "standard_uncertainty": 1e-9}],
    "combined_standard_uncertainty": 1e-9, "coverage_factor": 2.0, "coverage_probability": 0.9545,
}  # fmt: skip


def _run(run_id: str, started: datetime, *, unit_known: bool = True) -> RunRecord:
    unit = UnitIdentity(model="RMD-1", serial="SN42", firmware="1.4.0", hardware="C")
    unit = unit if unit_known else None  # no unit: its columns are missing
    return RunRecord(
        run_id=run_id, unit=unit, bench_id="b1", station="st", operator="Zoë Ω",
        spec_id="RMD1", spec_version="1.0", spec_sha256="ab" * 32, harness_version="0.1.0",
        python_version="3.11", started_at=started, host="h", pid=os.getpid(),
    )  # fmt: skip


def _row(run_id: str, seq: int, **changes: object) -> Measurement:
    fields: dict[str, object] = {
        "run_id": run_id, "seq": seq, "requirement_id": "OUT-AMP", "test_id": "t::x",
        "quantity": "output_current", "value": seq * 1e-6, "unit": "A",
        "decision_rule": "guarded", "verdict": "PASS", "conditions": {"load": "2k"},
        "instruments": ["dmm", "scope"], "taken_at": T0 + timedelta(seconds=seq),
    }  # fmt: skip
    fields.update(changes)
    return Measurement.model_validate(fields)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "results.db"
    with ResultsStore.open(path) as store:
        store.begin_run(_run("full", T0))
        store.append(_row("full", 1, expanded_uncertainty=2e-8, coverage_factor=2.0,
                          nominal=1e-6, lower_limit=0.0, upper_limit=2e-6,
                          uncertainty_budget=BUDGET, note="first, \"quoted\"\nline"))  # fmt: skip
        store.append(_row("full", 2, value=None, verdict="FAIL", instruments=[],
                          conditions={"battery": "3.0 V", "level": "5"}))  # fmt: skip
        store.append(_row("full", 3, conditions={}, attachments=["captures/003.npz"],
                          taken_at=datetime(2026, 3, 1, 14, 0, tzinfo=UTC)))  # fmt: skip
        store.finish_run("full", "failed", T0 + timedelta(hours=1))
        store.begin_run(_run("running", T0 + timedelta(days=1), unit_known=False))
        store.append(_row("running", 1, conditions={}))
        store.begin_run(_run("empty", T0 + timedelta(days=2)))
    return path


def _by_pandas(db: Path, run_id: str, path: Path, run_status: str | None = None) -> Path:
    """The previous writer: the pandas frame of the same columns, ``to_parquet``."""
    frame_of(run_columns(db, run_id, run_status=run_status)).to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("run_id", ["full", "running", "empty"])
def test_pandas_reads_the_frame_pandas_wrote(db: Path, tmp_path: Path, run_id: str) -> None:
    ours = write_run_parquet(db, run_id, tmp_path / "ours" / "results.parquet")
    theirs = _by_pandas(db, run_id, tmp_path / "theirs.parquet")
    frame = pd.read_parquet(ours)
    pd.testing.assert_frame_equal(frame, pd.read_parquet(theirs))
    pd.testing.assert_frame_equal(frame, load(db, run_id))
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        c: COLUMN_TYPES.get(c, "string") for c in frame.columns
    }
    assert [p.name for p in ours.parent.iterdir()] == ["results.parquet"]  # no partial


def test_the_cells_are_the_stored_values(db: Path, tmp_path: Path) -> None:
    frame = pd.read_parquet(write_run_parquet(db, "full", tmp_path / "r.parquet"))
    assert list(frame.columns)[-2:] == ["cond_level", "cond_load"]
    assert frame.cond_load.isna().tolist() == [False, True, True]
    assert frame.cond_battery.tolist()[1] == "3.0 V"
    assert pd.isna(frame.value[1]) and frame.value[0] == 1e-6
    assert [list(v) for v in frame.instruments] == [["dmm", "scope"], [], ["dmm", "scope"]]
    assert [list(v) for v in frame.attachments] == [[], [], ["captures/003.npz"]]
    assert json.loads(frame.uncertainty_budget[0])["coverage_factor"] == 2.0
    assert pd.isna(frame.uncertainty_budget[1])
    assert frame.note[0] == 'first, "quoted"\nline' and frame.operator[0] == "Zoë Ω"
    assert frame.taken_at[0] == pd.Timestamp(T0 + timedelta(seconds=1))
    assert str(frame.taken_at.dt.tz) == "UTC"
    running = pd.read_parquet(write_run_parquet(db, "running", tmp_path / "u.parquet"))
    assert running.unit_serial.isna().all() and running.run_ended_at.isna().all()


def test_the_arrow_types_are_those_pandas_wrote(db: Path, tmp_path: Path) -> None:
    ours = pq.read_schema(write_run_parquet(db, "full", tmp_path / "ours.parquet"))
    theirs = pq.read_schema(_by_pandas(db, "full", tmp_path / "theirs.parquet"))
    assert ours.remove_metadata().equals(theirs.remove_metadata())
    assert json.loads(ours.metadata[b"pandas"]) == json.loads(theirs.metadata[b"pandas"])


def test_a_sealing_run_carries_its_outcome_as_run_status(db: Path, tmp_path: Path) -> None:
    ours = write_run_parquet(db, "full", tmp_path / "ours.parquet", run_status="passed")
    theirs = _by_pandas(db, "full", tmp_path / "theirs.parquet", run_status="passed")
    frame = pd.read_parquet(ours)
    pd.testing.assert_frame_equal(frame, pd.read_parquet(theirs))
    assert set(frame.run_status) == {"passed"} and str(frame.run_status.dtype) == "string"
    with ResultsStore.open(db) as store:
        assert store.get_run("full").status == "failed"  # the store is not changed


def test_export_parquet_is_the_same_file_and_refuses_an_unknown_run(
    db: Path, tmp_path: Path
) -> None:
    exported = export(db, "full", "parquet", tmp_path / "e.parquet")
    written = write_run_parquet(db, "full", tmp_path / "w.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(exported), pd.read_parquet(written))
    with pytest.raises(StoreError, match="no run 'zzz'"):
        write_run_parquet(db, "zzz", tmp_path / "z.parquet")
    assert not (tmp_path / "z.parquet").exists()


def test_writing_the_table_does_not_import_pandas(db: Path, tmp_path: Path) -> None:
    """The point of the module: a run's end pays for pyarrow, not pandas."""
    script = (
        "import sys\n"
        "from harness.recording.results_parquet import write_run_parquet\n"
        f"write_run_parquet({str(db)!r}, 'full', {str(tmp_path / 'p.parquet')!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
    assert len(pd.read_parquet(tmp_path / "p.parquet")) == 3
