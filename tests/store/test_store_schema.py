"""A store refuses databases whose layout it does not know, instead of misreading them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.recording.record import RunRecord, utc_now
from harness.recording.store.results_store import (
    STORE_SCHEMA_VERSION,
    Durability,
    ResultsStore,
    StoreError,
    StoreSchemaError,
)


def test_new_store_records_its_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    ResultsStore.open(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name, version FROM schema_info").fetchall() == [
            ("microcurrent-hil results", STORE_SCHEMA_VERSION)
        ]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("version", [STORE_SCHEMA_VERSION + 1, 0])
def test_unknown_schema_version_is_refused(tmp_path: Path, version: int) -> None:
    path = tmp_path / "results.db"
    ResultsStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_info SET version = ?", (version,))
    with pytest.raises(
        StoreSchemaError, match=f"this harness reads — got schema version {version}; "
    ):
        ResultsStore.open(path)


def test_foreign_database_is_refused_not_adopted(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (id INTEGER)")
    with pytest.raises(StoreSchemaError, match="not a microcurrent-hil results store"):
        ResultsStore.open(path)


def test_open_without_create_needs_an_existing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no results store"):
        ResultsStore.open(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(StoreSchemaError):
        ResultsStore.open(empty, create=False)


def test_unknown_run_record_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    with ResultsStore.open(path) as store:
        store.begin_run(
            RunRecord(
                run_id="run-1",
                bench_id="b",
                station="s",
                operator="o",
                spec_id="RMD1",
                spec_version="1",
                spec_sha256="0" * 64,
                harness_version="0.1",
                python_version="3.11",
                started_at=utc_now(),
                host="h",
                pid=1,
            )
        )
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET record_json = replace(record_json, "
                   "'\"schema_version\":1', '\"schema_version\":2')")  # fmt: skip
    with ResultsStore.open(path) as store, pytest.raises(StoreSchemaError, match="version 2"):
        store.get_run("run-1")


@pytest.mark.parametrize("durability, expected", [("normal", 1), ("fsync", 2)])
def test_durability_selects_sqlite_synchronous(
    tmp_path: Path, durability: Durability, expected: int
) -> None:
    store = ResultsStore.open(tmp_path / "r.db", durability=durability)
    with store, store.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == expected
