"""The central database goes away mid-run: nothing is lost, nothing is written twice.

A real PostgreSQL server sits behind a TCP proxy that the test cuts (every connection
reset, new ones refused) and restores, as a network outage or a server restart looks
from the bench. The run keeps appending meanwhile; afterwards the server must hold every
row exactly once, in order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_backends import Proxy, dead_url, postgres_url  # noqa: F401  (fixture)
from test_store_roundtrip import T0, make_measurement, make_run

from harness.recording.record import Measurement
from harness.recording.store.journal import BufferedStore, open_store
from harness.recording.store.results_store import ResultsStore
from harness.recording.store.upload import flush_journals

REPO = Path(__file__).resolve().parents[2]


def central_rows(url: str, run_id: str = "run-1") -> list[Measurement]:
    with ResultsStore.open(url) as store:
        return store.measurements(run_id)


def wait_until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_outage_mid_run_every_row_once_in_order(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    proxy = Proxy(postgres_url)
    journal = tmp_path / ".store-journal"
    store = BufferedStore.open(proxy.url, journal, retry_interval_s=0.2, connect_timeout_s=2)
    store.begin_run(make_run())
    for seq in range(1, 51):
        store.append(make_measurement(seq))
    wait_until(lambda: store.pending() == 0)  # uploaded behind the run
    assert [m.seq for m in central_rows(postgres_url)] == list(range(1, 51))

    proxy.cut()
    started = time.monotonic()
    for seq in range(51, 151):  # the test goes on: appends are not held up
        store.append(make_measurement(seq))
    assert time.monotonic() - started < 5.0
    assert store.measurements("run-1") == [make_measurement(s) for s in range(1, 151)]
    assert not store.flush() and store.behind
    assert store.pending() >= 100

    proxy.restore()
    for seq in range(151, 161):
        store.append(make_measurement(seq))
    store.finish_run("run-1", "passed", T0)
    assert store.pending() == 0
    store.close()
    rows = central_rows(postgres_url)
    assert rows == [make_measurement(s) for s in range(1, 161)]
    with ResultsStore.open(postgres_url) as central:
        assert central.get_run("run-1").status == "passed"
    assert list(journal.iterdir()) == []  # all uploaded: the journal is gone


def test_dead_server_at_start_then_the_next_run_uploads(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    journal = tmp_path / ".store-journal"
    with BufferedStore.open(dead_url(), journal, retry_interval_s=60) as first:
        first.begin_run(make_run())
        for seq in range(1, 21):
            first.append(make_measurement(seq))
        first.finish_run("run-1", "failed", T0)  # the verdict flow ends normally
        assert first.pending() > 0
        assert first.local.get_run("run-1").status == "failed"  # results.parquet from here
    assert len(list(journal.glob("*.db"))) == 1

    # The next run on this bench, with the server back, uploads the earlier journal.
    with BufferedStore.open(postgres_url, journal) as second:
        second.begin_run(make_run("run-2"))
        assert central_rows(postgres_url) == [make_measurement(s) for s in range(1, 21)]
    with ResultsStore.open(postgres_url) as central:
        assert central.get_run("run-1").status == "failed"
        assert central.get_run("run-2").status == "running"
    assert list(journal.glob("*.db")) == []


def test_rows_the_server_already_has_are_not_written_again(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A commit whose answer was lost: the server has the row, the journal says pending."""
    journal = tmp_path / ".store-journal"
    with BufferedStore.open(dead_url(), journal, retry_interval_s=60) as bench:
        bench.begin_run(make_run())
        for seq in range(1, 11):
            bench.append(make_measurement(seq))
    with ResultsStore.open(postgres_url) as central:
        central.begin_run(make_run())
        central.append_many([make_measurement(s) for s in (1, 2, 3, 7)])
    [result] = flush_journals(postgres_url, journal)
    assert (result.inserted, result.complete) == (6, True)
    assert central_rows(postgres_url) == [make_measurement(s) for s in range(1, 11)]


def test_a_conflicting_row_stops_the_upload_and_keeps_the_journal(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    journal = tmp_path / ".store-journal"
    with BufferedStore.open(dead_url(), journal, retry_interval_s=60) as bench:
        bench.begin_run(make_run())
        bench.append(make_measurement(1))
    with ResultsStore.open(postgres_url) as central:
        central.begin_run(make_run())
        central.append(make_measurement(1, value=42.0))
    [result] = flush_journals(postgres_url, journal)
    assert not result.complete and "differs" in (result.error or "")
    assert len(list(journal.glob("*.db"))) == 1
    assert [m.value for m in central_rows(postgres_url)] == [42.0]


def test_a_journal_still_in_use_is_left_alone(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    journal = tmp_path / ".store-journal"
    with BufferedStore.open(dead_url(), journal, retry_interval_s=60) as live:
        live.begin_run(make_run())
        live.append(make_measurement(1))
        assert flush_journals(postgres_url, journal) == []  # its owner holds the lock
        assert central_rows(postgres_url) == []


BUFFERING_WRITER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from harness.recording.store.journal import BufferedStore
from test_store_roundtrip import make_measurement, make_run
store = BufferedStore.open(sys.argv[1], Path(sys.argv[2]), retry_interval_s=60)
store.begin_run(make_run(pid=__import__("os").getpid()))
print("begun", flush=True)
seq = 0
while True:
    seq += 1
    store.append(make_measurement(seq))
    print(seq, flush=True)
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_sigkill_while_buffering_then_a_later_flush_uploads_it(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    journal = tmp_path / ".store-journal"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-c", BUFFERING_WRITER, dead_url(), str(journal)]
    writer = subprocess.Popen([*argv, str(Path(__file__).parent)], stdout=subprocess.PIPE,
                              text=True, env=env)  # fmt: skip
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "begun"
    acknowledged = 0
    while acknowledged < 100:
        acknowledged = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=10)
    rest = writer.stdout.read().split()  # acknowledged before the kill, not yet read
    writer.stdout.close()
    acknowledged = int(rest[-1]) if rest else acknowledged

    [result] = flush_journals(postgres_url, journal)
    assert result.complete
    seqs = [m.seq for m in central_rows(postgres_url)]
    # Every acknowledged row is uploaded; at most the one in flight may be there too.
    assert seqs[:acknowledged] == list(range(1, acknowledged + 1))
    assert len(seqs) in (acknowledged, acknowledged + 1)
    with ResultsStore.open(postgres_url) as central:
        run = central.get_run("run-1")
        assert (run.status, run.ended_at) == ("incomplete", None)
    assert list(journal.glob("*.db")) == []


def test_open_store_buffers_servers_only(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    local = open_store(tmp_path / "results.db", tmp_path)
    assert isinstance(local, ResultsStore)
    local.close()
    sqlite_url = open_store(f"sqlite:///{tmp_path}/other.db", tmp_path)
    assert isinstance(sqlite_url, ResultsStore)
    sqlite_url.close()
    with open_store(postgres_url, tmp_path) as server:
        assert isinstance(server, BufferedStore)
        assert server.journal.parent == tmp_path / ".store-journal"
