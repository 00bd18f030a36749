"""The report built by a worker forked at the session's start (report_worker): what
``build_compliance_report`` would build here, and whatever goes wrong there is raised
here, never lost."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.errors import HilError, InputError
from harness.reporting import compliance, report_worker
from harness.reporting.pdf import PdfUnavailable
from harness.reporting.report_worker import ReportWorker

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the worker is forked on Linux"
)

ISSUED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even in a pytest-xdist worker (execnet's thread is idle meanwhile)."""
    monkeypatch.setattr(report_worker, "forks_safely", lambda: True)


def _fake_build(calls: Path) -> Callable[..., tuple[Path, Path]]:
    """A build_compliance_report that notes its arguments and process in ``calls``."""
    import os

    def build(run_dir: Path, **arguments: object) -> tuple[Path, Path]:
        calls.write_text(f"{os.getpid()} {sorted(arguments.items())!r}")
        return run_dir / "report.html", run_dir / "report.pdf"

    return build


def test_the_worker_builds_with_the_arguments_given(
    tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    calls = tmp_path / "calls"
    monkeypatch.setattr(compliance, "build_compliance_report", _fake_build(calls))
    with ReportWorker() as worker:
        assert worker.forked
        built = worker.build(tmp_path, laboratory="Lab A", issued_at=ISSUED,
                             signing_fingerprint="sha256:ab")  # fmt: skip
    assert built == (tmp_path / "report.html", tmp_path / "report.pdf")
    pid, arguments = calls.read_text().split(" ", 1)
    assert int(pid) != os.getpid()
    assert "('laboratory', 'Lab A')" in arguments and "sha256:ab" in arguments
    assert repr(ISSUED) in arguments


@pytest.mark.parametrize(
    ("error", "raised", "match"),
    [
        (PdfUnavailable("no PDF: WeasyPrint did not load"), PdfUnavailable, "did not load"),
        (InputError(Path("/run"), "run.json", "a run folder"), HilError, "run.json"),
        (ValueError("a report bug"), ValueError, "a report bug"),
    ],
)
def test_an_error_in_the_worker_is_raised_here(
    tmp_path: Path,
    forking: None,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    raised: type[Exception],
    match: str,
) -> None:
    def broken(run_dir: Path, **arguments: object) -> tuple[Path, Path]:
        raise error

    monkeypatch.setattr(compliance, "build_compliance_report", broken)
    with ReportWorker() as worker, pytest.raises(raised, match=match) as caught:
        worker.build(tmp_path)
    assert any("report worker" in note for note in caught.value.__notes__)


def test_a_worker_that_died_leaves_the_report_to_this_process(
    tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    calls = tmp_path / "calls"
    monkeypatch.setattr(compliance, "build_compliance_report", _fake_build(calls))
    with ReportWorker() as worker:
        assert worker._process is not None
        worker._process.kill()
        worker._process.join()
        worker.build(tmp_path)
    assert int(calls.read_text().split(" ", 1)[0]) == os.getpid()


def test_a_worker_never_asked_is_stopped(forking: None) -> None:
    with ReportWorker() as worker:
        process, scratch = worker._process, worker._scratch
        assert process is not None and process.is_alive()
        assert scratch is not None and scratch.is_dir()
        (scratch / "001-OUT-AMP-L1.png").write_bytes(b"drawn early")  # as the worker would
    assert not process.is_alive() and worker._process is None
    assert not scratch.exists()  # the worker was killed: its early figures went with it


def test_without_fork_the_report_is_built_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.setattr(report_worker, "forks_safely", lambda: False)
    calls = tmp_path / "calls"
    monkeypatch.setattr(compliance, "build_compliance_report", _fake_build(calls))
    with ReportWorker() as worker:
        assert not worker.forked
        worker.build(tmp_path)
    assert int(calls.read_text().split(" ", 1)[0]) == os.getpid()


def test_importing_it_loads_nothing_heavy() -> None:
    """A lean plugin imports it at the session's start."""
    import subprocess

    code = (
        "import sys, harness.reporting.report_worker; "
        "heavy = {'pandas', 'matplotlib', 'weasyprint', 'jinja2', 'pyarrow'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("after_s", [0.0, 0.05, 0.3, 1.0])
def test_a_worker_stopped_at_any_moment_says_nothing(
    forking: None, capfd: pytest.CaptureFixture[str], after_s: float
) -> None:
    """A run that stops early (an instrument that never answers) closes a worker never
    asked, loading or waiting: no traceback of its interrupt reaches the operator (one
    did, from the pipe's close, when the interrupt came as it was leaving)."""
    import time

    with ReportWorker() as worker:
        process = worker._process
        time.sleep(after_s)
    assert process is not None and not process.is_alive()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
