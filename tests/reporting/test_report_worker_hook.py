"""The plugin forks the report's worker when a session will build a report, hands it to
the evidence step, and closes it whatever the session's end; not on a line's
controller (its workers build their units' reports), not for a run sealed unreported."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import pytest

from harness.plugin import evidence
from harness.plugin.session import REPORT_WORKER_KEY
from harness.reporting import report_worker

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the worker is forked on Linux"
)


class _Config:
    """What the hooks read of a pytest config: the option, the stash, the plugins."""

    def __init__(self, what: str | None, *, controller: bool = False) -> None:
        self.stash = pytest.Stash()
        self._what, self._controller = what, controller
        self.pluginmanager = SimpleNamespace(
            has_plugin=lambda name: controller and name == "dsession"
        )

    def getoption(self, name: str, default: Any = None) -> Any:
        return self._what if name == "evidence" else default


@pytest.fixture(autouse=True)
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even in a pytest-xdist worker (execnet's thread is idle meanwhile)."""
    monkeypatch.setattr(report_worker, "forks_safely", lambda: True)


def _session(config: _Config) -> Any:
    return SimpleNamespace(config=config)


def test_a_report_session_forks_the_worker_and_its_end_closes_it() -> None:
    config = _Config("report")
    evidence.pytest_sessionstart(_session(config))
    worker = config.stash[REPORT_WORKER_KEY]
    process = worker._process
    assert worker.forked and process is not None and process.is_alive()
    evidence.pytest_sessionfinish(_session(config))  # no compliance run: nothing to build
    assert not process.is_alive() and worker._process is None


@pytest.mark.parametrize(("what", "controller"), [("seal", False), (None, False), ("report", True)])
def test_no_worker_without_a_report_here(what: str | None, controller: bool) -> None:
    config = _Config(what, controller=controller)
    evidence.pytest_sessionstart(_session(config))
    assert config.stash.get(REPORT_WORKER_KEY, None) is None


def test_each_ended_test_s_measurements_go_to_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a test's whole protocol (a broken test's "not shown" rows included), the
    plugin hands the report's worker that test's measurements, the run folder and the
    Allure plots attached for them (none here: no Allure results)."""
    from pathlib import Path

    from harness.plugin import session

    handed: list[tuple[Path, list[str], list[object]]] = []
    worker = SimpleNamespace(
        test_ended=lambda run_dir, rows, plots: handed.append((run_dir, rows, plots))
    )
    config = _Config("report")
    config.stash[REPORT_WORKER_KEY] = worker  # type: ignore[arg-type]
    run = SimpleNamespace(run_dir=Path("/runs/R1"))
    monkeypatch.setattr(session, "compliance_run", lambda _config: run)
    item = SimpleNamespace(config=config, stash=pytest.Stash())
    item.stash[session.MEASURE_KEY] = SimpleNamespace(recorded=["row 1", "row 2"])  # type: ignore[assignment]
    protocol = evidence.pytest_runtest_protocol(item, None)  # type: ignore[arg-type]
    next(protocol)
    assert handed == []  # not before the test has run
    with pytest.raises(StopIteration) as ended:
        protocol.send(True)
    assert ended.value.value is True
    assert handed == [(Path("/runs/R1"), ["row 1", "row 2"], [])]
    # a test without measurements (or before the run began) hands nothing
    bare = SimpleNamespace(config=config, stash=pytest.Stash())
    protocol = evidence.pytest_runtest_protocol(bare, None)  # type: ignore[arg-type]
    next(protocol)
    with pytest.raises(StopIteration):
        protocol.send(None)
    assert len(handed) == 1
