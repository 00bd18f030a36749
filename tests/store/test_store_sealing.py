"""A run that dies while its evidence is sealed is found later as ``unsealed``, not lost.

After the tests a run says ``sealing`` (its tests' outcome in ``outcome``) while the
report and the seal are built. If its process dies then, the next start must turn it
into ``unsealed`` (keeping the outcome, so a late seal knows how the tests ended) and
say so, just as a run that died while testing becomes ``incomplete``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from store_backends import dead_url, postgres_url, store_url  # noqa: F401  (fixtures)
from test_store_roundtrip import T0, make_run

from harness.recording.record import RunRecord
from harness.recording.store.journal import BufferedStore
from harness.recording.store.results_store import ResultsStore, StaleRuns, StoreError


def dead_pid() -> int:
    """The pid of a process that has ended (reaped, so nothing answers to it)."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def sealing_run(run_id: str, pid: int, outcome: str = "failed") -> RunRecord:
    return make_run(run_id, pid=pid, status="sealing", outcome=outcome, ended_at=T0)


def test_dead_sealing_runs_become_unsealed_keeping_their_outcome(store_url: str) -> None:  # noqa: F811
    pid = dead_pid()
    with ResultsStore.open(store_url) as store:
        store.begin_run(make_run("testing", pid=pid))
        store.begin_run(sealing_run("sealing-dead", pid, outcome="failed"))
        store.begin_run(sealing_run("sealing-alive", os.getpid(), outcome="passed"))
        store.begin_run(sealing_run("sealing-elsewhere", pid).model_copy(update={"host": "pc-9"}))

        stale = store.mark_stale_runs(socket.gethostname())

        assert stale == StaleRuns(incomplete=["testing"], unsealed=["sealing-dead"])
        dead = store.get_run("sealing-dead")
        assert (dead.status, dead.outcome, dead.ended_at) == ("unsealed", "failed", T0)
        assert store.get_run("testing").status == "incomplete"
        assert store.get_run("sealing-alive").status == "sealing"
        assert store.get_run("sealing-elsewhere").status == "sealing"
        assert store.mark_stale_runs(socket.gethostname()) == StaleRuns([], [])  # idempotent


def test_stale_runs_say_what_to_do(tmp_path: Path) -> None:
    stale = StaleRuns(incomplete=["r1"], unsealed=["r2"])
    lines = stale.messages(tmp_path / "reports")
    assert len(lines) == 2
    assert "r1" in lines[0] and "incomplete" in lines[0]
    assert "r2" in lines[1] and "unsealed" in lines[1]
    assert f"hil evidence seal {tmp_path / 'reports' / 'r2'}" in lines[1]
    assert not StaleRuns([], []) and StaleRuns([], ["x"])


def test_set_status_from_sealing_to_the_outcome(store_url: str) -> None:  # noqa: F811
    with ResultsStore.open(store_url) as store:
        store.begin_run(make_run("r"))
        store.set_status("r", "sealing", outcome="failed", ended_at=T0)
        run = store.get_run("r")
        assert (run.status, run.outcome, run.ended_at) == ("sealing", "failed", T0)
        store.set_status("r", "failed")
        run = store.get_run("r")
        assert (run.status, run.outcome, run.ended_at) == ("failed", None, T0)
        # finish_run also leaves no outcome behind a final status
        store.begin_run(make_run("s"))
        store.set_status("s", "sealing", outcome="passed")
        store.finish_run("s", "passed", T0)
        assert (store.get_run("s").status, store.get_run("s").outcome) == ("passed", None)


@pytest.mark.parametrize(
    "status, outcome, why",
    [
        ("running", None, "cannot be 'running'"),
        ("sealing", None, "needs the tests' outcome"),
        ("unsealed", "sealing", "needs the tests' outcome"),
        ("passed", "failed", "has no outcome"),
    ],
)
def test_set_status_refuses_nonsense(
    tmp_path: Path, status: str, outcome: str | None, why: str
) -> None:
    with ResultsStore.open(tmp_path / "results.db") as store:
        store.begin_run(make_run("r"))
        with pytest.raises(StoreError, match=why):
            store.set_status("r", status, outcome=outcome)  # type: ignore[arg-type]
        assert store.get_run("r") == make_run("r")
        with pytest.raises(StoreError, match="no run 'nobody'"):
            store.set_status("nobody", "passed")


def test_buffered_store_forwards_set_status_and_stale_runs(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    pid = dead_pid()
    with ResultsStore.open(postgres_url) as central:
        central.begin_run(sealing_run("died-sealing", pid, outcome="passed"))
    with BufferedStore.open(postgres_url, tmp_path / "journal") as buffered:
        stale = buffered.mark_stale_runs(socket.gethostname())
        assert stale == StaleRuns(incomplete=[], unsealed=["died-sealing"])
        buffered.begin_run(make_run("now"))
        buffered.set_status("now", "sealing", outcome="failed", ended_at=T0)
        assert buffered.get_run("now").status == "sealing"  # the journal has it at once
        assert buffered.flush()
    with ResultsStore.open(postgres_url, create=False) as central:
        run = central.get_run("now")
        assert (run.status, run.outcome) == ("sealing", "failed")
        assert central.get_run("died-sealing").status == "unsealed"
    with BufferedStore.open(dead_url(), tmp_path / "journal2") as away:
        assert away.mark_stale_runs(socket.gethostname()) == StaleRuns([], [])
