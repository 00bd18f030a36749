"""Several pytest processes write to one store file at once without losing a row."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from harness.recording.store.results_store import ResultsStore

REPO = Path(__file__).resolve().parents[2]
ROWS = 500

WRITER = """
import os, socket, sys, time
from harness.recording.record import Measurement, RunRecord, utc_now
from harness.recording.store.results_store import ResultsStore
db, run_id, start_at, rows = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
time.sleep(max(0.0, start_at - time.time()))  # both writers open a fresh file together
store = ResultsStore.open(db)
store.begin_run(RunRecord(
    run_id=run_id, bench_id="b", station="s", operator="o", spec_id="RMD1",
    spec_version="1", spec_sha256="0" * 64, harness_version="0.1", python_version="3.11",
    started_at=utc_now(), host=socket.gethostname(), pid=os.getpid()))
for seq in range(1, rows + 1):
    store.append(Measurement(
        run_id=run_id, seq=seq, requirement_id="R", test_id="t", quantity="I",
        value=float(seq), unit="A", decision_rule="simple", verdict="pass", taken_at=utc_now()))
store.finish_run(run_id, "passed", utc_now())
store.close()
"""


def run_together(script: str, argvs: list[list[str]]) -> None:
    """One Python process per argument list running ``script``; each must succeed.
    (The scripts wait for a common start time given in their arguments.)"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *argv], env=env, stderr=subprocess.PIPE, text=True
        )
        for argv in argvs
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err


def test_processes_writing_concurrently_lose_no_rows(tmp_path: Path) -> None:
    db = tmp_path / "shared" / "results.db"
    start_at = time.time() + 1.0
    run_together(WRITER, [[str(db), f"w{i}", str(start_at), str(ROWS)] for i in range(3)])

    with ResultsStore.open(db) as store:
        assert sorted(r.run_id for r in store.runs()) == ["w0", "w1", "w2"]
        assert all(r.status == "passed" for r in store.runs())
        for i in range(3):
            rows = store.measurements(f"w{i}")
            assert [m.seq for m in rows] == list(range(1, ROWS + 1))
            assert [m.value for m in rows] == [float(s) for s in range(1, ROWS + 1)]
        assert len(store.measurements()) == 3 * ROWS


OPENER = """
import sys, time
from pathlib import Path
from harness.recording.store.results_store import ResultsStore
folder, start_at, rounds = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
for n in range(rounds):  # every process opens the same fresh file at the same instant
    time.sleep(max(0.0, start_at + 0.2 * n - time.time()))
    ResultsStore.open(folder / f"fresh-{n}.db").close()
"""


def test_benches_opening_a_new_store_at_the_same_instant_all_succeed(tmp_path: Path) -> None:
    """Two benches of a line start together on an empty store: both switch the new file to
    WAL at once, and SQLite answers one of them 'database is locked' at once, without
    waiting its busy timeout (a lock upgrade that could deadlock is never waited for)."""
    start_at, rounds = time.time() + 1.5, 15
    run_together(OPENER, [[str(tmp_path), str(start_at), str(rounds)]] * 3)
    assert len(list(tmp_path.glob("fresh-*.db"))) == rounds
