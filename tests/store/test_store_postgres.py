"""The store behaves the same on an SQLite file and on a central PostgreSQL database.

Every test here runs on both backends (``store_url``); PostgreSQL ones use a real server
and a database of their own (see ``store_backends``).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from store_backends import postgres_url, store_url  # noqa: F401  (fixtures)
from test_store_roundtrip import PLUS_TWO, T0, make_measurement, make_run

from harness.cli import db as db_cmd
from harness.recording.results import load
from harness.recording.store import schema as store_schema
from harness.recording.store.results_store import (
    STORE_SCHEMA_VERSION,
    ResultsStore,
    StaleRuns,
    StoreError,
    StoreSchemaError,
)

REPO = Path(__file__).resolve().parents[2]
LONG_TEST_ID = "test_suites/test_output_current.py::test_amplitude[" + "load=2k-" * 60 + "]"


def test_round_trip_keeps_every_field(store_url: str) -> None:  # noqa: F811
    with ResultsStore.open(store_url) as store:
        store.begin_run(make_run(operator="Ана Ким", station="line-3 / " + "x" * 300))
        written = [
            make_measurement(1, test_id=LONG_TEST_ID),
            make_measurement(2, value=None, nominal=None, lower_limit=None, conditions={}),
            make_measurement(3, upper_limit=math.inf, lower_limit=-math.inf, value=-0.0),
            make_measurement(4, taken_at=datetime(2026, 3, 1, 14, 0, tzinfo=PLUS_TWO)),
            make_measurement(5, note="µA ± 2 % — \"quoted\" 'text'\n" * 50),
        ]
        for m in written:
            store.append(m)
        store.finish_run("run-1", "passed", T0 + timedelta(minutes=3))
    with ResultsStore.open(store_url, create=False) as again:
        assert again.measurements("run-1") == written
        assert again.measurements("run-1")[3].taken_at == T0.replace(hour=12, microsecond=0)
        run = again.get_run("run-1")
        assert (run.status, run.ended_at) == ("passed", T0 + timedelta(minutes=3))
        assert load(again, "run-1")["test_id"].iloc[0] == LONG_TEST_ID


def test_append_only_and_refusals(store_url: str) -> None:  # noqa: F811
    with ResultsStore.open(store_url) as store:
        with pytest.raises(StoreError, match="begin_run"):
            store.append(make_measurement(1))
        store.begin_run(make_run())
        with pytest.raises(StoreError, match="already exists"):
            store.begin_run(make_run(operator="someone-else"))
        store.append(make_measurement(1))
        with pytest.raises(StoreError, match="already has seq 1"):
            store.append(make_measurement(1, value=5.0))
        with pytest.raises(StoreError, match="batch of 2"):
            store.append_many([make_measurement(2), make_measurement(1)])
        store.append_many([make_measurement(2), make_measurement(3)])
        assert store.measurements() == [make_measurement(s) for s in (1, 2, 3)]
        assert store.get_run("run-1").operator == "qa"
        with pytest.raises(StoreError, match="naive"):
            store.append(make_measurement(4, taken_at=datetime(2026, 1, 1)))


WRITER = """
import sys
from harness.recording.record import RunRecord, utc_now
from harness.recording.store.results_store import ResultsStore, StoreError
sys.path.insert(0, sys.argv[5])
from test_store_roundtrip import make_measurement, make_run
url, run_id, start_at, rows = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
import time; time.sleep(max(0.0, start_at - time.time()))  # all open a fresh store together
store = ResultsStore.open(url)
try:
    store.begin_run(make_run(run_id))
except StoreError:
    pass  # the shared run: another writer began it
won = 0
for seq in range(1, rows + 1):
    try:
        store.append(make_measurement(seq, run_id, value=float(seq)))
        won += 1
    except StoreError:
        pass  # the other writer took this seq first
print(won)
store.close()
"""


def _writers(url: str, run_ids: list[str], rows: int) -> list[int]:
    start_at = time.time() + 1.5
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-c", WRITER, url]
    procs = [
        subprocess.Popen([*argv, r, str(start_at), str(rows), str(Path(__file__).parent)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for r in run_ids
    ]  # fmt: skip
    won = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        won.append(int(out))
    return won


def test_concurrent_writers_lose_nothing(store_url: str) -> None:  # noqa: F811
    """Three benches create the fresh store at once and write their own runs."""
    assert _writers(store_url, ["w0", "w1", "w2"], 300) == [300, 300, 300]
    with ResultsStore.open(store_url) as store:
        for run_id in ("w0", "w1", "w2"):
            rows = store.measurements(run_id)
            assert [m.seq for m in rows] == list(range(1, 301))
            assert [m.value for m in rows] == [float(s) for s in range(1, 301)]


def test_racing_writers_never_write_a_row_twice(store_url: str) -> None:  # noqa: F811
    """Two processes append the same (run_id, seq) rows: each lands once, none is lost."""
    won = _writers(store_url, ["shared", "shared"], 300)
    assert sum(won) == 300
    with ResultsStore.open(store_url) as store:
        assert [m.seq for m in store.measurements("shared")] == list(range(1, 301))


def test_stale_runs_of_this_host_are_marked(store_url: str) -> None:  # noqa: F811
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with ResultsStore.open(store_url) as store:
        store.begin_run(make_run("mine"))
        store.begin_run(make_run("dead", pid=dead.pid, started_at=T0 + timedelta(days=900)))
        store.begin_run(make_run("other-pc", pid=dead.pid, host="bench-pc-7"))
        assert store.mark_stale_runs(socket.gethostname()) == StaleRuns(["dead"], [])
        assert not store.mark_stale_runs(socket.gethostname())
        assert [store.get_run(r).status for r in ("mine", "dead", "other-pc")] == [
            "running", "incomplete", "running"]  # fmt: skip


def _set_version(url: str, version: int) -> None:
    with ResultsStore.open(url) as store, store.reading() as conn:
        conn.execute(text("UPDATE schema_info SET version = :v"), {"v": version})


@pytest.mark.parametrize("version", [STORE_SCHEMA_VERSION + 1, 0])
def test_unknown_schema_versions_are_refused(store_url: str, version: int) -> None:  # noqa: F811
    ResultsStore.open(store_url).close()
    _set_version(store_url, version)
    action = "upgrade the harness" if version else "hil db upgrade"
    with pytest.raises(StoreSchemaError, match=f"schema version {version}; .*{action}"):
        ResultsStore.open(store_url)


def db(action: str, store: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = db_cmd.run(argparse.Namespace(db_action=action, store=store, journal=None))
    return code, capsys.readouterr().out


def test_db_upgrade_creates_then_migrates_step_by_step(
    store_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if "://" in store_url:
        code, out = db("status", store_url, capsys)
        assert code == 1 and "schema version -, empty" in out
    else:
        with pytest.raises(StoreError, match="no results store"):
            db("status", store_url, capsys)
    current = STORE_SCHEMA_VERSION
    created = db("upgrade", store_url, capsys)[1]
    assert created.endswith(f"created the results layout, version {current}\n")
    assert db("status", store_url, capsys)[0] == 0
    assert "already current" in db("upgrade", store_url, capsys)[1]

    steps: list[int] = []  # the next version as it would be added: one step, run once
    nxt = current + 1

    def next_step(conn: Connection) -> None:
        steps.append(nxt)
        conn.execute(text("CREATE TABLE added_next (id INTEGER)"))

    monkeypatch.setattr(store_schema, "STORE_SCHEMA_VERSION", nxt)
    monkeypatch.setattr(store_schema, "MIGRATIONS", {**store_schema.MIGRATIONS, nxt: next_step})
    code, out = db("status", store_url, capsys)
    assert code == 1 and f"schema version {current}, older than this harness ({nxt})" in out
    assert f"upgraded schema version {current} -> {nxt}" in db("upgrade", store_url, capsys)[1]
    assert "already current" in db("upgrade", store_url, capsys)[1]
    assert steps == [nxt]
    with ResultsStore.open(store_url, check_schema=False) as store, store.reading() as conn:
        assert conn.execute(text("SELECT count(*) FROM added_next")).scalar() == 0
    monkeypatch.undo()
    code, out = db("status", store_url, capsys)
    assert code == 1 and "NEWER than this harness" in out
    with pytest.raises(StoreSchemaError, match="newer than this harness"):
        db("upgrade", store_url, capsys)


def test_plain_postgresql_url_and_lost_connection(postgres_url: str) -> None:  # noqa: F811
    """``postgresql://`` means psycopg 3; a connection the server dropped is replaced."""
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with ResultsStore.open(plain) as store:
        assert store.where.startswith("postgresql+psycopg://")
        store.begin_run(make_run())
        store.append(make_measurement(1))
        admin = plain.replace(plain.rsplit("/", 1)[1], "postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()",
                         (plain.rsplit("/", 1)[1],))  # fmt: skip
        with pytest.raises(Exception, match=r"terminat|closed|connection"):
            store.append(make_measurement(2))  # this row is not acknowledged...
        store.append(make_measurement(2))  # ...so the suite may take it again
        assert [m.seq for m in store.measurements("run-1")] == [1, 2]
