"""Kept journals: a damaged one does not hold up the others, and dead runs are told.

A bench keeps measurements in ``reports/.store-journal/`` while the central database is
away. A journal file can be damaged like any file (emptied, cut short); the upload must
then keep it, say why, and still upload every other journal. A journal whose run died
while sealing its evidence is marked ``unsealed`` and the flush says how to seal it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from store_backends import dead_url, postgres_url  # noqa: F401  (fixture)
from test_store_roundtrip import T0, make_measurement, make_run

from harness.recording.store.check import check_store
from harness.recording.store.journal import BufferedStore
from harness.recording.store.results_store import ResultsStore
from harness.recording.store.upload import flush_journals


def kept_journal(folder: Path, run_id: str, **run: object) -> Path:
    """A journal holding one run with three rows, written while the server was away."""
    with BufferedStore.open(dead_url(), folder, retry_interval_s=60) as store:
        store.begin_run(make_run(run_id, **run))
        for seq in (1, 2, 3):
            store.append(make_measurement(seq, run_id=run_id))
        return store.journal


def test_a_damaged_journal_is_kept_and_the_others_uploaded(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reports" / ".store-journal"
    good = kept_journal(folder, "good")
    damaged = folder / "00000000T000000-1-000000.db"  # sorts first
    damaged.write_bytes(b"")
    results = flush_journals(postgres_url, folder)
    by_path = {r.journal: r for r in results}
    assert by_path[good].complete and by_path[good].inserted == 3
    assert not by_path[damaged].complete
    assert "empty file (0 bytes)" in (by_path[damaged].error or "")
    assert damaged.exists() and damaged.read_bytes() == b""
    with ResultsStore.open(postgres_url, create=False) as central:
        assert [m.seq for m in central.measurements("good")] == [1, 2, 3]


def test_a_run_that_died_sealing_is_named_by_the_flush(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    folder = tmp_path / "reports" / ".store-journal"
    journal = kept_journal(folder, "r-seal", pid=gone.pid)
    with ResultsStore.open(journal, create=False) as local:  # as the dead run had left it
        local.set_status("r-seal", "sealing", outcome="passed", ended_at=T0)
    [result] = flush_journals(postgres_url, folder)
    assert result.complete
    assert result.stale.unsealed == ["r-seal"] and result.stale.incomplete == []
    assert f"hil evidence seal {tmp_path / 'reports' / 'r-seal'}" in result.summary()
    with ResultsStore.open(postgres_url, create=False) as central:
        run = central.get_run("r-seal")
    assert (run.status, run.outcome) == ("unsealed", "passed")


def test_preflight_may_let_an_away_server_pass() -> None:
    """``hil run`` on a line starts during an outage (the journal keeps the results)."""
    check_store(dead_url(), unreachable_ok=True)
