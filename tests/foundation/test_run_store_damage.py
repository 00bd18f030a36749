"""A damaged results store stops ``hil run`` in one line, before the bench is opened.

Found: a 0-byte ``reports/results.db`` was silently used as a new, empty store (all
history gone, exit 0); a garbage one opened the bench and then failed every test with
``sqlite3.DatabaseError``. The file itself must be left exactly as it was found.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from harness.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = str(ROOT / "test_suites" / "test_identity.py")


def _truncated_store(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    db.commit()
    db.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda p: p.write_bytes(b""), "an empty file (0 bytes)"),
        (lambda p: p.write_bytes(b"not a database at all\n" * 50), "not an SQLite database"),
        (_truncated_store, "a truncated SQLite database"),
    ],
    ids=["empty", "garbage", "truncated"],
)
def test_hil_run_refuses_a_damaged_store_before_the_bench(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage, fragment: str
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    store = reports / "results.db"
    damage(store)
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    code = main(["run", f"--reports-dir={reports}", "--run-id=D1", "--no-allure", IDENTITY])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and str(store) in err and fragment in err, err
    assert not (reports / "D1").exists(), "the run must not have begun"
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before, "the store was changed"
