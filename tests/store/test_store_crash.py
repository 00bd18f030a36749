"""A killed run keeps every row it committed and is later marked 'incomplete'.

A real subprocess appends measurements and prints each seq once ``append`` returned;
the test kills it with SIGKILL mid-loop, as a CI timeout or the OOM killer would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.recording.record import RunRecord, utc_now
from harness.recording.store.results_store import ResultsStore, StaleRuns

REPO = Path(__file__).resolve().parents[2]

WRITER = """
import os, socket, sys
from harness.recording.record import Measurement, RunRecord, utc_now
from harness.recording.store.results_store import ResultsStore, StaleRuns
store = ResultsStore.open(sys.argv[1])
store.begin_run(RunRecord(
    run_id=sys.argv[2], bench_id="b", station="s", operator="o", spec_id="RMD1",
    spec_version="1", spec_sha256="0" * 64, harness_version="0.1", python_version="3.11",
    started_at=utc_now(), host=socket.gethostname(), pid=os.getpid()))
print("begun", flush=True)
seq = 0
while True:
    seq += 1
    store.append(Measurement(
        run_id=sys.argv[2], seq=seq, requirement_id="R", test_id="t", quantity="I",
        value=float(seq), unit="A", decision_rule="simple", verdict="pass",
        conditions={"i": str(seq)}, taken_at=utc_now()))
    print(seq, flush=True)
"""


def spawn_writer(db: Path, run_id: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), run_id],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def run_record(run_id: str, pid: int, started_at: datetime, host: str | None = None) -> RunRecord:
    return RunRecord(
        run_id=run_id, bench_id="b", station="s", operator="o", spec_id="RMD1",
        spec_version="1", spec_sha256="0" * 64, harness_version="0.1", python_version="3.11",
        started_at=started_at, host=host or socket.gethostname(), pid=pid,
    )  # fmt: skip


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_sigkill_keeps_committed_rows_and_run_becomes_incomplete(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    writer = spawn_writer(db, "killed")
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "begun"
    committed = 0
    deadline = time.monotonic() + 30
    while committed < 300 and time.monotonic() < deadline:
        committed = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)  # mid-loop: the next append is likely in flight
    writer.wait(timeout=10)
    # the writer may have acknowledged more rows than were read before the kill
    for line in writer.stdout.read().split():
        if line.isdigit():
            committed = max(committed, int(line))
    writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    assert committed >= 300

    with ResultsStore.open(db) as store:
        seqs = [m.seq for m in store.measurements("killed")]
        # Every acknowledged row is there; at most the one in flight may be there too.
        assert seqs[:committed] == list(range(1, committed + 1))
        assert len(seqs) in (committed, committed + 1)
        assert all(m.value == float(m.seq) for m in store.measurements("killed"))
        assert store.get_run("killed").status == "running"

        assert store.mark_stale_runs(socket.gethostname()) == StaleRuns(["killed"], [])
        stale = store.get_run("killed")
        assert (stale.status, stale.ended_at) == ("incomplete", None)
        assert not store.mark_stale_runs(socket.gethostname())  # idempotent
        # The file is not left locked: a new run can be written at once.
        store.begin_run(run_record("next", os.getpid(), utc_now()))
        assert store.next_seq("killed") == len(seqs) + 1


def test_live_runs_and_other_hosts_are_left_alone(tmp_path: Path) -> None:
    with ResultsStore.open(tmp_path / "results.db") as store:
        store.begin_run(run_record("mine", os.getpid(), utc_now()))
        store.begin_run(run_record("elsewhere", 999_999_999, utc_now(), host="other-bench-pc"))
        assert not store.mark_stale_runs(socket.gethostname())
        assert store.get_run("mine").status == "running"
        assert store.get_run("elsewhere").status == "running"


def test_finished_runs_are_never_marked(tmp_path: Path) -> None:
    with ResultsStore.open(tmp_path / "results.db") as store:
        store.begin_run(run_record("done", 999_999_999, utc_now()))
        store.finish_run("done", "failed", utc_now())
        assert not store.mark_stale_runs(socket.gethostname())
        assert store.get_run("done").status == "failed"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_reused_pid_does_not_keep_a_dead_run_alive(tmp_path: Path) -> None:
    """A live process that started long after the run cannot be the run's process."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        long_ago = datetime.now(UTC) - timedelta(days=1)
        with ResultsStore.open(tmp_path / "results.db") as store:
            store.begin_run(run_record("recycled", other.pid, long_ago))
            store.begin_run(run_record("current", other.pid, utc_now()))
            assert store.mark_stale_runs(socket.gethostname()) == StaleRuns(["recycled"], [])
            assert store.get_run("current").status == "running"
    finally:
        other.kill()
        other.wait()
