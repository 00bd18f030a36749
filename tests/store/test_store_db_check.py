"""``hil db check`` says whether a store is whole; ``hil db backup`` copies it safely.

The commands run as an operator runs them (``python -m harness.cli.main``, a subprocess), so
their exit status and every printed line are what a script would see. The truth they
are checked against is computed with the plain ``sqlite3`` module (counts, SQLite's own
integrity check), never with the harness.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from store_backends import postgres_url  # noqa: F401  (fixture)
from test_store_roundtrip import make_measurement, make_run

from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]


def hil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
        rows = db.execute("SELECT count(*) FROM measurements").fetchone()[0]
    return runs, rows


def integrity(path: Path) -> list[str]:
    """SQLite's own verdict: ["ok"], or what it found (an unreadable file included)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return [row[0] for row in db.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "results.db"
    rng = random.Random(11)
    with ResultsStore.open(path) as opened:
        for run in ("a", "b", "c"):
            opened.begin_run(make_run(run))
            n = rng.randint(500, 1500)
            opened.append_many([make_measurement(s, run_id=run) for s in range(1, n + 1)])
        opened.finish_run("b", "failed", make_run().started_at)
    return path


def test_check_a_healthy_store(store: Path) -> None:
    runs, rows = counts(store)
    done = hil("db", "check", f"--store={store}")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any("integrity check ok" in line for line in lines)
    assert any(f"runs: {runs} " in line and f"measurements: {rows}" in line for line in lines)
    assert lines[-1].startswith("db check: OK")


def test_check_a_damaged_store(store: Path) -> None:
    page = int.from_bytes(store.read_bytes()[16:18], "big")
    with store.open("r+b") as f:  # a bad sector in the middle
        f.seek(page * (store.stat().st_size // page // 2))
        f.write(random.Random(5).randbytes(page))
    assert integrity(store) != ["ok"]
    done = hil("db", "check", f"--store={store}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("db check: DAMAGED")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 a zip file, not a database"])
def test_check_an_empty_or_foreign_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "results.db"
    path.write_bytes(content)
    done = hil("db", "check", f"--store={path}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert str(path) in done.stdout and "DAMAGED" in done.stdout
    assert path.read_bytes() == content


def test_check_a_missing_store_is_bad_input(tmp_path: Path) -> None:
    done = hil("db", "check", f"--store={tmp_path / 'nothing.db'}")
    assert done.returncode == 2
    assert len((done.stdout + done.stderr).strip().splitlines()) == 1
    assert not (tmp_path / "nothing.db").exists()


def test_check_a_server_database(postgres_url: str) -> None:  # noqa: F811
    with ResultsStore.open(postgres_url) as central:
        central.begin_run(make_run("x"))
        central.append_many([make_measurement(s, run_id="x") for s in range(1, 8)])
    done = hil("db", "check", f"--store={postgres_url}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "runs: 1 " in done.stdout and "measurements: 7" in done.stdout


WRITER = """
import sys
from test_store_roundtrip import make_measurement, make_run
from harness.recording.store.results_store import ResultsStore
store = ResultsStore.open(sys.argv[1])
store.begin_run(make_run("live"))
seq = 0
while True:
    seq += 1
    store.append(make_measurement(seq, run_id="live"))
    print(seq, flush=True)
"""


def test_backup_while_another_process_writes(store: Path, tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store)],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{Path(__file__).parent}"},
    )  # fmt: skip
    assert writer.stdout is not None
    acknowledged: list[int] = []  # read all along, so the writer never waits on its pipe
    reader = threading.Thread(
        target=lambda: acknowledged.extend(int(line) for line in writer.stdout or ())
    )
    reader.start()
    try:
        while len(acknowledged) < 200:  # the writer is well under way
            assert writer.poll() is None
            time.sleep(0.01)
        before = len(acknowledged)
        out = tmp_path / "copies" / "backup.db"
        done = hil("db", "backup", f"--store={store}", f"--out={out}")
        time.sleep(0.2)
    finally:
        writer.kill()
        writer.wait()
        reader.join()
        writer.stdout.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert integrity(out) == ["ok"]
    with sqlite3.connect(f"file:{out}?mode=ro", uri=True) as db:
        seqs = [r[0] for r in db.execute("SELECT seq FROM measurements WHERE run_id='live'")]
        others = db.execute("SELECT count(*) FROM measurements WHERE run_id!='live'").fetchone()
    assert sorted(seqs) == list(range(1, len(seqs) + 1))  # a consistent moment: no gaps
    # every row acknowledged before the copy began is in it; rows taken after it are not
    assert before <= len(seqs) <= max(acknowledged) + 1  # (+1: committed, not yet printed)
    assert max(acknowledged) > len(seqs)  # the writer went on writing: it was never stopped
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        unchanged = db.execute("SELECT count(*) FROM measurements WHERE run_id!='live'").fetchone()
    assert others == unchanged
    assert not list(out.parent.glob(".*"))  # no partial copy left beside it
    assert str(out) in done.stdout


def test_backup_never_overwrites(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup.db"
    out.write_bytes(b"yesterday's backup")
    done = hil("db", "backup", f"--store={store}", f"--out={out}")
    assert done.returncode == 2
    assert len((done.stdout + done.stderr).strip().splitlines()) == 1
    assert out.read_bytes() == b"yesterday's backup"


def test_backup_of_a_server_database_points_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+psycopg://qa:t0p-secret@127.0.0.1:1/hil"
    done = hil("db", "backup", f"--store={url}", f"--out={tmp_path / 'x.dump'}")
    assert done.returncode == 2
    output = done.stdout + done.stderr
    assert "t0p-secret" not in output
    server = make_url(url)
    assert f"pg_dump --format=custom --file {tmp_path / 'x.dump'} 'postgresql://qa@" in output
    assert f"{server.host}:{server.port}/{server.database}'" in output
    assert not (tmp_path / "x.dump").exists()


def test_backup_is_a_copy_of_the_whole_store(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.db"
    done = hil("db", "backup", f"--store={store}", f"--out={out}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert counts(out) == counts(store)
    with ResultsStore.open(out, create=False) as copy, ResultsStore.open(store) as original:
        assert copy.measurements() == original.measurements()
        assert copy.runs() == original.runs()
