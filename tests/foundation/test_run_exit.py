"""``hil run`` ends its process without the interpreter's teardown, and loses nothing by it.

``harness.cli.exit_now``: once pytest has returned, ``hil run`` runs the exit hooks,
flushes its output and leaves with ``os._exit``. Each run here is a real ``hil run``
process with a small plugin (``-p teardown_marker``) holding an object whose
``__del__`` writes a file at the interpreter's teardown: no file shows the fast exit was
taken. Then the package must still be sealed and intact (``hil verify``: 3, intact
and unsigned), the store must hold every row of ``results.parquet`` with the run's
outcome as status, the terminal must have the session's last line, and the exit
status must be what it was: 0 passed, 1 failed, 2 interrupted, 2 input error. A plain
``pytest`` session with the plugin still tears the interpreter down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = str(ROOT / "test_suites" / "test_identity.py")

TEARDOWN_MARKER = textwrap.dedent(
    """
    import os, signal

    class _AtTeardown:
        def __init__(self, path):
            self.path = path

        def __del__(self, _open=open):
            with _open(self.path, "w") as f:
                f.write("torn down\\n")

    _kept = _AtTeardown(os.environ["TEARDOWN_MARKER"])

    if os.environ.get("FROZEN_AT_EXIT"):  # an exit hook before the plugin's: runs after it
        import atexit, gc

        def _frozen(path=os.environ["FROZEN_AT_EXIT"]):
            with open(path, "w") as f:
                f.write(str(gc.get_freeze_count()))

        atexit.register(_frozen)

    if os.environ.get("STOP_WHILE_TESTING"):
        def pytest_runtest_call(item):  # the second test: the first one's row is kept
            if item.name == os.environ["STOP_WHILE_TESTING"]:
                os.kill(os.getpid(), signal.SIGTERM)
    """
)


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "teardown_marker.py").write_text(TEARDOWN_MARKER)
    return folder


def _run(
    argv: list[str], plugins: Path, tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run ``argv`` with the marker plugin; the result and whether teardown happened."""
    marker = tmp_path / "torn-down"
    marker.unlink(missing_ok=True)
    environment = {
        **os.environ, **env, "TEARDOWN_MARKER": str(marker),
        "PYTHONPATH": os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")]),
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, *argv, "-p", "teardown_marker"], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return done, marker.exists()


def _hil_run(
    reports: Path, run_id: str, plugins: Path, tmp_path: Path, *extra: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], bool]:
    argv = ["-m", "harness.cli.main", "run", f"--reports-dir={reports}", f"--run-id={run_id}",
            "--no-allure", "--no-report", *extra]  # fmt: skip
    return _run(argv, plugins, tmp_path, **env)


def _sealed_and_kept(reports: Path, run_id: str, outcome: str) -> None:
    """The package verifies, and the store has every row of its table and the outcome."""
    folder = reports / run_id
    verified = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "verify", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert verified.returncode == 3, verified.stdout + verified.stderr  # intact, unsigned
    assert "intact" in verified.stdout
    table = pd.read_parquet(folder / "results.parquet")
    with ResultsStore.open(reports / "results.db", create=False) as store:
        record = store.get_run(run_id)
        stored = store.measurements(run_id)
    assert (record.status, record.outcome) == (outcome, None)
    assert len(stored) == len(table) > 0
    assert [m.seq for m in stored] == table.seq.tolist()
    assert set(table.run_status) == {outcome}


def test_a_passing_run_exits_0_sealed_without_teardown(plugins: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    done, torn_down = _hil_run(reports, "P1", plugins, tmp_path, IDENTITY)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not torn_down, "hil run went through the interpreter's teardown"
    assert "2 passed" in done.stdout.splitlines()[-1]  # the last line reached the terminal
    _sealed_and_kept(reports, "P1", "passed")


def test_a_failing_run_exits_1(plugins: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    fault = "--sim-fault=report_level_offset=1"
    done, torn_down = _hil_run(reports, "F1", plugins, tmp_path, fault, IDENTITY)
    assert done.returncode == 1, done.stdout + done.stderr
    assert not torn_down
    _sealed_and_kept(reports, "F1", "failed")


def test_an_interrupted_run_exits_2(plugins: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    second = "test_reported_level_and_frequency_match_the_output"
    stop = {"STOP_WHILE_TESTING": second}
    done, torn_down = _hil_run(reports, "S1", plugins, tmp_path, IDENTITY, **stop)
    assert done.returncode == 2, done.stdout + done.stderr
    assert not torn_down
    _sealed_and_kept(reports, "S1", "interrupted")


def test_input_errors_exit_2(plugins: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    before, torn_down = _hil_run(reports, "bad/id", plugins, tmp_path, IDENTITY)
    assert before.returncode == 2 and not torn_down
    assert before.stderr.startswith("hil: input error:"), before.stderr
    # an error only the session sees (a selection that leaves no test): no folder left
    inside, torn_down = _hil_run(reports, "E1", plugins, tmp_path, "-k", "no_such", IDENTITY)
    assert inside.returncode == 2 and not torn_down, inside.stdout + inside.stderr
    assert not (reports / "E1").exists()


def test_plain_pytest_with_the_plugin_exits_as_usual(plugins: Path, tmp_path: Path) -> None:
    """...with what is alive at exit frozen first (``process._freeze_at_exit``), so the
    interpreter's last collections skip it: objects are still freed, and ``__del__``
    still runs, as their modules are cleared."""
    reports = tmp_path / "reports"
    frozen = tmp_path / "frozen-at-exit"
    argv = ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--reports-dir={reports}",
            "--run-id=Q1", "--evidence=seal", IDENTITY]  # fmt: skip
    done, torn_down = _run(argv, plugins, tmp_path, FROZEN_AT_EXIT=str(frozen))
    assert done.returncode == 0, done.stdout + done.stderr
    assert torn_down, "a pytest session must end as Python ends it"
    assert int(frozen.read_text()) > 10_000, "what is alive at exit is frozen"
    _sealed_and_kept(reports, "Q1", "passed")
